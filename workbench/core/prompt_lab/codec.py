"""The Prompt Lab's data as JSON text, for the store and for files: one place for each shape."""

from __future__ import annotations

import json

from workbench.core.prompt_lab.model import Assertion, AssertionKind, CheckResult, ModelColumn
from workbench.core.runs import RunParams


def assertions_to_json(assertions: tuple[Assertion, ...]) -> str:
    return json.dumps(
        [
            {"kind": str(a.kind), "value": a.value, "rubric_model": a.rubric_model}
            for a in assertions
        ]
    )


def assertions_from_json(text: str | None) -> tuple[Assertion, ...]:
    """Unknown kinds (from a newer version) are dropped rather than failing the whole prompt."""
    out: list[Assertion] = []
    for item in json.loads(text or "[]"):
        try:
            kind = AssertionKind(item.get("kind", ""))
        except ValueError:
            continue
        out.append(Assertion(kind, str(item.get("value", "")), str(item.get("rubric_model", ""))))
    return tuple(out)


def checks_to_json(checks: tuple[CheckResult, ...]) -> str:
    return json.dumps([[c.index, c.passed, c.reason, c.answer, c.run_id] for c in checks])


def checks_from_json(text: str | None) -> tuple[CheckResult, ...]:
    return tuple(
        CheckResult(int(i), bool(p), str(r), str(a), None if run is None else int(run))
        for i, p, r, a, run in (_padded(c) for c in json.loads(text or "[]"))
    )


def _padded(check: list[object]) -> list[object]:
    return [*check, "", None][:5]


def columns_to_json(columns: tuple[ModelColumn, ...]) -> str:
    return json.dumps(
        [
            {
                "endpoint_id": c.endpoint_id,
                "model": c.model,
                "params": json.loads(c.params.to_json()),
                "label": c.label,
            }
            for c in columns
        ]
    )


def columns_from_json(text: str | None) -> tuple[ModelColumn, ...]:
    return tuple(
        ModelColumn(
            endpoint_id=str(c["endpoint_id"]),
            model=str(c["model"]),
            params=RunParams.from_json(json.dumps(c.get("params") or {})),
            label=str(c.get("label", "")),
        )
        for c in json.loads(text or "[]")
    )
