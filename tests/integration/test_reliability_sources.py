"""Source faults through the reliability harness: salesforce-sync (one breaker, a re-authenticating client, scopes
that fail one by one) and dialpad-sync (static key, one listing whose failure fails the run) under every source
fault, and gmail-sync (a breaker per mailbox, batch answers) under a malformed batch and a dead API."""

from __future__ import annotations

import pytest

from tools.pipeline import by_cloud_name
from tools.reliability import report, runner
from tools.reliability.runner import Outcome
from tools.reliability.source_faults import DEAD_ENV, SOURCE_FAULT_SCENARIOS

FUNCTIONS = [by_cloud_name("salesforce-sync"), by_cloud_name("dialpad-sync")]
NAMES = [s.name for s in SOURCE_FAULT_SCENARIOS]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    found = runner.run(FUNCTIONS, list(SOURCE_FAULT_SCENARIOS), workdir=tmp_path_factory.mktemp("sources"))
    return {(o.function, o.scenario): o for o in found}


def notes(outcome: Outcome) -> str:
    return " | ".join(outcome.played.notes)


@pytest.mark.parametrize("function", [f.cloud_name for f in FUNCTIONS])
def test_given_each_source_fault_then_the_runs_end_as_documented_with_nothing_lost_duplicated_or_ahead(
        outcomes: dict[tuple[str, str], Outcome], function: str) -> None:
    mine = [outcomes[(function, name)] for name in NAMES]
    assert [(o.scenario, o.played.injected, o.played.survived, o.lost, o.duplicates, o.ahead) for o in mine] == [
        (name, True, True, 0, 0, False) for name in NAMES], report.table(mine) + "\n" + report.notes(mine)


@pytest.mark.parametrize(("function", "requests"), [("salesforce-sync", "salesforce 35 requests"),
                                                    ("dialpad-sync", "dialpad 186 requests")])
def test_given_transient_faults_then_the_faulted_run_succeeds_with_one_extra_request_per_fault(
        outcomes: dict[tuple[str, str], Outcome], function: str, requests: str) -> None:
    """Four faults on the listing in each scenario (two of them in slow_and_reset, one retry each)."""
    for name in ("throttled", "server_errors"):
        outcome = outcomes[(function, name)]
        assert outcome.played.notes[0] == "run HTTP 200 success errors={}", notes(outcome)
        assert outcome.played.notes[2] == requests
    slow = outcomes[(function, "slow_and_reset")]
    assert slow.played.notes[0] == "run HTTP 200 success errors={}"
    assert slow.played.notes[1].endswith("delayed 1.5s x1, " + slow.played.notes[1].split(", ")[1])
    assert slow.played.notes[2] == requests.replace("35", "33").replace("186", "184")


def test_given_malformed_pages_then_salesforce_fails_the_scope_naming_the_parse_error_and_the_rerun_completes(
        outcomes: dict[tuple[str, str], Outcome]) -> None:
    played = outcomes[("salesforce-sync", "malformed_bodies")].played.notes
    assert played[0].startswith("faulted run HTTP 200 partial errors={'Account': 'JSONDecodeError: ")
    assert played[2].startswith("faulted run HTTP 200 partial errors={'Account': 'JSONDecodeError: ")
    assert played[4] == "rerun HTTP 200 success errors={}"


def test_given_an_expired_salesforce_session_then_the_client_reauthenticates_exactly_once(
        outcomes: dict[tuple[str, str], Outcome]) -> None:
    played = outcomes[("salesforce-sync", "token_expiry")].played.notes
    assert played[0] == "run HTTP 200 success errors={}"
    assert played[1].endswith("1 request(s) refused 401; 2 token requests (1 login + 1 re-auth)"), played


def test_given_a_401_from_dialpad_then_the_static_key_run_fails_naming_the_auth_error(
        outcomes: dict[tuple[str, str], Outcome]) -> None:
    played = outcomes[("dialpad-sync", "token_expiry")].played.notes
    assert played[0].startswith("faulted run HTTP 500 failed errors={'calls': 'DialpadError: HTTP 401 from "
                                "/api/v2/call"), played
    assert played[-1] == "rerun HTTP 200 success errors={}"


def test_given_a_dead_salesforce_then_the_breaker_stops_the_calls_at_its_bound(
        outcomes: dict[tuple[str, str], Outcome]) -> None:
    """Threshold 3 failed calls of 1 + 2 attempts: 9 requests, then every later scope is refused unsent."""
    assert DEAD_ENV == {"HTTP_MAX_RETRIES": "2", "BREAKER_FAILURE_THRESHOLD": "3"}
    played = outcomes[("salesforce-sync", "dead_source")].played.notes
    assert played[0].startswith("faulted run HTTP 500 failed errors=")
    assert played[1] == "injected /services/data 503 x9"
    assert played[2:5] == ["dead source received 9 requests (bound 9)", "errors say the circuit is open",
                           "rerun HTTP 200 success errors={}"]


def test_given_a_dead_dialpad_then_the_first_failed_listing_call_ends_the_run_before_the_breaker(
        outcomes: dict[tuple[str, str], Outcome]) -> None:
    played = outcomes[("dialpad-sync", "dead_source")].played.notes
    assert played[1] == "injected /api/v2/call 503 x3, /api/v2/transcripts 503 x0"
    assert played[2:4] == ["dead source received 3 requests (bound 18)", "errors name the 503 (no breaker needed)"]


def test_given_gmail_with_a_cut_off_batch_and_a_dead_api_then_it_retries_the_parts_and_bounds_the_calls(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    chosen = [s for s in SOURCE_FAULT_SCENARIOS if s.name in ("malformed_bodies", "dead_source")]
    malformed, dead = runner.run([by_cloud_name("gmail-sync")], chosen, workdir=tmp_path_factory.mktemp("gmail"))

    assert (malformed.passed, dead.passed) == (True, True), report.notes([malformed, dead])
    assert malformed.played.notes[0] == "faulted run HTTP 200 success errors={}"
    assert malformed.played.notes[2] == "faulted run HTTP 200 success errors={}"
    assert dead.played.notes[0].startswith("faulted run HTTP 500 failed errors=")
    assert dead.played.notes[2] == "dead source received 12 requests (bound 36)"
