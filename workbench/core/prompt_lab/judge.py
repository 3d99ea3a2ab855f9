"""A judge: another model reads the answer with a rubric and says pass or fail, with a reason.

The judge is asked for JSON {"pass": bool, "reason": str} through a strict JSON schema, so a
server that supports structured output can only answer in that shape; its verdict is still read
defensively, since not every server does.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.core.prompt_lab.assertions import unfenced
from workbench.core.prompt_lab.model import CheckResult
from workbench.core.runs import ChatTurn, RunParams

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"pass": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["pass", "reason"],
    "additionalProperties": False,
}
JUDGE_MAX_TOKENS = 300

_INSTRUCTIONS = (
    "You are a strict grader. Read the task given to an assistant and the assistant's answer, "
    "then decide whether the answer meets the rubric. Reply with JSON only, exactly "
    '{"pass": true or false, "reason": "one short sentence"}.'
)


def judge_turns(rubric: str, question: str, answer: str) -> tuple[ChatTurn, ...]:
    """The judge's conversation: the rubric as instructions, the task and answer to grade."""
    task = (
        f"Rubric:\n{rubric.strip()}\n\n"
        f"Task given to the assistant:\n<task>\n{question}\n</task>\n\n"
        f"The assistant's answer:\n<answer>\n{answer}\n</answer>"
    )
    return (ChatTurn.of("system", _INSTRUCTIONS), ChatTurn.of("user", task))


def judge_params(model: str, base: RunParams | None = None) -> RunParams:
    """Deterministic where the server allows, short, and held to the verdict's schema."""
    return RunParams(
        model=model,
        temperature=0.0,
        seed=base.seed if base else None,
        max_tokens=JUDGE_MAX_TOKENS,
        response_format="json_schema",
        json_schema=json.dumps(JUDGE_SCHEMA),
    )


def read_verdict(index: int, text: str) -> CheckResult:
    """The judge's answer as a check; an answer that is not a verdict fails, saying why."""
    try:
        verdict = json.loads(unfenced(text))
    except ValueError:
        return CheckResult(index, False, f"the judge did not answer in JSON: {_short(text)}")
    if not isinstance(verdict, dict) or not isinstance(verdict.get("pass"), bool):
        return CheckResult(index, False, f"the judge gave no pass/fail verdict: {_short(text)}")
    reason = str(verdict.get("reason", "")).strip() or "(no reason given)"
    return CheckResult(index, verdict["pass"], f"judge: {reason}")


def _short(text: str) -> str:
    text = text.strip().replace("\n", " ")
    return f"“{text[:80]}…”" if len(text) > 80 else f"“{text}”"
