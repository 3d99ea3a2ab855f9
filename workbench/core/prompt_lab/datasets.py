"""Datasets in and out of CSV and JSONL; a bad row is refused with the line it is on."""

from __future__ import annotations

import csv
import io
import json

from workbench.core.prompt_lab.model import Dataset


class DatasetProblem(ValueError):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"Line {line}: {message}" if line is not None else message)
        self.line = line  # 1-based, in the file as the user sees it


def dataset_from_csv(name: str, text: str) -> Dataset:
    """The first row names the columns; every other row must have as many fields."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue  # blank lines, often at the end of a file
            if header is None:
                header = [f.strip() for f in fields]
                _check_header(header, line)
                continue
            if len(fields) != len(header):
                raise DatasetProblem(
                    f"{len(fields)} field{'' if len(fields) == 1 else 's'} where the header "
                    f"has {len(header)} "
                    f"({', '.join(header)}).",
                    line,
                )
            rows.append(dict(zip(header, fields, strict=True)))
    except csv.Error as exc:
        raise DatasetProblem(f"not valid CSV ({exc}).", reader.line_num) from exc
    if header is None:
        raise DatasetProblem("The file is empty: the first line should name the columns.")
    return Dataset(name, tuple(header), tuple(rows))


def dataset_from_jsonl(name: str, text: str) -> Dataset:
    """One JSON object per line; the columns are every key seen, in first-seen order."""
    columns: dict[str, None] = {}
    rows: list[dict[str, str]] = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise DatasetProblem(f"not valid JSON ({exc}).", number) from exc
        if not isinstance(item, dict):
            raise DatasetProblem(
                f'expected an object like {{"name": "value"}}, found {_json_type(item)}.',
                number,
            )
        row = {str(k): _as_text(v) for k, v in item.items()}
        for key in row:
            if not key.strip():
                raise DatasetProblem("a key is empty: every value needs a variable name.", number)
            columns.setdefault(key, None)
        rows.append(row)
    if not rows:
        raise DatasetProblem("The file has no rows.")
    names = tuple(columns)
    return Dataset(name, names, tuple({c: r.get(c, "") for c in names} for r in rows))


def dataset_to_csv(dataset: Dataset) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(dataset.columns)
    for row in dataset.rows:
        writer.writerow([row.get(c, "") for c in dataset.columns])
    return out.getvalue()


def dataset_to_jsonl(dataset: Dataset) -> str:
    lines = (
        json.dumps({c: row.get(c, "") for c in dataset.columns}, ensure_ascii=False)
        for row in dataset.rows
    )
    return "".join(f"{line}\n" for line in lines)


def _check_header(header: list[str], line: int) -> None:
    if any(not h for h in header):
        raise DatasetProblem("a column has no name in the header.", line)
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise DatasetProblem(f"the column “{h}” is named twice in the header.", line)
        seen.add(h)


def _as_text(value: object) -> str:
    # Templates see text; nested values keep their JSON so nothing is lost on the way back out.
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _json_type(value: object) -> str:
    return {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )
