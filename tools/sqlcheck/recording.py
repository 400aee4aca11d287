"""Capturing the SQL the BigQuery backend sends, with the BigQuery type of each query parameter.

`RecordingClient` stands in for `google.cloud.bigquery.Client` (every query answers no rows). The unit tests'
own fake client calls `record_unit_statement`, which appends to the file named by `SQLCHECK_RECORD` when
`make sqlcheck` runs them, so their statements are analyzed too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

RECORD_ENV = "SQLCHECK_RECORD"


def parameter_types(job_config: Any) -> dict[str, str]:
    """@name → BigQuery type name of a QueryJobConfig's parameters."""
    return describe_parameters(getattr(job_config, "query_parameters", None) or [])


def describe_parameters(parameters: list[Any]) -> dict[str, str]:
    """@name → BigQuery type name of google-cloud-bigquery query parameters."""
    types: dict[str, str] = {}
    for param in parameters:
        array_type = getattr(param, "array_type", None)
        types[param.name] = f"ARRAY<{array_type}>" if array_type else str(param.type_)
    return types


def record_unit_statement(sql: str, job_config: Any) -> None:
    target = os.environ.get(RECORD_ENV)
    if target:
        with Path(target).open("a") as out:
            out.write(json.dumps({"sql": sql, "types": parameter_types(job_config)}) + "\n")


def read_records(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    if path.is_file():
        for line in path.read_text().splitlines():
            record = json.loads(line)
            yield record["sql"], record["types"]


class _NoRows:
    num_dml_affected_rows = 0

    def result(self) -> list[Any]:
        return []


class RecordingClient:
    """Records every query; tables look absent, so ensure_schema sends every DDL and view."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, dict[str, str]]] = []

    def query(self, sql: str, job_config: Any = None) -> _NoRows:
        self.statements.append((sql, parameter_types(job_config)))
        return _NoRows()

    def get_table(self, ref: str) -> Any:
        raise LookupError(f"RecordingClient has no table {ref}")

    def create_table(self, table: Any) -> Any:
        return table

    def delete_table(self, ref: str, not_found_ok: bool = False) -> None:
        return None
