"""BigQuery's INFORMATION_SCHEMA.TABLES / COLUMNS / VIEWS, written as analysts write them in the console, answer
on the local warehouse with BigQuery's column names and type spellings, over the project's own objects only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import sqlfiles
from shared.warehouse.duckdb_backend import DuckDBWarehouse
from tools.sqlcheck import catalog
from tools.sqlcheck.zetasql import ZetaSQL

QUALIFIERS = ["", "mydataset.", "`mydataset`.", "`mydataset.", "`proj-1.mydataset."]


def view(qualifier: str, name: str) -> str:
    return f"{qualifier}INFORMATION_SCHEMA.{name}" + ("`" if qualifier.startswith("`") and
                                                     not qualifier.endswith("`.") else "")


@pytest.fixture(scope="module")
def warehouse() -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(":memory:")
    wh.ensure_schema()
    wh.execute_script("create temp table _stage_gmail_messages as select * from gmail_messages limit 0;"
                      "create temp table scratch_probe (x int64);"
                      "create table _internal_probe (x int64)")
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def bigquery_catalog() -> Iterator[catalog.Catalog]:
    server = ZetaSQL()
    yield catalog.build(server)
    server.close()


def project_tables() -> set[str]:
    return set(sqlfiles.table_files())


def project_views() -> set[str]:
    return {p.stem for p in sqlfiles.view_files()}


@pytest.mark.parametrize("qualifier", QUALIFIERS)
def test_tables_lists_the_project_tables_and_views_and_nothing_else(warehouse: DuckDBWarehouse,
                                                                    qualifier: str) -> None:
    rows = warehouse.query(f"select * from {view(qualifier, 'TABLES')}")
    assert list(rows[0])[:7] == ["table_catalog", "table_schema", "table_name", "table_type",
                                 "is_insertable_into", "is_typed", "creation_time"]
    kinds = {r["table_name"]: r["table_type"] for r in rows}
    assert kinds == {**dict.fromkeys(project_tables(), "BASE TABLE"), **dict.fromkeys(project_views(), "VIEW")}
    assert {r["table_schema"] for r in rows} == {"mydataset" if qualifier else "main"}


@pytest.mark.parametrize("qualifier", QUALIFIERS)
def test_columns_of_every_table_have_bigquerys_types(warehouse: DuckDBWarehouse, bigquery_catalog: catalog.Catalog,
                                                     qualifier: str) -> None:
    rows = warehouse.query(f"select table_name, column_name, ordinal_position, is_nullable, data_type "
                           f"from {view(qualifier, 'COLUMNS')} order by table_name, ordinal_position")
    assert {r["table_name"] for r in rows} == project_tables() | project_views()
    for table in project_tables():
        ours = {r["column_name"]: r["data_type"] for r in rows if r["table_name"] == table}
        assert ours == bigquery_catalog.describe(table), table
    run_log = [r for r in rows if r["table_name"] == "etl_run_log"]
    assert [r["ordinal_position"] for r in run_log] == list(range(1, len(run_log) + 1))
    assert {r["is_nullable"] for r in rows} == {"YES", "NO"}


def test_columns_spell_every_type_as_bigquery_does(warehouse: DuckDBWarehouse) -> None:
    warehouse.execute_script(
        "create table probe_types (s string not null, i int64, f float64, b bool, n numeric, bn bignumeric,"
        " d date, ts timestamp, dt datetime, t time, by bytes, j json, a array<string>,"
        " st struct<name string, amount numeric, tags array<string>>, ast array<struct<k string, v int64>>)")
    try:
        rows = warehouse.query("select column_name, data_type, is_nullable from INFORMATION_SCHEMA.COLUMNS "
                               "where table_name = 'probe_types' order by ordinal_position")
    finally:
        warehouse.execute_script("drop table probe_types")
    assert {r["column_name"]: r["data_type"] for r in rows} == {
        "s": "STRING", "i": "INT64", "f": "FLOAT64", "b": "BOOL", "n": "NUMERIC", "bn": "NUMERIC", "d": "DATE",
        "ts": "TIMESTAMP", "dt": "DATETIME", "t": "TIME", "by": "BYTES", "j": "JSON", "a": "ARRAY<STRING>",
        "st": "STRUCT<name STRING, amount NUMERIC, tags ARRAY<STRING>>", "ast": "ARRAY<STRUCT<k STRING, v INT64>>"}
    assert rows[0]["is_nullable"] == "NO" and rows[1]["is_nullable"] == "YES"


@pytest.mark.parametrize("qualifier", QUALIFIERS)
def test_views_gives_each_project_view_its_query(warehouse: DuckDBWarehouse, qualifier: str) -> None:
    rows = warehouse.query(f"select v.table_name, v.view_definition from {view(qualifier, 'VIEWS')} as v")
    definitions = {r["table_name"]: r["view_definition"] for r in rows}
    assert set(definitions) == project_views()
    assert "etl_run_log" in definitions["etl_runs"]
    assert not any(d.upper().startswith("CREATE") for d in definitions.values())


def test_information_schema_joins_and_filters_like_any_table(warehouse: DuckDBWarehouse) -> None:
    rows = warehouse.query(
        "select t.table_name, count(*) as columns from INFORMATION_SCHEMA.TABLES t "
        "join `mydataset.INFORMATION_SCHEMA.COLUMNS` c using (table_name) "
        "where t.table_type = 'BASE TABLE' and c.data_type = 'ARRAY<FLOAT64>' group by 1 order by 1")
    assert {r["table_name"] for r in rows} >= {"gmail_messages", "dialpad_calls"}


def test_other_information_schema_views_are_named_as_unavailable(warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(ValueError, match=r"INFORMATION_SCHEMA\.JOBS is not available on the local warehouse"):
        warehouse.query("select * from `region-us`.INFORMATION_SCHEMA.JOBS")
