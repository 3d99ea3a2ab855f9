"""Function calling for a small local model: prompt text, a grammar, and a streaming parser.

Policy (a 135M model cannot be trusted to follow a tool format on its own):
- The tools are described in the system message, with the reply format
  `{"name": ..., "arguments": {...}}` (or a JSON array of those for parallel calls).
- tool_choice "required" or a named function: the whole reply is constrained by a grammar built
  from the functions' parameter schemas, so name and arguments are always valid.
- tool_choice "auto": the model's own first token decides. If it opens a JSON object or array,
  generation restarts under the tool-call grammar; otherwise the reply is plain text.
- tool_choice "none": plain text, tools still described so the model knows about them.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from llama_cpp.llama_grammar import SchemaConverter

from workbench.local_server.chat.schema import check_json_schema
from workbench.local_server.errors import bad_field, unsupported

NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_PARALLEL_CALLS = 4
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolSetup:
    tools: list[Tool]
    choice: str  # "none" | "auto" | "required" (a named function is "required" with one name)
    names: list[str]  # the functions the reply may call
    parallel: bool

    @property
    def allowed(self) -> list[Tool]:
        return [t for t in self.tools if t.name in self.names]


def new_call_id() -> str:
    return "call_" + "".join(secrets.choice(_ALPHABET) for _ in range(24))


# --------------------------------------------------------------------------- request parsing


def parse_tools(body: dict[str, Any]) -> ToolSetup | None:
    raw, choice = body.get("tools"), body.get("tool_choice")
    if raw is None:
        if choice not in (None, "none", "auto"):
            raise bad_field("tool_choice", "tool_choice is only allowed when tools are specified.")
        return None
    if not isinstance(raw, list):
        raise bad_field("tools", "tools must be an array of function tools.")
    tools = [_parse_tool(i, item) for i, item in enumerate(raw)]
    if len({t.name for t in tools}) != len(tools):
        raise bad_field("tools", "Each tool must have a unique function name.")
    parallel = body.get("parallel_tool_calls", True)
    if not isinstance(parallel, bool):
        raise bad_field("parallel_tool_calls", "parallel_tool_calls must be a boolean.")
    names = [t.name for t in tools]
    if not tools:
        if choice in (None, "none", "auto"):
            return None
        raise bad_field("tool_choice", "tool_choice is only allowed when tools are specified.")
    if choice is None or choice in ("none", "auto", "required"):
        return ToolSetup(tools, choice or "auto", names, parallel)
    if (
        isinstance(choice, dict)
        and choice.get("type") == "function"
        and isinstance(choice.get("function"), dict)
    ):
        name = choice["function"].get("name")
        if name not in names:
            raise bad_field(
                "tool_choice", f"tool_choice names function {name!r}, which is not among the tools."
            )
        return ToolSetup(tools, "required", [name], parallel)
    raise bad_field(
        "tool_choice",
        'tool_choice must be "none", "auto", "required" or '
        '{"type": "function", "function": {"name": ...}}.',
    )


def _parse_tool(i: int, item: Any) -> Tool:
    where = f"tools[{i}]"
    if not isinstance(item, dict):
        raise bad_field(where, f"{where} must be an object.")
    if item.get("type") != "function":
        raise unsupported(f"Tools of type {item.get('type')!r}", param=f"{where}.type")
    function = item.get("function")
    if not isinstance(function, dict):
        raise bad_field(f"{where}.function", f"{where}.function must be an object.")
    name = function.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise bad_field(
            f"{where}.function.name", f"{where}.function.name must match ^[a-zA-Z0-9_-]{{1,64}}$."
        )
    description = function.get("description") or ""
    if not isinstance(description, str):
        raise bad_field(f"{where}.function.description", "The description must be a string.")
    parameters = function.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
        raise bad_field(
            f"{where}.function.parameters",
            f"{where}.function.parameters must be a JSON Schema of type object.",
        )
    check_json_schema(parameters, f"{where}.function.parameters")
    return Tool(name, description, parameters)


# --------------------------------------------------------------------------- prompt


def system_text(setup: ToolSetup) -> str:
    lines = [
        "You can call functions. To call one, reply with only a JSON object of the form "
        '{"name": "<function name>", "arguments": {<arguments>}} and nothing else.',
    ]
    if setup.parallel:
        lines.append("To call several at once, reply with a JSON array of such objects.")
    if setup.choice == "none":
        lines = ["Do not call any function now; answer in plain text."]
    lines.append("Functions:")
    for tool in setup.tools:
        lines.append(f"- {tool.name}: {tool.description}".rstrip(": "))
        lines.append(f"  parameters: {json.dumps(tool.parameters, ensure_ascii=False)}")
    return "\n".join(lines)


def history_text(content: str, tool_calls: list[dict[str, Any]]) -> str:
    """An earlier assistant turn with tool calls, written in the same format we ask for."""
    calls = []
    for call in tool_calls:
        function = call.get("function") or {}
        arguments = function.get("arguments", "{}")
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        except json.JSONDecodeError:
            parsed = arguments
        calls.append({"name": function.get("name"), "arguments": parsed})
    rendered = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
    return f"{content}\n{rendered}" if content else rendered


def looks_like_call(piece: bytes) -> bool:
    """In auto mode: does the model's first token open a tool call?"""
    return piece.lstrip()[:1] in (b"{", b"[")


