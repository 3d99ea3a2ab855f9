"""Schema work too slow for the UI thread: the strict-mode lint of a large text, a strict schema
inferred from an example document (genson), and the Pydantic v2 model a schema describes
(datamodel-code-generator). The plain functions are pure; the `async` ones run them in a worker.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workbench.core.schema_fixes import FIXES, make_strict
from workbench.core.schema_lint import LintReport, SchemaDocumentError, lint_document, unwrap

# One worker each: the lint must not wait behind a slow code generation.
_lint_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schema-lint")
_tool_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="schema-tools")

PREVIEW_HEADER = "# The Pydantic v2 model this schema describes (datamodel-code-generator)"


class ExampleError(ValueError):
    """The example document cannot become a schema; the message says why, for the user."""


class PreviewError(ValueError):
    """The code generator could not turn the schema into a model."""


def schema_from_example(text: str) -> dict[str, Any]:
    """A strict-mode schema every part of the example document fits: genson's inference, then
    every object closed and every property required (`make_strict`)."""
    from genson import SchemaBuilder

    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ExampleError(
            f"Not JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    if not isinstance(document, dict):
        raise ExampleError(
            "The example must be a JSON object ({…}): strict mode wants an object at the root."
        )
    builder = SchemaBuilder(schema_uri=None)
    builder.add_object(document)
    return make_strict(builder.to_schema())


def bare_schema(text: str) -> Any:
    """The schema itself from the editor's text, also when it is wrapped the way the API takes
    it (a response_format or a function tool)."""
    return unwrap(json.loads(text)).schema


INLINE_LIST_CHARS = 72


def pretty_json(value: Any, indent: int = 2) -> str:
    """JSON indented by `indent`, except that a short list of plain values stays on one line
    (`"type": ["string", "null"]`), as people write schemas."""

    def walk(node: Any, depth: int) -> str:
        pad, end = " " * (indent * (depth + 1)), " " * (indent * depth)
        if isinstance(node, dict) and node:
            members = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {walk(v, depth + 1)}"
                       for k, v in node.items()]  # fmt: skip
            return "{\n" + ",\n".join(members) + "\n" + end + "}"
        if isinstance(node, list) and node:
            inline = json.dumps(node, ensure_ascii=False)
            if (
                not any(isinstance(v, dict | list) for v in node)
                and len(inline) <= INLINE_LIST_CHARS
            ):
                return inline
            return "[\n" + ",\n".join(pad + walk(v, depth + 1) for v in node) + "\n" + end + "]"
        return json.dumps(node, ensure_ascii=False)

    return walk(value, 0)


def fixed_text(text: str, fix_id: str) -> str:
    """The text with one of `schema_fixes.FIXES` applied to its schema (inside its wrapper, if
    it has one), re-serialised with an indent of 2."""
    document = json.loads(text)
    found = unwrap(document)
    fixed = FIXES[fix_id](found.schema)
    if not found.base:
        return pretty_json(fixed)
    holder = document
    for key in found.base[:-1]:
        holder = holder[key]
    holder[found.base[-1]] = fixed
    return pretty_json(document)


def chat_schema_text(text: str) -> str:
    """What the chat's schema box takes: the bare schema (the chat wraps it itself), or the text
    as it is when it is not JSON."""
    try:
        return pretty_json(bare_schema(text))
    except (json.JSONDecodeError, RecursionError):
        return text


def python_model(text: str) -> str:
    """The Pydantic v2 model source for the schema in `text`."""
    from datamodel_code_generator import DataModelType, InputFileType, generate
    from datamodel_code_generator.format import Formatter, PythonVersion

    try:
        schema = bare_schema(text)
        code = generate(
            json.dumps(schema),
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            formatters=[Formatter.BUILTIN],  # black and isort are not needed to read it
            target_python_version=PythonVersion.PY_311,
            disable_timestamp=True,
            use_double_quotes=True,
            custom_file_header=PREVIEW_HEADER,
        )
    except Exception as error:  # the generator raises many kinds; each is a reason to show
        raise PreviewError(f"{type(error).__name__}: {error}") from None
    if not isinstance(code, str) or not code.strip():
        raise PreviewError("the generator wrote no model for this schema")
    return code


def lint_or_problem(text: str) -> LintReport | SchemaDocumentError:
    """The lint's report, or the reason the text is not a schema at all (returned, not raised,
    so it crosses a worker boundary as a value)."""
    try:
        return lint_document(text)
    except SchemaDocumentError as problem:
        return problem


async def lint_in_worker(text: str) -> LintReport | SchemaDocumentError:
    return await asyncio.get_running_loop().run_in_executor(_lint_worker, lint_or_problem, text)


async def infer_in_worker(text: str) -> dict[str, Any]:
    return await asyncio.get_running_loop().run_in_executor(_tool_worker, schema_from_example, text)


async def python_model_in_worker(text: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_tool_worker, python_model, text)
