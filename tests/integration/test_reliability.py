"""The reliability harness on a subset: salesforce-sync and dialpad-sync through the four scenarios of its first
slice end with the clean run's tables, gmail-sync survives a failed merge without losing child rows, and a deliberately
broken run is reported as lost, duplicated and ahead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.pipeline import by_cloud_name
from tools.reliability import report, runner, scenarios
from tools.reliability.runner import Outcome
from tools.reliability.stage import Stage

FUNCTIONS = [by_cloud_name("salesforce-sync"), by_cloud_name("dialpad-sync")]
ENVIRONMENT_BEFORE = {name: os.environ.get(name) for name in runner.HARNESS_ENV}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    return list(runner.run(FUNCTIONS, list(scenarios.SCENARIOS), workdir=tmp_path_factory.mktemp("reliability")))


def test_given_two_functions_then_every_scenario_is_judged_once_in_pipeline_order(
        outcomes: list[Outcome]) -> None:
    names = [s.name for s in scenarios.SCENARIOS]
    assert [(o.function, o.scenario) for o in outcomes] == [
        (f.cloud_name, name) for f in FUNCTIONS for name in names]


@pytest.mark.parametrize("function", [f.cloud_name for f in FUNCTIONS])
def test_given_crash_failure_and_duplicate_delivery_then_nothing_is_lost_duplicated_or_ahead(
        outcomes: list[Outcome], function: str) -> None:
    mine = [o for o in outcomes if o.function == function]
    assert all(o.played.injected for o in mine), report.notes(mine)
    assert [(o.scenario, o.played.survived, o.lost, o.duplicates, o.ahead) for o in mine] == [
        (s.name, True, 0, 0, False) for s in scenarios.SCENARIOS], report.table(mine) + "\n" + report.notes(mine)


def test_given_an_instance_killed_mid_run_then_the_rerun_records_it_abandoned(outcomes: list[Outcome]) -> None:
    crashes = [o for o in outcomes if o.scenario == "crash_after_batches"]
    assert len(crashes) == 2
    for crash in crashes:
        assert crash.played.notes[0].startswith("instance killed after 1 committed batch"), crash.played.notes
        assert "runs: ['abandoned', 'success']" in crash.played.notes[1]


def test_given_a_failing_merge_then_the_run_reports_the_failure_before_the_rerun_completes(
        outcomes: list[Outcome]) -> None:
    """One scope's write fails, the others complete: `partial` with HTTP 200, in the answer and in the ledger."""
    failures = {o.function: o.played.notes[0] for o in outcomes if o.scenario == "merge_failure"}
    assert failures == {
        "salesforce-sync": "faulted run HTTP 200 partial errors=['Account'], ledger partial",
        "dialpad-sync": "faulted run HTTP 200 partial errors=['calls'], ledger partial"}


def break_the_accounts(stage: Stage) -> None:
    """A broken sync: one account lost, one contact loaded twice, the Account cursor left where it was."""
    stage.query("delete from sf_accounts where account_id = (select min(account_id) from sf_accounts)")
    stage.query("insert into sf_contacts select * from sf_contacts where contact_id = "
                "(select min(contact_id) from sf_contacts)")


def test_given_a_broken_rerun_then_the_harness_reports_rows_lost_duplicated_and_the_cursor_ahead(
        tmp_path: Path) -> None:
    [outcome] = runner.run([FUNCTIONS[0]], scenarios.by_name(["twice_in_a_row"]), workdir=tmp_path,
                           tamper=break_the_accounts)

    assert outcome.played.survived
    assert outcome.tables == {"sf_accounts": (1, 0), "sf_contacts": (0, 1)}
    assert (outcome.lost, outcome.duplicates, outcome.ahead, outcome.passed) == (1, 1, True, False)
    assert "FAIL" in report.table([outcome])


def test_given_a_failing_participants_merge_then_the_gmail_rerun_loads_every_child_row(tmp_path: Path) -> None:
    """The messages are merged after their participants and attachments: a failed write in between leaves the
    messages unstored, so the rerun fetches them again (it lost 243 rows when messages went first)."""
    [outcome] = runner.run([by_cloud_name("gmail-sync")], scenarios.by_name(["merge_failure"]), workdir=tmp_path)

    assert outcome.played.injected and outcome.played.survived, report.notes([outcome])
    assert (outcome.lost, outcome.duplicates, outcome.ahead) == (0, 0, False), report.notes([outcome])


def test_the_harness_leaves_the_environment_as_it_found_it(outcomes: list[Outcome]) -> None:
    """Two concurrent deliveries once set and restored the environment per thread, which raced and left the
    harness's AUTO_SCHEMA=false behind for every later test of the process."""
    assert outcomes and {name: os.environ.get(name) for name in runner.HARNESS_ENV} == ENVIRONMENT_BEFORE
