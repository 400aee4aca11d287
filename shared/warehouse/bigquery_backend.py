"""The production warehouse: a BigQuery dataset, reached with google-cloud-bigquery.

Every query runs with the dataset as default dataset, so SQL keeps unqualified table names. Loads use a
load job into an expiring staging table followed by one MERGE; streaming inserts are never used (their
buffer blocks DML on the target for up to 90 minutes).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import io
import json
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from google.api_core.exceptions import GoogleAPICallError
from google.cloud import bigquery

from shared import sqlfiles
from shared.log import get_logger
from shared.resilience import backoff_seconds
from shared.warehouse import ddl_text
from shared.warehouse.base import Row, Typed, Warehouse, json_ready, notify_statement, sql_text

log = get_logger(__name__)
CONCURRENT_UPDATE_ATTEMPTS = 6

STAGE_TTL = dt.timedelta(hours=6)
_SCALAR_TYPES: list[tuple[type, str]] = [
    (bool, "BOOL"), (int, "INT64"), (float, "FLOAT64"), (decimal.Decimal, "NUMERIC"),
    (dt.datetime, "TIMESTAMP"), (dt.date, "DATE"), (bytes, "BYTES"), (str, "STRING"),
]


def _scalar_type(value: Any) -> str:
    for python_type, bq_type in _SCALAR_TYPES:
        if isinstance(value, python_type):
            return bq_type
    raise TypeError(f"cannot infer a BigQuery type for {type(value).__name__}; wrap it in Typed")


def query_parameter(name: str, value: Any) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    """A BigQuery query parameter, typed from the Python value (or from `Typed`)."""
    if isinstance(value, Typed):
        if value.type.upper().startswith("ARRAY<"):
            return bigquery.ArrayQueryParameter(name, value.type[6:-1], list(value.value or []))
        return bigquery.ScalarQueryParameter(name, value.type, value.value)
    if isinstance(value, list | tuple):
        if not value:
            raise TypeError(f"empty array parameter {name!r} needs Typed(value, 'ARRAY<T>')")
        return bigquery.ArrayQueryParameter(name, _scalar_type(value[0]), list(value))
    if value is None:
        return bigquery.ScalarQueryParameter(name, "STRING", None)
    return bigquery.ScalarQueryParameter(name, _scalar_type(value), value)


class BigQueryWarehouse(Warehouse):
    def __init__(self, project: str, dataset: str, client: Any = None, location: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.project = project
        self.dataset = dataset
        self.client = client or bigquery.Client(project=project, location=location)
        self.sleep = sleep
        self._rng = random.Random()

    @property
    def dataset_ref(self) -> str:
        return f"{self.project}.{self.dataset}"

    def _job_config(self, params: Mapping[str, Any] | None) -> bigquery.QueryJobConfig:
        return bigquery.QueryJobConfig(
            default_dataset=self.dataset_ref,
            query_parameters=[query_parameter(k, v) for k, v in (params or {}).items()],
        )

    def _used_params(self, sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (params or {}).items() if f"@{k}" in sql}

    def query(self, sql: str | Path, params: Mapping[str, Any] | None = None) -> list[Row]:
        text = sql_text(sql)
        notify_statement(text, params)
        _, rows = self._run_job(text, self._job_config(self._used_params(text, params)))
        return [dict(row.items()) for row in rows]

    def _run_job(self, sql: str, config: bigquery.QueryJobConfig) -> tuple[Any, Any]:
        """Submit and wait; a DML statement that lost a race with a concurrent one on the same table ("could not
        serialize access ... due to concurrent update") is submitted again after a jittered backoff."""
        for attempt in range(CONCURRENT_UPDATE_ATTEMPTS):
            job = self.client.query(sql, job_config=config)
            try:
                return job, job.result()
            except GoogleAPICallError as exc:
                if not is_concurrent_update(exc) or attempt == CONCURRENT_UPDATE_ATTEMPTS - 1:
                    raise
                wait = backoff_seconds(attempt, 1.0, 30.0, self._rng)
                log.warning("concurrent update on BigQuery; retrying in %.1f s", wait,
                            extra={"attempt": attempt + 1})
                self.sleep(wait)
        raise AssertionError("unreachable")

    def execute_script(self, sql: str | Path, params: Mapping[str, Any] | None = None) -> None:
        self.query(sql, params)  # BigQuery runs multi-statement scripts as one job

    def column_types(self, table: str) -> dict[str, str]:
        rows = self.query("select column_name, data_type from INFORMATION_SCHEMA.COLUMNS "
                          "where table_name = @t order by ordinal_position", {"t": table})
        return {r["column_name"]: r["data_type"] for r in rows}

    def _stage(self, table: str, columns: list[str], rows: list[Row]) -> str:
        target = self.client.get_table(f"{self.dataset_ref}.{table}")
        schema = [field for field in target.schema if field.name in columns]
        stage = f"_stage_{table}_{uuid.uuid4().hex[:12]}"
        stage_table = bigquery.Table(f"{self.dataset_ref}.{stage}", schema=schema)
        stage_table.expires = dt.datetime.now(dt.UTC) + STAGE_TTL
        self.client.create_table(stage_table)
        self._load(stage_table, schema, rows, bigquery.WriteDisposition.WRITE_TRUNCATE)
        return stage

    def _append(self, table: str, columns: list[str], rows: list[Row]) -> None:
        """A load job appending to the table itself: not DML, so it never conflicts with concurrent writers
        (it counts toward the table's daily modification quota, 1,500 a day: the ledger appends once a run)."""
        target = self.client.get_table(f"{self.dataset_ref}.{table}")
        self._load(target, list(target.schema), rows, bigquery.WriteDisposition.WRITE_APPEND)

    def _load(self, destination: bigquery.Table, schema: list[bigquery.SchemaField], rows: list[Row],
              disposition: str) -> None:
        payload = "\n".join(json.dumps(json_ready(row)) for row in rows).encode()
        config = bigquery.LoadJobConfig(schema=schema, source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
                                        write_disposition=disposition)
        self.client.load_table_from_file(io.BytesIO(payload), destination, job_config=config).result()

    def _drop_stage(self, stage: str) -> None:
        self.client.delete_table(f"{self.dataset_ref}.{stage}", not_found_ok=True)

    def _run_dml(self, sql: str) -> int:
        notify_statement(sql, None)
        job, _ = self._run_job(sql, self._job_config(None))
        return int(job.num_dml_affected_rows or 0)

    def _apply_view(self, ddl: str) -> None:
        self.query(self._qualified(ddl))

    def _stored_views(self) -> dict[str, str]:
        rows = self.query("select table_name, view_definition from INFORMATION_SCHEMA.VIEWS")
        return {r["table_name"]: _comparable(r["view_definition"] or "") for r in rows}

    def _view_marker(self, ddl: str) -> str:
        return _comparable(ddl_text.view_query(self._qualified(ddl)))

    def _qualified(self, ddl: str) -> str:
        return qualify_tables(ddl, self.project, self.dataset)

    def vector_search(self, table: str, column: str, query_vector: Sequence[float], top_k: int,
                      select: Sequence[str], where: str | None = None,
                      params: Mapping[str, Any] | None = None) -> list[Row]:
        cols = ", ".join(f"base.{c} as {c}" for c in select)
        base = f"(select * from {table} where array_length({column}) > 0" + (f" and ({where}))" if where else ")")
        sql = (f"select {cols}, distance from vector_search({base}, '{column}', "
               f"(select @_query_vector as {column}), top_k => {int(top_k)}, distance_type => 'COSINE') "
               "order by distance")
        vector = Typed([float(v) for v in query_vector], "ARRAY<FLOAT64>")
        return self.query(sql, {**(params or {}), "_query_vector": vector})


def is_concurrent_update(error: BaseException) -> bool:
    """BigQuery's transient conflict between mutating DML statements on one table."""
    text = str(error).lower()
    return "could not serialize access" in text or "concurrent update" in text


def qualify_tables(sql: str, project: str, dataset: str) -> str:
    """Qualify references to the project's tables and views: a view's stored SQL has no default dataset."""
    return ddl_text.qualify_tables(sql, project, dataset, _project_names())


@functools.cache
def _project_names() -> frozenset[str]:
    return frozenset([*sqlfiles.table_files(), *(ddl_text.view_name(p.read_text()) for p in sqlfiles.view_files())])


def _comparable(query: str) -> str:
    return " ".join(query.split())
