"""The hostile_data scenario on the four syncs: every injected record meets its documented fate (stored,
flagged or sanitised, or skipped with a counted, logged reason), the run succeeds, no normal record is lost or
duplicated, and the fakes hold exactly what they held before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.dialpad import dialpad_fake
from sandbox.apis.gmail import gmail_fake
from sandbox.server import Sandbox
from sandbox.world import build_world
from sandbox.world_schema import SF_FIELDS
from tools.pipeline import by_cloud_name
from tools.reliability import report, runner
from tools.reliability.hostile_data import HOSTILE_DATA_SCENARIOS
from tools.reliability.runner import Outcome
from tools.reliability.stage import Stage

FUNCTIONS = ["salesforce-sync", "dialpad-sync", "gmail-sync", "usage-collect"]
FATES = {
    "salesforce-sync": ["invalid Email and Phone", "LastActivityDate in 1970", "CloseDate in 2100",
                        "10 MB Task.Description", "lone surrogate in Contact.Title", "Contact without Id",
                        "Contact Id twice in one page"],
    "dialpad-sync": ["invalid phone and email", "4 MB transcript", "lone surrogate in contact.name",
                     "call_id twice in one page", "no call_id", "no date_started", "date_started in 1970",
                     "date_started in 2100"],
    "gmail-sync": ["10 MB body", "invalid UTF-8 bytes in a text/plain part", "invalid From address",
                   "no From address", "Date in 1970", "Date in 2100", "message id twice in one page"],
    "usage-collect": ["invalid user_email", "missing user_email", "missing api_key_name", "unknown api_key_name",
                      "a key mapped twice", "lone surrogate in description"],
}
COUNTERS = {
    "salesforce-sync": "counters {'sf_records_skipped': 1} (documented {'sf_records_skipped': 1})",
    "dialpad-sync": "counters {'dialpad_calls_skipped': 4} (documented {'dialpad_calls_skipped': 4})",
    "gmail-sync": "counters {} (documented {})",
    "usage-collect": "counters {} (documented {})",
}
SKIP_LINES = {
    "salesforce-sync": "skip lines with the run id {'skipped a record without Id': 1} "
                       "(documented {'skipped a record without Id': 1})",
    "dialpad-sync": "skip lines with the run id {'skipped a malformed call': 4} "
                    "(documented {'skipped a malformed call': 4})",
    "gmail-sync": "skip lines with the run id {} (documented {})",
    "usage-collect": "skip lines with the run id {} (documented {})",
}
fakes_after: dict[str, dict[str, Any]] = {}


def fake_contents(stage: Stage) -> dict[str, Any]:
    world = stage.sandbox.state.world
    store = gmail_fake(stage.sandbox.app).store
    return {
        "salesforce": {name: sorted(r["Id"] for r in world.records(name)) for name in SF_FIELDS},
        "calls": sorted(c.call_id for c in world.calls),
        "wire_overrides": dict(dialpad_fake(stage.sandbox.app).wire_overrides),
        "gmail": {a: (sorted(b.messages), b.history_id, len(b.history)) for a, b in store.mailboxes.items()},
        "sheet": [list(row) for row in world.key_mapping_sheet],
    }


def record_fakes(stage: Stage) -> None:
    fakes_after[stage.entry.cloud_name] = fake_contents(stage)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    found = runner.run([by_cloud_name(name) for name in FUNCTIONS], list(HOSTILE_DATA_SCENARIOS),
                       workdir=tmp_path_factory.mktemp("hostile"), tamper=record_fakes)
    return {o.function: o for o in found}


def test_given_the_pipeline_then_the_scenario_applies_to_the_four_syncs_only(outcomes: dict[str, Outcome]) -> None:
    assert list(outcomes) == FUNCTIONS


@pytest.mark.parametrize("function", FUNCTIONS)
def test_given_hostile_records_then_each_meets_its_documented_fate_and_the_run_succeeds(
        outcomes: dict[str, Outcome], function: str) -> None:
    outcome = outcomes[function]
    notes = outcome.played.notes
    assert notes[0] == "HTTP 200 success errors={}", notes
    judged = [n for n in notes if n.startswith(("ok ", "BAD"))]
    assert [n.split(":")[0] for n in judged] == [f"ok  {label}" for label in FATES[function]], notes
    assert outcome.played.survived, notes


@pytest.mark.parametrize("function", FUNCTIONS)
def test_given_hostile_records_then_skips_are_counted_and_logged_with_the_run_id(
        outcomes: dict[str, Outcome], function: str) -> None:
    notes = outcomes[function].played.notes
    assert COUNTERS[function] in notes and SKIP_LINES[function] in notes, notes


@pytest.mark.parametrize("function", FUNCTIONS)
def test_given_hostile_records_then_no_normal_record_is_lost_or_duplicated(
        outcomes: dict[str, Outcome], function: str) -> None:
    outcome = outcomes[function]
    assert (outcome.lost, outcome.duplicates, outcome.ahead, outcome.passed) == (0, 0, False, True), \
        report.table([outcome]) + "\n" + report.notes([outcome])


def test_given_the_scenario_ran_then_every_fake_holds_what_a_fresh_world_holds(
        outcomes: dict[str, Outcome], tmp_path: Path) -> None:
    with Sandbox(build_world(11, 1)) as fresh:
        expected = fake_contents(Stage(by_cloud_name("dialpad-sync"), tmp_path / "unused.duckdb", {}, fresh))
    assert set(fakes_after) == set(FUNCTIONS)
    for function, contents in fakes_after.items():
        assert contents == expected, function
