"""The secrets check on a harness run of salesforce-sync and dialpad-sync: none of the fake credentials shows in
a log line, an answer or a warehouse value, and a credential planted in each of them is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.apis import anthropic, cursor, salesforce_org
from sandbox.env import FAKE_TOKEN
from shared.ledger import RunLedger
from shared.warehouse import connect
from tools.pipeline import by_cloud_name
from tools.reliability import runner, scenarios, secrets_scan
from tools.reliability.runner import Outcome
from tools.reliability.secrets_scan import Hit, Scanner

FUNCTIONS = [by_cloud_name("salesforce-sync"), by_cloud_name("dialpad-sync")]
CHOSEN = [s for s in scenarios.SCENARIOS if s.name in ("merge_failure", "twice_in_a_row")]
SECRETS = {"SALESFORCE_CLIENT_SECRET": salesforce_org.CLIENT_SECRET, "SALESFORCE_CLIENT_ID": salesforce_org.CLIENT_ID,
           "DIALPAD_API_KEY": FAKE_TOKEN, "GMAIL_STATIC_TOKEN": FAKE_TOKEN, "SHEETS_STATIC_TOKEN": FAKE_TOKEN,
           "VERTEX_STATIC_TOKEN": FAKE_TOKEN, "ANTHROPIC_ADMIN_KEY": anthropic.ADMIN_KEY,
           "CURSOR_ADMIN_KEY": cursor.ADMIN_KEY}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scanner, list[Outcome], Path]:
    workdir = tmp_path_factory.mktemp("secrets")
    scanner = Scanner()
    with scanner.capturing():
        outcomes = list(runner.run(FUNCTIONS, CHOSEN, workdir=workdir, tamper=scanner.tamper))
    scanner.finish([workdir / "clean.duckdb"])
    return scanner, outcomes, workdir


def test_given_the_harness_env_then_every_fake_credential_is_searched_for_and_no_plain_setting_is(
        harness: tuple[Scanner, list[Outcome], Path]) -> None:
    scanner, _, _ = harness
    assert scanner.secrets == SECRETS


def test_given_two_functions_through_faults_then_no_secret_shows_anywhere(
        harness: tuple[Scanner, list[Outcome], Path]) -> None:
    scanner, outcomes, _ = harness
    assert [(o.function, o.scenario) for o in outcomes] == [(f.cloud_name, s.name) for f in FUNCTIONS for s in CHOSEN]
    assert scanner.hits == []
    assert scanner.scanned["answers"] >= 2 + 3 * len(FUNCTIONS)
    assert scanner.scanned["warehouses"] == len(outcomes) + 1
    assert scanner.scanned["log lines"] > 0
    assert "merge into" in "".join(scanner.logs)


def test_given_a_secret_planted_in_a_log_line_an_answer_and_a_table_then_each_is_found(
        harness: tuple[Scanner, list[Outcome], Path]) -> None:
    _, _, workdir = harness
    planted = workdir / "planted.duckdb"
    planted.write_bytes((workdir / "clean.duckdb").read_bytes())
    warehouse = connect(f"duckdb:///{planted}")
    try:
        RunLedger(warehouse).set_cursor("planted", "scope", json.dumps({"key": cursor.ADMIN_KEY}), "run")
    finally:
        warehouse.close()
    logs = json.dumps({"message": f"Authorization: Bearer {FAKE_TOKEN}"})
    answers = [("salesforce-sync", (500, {"errors": {"run": f"bad secret {salesforce_org.CLIENT_SECRET}"}}))]

    hits = secrets_scan.scan(SECRETS, logs=logs, answers=answers, warehouses=[planted])

    assert sorted(hits, key=lambda h: (h.where, h.name)) == [
        Hit("answer 1 of salesforce-sync", "SALESFORCE_CLIENT_SECRET"),
        *(Hit("log line 1", name) for name in ("DIALPAD_API_KEY", "GMAIL_STATIC_TOKEN", "SHEETS_STATIC_TOKEN",
                                              "VERTEX_STATIC_TOKEN")),
        Hit("table sync_state_log of planted.duckdb", "CURSOR_ADMIN_KEY")]
