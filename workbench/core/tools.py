"""Function tools as plain data: a tool set (functions, tool_choice, parallel calls, mock results),
what it adds to a chat request, and the checks on the calls a model makes.

Pure: no Qt, no I/O. The Tools panel edits a ToolSet; the chat sends it and answers the calls.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from workbench.core.answer_check import check_answer
from workbench.core.schema_lint import SchemaDocumentError, check_is_schema, lint_schema

# The API's rule for a function's name (OpenAPI: FunctionObject.name).
NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TOOL_CHOICES = ("auto", "required", "none")  # or the name of one function
DEFAULT_MAX_ROUNDS = 5
EMPTY_PARAMETERS = json.dumps(
    {"type": "object", "properties": {}, "required": [], "additionalProperties": False}, indent=2
)


@dataclass(frozen=True, slots=True)
class FunctionTool:
    name: str
    description: str = ""
    parameters: str = EMPTY_PARAMETERS  # the JSON Schema's text, as the user wrote it
    strict: bool = True

    def parameters_schema(self) -> dict[str, Any]:
        """The parameters as sent; raises ValueError when they are not a JSON object."""
        value = json.loads(self.parameters or "{}")
        if not isinstance(value, dict):
            raise ValueError("the parameters must be a JSON object (a JSON Schema)")
        return value


@dataclass(frozen=True, slots=True)
class MockResult:
    """A saved answer to calls of `tool`: used for a call whose arguments hold every key and
    value of `when` (a JSON object's text; empty matches every call)."""

    tool: str
    result: str
    when: str = ""


@dataclass(frozen=True, slots=True)
class ToolSet:
    name: str = ""
    functions: tuple[FunctionTool, ...] = ()
    choice: str = "auto"  # "auto" | "required" | "none" | a function's name
    parallel: bool = True
    mocks: tuple[MockResult, ...] = ()
    auto_answer: bool = True  # answer calls with matching mocks and go on without asking
    max_rounds: int = DEFAULT_MAX_ROUNDS

    def function(self, name: str) -> FunctionTool | None:
        return next((f for f in self.functions if f.name == name), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> ToolSet | None:
        """None for empty or unreadable text (a newer version's fields are ignored)."""
        try:
            data = json.loads(text or "null")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        try:
            functions = tuple(FunctionTool(**f) for f in data.get("functions") or ())
            mocks = tuple(MockResult(**m) for m in data.get("mocks") or ())
            return cls(
                name=str(data.get("name") or ""),
                functions=functions,
                choice=str(data.get("choice") or "auto"),
                parallel=bool(data.get("parallel", True)),
                mocks=mocks,
                auto_answer=bool(data.get("auto_answer", True)),
                max_rounds=max(1, int(data.get("max_rounds") or DEFAULT_MAX_ROUNDS)),
            )
        except (TypeError, ValueError):
            return None

    def summary(self) -> str:
        """'weather · 2 functions · auto' for a label."""
        count = len(self.functions)
        noun = "function" if count == 1 else "functions"
        return " · ".join(p for p in (self.name, f"{count} {noun}", self.choice) if p)


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it

    def wire(self) -> dict[str, Any]:
        """As an assistant message's `tool_calls` item."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # "name", "parameters", "tool_choice", "function 2"
    message: str


# --- defining --------------------------------------------------------------------------------
def name_problem(name: str) -> str | None:
    if not NAME_RE.match(name):
        return (
            f"“{name}” is not a name the API takes: 1 to 64 letters, digits, "
            "underscores or hyphens."
        )
    return None


def function_problems(function: FunctionTool) -> list[Problem]:
    """What the API would refuse in one function, each at the field it concerns."""
    problems = []
    said = name_problem(function.name)
    if said:
        problems.append(Problem("name", said))
    try:
        schema = function.parameters_schema()
    except ValueError as exc:
        return [*problems, Problem("parameters", f"The parameters are not valid JSON: {exc}")]
    if schema.get("type", "object") != "object":
        problems.append(Problem("parameters", "The parameters must be a schema of type object."))
        return problems
    try:
        check_is_schema(schema)
    except SchemaDocumentError as exc:
        return [*problems, Problem("parameters", f"Not a JSON Schema: {exc}")]
    if function.strict:
        problems += [
            Problem("parameters", f"{f.path}: {f.message} ({f.rule})") for f in lint_schema(schema)
        ]
    return problems


def toolset_problems(tools: ToolSet) -> list[Problem]:
    """Everything in a tool set the API would refuse, or an empty list."""
    problems = []
    names = [f.name for f in tools.functions]
    for number, function in enumerate(tools.functions, 1):
        label = function.name or f"function {number}"
        problems += [Problem(f"{label}: {p.where}", p.message) for p in function_problems(function)]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        problems.append(Problem("functions", f"Two functions are named {duplicated[0]!r}."))
    if tools.choice not in TOOL_CHOICES and tools.choice not in names:
        problems.append(
            Problem("tool_choice", f"tool_choice names {tools.choice!r}, which is not defined.")
        )
    if not tools.functions and tools.choice not in ("auto", "none"):
        problems.append(Problem("tool_choice", "tool_choice needs at least one function."))
    return problems


def tools_body(tools: ToolSet, *, first_round: bool = True) -> dict[str, Any]:
    """`tools`, `tool_choice` and `parallel_tool_calls` for a chat request.

    After the first round a forced choice ("required", a named function) goes back to "auto",
    as the OpenAI Agents SDK does by default (`reset_tool_choice`): forced again, the model could
    only call again, and the conversation would never reach an answer in text."""
    if not tools.functions:
        return {}
    body: dict[str, Any] = {"tools": [_function_wire(f) for f in tools.functions]}
    choice = tools.choice if first_round or tools.choice == "none" else "auto"
    if choice in TOOL_CHOICES:
        body["tool_choice"] = choice
    else:
        body["tool_choice"] = {"type": "function", "function": {"name": choice}}
    body["parallel_tool_calls"] = tools.parallel
    return body


def _function_wire(function: FunctionTool) -> dict[str, Any]:
    wire: dict[str, Any] = {"name": function.name}
    if function.description:
        wire["description"] = function.description
    wire["parameters"] = function.parameters_schema()
    wire["strict"] = function.strict
    return {"type": "function", "function": wire}


# --- answering -------------------------------------------------------------------------------
def call_problems(call: ToolCall, tools: ToolSet | None) -> list[str]:
    """Why a call's arguments are not what its function takes, or an empty list."""
    function = tools.function(call.name) if tools else None
    if function is None:
        return [f"The model called {call.name!r}, which is not among the functions."]
    try:
        schema = function.parameters_schema()
    except ValueError:
        return []  # the definition itself is broken; said where it is defined
    check = check_answer(call.arguments or "{}", schema, limit=10)
    if check.not_json:
        return [f"The arguments are {check.findings[0].message}"]
    said = [f"{f.path}: {f.message}" for f in check.findings]
    return said + ([f"…and {check.more} more"] if check.more else [])


def mock_for(call: ToolCall, tools: ToolSet | None) -> str | None:
    """The saved result for `call`: the mock of its function whose `when` matches the most
    arguments (one with no `when` is the fallback), or None."""
    if tools is None:
        return None
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        return None
    best: tuple[int, str] | None = None
    for mock in tools.mocks:
        if mock.tool != call.name:
            continue
        try:
            when = json.loads(mock.when) if mock.when.strip() else {}
        except ValueError:
            continue
        if not isinstance(when, dict) or not isinstance(arguments, dict):
            continue
        matches = all(arguments.get(k, _MISSING) == v for k, v in when.items())
        if matches and (best is None or len(when) > best[0]):
            best = (len(when), mock.result)
    return best[1] if best else None


_MISSING = object()


def calls_from_json(text: str | None) -> tuple[ToolCall, ...]:
    """Tool calls as the store keeps them (a JSON list of {id, name, arguments})."""
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    return tuple(
        ToolCall(str(i.get("id", "")), str(i.get("name", "")), str(i.get("arguments", "")))
        for i in items
        if isinstance(i, dict)
    )


def calls_to_json(calls: tuple[ToolCall, ...] | list[ToolCall]) -> str:
    return json.dumps([asdict(c) for c in calls], ensure_ascii=False)


def with_function(tools: ToolSet, index: int, function: FunctionTool) -> ToolSet:
    """`tools` with function `index` replaced (or appended when index is past the end)."""
    functions = list(tools.functions)
    if index < len(functions):
        functions[index] = function
    else:
        functions.append(function)
    return replace(tools, functions=tuple(functions))


def calls_markdown(calls: tuple[ToolCall, ...]) -> str:
    """Tool calls as readable JSON blocks, for a view that shows markdown (a Compare column)."""
    blocks = []
    for call in calls:
        try:
            arguments: Any = json.loads(call.arguments or "{}")
        except ValueError:
            arguments = call.arguments  # cut off mid-way: show what arrived
        shown = json.dumps({"arguments": arguments}, indent=2, ensure_ascii=False)
        blocks.append(f"\n\n**Tool call** `{call.name}`\n```json\n{shown}\n```")
    return "".join(blocks)
