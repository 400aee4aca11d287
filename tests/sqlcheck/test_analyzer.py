"""The analyzer check itself: it rejects what BigQuery rejects, names where, and sees every SQL source."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from shared import sqlfiles
from shared.warehouse import connect
from shared.warehouse.duckdb_backend import DuckDBWarehouse
from tools.sqlcheck import analyze, differential, statements
from tools.sqlcheck.catalog import Catalog
from tools.sqlcheck.compare import duckdb_type, first_difference
from tools.sqlcheck.types import from_value, scalar_type, to_value
from tools.sqlcheck.zetasql import AnalysisError, ZetaSQL


def test_catalog_has_every_table_and_view_with_bigquery_types(project_catalog: Catalog) -> None:
    assert project_catalog.errors == {}
    names = set(project_catalog.schemas)
    assert set(sqlfiles.table_files()) <= names
    assert {p.stem for p in sqlfiles.view_files()} <= names
    assert project_catalog.describe("gmail_messages")["embedding"] == "ARRAY<FLOAT64>"
    assert project_catalog.describe("v_etl_status")["started_at"] == "TIMESTAMP"


def test_run_time_tables_are_in_the_catalog_and_their_statements_all_pass(project_catalog: Catalog) -> None:
    """What salesforce-sync composes for a custom object's table, a column of every mapped type."""
    assert project_catalog.describe(statements.RUNTIME_TABLE)["field_multipicklist__c"] == "ARRAY<STRING>"
    composed = list(statements.runtime_composed(
        {name: project_catalog.describe(name) for name in statements.runtime_tables()}))
    count, findings = analyze.analyze_all(project_catalog, composed)
    assert findings == [] and count == len(composed) >= 9


@pytest.mark.parametrize(("sql", "message"), [
    ("alter table sf_accounts alter column account_name set data type INT64",
     "requires that the existing column type (STRING) is assignable to the new type (INT64)"),
    ("select run_id from etl_runs where started_at > current_date()",
     "No matching signature for operator > for argument types: TIMESTAMP, DATE"),
    ("select no_such_column from etl_runs", "Unrecognized name: no_such_column [at 1:8]"),
    ("select * from no_such_table", "Table not found: no_such_table"),
])
def test_statements_bigquery_rejects_are_rejected_with_position(
        project_catalog: Catalog, sql: str, message: str) -> None:
    with pytest.raises(AnalysisError, match="at 1:") as caught:
        project_catalog.server.analyze(sql, project_catalog.proto())
    assert message in str(caught.value)


def test_a_failure_names_its_origin_and_the_offending_line(project_catalog: Catalog) -> None:
    script = "select 1 as a;\nselect run_id\nfrom etl_runs where started_at > date '2026-01-01';\n"
    count, findings = analyze.analyze_all(project_catalog, [statements.Statement("docs/x.md:3", script, script=True)])
    assert count == 1 and len(findings) == 1
    assert findings[0].origin == "docs/x.md:3"
    assert "[at 3:" in findings[0].message and "| from etl_runs where started_at" in findings[0].message


def test_add_column_is_checked_against_a_table_that_lacks_it(project_catalog: Catalog) -> None:
    composed = [s for s in statements.composed() if s.absent_column == ("etl_run_log", "errors")]
    assert [s.sql for s in composed] == ["alter table etl_run_log add column errors STRING"]
    assert analyze.analyze_all(project_catalog, composed) == (1, [])
    present = statements.Statement("x", composed[0].sql)
    assert analyze.analyze_all(project_catalog, [present])[1][0].message.startswith("Column already exists")


def test_every_table_gets_its_merge_checked(project_catalog: Catalog) -> None:
    merges = [s for s in statements.composed() if s.origin.startswith("merge_sql.build")]
    assert len(merges) == len(sqlfiles.table_files())
    assert analyze.analyze_all(project_catalog, merges) == (len(merges), [])


def test_vector_search_is_checked_through_a_stand_in_of_the_same_shape(project_catalog: Catalog) -> None:
    backend = list(statements.bigquery_backend())
    search = [s for s in backend if statements.uses_vector_search(s.sql)]
    assert len(search) == 1 and search[0].param_types == {"mailbox": "STRING", "_query_vector": "ARRAY<FLOAT64>"}
    stand_in = statements.vector_search_stand_in(search[0].sql)
    assert "vector_search" not in stand_in.lower() and "FROM gmail_messages" in stand_in
    assert analyze.analyze_all(project_catalog, search) == (1, [])
    for wrong, message in (("mailbox = @mailbox", "Unrecognized name: mailbx"),
                           ("base.subject as subject", "Field name subjekt does not exist")):
        typo = wrong.replace("mailbox =", "mailbx =").replace("base.subject", "base.subjekt")
        broken = statements.Statement("x", search[0].sql.replace(wrong, typo), search[0].param_types)
        assert message in analyze.analyze_all(project_catalog, [broken])[1][0].message


def test_views_are_checked_as_the_bigquery_backend_deploys_them(project_catalog: Catalog) -> None:
    backend = [s.sql for s in statements.bigquery_backend()]
    views = [sql for sql in backend if "CREATE OR REPLACE VIEW" in sql.upper()]
    assert len(views) == len(sqlfiles.view_files())
    assert all("`proj-1`.sales_intel." in sql for sql in views)


