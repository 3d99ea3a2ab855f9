"""`workbench schema-lint FILE.json` as a person runs it: exit codes, one finding a line."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.app.main import main as workbench_main
from workbench.app.schema_lint_cli import main

CORPUS = Path(__file__).resolve().parent / "data" / "schema-lint"


def test_runs_as_a_subcommand_without_loading_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "workbench", "schema-lint",
         str(CORPUS / "rejected" / "array-without-items.json")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "$.properties.paths\tarray-items\tarray schema missing items (line 9, column 18)"
    ]
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "workbench.core.schema_lint" in imported
    assert not [name for name in imported if name.startswith(("PySide6", "qasync"))]


def test_an_accepted_schema_prints_nothing_and_says_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert workbench_main(["schema-lint", str(CORPUS / "accepted/guide-recursive-ui.json")]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().endswith("guide-recursive-ui.json: ok")


def test_each_finding_is_path_rule_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(CORPUS / "rejected/if-then-else.json")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        ["$.if", "unsupported-keyword"],
        ["$.then", "unsupported-keyword"],
        ["$.else", "unsupported-keyword"],
    ]
    assert all(line.count("\t") == 2 for line in lines)


def test_reads_standard_input(capsys: pytest.CaptureFixture[str]) -> None:
    schema = '{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}'
    assert main(["-"], stdin=io.StringIO(schema)) == 1
    assert capsys.readouterr().out == (
        "$\tadditional-properties\t'additionalProperties' is required to be supplied and to be "
        "false (line 1, column 1)\n"
    )


def test_warnings_alone_still_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(CORPUS / "accepted/not-strict-wrapper.json")]) == 0
    assert capsys.readouterr().out.startswith("strict\tstrict-flag\twarning: ")


def test_not_json_exits_2_naming_line_and_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-"], stdin=io.StringIO('{\n  "type": "object",\n}')) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("<stdin>:3:1: not JSON: ")


def test_not_a_schema_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "type": "object",\n  "required": "a"\n}')
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:3:15: not a JSON Schema: $.required: ")


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
