"""`workbench schema-lint FILE.json`: would OpenAI accept this schema with `strict: true`?

Prints one finding a line, `PATH<TAB>RULE<TAB>message`, and exits 0 when the schema would be
accepted, 1 when not, 2 when the file is not JSON or not a JSON Schema at all. Reads a bare
schema or the API's wrappers (`response_format.json_schema`, a function tool). Imports no Qt:
it runs from the same entry point as the app, before anything graphical loads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from workbench.core.schema_lint import Finding, SchemaDocumentError, lint_document

EXIT_ACCEPTED, EXIT_REJECTED, EXIT_NOT_A_SCHEMA = 0, 1, 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="workbench schema-lint",
        description="Check a JSON Schema against OpenAI's strict-mode rules (Structured Outputs "
        "and strict function tools). Exit 0: accepted; 1: findings; 2: not JSON or not a schema.",
    )
    parser.add_argument("file", metavar="FILE", help="a .json file, or - for standard input")
    return parser.parse_args(argv)


def format_finding(finding: Finding) -> str:
    where = f" (line {finding.line}, column {finding.column})" if finding.line else ""
    prefix = "warning: " if finding.severity == "warning" else ""
    return f"{finding.path}\t{finding.rule}\t{prefix}{finding.message}{where}"


def main(argv: list[str] | None = None, stdin: TextIO | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    name = "<stdin>" if args.file == "-" else args.file
    try:
        if args.file == "-":
            text = (stdin or sys.stdin).read()
        else:
            text = Path(args.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"{name}: cannot read: {error}", file=sys.stderr)
        return EXIT_NOT_A_SCHEMA
    try:
        report = lint_document(text)
    except SchemaDocumentError as error:
        where = f":{error.line}:{error.column}" if error.line else ""
        print(f"{name}{where}: {error.message}", file=sys.stderr)
        return EXIT_NOT_A_SCHEMA
    for finding in report.findings:
        print(format_finding(finding))
    if report.accepted:
        print(f"{name}: ok", file=sys.stderr)
        return EXIT_ACCEPTED
    return EXIT_REJECTED