def test_markdown_sql_blocks_are_collected() -> None:
    blocks = list(statements.markdown())
    assert blocks and all(b.origin.split(":")[0].endswith(".md") for b in blocks)


@pytest.mark.parametrize(("type_name", "value"), [
    ("NUMERIC", decimal.Decimal("0")), ("NUMERIC", decimal.Decimal("-2.25")),
    ("NUMERIC", decimal.Decimal("12345678901234.123456789")), ("NUMERIC", decimal.Decimal("-0.000000001")),
    ("TIMESTAMP", dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)),
    ("TIMESTAMP", dt.datetime(2026, 12, 1, 8, 30, 0, 123456, tzinfo=dt.UTC)),
    ("DATE", dt.date(2024, 2, 29)), ("INT64", -(2**63)), ("FLOAT64", -0.5), ("STRING", "héllo"),
    ("BOOL", False), ("ARRAY<FLOAT64>", [0.25, -1.0]), ("ARRAY<STRING>", []),
])
def test_values_round_trip_through_the_reference_engine(zetasql: ZetaSQL, project_catalog: Catalog,
                                                        type_name: str, value: object) -> None:
    kind = scalar_type(type_name)
    response = zetasql.evaluate("select @v as v", project_catalog.proto(), {}, {"v": (kind, to_value(value, kind))})
    assert from_value(response.content.table_data.row[0].cell[0], kind) == value


def test_duckdb_types_map_to_bigquery_names_and_strays_stand_out() -> None:
    assert duckdb_type("DECIMAL(38,9)") == "NUMERIC"
    assert duckdb_type("STRUCT(model VARCHAR, n BIGINT)[]") == "ARRAY<STRUCT<model STRING, n INT64>>"
    assert duckdb_type("HUGEINT") == "duckdb:HUGEINT"
    assert duckdb_type("DECIMAL(38,2)") == "duckdb:DECIMAL(38,2)"
    assert duckdb_type("TIMESTAMP") == "duckdb:TIMESTAMP"


def test_rows_compare_as_multisets_with_float_tolerance() -> None:
    assert first_difference([(1, 0.1 + 0.2), (2, None)], [(2, None), (1, 0.3)]) is None
    assert first_difference([(1, decimal.Decimal("1.01"))], [(1, decimal.Decimal("1.00"))]) is not None
    assert first_difference([(1,), (1,)], [(1,)]) == ((1,), None)


def test_json_texts_compare_by_value_and_other_texts_exactly() -> None:
    assert first_difference([('{"a":309500,"b":[1,null],"c":"x"}',)],
                            [('{"a":309500.0,"b":[1.0,null],"c":"x"}',)]) is None
    for other in ('{"a":309501,"b":[1,null],"c":"x"}', '{"b":[1,null],"a":309500,"c":"x"}',
                  '{"a":true,"b":[1,null],"c":"x"}', '{"a":309500,"b":[1,null],"c":"y"}'):
        assert first_difference([('{"a":309500,"b":[1,null],"c":"x"}',)], [(other,)]) is not None
    assert first_difference([("309500",)], [("309500.0",)]) is not None


def test_differential_compare_reports_the_first_differing_row(project_catalog: Catalog) -> None:
    warehouse = connect("duckdb:///:memory:")
    assert isinstance(warehouse, DuckDBWarehouse)
    try:
        same, _ = differential.compare(project_catalog, warehouse, "same", "select 1 as a", "select 1 as a", {})
        other, _ = differential.compare(project_catalog, warehouse, "other", "select 1 as a", "select 2 as a", {})
        typed, _ = differential.compare(project_catalog, warehouse, "typed", "select 1 as a",
                                        "select cast(1 as hugeint) as a", {})
    finally:
        warehouse.close()
    assert same.equal
    assert other.difference == "BigQuery (1,) | DuckDB (2,)"
    assert typed.difference == "column a: BigQuery INT64, DuckDB HUGEINT"


def test_now_is_pinned_on_both_engines() -> None:
    now = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    assert differential.pin_now("select current_timestamp(), CURRENT_DATE( )", now) == \
        "select timestamp '2026-12-01 08:00:00+00', date '2026-12-01'"


@pytest.mark.parametrize("view", ["TABLES", "COLUMNS", "VIEWS"])
def test_information_schema_views_analysts_query_are_known(project_catalog: Catalog, view: str) -> None:
    sql = f"select table_name from INFORMATION_SCHEMA.{view} where table_schema = 'sales_intel'"
    assert analyze.analyze_all(project_catalog, [statements.Statement("x", sql)]) == (1, [])


@pytest.mark.parametrize(("sql", "needed"), [
    ("select a, t.b.c from t", {"a", "t", "b", "c"}),
    ("select count(*) from t", set()),
    ("with f as (select a from t) select * from f", {"a"}),
    ("select * from (select a from t)", {"a"}),
    ("select * from t", None),
    ("with f as (select * from t) select * from f", None),
    ("select p.* from t as p", None),
    ("select to_json_string(p) from t as p", None),
])
def test_the_differential_sends_only_the_columns_a_statement_names(sql: str, needed: set[str] | None) -> None:
    assert differential.referenced_columns(sql) == needed
