"""The BigQuery backend against a recording fake client: load job + MERGE, never streaming inserts."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from google.cloud import bigquery

from shared.warehouse import Typed, connect
from shared.warehouse.bigquery_backend import BigQueryWarehouse, qualify_tables
from tools.sqlcheck.recording import record_unit_statement

SCHEMAS = {
    "sf_accounts": [bigquery.SchemaField("account_id", "STRING"), bigquery.SchemaField("account_name", "STRING"),
                    bigquery.SchemaField("annual_revenue", "NUMERIC"),
                    bigquery.SchemaField("system_modstamp", "TIMESTAMP")],
    "dialpad_calls": [bigquery.SchemaField("call_id", "STRING"),
                      bigquery.SchemaField("embedding", "FLOAT64", mode="REPEATED")],
}


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
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.failures: list[Exception] = []
        """Errors the next query jobs fail with, in order (the column lookups aside)."""

    def query(self, sql: str, job_config: bigquery.QueryJobConfig) -> FakeJob:
        self.calls.append(("query", (sql, job_config)))
        record_unit_statement(sql, job_config)
        if "INFORMATION_SCHEMA.COLUMNS" in sql:
            table = next(p.value for p in job_config.query_parameters if p.name == "t")
            return FakeJob([{"column_name": f.name, "data_type": information_schema_type(f)}
                            for f in SCHEMAS.get(table, [])])
        failure = self.failures.pop(0) if self.failures else None
        return FakeJob(affected=2 if sql.startswith("merge") else None, failure=failure)

    def get_table(self, ref: str) -> bigquery.Table:
        self.calls.append(("get_table", ref))
        return bigquery.Table(ref, schema=SCHEMAS[ref.rsplit(".", 1)[1]])

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


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


@pytest.fixture
def wh(fake: FakeClient) -> BigQueryWarehouse:
    backend = connect("bigquery://proj-1/sales_intel", client=fake)
    assert isinstance(backend, BigQueryWarehouse)
    return backend


def test_merge_stages_with_a_load_job_then_runs_one_merge(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    when = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    rows = [{"account_id": "001A", "account_name": "Acme", "annual_revenue": Decimal("10.50"),
             "system_modstamp": when}]
    assert wh.merge("sf_accounts", rows, volatile=("system_modstamp",)) == 2
    kinds = [kind for kind, _ in fake.calls]
    assert kinds == ["query", "get_table", "create_table", "load", "query", "delete_table"]
    created: bigquery.Table = fake.calls[2][1]
    assert created.table_id.startswith("_stage_sf_accounts_") and created.expires is not None
    payload, destination, config = fake.calls[3][1]
    assert destination is created
    assert json.loads(payload) == {"account_id": "001A", "account_name": "Acme", "annual_revenue": "10.50",
                                   "system_modstamp": "2026-05-01T12:00:00+00:00"}
    assert config.source_format == "NEWLINE_DELIMITED_JSON"
    assert config.write_disposition == "WRITE_TRUNCATE"
    assert [f.name for f in config.schema] == [f.name for f in SCHEMAS["sf_accounts"]]
    merge_sql, merge_config = fake.calls[4][1]
    assert merge_sql.startswith(f"merge into sf_accounts t\nusing {created.table_id} s\non t.account_id = s.account_id")
    assert "t.system_modstamp is distinct from" not in merge_sql
    assert "when not matched then insert (account_id, account_name, annual_revenue" in merge_sql
    assert str(merge_config.default_dataset) == "proj-1.sales_intel"
    assert fake.calls[5][1] == (f"proj-1.sales_intel.{created.table_id}", True)


def test_merge_compares_array_columns_as_json(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    assert wh.merge("dialpad_calls", [{"call_id": "c1", "embedding": [0.5, 0.25]}]) == 2
    payload = next(c[0] for kind, c in fake.calls if kind == "load")
    assert json.loads(payload) == {"call_id": "c1", "embedding": [0.5, 0.25]}
    merge_sql = next(c[0] for kind, c in fake.calls if kind == "query" and c[0].startswith("merge"))
    assert "to_json_string(t.embedding) is distinct from to_json_string(s.embedding)" in merge_sql


def test_queries_run_on_the_default_dataset_with_typed_parameters(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    when = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    wh.query("select * from etl_runs where started_at > @since and status in unnest(@statuses) and rows_processed = @x",
             {"since": when, "statuses": ["failed", "partial"], "x": Typed(None, "INT64"), "unused": 1})
    sql, config = fake.calls[0][1]
    assert "from etl_runs" in sql
    assert str(config.default_dataset) == "proj-1.sales_intel"
    params = {p.name: p for p in config.query_parameters}
    assert set(params) == {"since", "statuses", "x"}
    assert (params["since"].type_, params["since"].value) == ("TIMESTAMP", when)
    assert (params["statuses"].array_type, params["statuses"].values) == ("STRING", ["failed", "partial"])
    assert (params["x"].type_, params["x"].value) == ("INT64", None)


def test_sql_files_are_read_from_the_sql_folder(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    wh.query("jobs/sync_state_get.sql", {"job": "gmail-sync", "scope": "a@x.com"})
    sql, config = fake.calls[0][1]
    assert "from sync_state" in sql and {p.name for p in config.query_parameters} == {"job", "scope"}


def test_views_are_created_with_qualified_table_names() -> None:
    sql = qualify_tables("create or replace view v_x as with a as (select * from etl_runs) "
                         "select * from a join sync_state using (run_id)", "proj-1", "sales_intel")
    assert "`proj-1`.sales_intel.v_x" in sql
    assert "FROM `proj-1`.sales_intel.etl_runs" in sql
    assert "JOIN `proj-1`.sales_intel.sync_state" in sql
    assert "FROM a" in sql


def test_vector_search_uses_vector_search_with_cosine(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    wh.vector_search("gmail_messages", "embedding", [0.1, 0.2], top_k=5, select=["message_id"],
                     where="mailbox = @mailbox", params={"mailbox": "a@x.com"})
    sql, config = fake.calls[0][1]
    assert "vector_search((select * from gmail_messages where embedding is not null and (mailbox = @mailbox))" in sql
    assert "top_k => 5, distance_type => 'COSINE'" in sql
    params = {p.name: p for p in config.query_parameters}
    assert params["_query_vector"].values == [0.1, 0.2]


def test_bad_warehouse_urls_are_rejected() -> None:
    for url in ("bigquery://only-project", "sqlite:///x.db"):
        with pytest.raises(ValueError, match="WAREHOUSE"):
            connect(url)


def test_column_types_are_looked_up_once_per_table(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    for name in ("Acme", "Acme Corp"):
        wh.merge("sf_accounts", [{"account_id": "001A", "account_name": name}])
    lookups = [c for kind, c in fake.calls if kind == "query" and "INFORMATION_SCHEMA" in c[0]]
    merges = [c for kind, c in fake.calls if kind == "query" and c[0].startswith("merge")]
    assert (len(lookups), len(merges)) == (1, 2)


def test_a_dml_statement_that_loses_a_concurrent_update_race_is_retried(fake: FakeClient) -> None:
    from google.api_core.exceptions import BadRequest

    waits: list[float] = []
    wh = BigQueryWarehouse("proj-1", "sales_intel", client=fake, sleep=waits.append)
    conflict = BadRequest("Could not serialize access to table proj-1:sales_intel.gmail_participants due to "
                          "concurrent update")
    fake.failures = [conflict, conflict]
    assert wh.merge("sf_accounts", [{"account_id": "001A", "account_name": "Acme"}]) == 2
    merges = [c for kind, c in fake.calls if kind == "query" and c[0].startswith("merge")]
    assert len(merges) == 3 and len(waits) == 2 and all(0 <= w <= 2.0 for w in waits)


def test_other_query_errors_are_not_retried(fake: FakeClient) -> None:
    from google.api_core.exceptions import BadRequest

    wh = BigQueryWarehouse("proj-1", "sales_intel", client=fake, sleep=lambda s: None)
    fake.failures = [BadRequest("Syntax error: Unexpected keyword")]
    with pytest.raises(BadRequest, match="Syntax error"):
        wh.query("select 1")
    assert len([c for kind, c in fake.calls if kind == "query"]) == 1


def test_append_loads_into_the_table_itself_without_dml(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    assert wh.append("sf_accounts", [{"account_id": "001A"}, {"account_id": "001B", "account_name": "B"}]) == 2
    kinds = [kind for kind, _ in fake.calls]
    assert kinds == ["query", "get_table", "load"]  # the column lookup, then one load job: no stage, no MERGE
    payload, destination, config = fake.calls[2][1]
    assert destination.table_id == "sf_accounts" and config.write_disposition == "WRITE_APPEND"
    assert [json.loads(line) for line in payload.splitlines()] == [
        {"account_id": "001A", "account_name": None}, {"account_id": "001B", "account_name": "B"}]
