"""A comparison: one prompt sent to 2-6 columns, each its own endpoint, model and parameters."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.export import auto_title
from workbench.core.runs import ChatTurn, RunParams
from workbench.core.sessions import MessageStatus

MIN_COLUMNS = 2
MAX_COLUMNS = 6
MAX_REPEATS = 20


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    endpoint_id: str
    endpoint_name: str
    params: RunParams
    system_prompt: str = ""

    @property
    def label(self) -> str:
        return f"{self.params.model or 'default model'} · {self.endpoint_name}"


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    id: int
    repeat_index: int
    run_id: int | None
    content: str
    status: MessageStatus


@dataclass(frozen=True, slots=True)
class SavedColumn:
    id: int
    position: int
    spec: ColumnSpec
    answers: tuple[SavedAnswer, ...] = ()


@dataclass(frozen=True, slots=True)
class SavedComparison:
    id: int
    session_id: int | None  # the session whose history was sent, if any
    leaf_id: int | None  # the history's last message: answers sent to the chat go under it
    title: str
    prompt: str
    history: tuple[ChatTurn, ...]
    repeats: int
    created_at: str
    columns: tuple[SavedColumn, ...]


@dataclass(frozen=True, slots=True)
class ComparisonSummary:
    id: int
    title: str
    created_at: str
    columns: int
    repeats: int


def column_turns(
    spec: ColumnSpec, history: tuple[ChatTurn, ...], prompt: str
) -> tuple[ChatTurn, ...]:
    """What one column sends: its own system prompt, the shared history, then the prompt."""
    prompt_text = spec.system_prompt.strip()
    system = (ChatTurn.of("system", prompt_text),) if prompt_text else ()
    return (*system, *history, ChatTurn.of("user", prompt))


def comparison_title(prompt: str, columns: tuple[ColumnSpec, ...]) -> str:
    models = " vs ".join(dict.fromkeys(c.params.model or c.endpoint_name for c in columns))
    return f"{auto_title(prompt)} — {models}" if models else auto_title(prompt)


def problem_with(prompt: str, columns: tuple[ColumnSpec, ...], repeats: int) -> str | None:
    """Why the comparison cannot be run as it stands, or None."""
    if not prompt.strip():
        return "Type a prompt to compare."
    if not MIN_COLUMNS <= len(columns) <= MAX_COLUMNS:
        return f"A comparison has {MIN_COLUMNS} to {MAX_COLUMNS} columns."
    if not 1 <= repeats <= MAX_REPEATS:
        return f"Repeat each column 1 to {MAX_REPEATS} times."
    return None


def params_summary(params: RunParams, system_prompt: str = "") -> str:
    """The settings that differ from the server's defaults, e.g. 'temperature 0.7 · seed 3'."""
    parts = []
    for name, label in (
        ("temperature", "temperature"),
        ("top_p", "top p"),
        ("max_tokens", "max tokens"),
        ("seed", "seed"),
        ("presence_penalty", "presence"),
        ("frequency_penalty", "frequency"),
        ("reasoning_effort", "effort"),
    ):
        value = getattr(params, name)
        if value is not None:
            parts.append(f"{label} {value:g}" if isinstance(value, float) else f"{label} {value}")
    if params.stop:
        parts.append("stop " + ", ".join(params.stop))
    if params.response_format != "text":
        parts.append(params.response_format)
    if params.logprobs:
        parts.append("logprobs")
    if system_prompt.strip():
        parts.append("system prompt")
    return " · ".join(parts) or "server defaults"
