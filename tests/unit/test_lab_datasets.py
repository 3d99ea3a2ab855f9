"""Datasets from CSV and JSONL: a bad row is refused with its line; export reads back the same."""

from __future__ import annotations

import pytest

from workbench.core.prompt_lab.datasets import (
    DatasetProblem,
    dataset_from_csv,
    dataset_from_jsonl,
    dataset_to_csv,
    dataset_to_jsonl,
)
from workbench.core.prompt_lab.model import Dataset

ROWS = Dataset(
    "mixed",
    ("question", "context"),
    (
        {"question": "What, exactly?", "context": 'He said "no".'},
        {"question": "Two\nlines", "context": "café ✓"},
        {"question": "", "context": "empty question"},
    ),
)


def test_csv_and_jsonl_round_trip_quotes_newlines_and_unicode() -> None:
    assert dataset_from_csv("mixed", dataset_to_csv(ROWS)) == ROWS
    assert dataset_from_jsonl("mixed", dataset_to_jsonl(ROWS)) == ROWS


def test_a_csv_row_with_the_wrong_number_of_fields_names_its_line() -> None:
    text = 'a,b\n1,2\n"quoted\nover two lines",3\n4,5,6\n'
    with pytest.raises(DatasetProblem) as problem:
        dataset_from_csv("x", text)
    assert problem.value.line == 5  # the line as an editor shows it, after the two-line field
    assert str(problem.value) == "Line 5: 3 fields where the header has 2 (a, b)."


def test_a_csv_header_with_a_repeated_or_empty_name_is_refused() -> None:
    with pytest.raises(DatasetProblem, match="Line 1: the column “a” is named twice"):
        dataset_from_csv("x", "a,a\n1,2\n")
    with pytest.raises(DatasetProblem, match="Line 2: a column has no name"):
        dataset_from_csv("x", "\na,\n1,2\n")


def test_an_empty_csv_is_refused() -> None:
    with pytest.raises(DatasetProblem, match="empty"):
        dataset_from_csv("x", "\n\n")


def test_a_bad_jsonl_line_is_named() -> None:
    with pytest.raises(DatasetProblem) as problem:
        dataset_from_jsonl("x", '{"a": "1"}\n\n{"a": 2,}\n')
    assert problem.value.line == 3 and str(problem.value).startswith("Line 3: not valid JSON")


def test_a_jsonl_line_that_is_not_an_object_is_named() -> None:
    with pytest.raises(DatasetProblem, match=r"Line 2: expected an object .* found an array"):
        dataset_from_jsonl("x", '{"a": "1"}\n["a"]\n')


def test_jsonl_columns_are_every_key_and_values_become_text() -> None:
    data = dataset_from_jsonl("x", '{"a": 1, "b": null}\n{"c": {"k": [1, 2]}, "a": true}\n')
    assert data.columns == ("a", "b", "c")
    assert data.rows == (
        {"a": "1", "b": "", "c": ""},
        {"a": "true", "b": "", "c": '{"k": [1, 2]}'},
    )
