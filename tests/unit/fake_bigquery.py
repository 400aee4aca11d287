"""A recording stand-in for `google.cloud.bigquery.Client`: queries, load jobs and table calls are kept in `calls`.

It needs only google-cloud-bigquery, so `tests/unit/test_build.py` also runs it inside a built bundle's
interpreter. Column lookups answer from `schemas`; `create or replace view` statements are remembered and
INFORMATION_SCHEMA.VIEWS answers with them, as BigQuery would.

Faults: `fail_when(matches, error, skip=, times=)` makes chosen query jobs fail the way a real job does (the
error raised by `job.result()`), e.g. the second MERGE into one table; `job_error` and `concurrent_update` build
the exceptions google-cloud-bigquery raises for a failed job.
"""

from __future__ import annotations

import http.client
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions
from google.cloud import bigquery

SCHEMAS = {
    "sf_accounts": [bigquery.SchemaField("account_id", "STRING"), bigquery.SchemaField("account_name", "STRING"),
                    bigquery.SchemaField("annual_revenue", "NUMERIC"),
                    bigquery.SchemaField("system_modstamp", "TIMESTAMP")],
    "dialpad_calls": [bigquery.SchemaField("call_id", "STRING"),
                      bigquery.SchemaField("embedding", "FLOAT64", mode="REPEATED")],
}
_CREATE_VIEW = re.compile(r"^create or replace view \S+\.(\w+) as\b(.*)", re.MULTILINE | re.DOTALL)


_REASON_STATUS = {"invalidQuery": http.client.BAD_REQUEST, "invalid": http.client.BAD_REQUEST,
                  "resourceInUse": http.client.BAD_REQUEST, "backendError": http.client.INTERNAL_SERVER_ERROR,
                  "internalError": http.client.INTERNAL_SERVER_ERROR, "quotaExceeded": http.client.FORBIDDEN,
                  "rateLimitExceeded": http.client.TOO_MANY_REQUESTS}


def information_schema_type(field: bigquery.SchemaField) -> str:
    return f"ARRAY<{field.field_type}>" if field.mode == "REPEATED" else field.field_type


def project_schemas() -> dict[str, list[bigquery.SchemaField]]:
    """Every table of `sql/tables` as it exists once ensure_schema has run (a STRUCT array is a bare REPEATED
    RECORD: its fields are not modelled)."""
    from shared import sqlfiles
    from shared.warehouse import ddl_text

    def schema_field(name: str, declared: str) -> bigquery.SchemaField:
        if declared.upper().startswith("ARRAY<"):
            inner = declared[6:-1]
            kind = "RECORD" if inner.upper().startswith("STRUCT<") else inner
            return bigquery.SchemaField(name, kind, mode="REPEATED")
        return bigquery.SchemaField(name, declared)

    return {name: [schema_field(column, declared) for column, declared in ddl_text.declared_columns(spec.ddl).items()]
            for name, spec in sqlfiles.table_files().items()}


def job_error(reason: str, message: str) -> exceptions.GoogleAPICallError:
    """What `QueryJob.result()` raises for a job whose error result has this reason, as google-cloud-bigquery
    maps it (a reason it does not know is a 500)."""
    status = _REASON_STATUS.get(reason, http.client.INTERNAL_SERVER_ERROR)
    return exceptions.from_http_status(status, message, errors=[{"reason": reason, "message": message}])


def concurrent_update(table: str, project: str = "proj-1", dataset: str = "sales_intel") -> exceptions.BadRequest:
    """BigQuery's answer to a DML statement that lost a race with another one mutating the same table."""
    error = job_error("invalidQuery", f"Could not serialize access to table {project}:{dataset}.{table} due to "
                                      "concurrent update")
    assert isinstance(error, exceptions.BadRequest)
    return error


def merge_into(table: str) -> Callable[[str], bool]:
    """Matches the backend's MERGE statements into `table`."""
    return lambda sql: sql.startswith(f"merge into {table} ")


@dataclass
class StatementFault:
    """Query jobs whose SQL `matches` fail with `error`: `skip` matching ones succeed first, then `times` fail
    (None: every one from then on)."""

    matches: Callable[[str], bool]
    error: Exception
    skip: int = 0
    times: int | None = 1
    seen: int = 0
    failed_calls: list[int] = field(default_factory=list)
    """Indexes in `FakeClient.calls` of the statements this fault failed."""

    def fires(self, sql: str) -> bool:
        if not self.matches(sql):
            return False
        self.seen += 1
        spent = self.times is not None and len(self.failed_calls) >= self.times
        return self.seen > self.skip and not spent


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
    def __init__(self, on_query: Callable[[str, Any], None] | None = None,
                 schemas: dict[str, list[bigquery.SchemaField]] | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failures: list[Exception] = []
        """Errors the next query jobs fail with, in order (the catalog lookups aside)."""
        self.faults: list[StatementFault] = []
        """Checked before `failures`, in order; the first that fires fails the job."""
        self.schemas = dict(SCHEMAS if schemas is None else schemas)
        self.views: dict[str, str] = {}
        """View name → its stored query, as INFORMATION_SCHEMA.VIEWS.view_definition shows it."""
        self.on_query = on_query

    def queries(self) -> list[str]:
        return [call[0] for kind, call in self.calls if kind == "query"]

    def fail_when(self, matches: Callable[[str], bool], error: Exception, skip: int = 0,
                  times: int | None = 1) -> StatementFault:
        fault = StatementFault(matches, error, skip, times)
        self.faults.append(fault)
        return fault

    def _failure(self, sql: str) -> Exception | None:
        for fault in self.faults:
            if fault.fires(sql):
                fault.failed_calls.append(len(self.calls) - 1)
                return fault.error
        return self.failures.pop(0) if self.failures else None

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
        failure = self._failure(sql)
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
