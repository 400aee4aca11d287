"""Every query of docs/runbook.md runs on a local warehouse after the demo pipeline (the differential check's run:
every function through its HTTP entry point on the seed-11 world), and answers what the runbook says it answers.
Its `sql dml` blocks run only on a copy of that warehouse, followed by the entity-resolution run they call for."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.world import SELLER_DOMAIN
from shared import entrypoint
from shared.warehouse import connect
from tests.unit.test_runbook import SqlBlock, sql_blocks
from tools.invoke import invoke
from tools.pipeline import ROOT, by_cloud_name, implemented
from tools.sqlcheck.differential import run_pipeline

EXAMPLE_ADDRESS = "jane.doe.private@gmail.com"


@pytest.fixture(scope="module")
def demo_warehouse() -> Iterator[Path]:
    """The pipeline's warehouse; the demo tooling keeps warehouses under the repository's `.local/`."""
    folder = ROOT / ".local" / "runbook" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / "warehouse.duckdb"
    run_pipeline(path, seed=11, scale=1)
    yield path
    shutil.rmtree(folder, ignore_errors=True)


def block(fragment: str, dml: bool = False) -> SqlBlock:
    found = [b for b in sql_blocks() if fragment in b.sql and b.dml == dml]
    assert len(found) == 1, f"{len(found)} runbook blocks hold {fragment!r}"
    return found[0]


def test_every_query_of_the_runbook_runs_on_the_warehouse_after_a_demo_run(demo_warehouse: Path) -> None:
    queries = [b for b in sql_blocks() if not b.dml]
    warehouse = connect(f"duckdb:///{demo_warehouse}")
    failed = {}
    try:
        for query in queries:
            try:
                warehouse.query(query.sql)
            except Exception as exc:  # every failure is reported with its place in the runbook
                failed[query.origin] = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        warehouse.close()
    assert failed == {}
    assert len(queries) >= 30


def test_the_daily_check_reports_a_healthy_pipeline_as_healthy(demo_warehouse: Path) -> None:
    warehouse = connect(f"duckdb:///{demo_warehouse}")
    try:
        latest = warehouse.query(block("from v_etl_status\nwhere scope = '*'").sql)
        failing = warehouse.query(block("from v_pipeline_health").sql)
        scoring = warehouse.query(block("as scored_accounts").sql)
        freshness = warehouse.query(block("from v_data_freshness\norder by").sql)
        coverage = warehouse.query(block("as not_embedded").sql)
    finally:
        warehouse.close()
    assert {(r["function_name"], r["status"]) for r in latest} == {(e.cloud_name, "success") for e in implemented()}
    assert failing == []
    assert len(scoring) == 1 and scoring[0]["scored_accounts"] == scoring[0]["live_accounts"] > 0
    assert {r["table_name"] for r in freshness if r["last_loaded_at"] is not None} >= {
        "gmail_messages", "sf_accounts", "dialpad_calls", "raw_anthropic_usage", "raw_cursor_usage"}
    assert {r["table_name"]: r["embedded"] > 0 for r in coverage} == {"gmail_messages": True, "dialpad_calls": True}


def test_the_manual_mapping_procedure_pins_an_address_and_deactivating_it_gives_it_back(
        demo_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runbook's insert, then entity-resolution, on a copy; with the example address and contact id replaced by
    an unmatched address of the world and one of its contacts."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, copy)
    url = f"duckdb:///{copy}"
    insert, deactivate = block("insert into manual_mappings", dml=True), block("update manual_mappings", dml=True)
    warehouse = connect(url)
    try:
        address = warehouse.query("select email_address from v_unmatched_emails order by email_address limit 1")[0][
            "email_address"]
        contact = warehouse.query("select contact_id, account_id from sf_contacts where not is_deleted "
                                  "and account_id is not null order by contact_id limit 1")[0]
        warehouse.execute_script(insert.sql.replace(EXAMPLE_ADDRESS, address).replace("003Ax00000Jd0eQAAT",
                                                                                contact["contact_id"]))
    finally:
        warehouse.close()
    monkeypatch.setenv("WAREHOUSE", url)
    monkeypatch.setenv("AUTO_SCHEMA", "false")
    monkeypatch.setenv("COMPANY_DOMAINS", SELLER_DOMAIN)
    check = block("where email_address = 'jane.doe.private@gmail.com'").sql.replace(EXAMPLE_ADDRESS, address)

    def resolve_and_check() -> list[dict[str, object]]:
        try:
            status, answer = invoke(by_cloud_name("entity-resolution"), {})
        finally:
            entrypoint.reset_runtimes()
        assert (status, answer["status"]) == (200, "success"), answer
        warehouse = connect(url)
        try:
            return warehouse.query(check)
        finally:
            warehouse.close()

    pinned = resolve_and_check()
    assert pinned and {(r["match_method"], r["sf_contact_id"], r["sf_account_id"]) for r in pinned} == {
        ("manual", contact["contact_id"], contact["account_id"])}
    warehouse = connect(url)
    try:
        warehouse.execute_script(deactivate.sql.replace(EXAMPLE_ADDRESS, address))
        assert warehouse.query("select count(*) as n from manual_mappings where coalesce(is_active, true)") == [
            {"n": 0}]
    finally:
        warehouse.close()
    assert {r["match_method"] for r in resolve_and_check()} != {"manual"}