# --------------------------------------------------------------------------- grammar


def call_grammar(setup: ToolSetup) -> str:
    """GBNF for one call (or, with parallel calls, an array of up to 4) to the allowed tools."""
    converter = SchemaConverter(
        prop_order={"name": 0, "arguments": 1}, allow_fetch=False, dotall=False, raw_pattern=False
    )
    alternatives = []
    for i, tool in enumerate(setup.allowed):
        parameters = converter.resolve_refs(copy.deepcopy(tool.parameters), f"tool{i}")
        call = {
            "type": "object",
            "properties": {"name": {"const": tool.name}, "arguments": parameters},
            "required": ["name", "arguments"],
        }
        alternatives.append(converter.visit(call, f"call{i}"))
    converter._add_rule("call", " | ".join(alternatives))
    root = "call"
    if setup.parallel:
        more = f'("," space call){{0,{MAX_PARALLEL_CALLS - 1}}}'
        root = f'call | "[" space call {more} "]" space'
    converter._add_rule("root", root)
    return converter.format_grammar()


# --------------------------------------------------------------------------- output parsing


@dataclass
class ParsedCall:
    id: str
    name: str
    arguments: str = ""
    complete: bool = False


@dataclass
class ToolCallParser:
    """Reads grammar-shaped call JSON as it streams: announces each call once its name is known,
    then passes its arguments text through piece by piece, exactly as generated."""

    calls: list[ParsedCall] = field(default_factory=list)
    _depth: int = 0
    _call_depth: int = 0
    _in_string: bool = False
    _escape: bool = False
    _strings: int = 0  # strings finished at the call's own level: key, name, key
    _buffer: str = ""
    _in_arguments: bool = False

    def feed(self, text: str) -> list[tuple[int, str | None, str]]:
        """Events (call index, name when the call starts else None, arguments piece)."""
        events: list[tuple[int, str | None, str]] = []
        for ch in text:
            if self._in_arguments:
                self._arguments_char(ch, events)
                continue
            if self._in_string:
                self._string_char(ch, events)
            elif ch == '"':
                self._in_string, self._buffer = True, ""
            elif ch in "{[" and self._depth == self._call_depth and self._strings >= 3:
                self._in_arguments = True
                self._arguments_char(ch, events)
            elif ch == "{" and self._depth in (0, 1) and self._call_depth in (0, 2):
                self._call_depth = self._call_depth or 1
                self._depth += 1
                self._strings = 0
            elif ch == "[" and self._depth == 0:
                self._call_depth, self._depth = 2, 1
            elif ch in "}]":
                if ch == "}" and self._depth == self._call_depth and self.calls:
                    self.calls[-1].complete = True
                self._depth -= 1
        return _merge(events)

    def _string_char(self, ch: str, events: list[tuple[int, str | None, str]]) -> None:
        if self._escape:
            self._escape, self._buffer = False, self._buffer + ch
        elif ch == "\\":
            self._escape, self._buffer = True, self._buffer + ch
        elif ch == '"':
            self._in_string = False
            if self._depth == self._call_depth:
                self._strings += 1
                if self._strings == 2:  # the name's value: announce the call
                    name = json.loads(f'"{self._buffer}"')
                    self.calls.append(ParsedCall(new_call_id(), name))
                    events.append((len(self.calls) - 1, name, ""))
        else:
            self._buffer += ch

    def _arguments_char(self, ch: str, events: list[tuple[int, str | None, str]]) -> None:
        call = self.calls[-1]
        call.arguments += ch
        events.append((len(self.calls) - 1, None, ch))
        if self._in_string:
            if self._escape:
                self._escape = False
            elif ch == "\\":
                self._escape = True
            elif ch == '"':
                self._in_string = False
        elif ch == '"':
            self._in_string = True
        elif ch in "{[":
            self._depth += 1
        elif ch in "}]":
            self._depth -= 1
            if self._depth == self._call_depth:
                self._in_arguments = False


def _merge(events: list[tuple[int, str | None, str]]) -> list[tuple[int, str | None, str]]:
    merged: list[tuple[int, str | None, str]] = []
    for index, name, piece in events:
        if merged and name is None and merged[-1][0] == index:
            merged[-1] = (index, merged[-1][1], merged[-1][2] + piece)
        else:
            merged.append((index, name, piece))
    return merged
