"""Every file in sql/ parses as BigQuery and runs on DuckDB."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot

from shared import sqlfiles
from shared.warehouse import Warehouse
from shared.warehouse.transpile import to_duckdb

ALL_SQL = sorted(sqlfiles.SQL_DIR.rglob("*.sql"))


@pytest.mark.parametrize("path", ALL_SQL, ids=lambda p: str(p.relative_to(sqlfiles.SQL_DIR)))
def test_parses_as_bigquery(path: Path) -> None:
    statements = [s for s in sqlglot.parse(path.read_text(), read="bigquery", error_level="raise") if s]
    assert statements


BIGQUERY_ONLY = {"emb_vector_index_calls.sql", "emb_vector_index_emails.sql"}
"""DDL generate-embeddings sends on BigQuery only (DuckDB has no vector indexes; the analyzer checks them)."""


@pytest.mark.parametrize("path", [p for p in sorted((sqlfiles.SQL_DIR / "jobs").rglob("*.sql"))
                                  if p.name not in BIGQUERY_ONLY], ids=lambda p: p.name)
def test_job_files_plan_on_duckdb(warehouse: Warehouse, path: Path) -> None:
    """Job statements are planned (EXPLAIN) with every parameter NULL: names and types must resolve."""
    con = warehouse._con  # type: ignore[attr-defined]
    for text, names in to_duckdb(path.read_text()):
        con.execute(f"explain {text}", dict.fromkeys(names)) if names else con.execute(f"explain {text}")


def test_tables_and_views_run_on_duckdb(warehouse: Warehouse) -> None:
    for name in sqlfiles.table_files():
        assert warehouse.query(f"select count(*) as n from {name}") == [{"n": 0}]
    for path in sqlfiles.view_files():
        view = re.search(r"create or replace view (\w+)", path.read_text(), re.IGNORECASE)
        assert view and view.group(1) == path.stem, f"{path.name} must create view {path.stem}"
        warehouse.query(f"select * from {view.group(1)}")


@pytest.mark.parametrize("path", ALL_SQL, ids=lambda p: str(p.relative_to(sqlfiles.SQL_DIR)))
def test_qualify_comes_with_where_group_by_or_having(path: Path) -> None:
    """BigQuery rejects a QUALIFY that has none of WHERE, GROUP BY or HAVING beside it; DuckDB does not."""
    from sqlglot import exp

    for statement in sqlglot.parse(path.read_text(), read="bigquery"):
        for select in statement.find_all(exp.Select) if statement else ():
            if select.args.get("qualify") is not None:
                assert any(select.args.get(k) for k in ("where", "group", "having")), select.sql("bigquery")[:200]


@pytest.mark.parametrize("path", sorted((sqlfiles.SQL_DIR / "demo").glob("*.sql")), ids=lambda p: p.name)
def test_demo_queries_have_a_title_and_run_on_duckdb(warehouse: Warehouse, path: Path) -> None:
    assert path.read_text().startswith("-- ")
    warehouse.query(f"demo/{path.name}")
