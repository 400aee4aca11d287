"""The time_budget scenario on salesforce-sync and dialpad-sync: several budgeted invocations end with the clean
run's tables and fetch no record twice; and the pieces it judges by (the batch clock, repeated fetches)."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from sandbox.recording import RecordedRequest
from shared.budget import OutOfTime, TimeBudget
from tools.pipeline import by_cloud_name
from tools.reliability import report, runner
from tools.reliability.budget import BUDGET_SCENARIOS, budget_in_batches, fetches, repeated

FUNCTIONS = [by_cloud_name("salesforce-sync"), by_cloud_name("dialpad-sync")]


def _request(method: str, path: str, query: dict[str, list[str]] | None = None, body: bytes = b"") -> RecordedRequest:
    return RecordedRequest(method, path, query or {}, {}, body, dt.datetime.now(dt.UTC), 200)


def test_given_a_budget_of_two_seconds_in_batches_then_the_second_checkpoint_stops_the_run() -> None:
    with budget_in_batches():
        budget = TimeBudget(2)
        assert not budget.exhausted
        budget.checkpoint("first batch")
        assert budget.exhausted
        with pytest.raises(OutOfTime):
            budget.checkpoint("second batch")
    assert TimeBudget(2).clock is not None and not TimeBudget(2).exhausted


def test_given_a_record_fetched_again_then_it_is_repeated_and_a_new_query_or_a_token_is_not() -> None:
    clean = fetches([_request("GET", "/api/v2/transcripts/1"), _request("GET", "/api/v2/transcripts/2")])
    batch = (b"--b\r\nContent-Type: application/http\r\n\r\nGET /gmail/v1/users/a%40x.com/messages/m1?format=full "
             b"HTTP/1.1\r\n\r\n--b--")
    budgeted = fetches([_request("GET", "/api/v2/transcripts/1"), _request("GET", "/api/v2/transcripts/1"),
                        _request("GET", "/services/data/v59.0/queryAll/", {"q": ["SELECT Id FROM Task WHERE x"]}),
                        _request("POST", "/services/oauth2/token"), _request("POST", "/services/oauth2/token"),
                        _request("POST", "/batch", body=batch), _request("POST", "/batch", body=batch),
                        _request("GET", "/gmail/v1/users/a@x.com/messages", {"maxResults": ["50"]}),
                        _request("GET", "/gmail/v1/users/a@x.com/messages", {"maxResults": ["50"]})])
    assert repeated(budgeted, clean) == collections.Counter({
        ("GET", "/api/v2/transcripts/1", "", ""): 1, ("GET", "/gmail/v1/users/a@x.com/messages/m1?format=full"): 1})


@pytest.mark.parametrize("function", [f.cloud_name for f in FUNCTIONS])
def test_given_a_budget_of_one_batch_then_several_invocations_end_with_the_clean_tables_and_no_record_twice(
        outcomes: list[runner.Outcome], function: str) -> None:
    [mine] = [o for o in outcomes if o.function == function]
    assert mine.played.injected, report.notes([mine])
    assert (mine.played.survived, mine.lost, mine.duplicates, mine.ahead) == (True, 0, 0, False), report.notes([mine])
    invocations = int(mine.played.notes[0].split()[0])
    assert invocations >= 2
    assert "records fetched again: 0" in mine.played.notes[1]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[runner.Outcome]:
    return list(runner.run(FUNCTIONS, list(BUDGET_SCENARIOS), workdir=tmp_path_factory.mktemp("budget")))
