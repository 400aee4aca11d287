"""`make schema` reports what it changed, and only that."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from shared import sqlfiles
from tools import schema


def run_schema(capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert schema.main() == 0
    return capsys.readouterr().out.splitlines()


def test_given_a_new_warehouse_then_creations_are_listed_and_a_second_run_is_up_to_date(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.setenv("WAREHOUSE", url)
    tables, views = sorted(sqlfiles.table_files()), sorted(p.stem for p in sqlfiles.view_files())

    first = run_schema(capsys)

    assert sorted(line for line in first if line.startswith("created table ")) == \
        [f"created table {name}" for name in tables]
    assert sorted(line for line in first if line.startswith("created view ")) == \
        [f"created view {name}" for name in views]
    assert first[-1] == f"schema of {url}: {len(tables) + len(views)} change(s)"
    assert len(first) == len(tables) + len(views) + 1

    assert run_schema(capsys) == [f"schema up to date: {url}"]


def test_given_an_outdated_view_and_a_missing_column_then_only_those_are_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wh.duckdb"
    monkeypatch.setenv("WAREHOUSE", f"duckdb:///{path}")
    run_schema(capsys)
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace view v_etl_status as select 1 as outdated")
        con.execute("alter table sf_users drop column phone_e164")

    assert run_schema(capsys) == ["added sf_users.phone_e164", "replaced view v_etl_status (its SQL changed)",
                                  f"schema of duckdb:///{path}: 2 change(s)"]
