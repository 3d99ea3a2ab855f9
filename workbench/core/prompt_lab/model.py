"""The Prompt Lab's shared data: prompts with versions, datasets, the matrix and its cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from workbench.core.runs import RunParams


class AssertionKind(StrEnum):
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    REGEX = "regex"
    EQUALS = "equals"
    VALID_JSON = "valid_json"
    JSON_SCHEMA = "json_schema"
    MAX_LENGTH = "max_length"
    MAX_LATENCY_MS = "max_latency_ms"
    MAX_COST_USD = "max_cost_usd"
    JUDGE = "judge"


@dataclass(frozen=True, slots=True)
class Assertion:
    """One check on a cell's answer. `value` is the text, regex, number, schema text or rubric."""

    kind: AssertionKind
    value: str = ""
    rubric_model: str = ""  # judge only: the model that judges ("" = the cell's own model)


@dataclass(frozen=True, slots=True)
class CheckResult:
    index: int  # the assertion's place in its version's list
    passed: bool
    reason: str
    answer: str = ""  # a judge's own answer, as it gave it
    run_id: int | None = None  # a judge's run, for its request and heatmap


@dataclass(frozen=True, slots=True)
class PromptVersion:
    """A saved prompt at one version; system and user are Jinja2 templates."""

    id: int | None
    prompt_name: str
    number: int
    system: str
    user: str
    assertions: tuple[Assertion, ...] = ()
    created_at: str = ""


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class ModelColumn:
    """One column of the grid: an endpoint, a model and its parameters, as in Compare."""

    endpoint_id: str
    model: str
    params: RunParams
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.model


@dataclass(frozen=True, slots=True)
class Matrix:
    id: int | None
    name: str
    version_ids: tuple[int, ...]
    dataset_name: str
    columns: tuple[ModelColumn, ...]
    repeats: int = 1
    concurrency: dict[str, int] = field(default_factory=dict)  # endpoint id -> parallel requests
    via_batch: bool = False


@dataclass(frozen=True, slots=True, order=True)
class CellKey:
    version_id: int
    row: int
    column: int
    repeat: int


class CellStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    BATCHED = "batched"  # sent in a Batch API job, waiting for it

    @property
    def finished(self) -> bool:
        """Kept across a restart; every other state is run again on resume."""
        return self in (CellStatus.DONE, CellStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Cell:
    key: CellKey
    status: CellStatus
    output: str = ""
    latency_ms: float | None = None  # the model's time, from sending to the last token
    queue_ms: float | None = None  # time spent waiting for the endpoint's concurrency slot
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    price_status: str = ""
    run_id: int | None = None
    error: str = ""
    checks: tuple[CheckResult, ...] = ()
    batch_discount: bool = False  # priced at the Batch API's half price

    @property
    def passed(self) -> bool | None:
        """None while unfinished or with no checks; a failed request never passes."""
        if not self.status.finished:
            return None
        if self.status is CellStatus.FAILED:
            return False
        if not self.checks:
            return None
        return all(c.passed for c in self.checks)
