"""Each rewrite of shared/warehouse/transpile.py, on both engines: ZetaSQL gives BigQuery's answer, DuckDB runs the
transpiled statement, and both must equal the expected value and type."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from shared.warehouse.duckdb_backend import DuckDBWarehouse
from tests.engines import Answer, bigquery_answer, describe, duckdb_answer, rows_equal, table_content
from tools.sqlcheck import catalog
from tools.sqlcheck.zetasql import ZetaSQL

UTC = dt.UTC


@pytest.fixture(scope="module")
def server() -> Iterator[ZetaSQL]:
    started = ZetaSQL()
    yield started
    started.close()


def both(server: ZetaSQL, sql: str, types: list[str], rows: list[list[Any]]) -> None:
    expect(types, rows, bigquery=bigquery_answer(server, sql), duckdb=duckdb_answer(sql))


def expect(types: list[str], rows: list[list[Any]], **answers: Answer) -> None:
    for engine, answer in answers.items():
        assert answer[0] == types and rows_equal(answer[1], rows), f"{engine}: {describe(answer)}"


def test_timestamp_diff_counts_whole_units_elapsed(server: ZetaSQL) -> None:
    both(server, "select"
         " timestamp_diff(timestamp '2026-01-02 00:00:00', timestamp '2026-01-01 00:00:01', day),"
         " timestamp_diff(timestamp '2026-01-02 00:00:00', timestamp '2026-01-01 23:59:59', hour),"
         " timestamp_diff(timestamp '2026-01-01 00:00:00', timestamp '2026-01-02 23:59:59', hour),"
         " timestamp_diff(timestamp '2026-01-01 00:00:00.5', timestamp '2026-01-01 00:00:01', second),"
         " date_diff(timestamp '2024-03-01 10:00:00', timestamp '2024-02-28 11:00:00', day)",
         ["INT64"] * 5, [[0, 0, -47, 0, 1]])


def test_date_diff_on_dates_counts_boundaries(server: ZetaSQL) -> None:
    both(server, "select date_diff(date '2026-01-04', date '2026-01-03', week),"
         " date_diff(date '2026-02-01', date '2026-01-31', month),"
         " date_diff(date '2026-01-01', date '2025-12-31', year),"
         " date_diff(date '2026-01-05', date '2026-01-04', isoweek)",
         ["INT64"] * 4, [[1, 1, 1, 1]])


def test_extract_weeks_start_on_sunday_and_days_count_from_sunday(server: ZetaSQL) -> None:
    both(server, "select extract(week from date '2026-11-25'), extract(week from date '2026-01-03'),"
         " extract(week(monday) from date '2026-01-05'), extract(isoweek from date '2026-11-25'),"
         " extract(dayofweek from date '2026-11-25'), extract(dayofweek from date '2026-11-29'),"
         " extract(date from timestamp '2026-11-25 23:30:00')",
         ["INT64"] * 6 + ["DATE"], [[47, 0, 1, 48, 4, 1, dt.date(2026, 11, 25)]])


def test_date_trunc_keeps_the_argument_type(server: ZetaSQL) -> None:
    both(server, "select date_trunc(date '2026-11-25', month), date_trunc(date '2026-11-25', week),"
         " date_trunc(date '2026-11-29', isoweek), date_trunc(date '2026-11-25', quarter),"
         " date_trunc(date '2026-01-01', isoyear), date_trunc(timestamp '2026-11-25 10:00:00', year)",
         ["DATE"] * 5 + ["TIMESTAMP"],
         [[dt.date(2026, 11, 1), dt.date(2026, 11, 22), dt.date(2026, 11, 23), dt.date(2026, 10, 1),
           dt.date(2025, 12, 29), dt.datetime(2026, 1, 1, tzinfo=UTC)]])


def test_date_add_and_sub_give_dates(server: ZetaSQL) -> None:
    both(server, "select date_add(date '2026-01-31', interval 1 month), date_sub(date '2024-03-31', interval 1 month),"
         " date_add(date '2024-02-29', interval 1 year), date_add(date '2026-12-31', interval 1 day)",
         ["DATE"] * 4, [[dt.date(2026, 2, 28), dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2027, 1, 1)]])


def test_byte_length_counts_utf8_bytes(server: ZetaSQL) -> None:
    both(server, "select byte_length('héllo'), byte_length('')", ["INT64", "INT64"], [[6, 0]])


def test_decimal_literals_are_float64(server: ZetaSQL) -> None:
    both(server, "select 0.1 + 0.2, 1.5 * 2", ["FLOAT64", "FLOAT64"], [[0.30000000000000004, 3.0]])


def test_round_float64_rounds_the_binary_value(server: ZetaSQL) -> None:
    both(server, "select round(2.675, 2), round(10.235, 2), round(0.045, 2), round(8.345, 2), round(-0.125, 2),"
         " round(2.5), round(5, 1)",
         ["FLOAT64"] * 7, [[2.67, 10.23, 0.04, 8.35, -0.13, 3.0, 5.0]])


def test_numeric_arithmetic_stays_numeric(server: ZetaSQL) -> None:
    both(server, "select round(numeric '1.005' + safe_divide(numeric '1.005', 1) * 0, 2), numeric '2' / 3,"
         " numeric '1.5' * numeric '2.25', numeric '10' / 4.0, numeric '1.5' * 1.5",
         ["NUMERIC"] * 5,
         [[Decimal("1.01"), Decimal("0.666666667"), Decimal("3.375"), Decimal("2.5"), Decimal("2.25")]])


def test_numeric_division_is_exact_to_nine_places(server: ZetaSQL) -> None:
    both(server, "select numeric '12345678901.123456789' / 3, numeric '0.000000003' / 2,"
         " safe_divide(numeric '-2', numeric '3'), safe_divide(numeric '1', 0)",
         ["NUMERIC"] * 4, [[Decimal("4115226300.374485596"), Decimal("0.000000002"), Decimal("-0.666666667"), None]])


def test_trim_removes_unicode_white_space(server: ZetaSQL) -> None:
    both(server, r"select trim('\t x \n'), ltrim('\u00a0\r a '), rtrim(' a \u3000\u2028'), trim('xxaxx', 'x')",
         ["STRING"] * 4, [["x", "a ", " a", "a"]])


def test_safe_cast_to_date_accepts_only_the_canonical_form(server: ZetaSQL) -> None:
    both(server, "select safe_cast(x as date) from unnest(['2025/01/05', '2025-1-5', ' 2025-01-05', '20250105',"
         " '2025-01-05 10:00:00', '2025-02-30']) as x with offset as i order by i",
         ["DATE"], [[None], [dt.date(2025, 1, 5)], [None], [None], [None], [None]])


def test_safe_cast_to_timestamp_accepts_only_the_canonical_form(server: ZetaSQL) -> None:
    at_ten = dt.datetime(2025, 1, 5, 10, tzinfo=UTC)
    both(server, "select safe_cast(x as timestamp) from unnest(['2025-01-05 10:00:00', '2025-01-05t10:00:00z',"
         " '2025-01-05 12:00:00+02', '2025-01-05 10:00', '2025/01/05 10:00:00', ' 2025-01-05 10:00:00']) as x"
         " with offset as i order by i",
         ["TIMESTAMP"], [[at_ten], [at_ten], [at_ten], [None], [None], [None]])


def test_integer_aggregates_are_int64(server: ZetaSQL) -> None:
    both(server, "select sum(x), countif(x > 1), count(x) from unnest([1, 2, null]) as x", ["INT64"] * 3, [[3, 1, 2]])
    both(server, "select x, sum(x) over (order by x) from unnest([1, 2]) as x order by x",
         ["INT64", "INT64"], [[1, 1], [2, 3]])


def test_avg_of_numeric_is_numeric(server: ZetaSQL) -> None:
    both(server, "select avg(x) from unnest([numeric '1', numeric '2', numeric '2']) as x",
         ["NUMERIC"], [[Decimal("1.666666667")]])
    both(server, "select avg(x) from unnest([numeric '0.000000001', numeric '0.000000002']) as x",
         ["NUMERIC"], [[Decimal("0.000000002")]])


def test_cast_float64_to_string(server: ZetaSQL) -> None:
    both(server, "select cast(x as string) from unnest([10000.0, 0.1, 1e20, 1.0 / 3, 1e15, -0.0, 2.5])"
         " as x with offset as i order by i",
         ["STRING"], [["10000"], ["0.1"], ["1e+20"], ["0.33333333333333331"], ["1e+15"], ["0"], ["2.5"]])


def test_cast_of_unknown_type_to_string_picks_the_form_at_run_time(server: ZetaSQL) -> None:
    both(server, "select cast(s.f as string), cast(s.n as string), cast(s.t as string), cast(s.i as string)"
         " from unnest([struct(10000.0 as f, numeric '1.50' as n, timestamp '2026-01-01 10:00:00.12' as t,"
         " 7 as i)]) as s",
         ["STRING"] * 4, [["10000", "1.5", "2026-01-01 10:00:00.120+00", "7"]])


def test_cast_numeric_and_timestamp_to_string(server: ZetaSQL) -> None:
    both(server, "select cast(numeric '1.50' as string), cast(numeric '100' as string),"
         " cast(timestamp '2026-11-25 10:11:12.5' as string), cast(timestamp '2026-11-25 10:11:12' as string)",
         ["STRING"] * 4, [["1.5", "100", "2026-11-25 10:11:12.500+00", "2026-11-25 10:11:12+00"]])


def test_concat_casts_like_bigquery_and_propagates_null(server: ZetaSQL) -> None:
    both(server, "select concat('x', 10000.0), concat('a', cast(null as string)), 'a' || cast(null as string),"
         " concat('a', null), concat('n', numeric '2.50')",
         ["STRING"] * 5, [["x10000", None, None, None, "n2.5"]])
    both(server, "select [1, 2] || [3]", ["ARRAY<INT64>"], [[[1, 2, 3]]])


def test_safe_cast_to_int64_and_bool_accepts_only_the_canonical_form(server: ZetaSQL) -> None:
    both(server, "select safe_cast(x as int64) from unnest([' 12 ', '0x1F', '1e3', '12.0', '1_000']) as x"
         " with offset as i order by i", ["INT64"], [[12], [31], [None], [None], [None]])
    both(server, "select safe_cast(x as bool) from unnest(['TRUE', 'false', 't', '1', 'yes']) as x"
         " with offset as i order by i", ["BOOL"], [[True], [False], [None], [None], [None]])


def test_cast_float64_to_numeric_rounds_the_binary_value(server: ZetaSQL) -> None:
    both(server, "select cast(x as numeric) from unnest([251583297.59496567, 0.0000000015, 6384713381046.937])"
         " as x with offset as i order by i",
         ["NUMERIC"],
         [[Decimal("251583297.594965667")], [Decimal("0.000000001")], [Decimal("6384713381046.936523438")]])


def test_cast_float64_to_int64_rounds_half_away_from_zero(server: ZetaSQL) -> None:
    both(server, "select cast(2.5 as int64), cast(-2.5 as int64), cast(0.5 as int64), safe_cast(s.f as int64)"
         " from unnest([struct(3.5 as f)]) as s",
         ["INT64"] * 4, [[3, -3, 1, 4]])


def test_substr_position_zero_and_before_the_start(server: ZetaSQL) -> None:
    both(server, "select substr('hello', 0, 2), substr('hello', -10, 2), substr('hello', -3), substr('héllo', 2, 3)",
         ["STRING"] * 4, [["he", "he", "llo", "éll"]])


def test_ieee_divide(server: ZetaSQL) -> None:
    both(server, "select ieee_divide(1, 0), ieee_divide(-1, 0), ieee_divide(6, 3)",
         ["FLOAT64"] * 3, [[float("inf"), float("-inf"), 2.0]])


def test_unnest_with_offset_counts_from_zero(server: ZetaSQL) -> None:
    both(server, "select x, i from unnest(['a', 'b']) as x with offset as i order by i",
         ["STRING", "INT64"], [["a", 0], ["b", 1]])
    both(server, "select s.k, i from unnest([struct('a' as k), struct('b')]) as s with offset as i order by i",
         ["STRING", "INT64"], [["a", 0], ["b", 1]])


def test_columns_of_project_tables_have_their_declared_types(server: ZetaSQL) -> None:
    """Column types come from sql/tables (and sql/views), so SUM(INT64), ROUND(FLOAT64) and CAST(TIMESTAMP AS
    STRING) over a project table follow BigQuery."""
    started = dt.datetime(2026, 1, 1, 10, 0, 0, 120000, tzinfo=UTC)
    rows = [{"run_id": "a", "function_name": "f", "status": "success", "started_at": started,
             "duration_seconds": 2.675, "rows_processed": 5, "recorded_at": started},
            {"run_id": "b", "function_name": "f", "status": "success", "started_at": started,
             "duration_seconds": 10.235, "rows_processed": 7, "recorded_at": started}]
    warehouse = DuckDBWarehouse(":memory:")
    warehouse.ensure_schema()
    warehouse.append("etl_run_log", rows)
    project = catalog.build(server)
    contents = {"etl_run_log": table_content(project.schemas["etl_run_log"],
                                             warehouse.query("select * from etl_run_log"))}
    cases: list[tuple[str, list[str], list[list[Any]]]] = [
        ("select sum(rows_processed), round(sum(duration_seconds), 1) from etl_run_log", ["INT64", "FLOAT64"],
         [[12, 12.9]]),
        ("select round(duration_seconds, 2), cast(started_at as string) from etl_run_log order by run_id",
         ["FLOAT64", "STRING"], [[2.67, "2026-01-01 10:00:00.120+00"], [10.23, "2026-01-01 10:00:00.120+00"]]),
    ]
    for sql, types, expected in cases:
        expect(types, expected, bigquery=bigquery_answer(server, sql, project.proto(), contents),
               duckdb=duckdb_answer(sql, warehouse))
    warehouse.close()


def test_casting_a_parameter_of_unknown_type_to_string_does_not_evaluate_the_other_branches() -> None:
    """A parameter's type is not known when the statement is transpiled: the TYPEOF branches must not fail on
    a value of another type (DuckDB folds parameter values into every branch)."""
    warehouse = DuckDBWarehouse(":memory:")
    try:
        sql = "select cast(@p as string) as v, cast(@p as int64) as i"
        assert warehouse.query("select cast(@p as string) as v", {"p": "probe"}) == [{"v": "probe"}]
        assert warehouse.query(sql, {"p": 10000.0}) == [{"v": "10000", "i": 10000}]
        assert warehouse.query("select cast(@p as numeric) as n", {"p": "1.5"})[0]["n"] == Decimal("1.5")
    finally:
        warehouse.close()


def test_information_schema_reads_duckdbs_catalog_and_leaves_like_named_tables_alone() -> None:
    """`INFORMATION_SCHEMA.COLUMNS` is one quoted identifier to sqlglot; the rewrite reads DuckDB's catalog instead
    (tests/unit/test_information_schema.py checks the answers), while tables, CTEs and columns merely named
    `tables`, `columns` or `information_schema` stay what they are."""
    from shared.warehouse.transpile import to_duckdb

    for sql in ("select column_name from INFORMATION_SCHEMA.COLUMNS",
                "select column_name from `ds.INFORMATION_SCHEMA.COLUMNS` as c",
                "select c.column_name from ds.information_schema.columns c"):
        text = to_duckdb(sql)[0][0]
        assert re.search(r'FROM information_schema\."?columns"? WHERE', text), text
        assert not re.search(r'"[^"]*INFORMATION_SCHEMA\.COLUMNS"\.|FROM "[^"]*INFORMATION_SCHEMA', text), text
    warehouse = DuckDBWarehouse(":memory:")
    try:
        warehouse.execute_script("create table columns (information_schema string)")
        warehouse.execute_script("insert into columns values ('kept')")
        assert warehouse.query("with tables as (select information_schema from columns) select * from tables") \
            == [{"information_schema": "kept"}]
    finally:
        warehouse.close()


def test_normalize_nfd_then_removing_marks_folds_accents(server: ZetaSQL) -> None:
    both(server, r"select regexp_replace(normalize(lower('José Ñúñez-Zoë'), NFD), r'\p{M}', ''),"
         r" regexp_replace(normalize('Ångström', NFKD), r'\p{M}', '')",
         ["STRING"] * 2, [["jose nunez-zoe", "Angstrom"]])


def test_a_dot_product_over_an_array_is_computed_in_place(server: ZetaSQL) -> None:
    sql = ("select v.n, (select sum(x * v.b[offset(i)]) from unnest(v.a) as x with offset as i) as dot "
           "from unnest([struct(1 as n, [0.6, 0.8] as a, [0.8, 0.6] as b), "
           "struct(2, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]), struct(3, cast([] as array<float64>), "
           "cast([] as array<float64>)), struct(4, cast(null as array<float64>), [1.0])]) as v order by v.n")
    both(server, sql, ["INT64", "FLOAT64"], [[1, 0.96], [2, 32.0], [3, None], [4, None]])
    from shared.warehouse.transpile import to_duckdb

    duckdb_sql = to_duckdb(sql)[0][0]
    assert "LIST_SUM(LIST_TRANSFORM(RANGE(0, LENGTH(v.a))" in duckdb_sql and "UNNEST(v.a)" not in duckdb_sql
