"""A recording stand-in for `google.cloud.bigquery.Client`: queries, load jobs and table calls are kept in `calls`.

It needs only google-cloud-bigquery, so `tests/unit/test_build.py` also runs it inside a built bundle's
interpreter. Column lookups answer from `schemas`; `create or replace view` statements are remembered and
INFORMATION_SCHEMA.VIEWS answers with them, as BigQuery would.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from google.cloud import bigquery

SCHEMAS = {
    "sf_accounts": [bigquery.SchemaField("account_id", "STRING"), bigquery.SchemaField("account_name", "STRING"),
                    bigquery.SchemaField("annual_revenue", "NUMERIC"),
                    bigquery.SchemaField("system_modstamp", "TIMESTAMP")],
    "dialpad_calls": [bigquery.SchemaField("call_id", "STRING"),
                      bigquery.SchemaField("embedding", "FLOAT64", mode="REPEATED")],
}
_CREATE_VIEW = re.compile(r"^create or replace view \S+\.(\w+) as\b(.*)", re.MULTILINE | re.DOTALL)


def information_schema_type(field: bigquery.SchemaField) -> str:
    return f"ARRAY<{field.field_type}>" if field.mode == "REPEATED" else field.field_type


class FakeJob:
    def __init__(self, rows: list[dict[str, Any]] | None = None, affected: int | None = None,
                 failure: Exception | None = None) -> None:
        self.rows = rows or []
        self.num_dml_affected_rows = affected
        self.failure = failure

    def result(self) -> list[Any]:
        if self.failure is not None:
            raise self.failure
        return [bigquery.Row(tuple(r.values()), {k: i for i, k in enumerate(r)}) for r in self.rows]


class FakeClient:
    def __init__(self, on_query: Callable[[str, Any], None] | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failures: list[Exception] = []
        """Errors the next query jobs fail with, in order (the catalog lookups aside)."""
        self.schemas = dict(SCHEMAS)
        self.views: dict[str, str] = {}
        """View name → its stored query, as INFORMATION_SCHEMA.VIEWS.view_definition shows it."""
        self.on_query = on_query

    def queries(self) -> list[str]:
        return [call[0] for kind, call in self.calls if kind == "query"]

    def query(self, sql: str, job_config: bigquery.QueryJobConfig) -> FakeJob:
        self.calls.append(("query", (sql, job_config)))
        if self.on_query is not None:
            self.on_query(sql, job_config)
        if "INFORMATION_SCHEMA.COLUMNS" in sql:
            table = next(p.value for p in job_config.query_parameters if p.name == "t")
            return FakeJob([{"column_name": f.name, "data_type": information_schema_type(f)}
                            for f in self.schemas.get(table, [])])
        if "INFORMATION_SCHEMA.VIEWS" in sql:
            return FakeJob([{"table_name": name, "view_definition": query} for name, query in self.views.items()])
        failure = self.failures.pop(0) if self.failures else None
        created = _CREATE_VIEW.search(sql)
        if created and failure is None:
            self.views[created.group(1)] = created.group(2).strip()
        return FakeJob(affected=2 if sql.startswith("merge") else None, failure=failure)

    def get_table(self, ref: str) -> bigquery.Table:
        self.calls.append(("get_table", ref))
        return bigquery.Table(ref, schema=self.schemas[ref.rsplit(".", 1)[1]])

    def create_table(self, table: bigquery.Table) -> bigquery.Table:
        self.calls.append(("create_table", table))
        return table

    def load_table_from_file(self, fh: io.BytesIO, destination: bigquery.Table,
                             job_config: bigquery.LoadJobConfig) -> FakeJob:
        self.calls.append(("load", (fh.read().decode(), destination, job_config)))
        return FakeJob()

    def delete_table(self, ref: str, not_found_ok: bool = False) -> None:
        self.calls.append(("delete_table", (ref, not_found_ok)))

    def insert_rows_json(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("streaming inserts must never be used")

    insert_rows = insert_rows_json
