"""The BigQuery backend against a recording fake client: load job + MERGE, never streaming inserts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import sqlglot
from google.cloud import bigquery
from sqlglot import exp

from shared import sqlfiles
from shared.warehouse import Typed, connect, ddl_text
from shared.warehouse.bigquery_backend import BigQueryWarehouse, qualify_tables
from tests.unit.fake_bigquery import SCHEMAS, FakeClient
from tools.sqlcheck.recording import record_unit_statement


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient(on_query=record_unit_statement)


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
                         "select * from a join sync_state using (run_id) -- from etl_runs\n"
                         "where 'from etl_runs' != '' and exists (select 1 from other.etl_runs)",
                         "proj-1", "sales_intel")
    assert sql == ("create or replace view `proj-1`.sales_intel.v_x as with a as "
                   "(select * from `proj-1`.sales_intel.etl_runs) select * from a join "
                   "`proj-1`.sales_intel.sync_state using (run_id) -- from etl_runs\n"
                   "where 'from etl_runs' != '' and exists (select 1 from other.etl_runs)")


def _table_refs(sql: str) -> list[tuple[str, str, str]]:
    tree = sqlglot.parse_one(sql, read="bigquery")
    return sorted((t.catalog, t.db, t.name) for t in tree.find_all(exp.Table))


@pytest.mark.parametrize("view", sqlfiles.view_files(), ids=lambda p: p.stem)
def test_every_view_file_is_qualified_as_a_sql_parser_would(view: Path) -> None:
    ddl = view.read_text()
    qualified = _table_refs(qualify_tables(ddl, "proj-1", "sales_intel"))
    tree = sqlglot.parse_one(ddl, read="bigquery")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    expected = sorted(("proj-1", "sales_intel", t.name) if t.name not in ctes else ("", "", t.name)
                      for t in tree.find_all(exp.Table))
    assert qualified == expected


@pytest.mark.parametrize("spec", sqlfiles.table_files().values(), ids=lambda s: s.name)
def test_every_table_files_columns_are_read_as_a_sql_parser_reads_them(spec: sqlfiles.TableFile) -> None:
    tree = sqlglot.parse_one(spec.ddl, read="bigquery")
    parsed = {c.name: c.kind.sql(dialect="bigquery") for c in tree.find_all(exp.ColumnDef) if c.kind is not None
              and c.parent is tree.this}
    read = ddl_text.declared_columns(spec.ddl)
    assert list(read.items()) == list(parsed.items())


def test_ensure_schema_sends_table_ddl_missing_columns_and_qualified_views(
        wh: BigQueryWarehouse, fake: FakeClient) -> None:
    changes = wh.ensure_schema()
    sent = fake.queries()
    missing = [spec for name, spec in sqlfiles.table_files().items() if name not in SCHEMAS]
    assert [s for s in sent if "create table if not exists" in s] == [spec.ddl for spec in missing]
    assert "alter table sf_accounts add column industry STRING" in sent
    assert not [s for s in sent if s.startswith("alter table sf_accounts add column account_id ")]
    assert "alter table dialpad_calls add column direction STRING" in sent
    views = [s for s in sent if "create or replace view" in s]
    assert len(views) == len(sqlfiles.view_files())
    etl_runs = next(s for s in views if "create or replace view `proj-1`.sales_intel.etl_runs as" in s)
    assert "from `proj-1`.sales_intel.etl_run_log" in etl_runs and "from etl_run_log" not in etl_runs
    assert f"created table {missing[0].name}" in changes and "added sf_accounts.industry" in changes
    assert "created view etl_runs" in changes and "created view v_etl_status" in changes


def test_ensure_schema_replaces_only_views_whose_sql_changed(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    wh.ensure_schema()
    fake.views["v_etl_status"] = "select 1 as stale"
    fake.calls.clear()

    changes = wh.ensure_schema()

    assert [c for c in changes if "view" in c] == ["replaced view v_etl_status (its SQL changed)"]
    views = [s for s in fake.queries() if "create or replace view" in s]
    assert len(views) == 1 and "`proj-1`.sales_intel.v_etl_status" in views[0]


def test_vector_search_uses_vector_search_with_cosine(wh: BigQueryWarehouse, fake: FakeClient) -> None:
    wh.vector_search("gmail_messages", "embedding", [0.1, 0.2], top_k=5, select=["message_id"],
                     where="mailbox = @mailbox", params={"mailbox": "a@x.com"})
    sql, config = fake.calls[0][1]
    assert ("vector_search((select * from gmail_messages where array_length(embedding) > 0 and (mailbox = @mailbox))"
            in sql)
    assert "is not null" not in sql  # BigQuery never stores a REPEATED column as NULL: the test would keep every row
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


def test_given_a_lone_surrogate_then_the_load_job_carries_the_replacement_character(
        wh: BigQueryWarehouse, fake: FakeClient) -> None:
    """BigQuery refuses a STRING that is not valid UTF-8 (a `\\udc80` JSON escape decodes to none): the staged
    row holds U+FFFD instead, so the load does not fail the whole batch."""
    wh.merge("sf_accounts", [{"account_id": "001A", "account_name": "Bad \udc80 name"}])
    [payload] = [args[0] for kind, args in fake.calls if kind == "load"]
    assert json.loads(payload) == {"account_id": "001A", "account_name": "Bad \ufffd name"}
