"""Page anomalies through the reliability harness (tools/reliability/page_faults.py): a page served twice, a page
that vanishes, an empty page with a next token, on salesforce-sync, dialpad-sync and gmail-sync."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.recording import RecordedRequest
from tools.pipeline import by_cloud_name
from tools.reliability import runner
from tools.reliability.page_faults import PAGE_FAULT_SCENARIOS, PAGERS, GmailBatch
from tools.reliability.scenarios import Played, Scenario
from tools.reliability.stage import Stage

Seen = dict[str, list[RecordedRequest]]


def play_all(function: str, tmp_path: Path, scenarios: list[Scenario] | None = None) -> tuple[list[runner.Outcome],
                                                                                               list[Seen]]:
    """The outcomes, and per scenario the requests the sandbox received (read before judging)."""
    seen: list[Seen] = []

    def keep(stage: Stage) -> None:
        seen.append({"all": stage.sandbox.log.all()})

    outcomes = list(runner.run([by_cloud_name(function)], scenarios or list(PAGE_FAULT_SCENARIOS),
                               workdir=tmp_path, tamper=keep))
    return outcomes, seen


def by_scenario(outcomes: list[runner.Outcome], seen: list[Seen]) -> dict[str, tuple[runner.Outcome, Seen]]:
    return {o.scenario: (o, s) for o, s in zip(outcomes, seen, strict=True)}


def assert_equal_to_clean(outcome: runner.Outcome) -> None:
    assert outcome.played.injected, outcome.played.notes
    assert outcome.played.survived, outcome.played.notes
    assert (outcome.lost, outcome.duplicates, outcome.ahead) == (0, 0, False), outcome.tables


def test_given_salesforce_pages_replayed_vanished_or_empty_then_each_run_ends_as_documented_and_equal_to_clean(
        tmp_path: Path) -> None:
    results = by_scenario(*play_all("salesforce-sync", tmp_path))

    for outcome, _ in results.values():
        assert_equal_to_clean(outcome)
    outcome, seen = results["page_twice"]
    follow_ups = [r.path for r in seen["all"] if "/queryAll/01gSB" in r.path]
    replayed = outcome.played.notes[0].split("next token ")[1].rstrip(")")
    assert follow_ups.count(replayed) == 2, "the replayed locator is followed again, once"
    outcome, seen = results["page_vanishes"]
    refused = [r for r in seen["all"] if "/queryAll/01gSB" in r.path and r.status == 400]
    assert len(refused) == 1
    assert "partial" in outcome.played.notes[1] and "INVALID_QUERY_LOCATOR" in outcome.played.notes[1]
    outcome, seen = results["empty_page_with_token"]
    alias = outcome.played.notes[0].split("naming ")[1]
    assert alias.rpartition("-")[2].startswith("0")
    assert [r.status for r in seen["all"] if r.path == alias] == [200], "the empty page's locator is followed"


def test_given_dialpad_pages_replayed_vanished_or_empty_then_each_run_ends_as_documented_and_equal_to_clean(
        tmp_path: Path) -> None:
    results = by_scenario(*play_all("dialpad-sync", tmp_path))

    for outcome, _ in results.values():
        assert_equal_to_clean(outcome)
    outcome, seen = results["page_twice"]
    replayed = outcome.played.notes[0].split("next token ")[1].rstrip(")")
    cursors = [r.param("cursor") for r in seen["all"] if r.path == "/api/v2/call"]
    assert "faulted run HTTP 200 success" in outcome.played.notes[1]
    assert cursors.count(replayed) >= 3, "twice in the faulted run (the replay, then the real page), once in the rerun"
    outcome, seen = results["page_vanishes"]
    assert [r.status for r in seen["all"] if r.path == "/api/v2/call" and r.status != 200] == [400]
    assert "HTTP 200 partial" in outcome.played.notes[1] and "Invalid cursor." in outcome.played.notes[1]
    outcome, seen = results["empty_page_with_token"]
    alias = outcome.played.notes[0].split("naming ")[1]
    assert [r.status for r in seen["all"] if r.param("cursor") == alias] == [200]


def _gmail_list_tokens(requests: list[RecordedRequest]) -> list[str]:
    """The pageTokens of messages.list calls inside batch requests, in order."""
    tokens = []
    for request in requests:
        if request.path.startswith("/batch"):
            text = request.body.decode("utf-8", "replace")
            tokens += [line.split("pageToken=")[1].split("&")[0].split(" ")[0]
                       for line in text.splitlines() if line.startswith("GET ") and "pageToken=" in line]
    return tokens


def _gone_once(stage: Stage) -> Played:
    """A listed message answers 404 to messages.get once (deleted between the list and the get)."""
    gone: list[str] = []
    not_found = {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}

    def alter(body: dict[str, Any]) -> dict[str, Any] | None:
        if "payload" not in body:
            return None
        gone.append(str(body["id"]))
        return not_found

    fault = stage.sandbox.faults.add("/batch", status=None, retry_after=None, times=None, method="POST",
                                     rewrite=GmailBatch(alter, "404 Not Found"))
    stage.fresh_instance()
    first = stage.invoke()
    stage.sandbox.faults.remove(fault)
    stored = stage.query("select count(*) as n from gmail_messages where message_id = @id", {"id": gone[0]})
    stage.fresh_instance()
    rerun = stage.invoke()
    again = stage.query("select count(*) as n from gmail_messages where message_id = @id", {"id": gone[0]})
    notes = [json.dumps({"gone": gone, "first": first, "stored_after_first": stored[0]["n"],
                         "stored_after_rerun": again[0]["n"], "rerun": rerun[1].get("status")}, default=str)]
    return Played(bool(gone), first[0] == 200 and rerun[0] == 200, notes)


def test_given_gmail_pages_replayed_vanished_or_empty_and_a_listed_message_gone_then_nothing_is_lost(
        tmp_path: Path) -> None:
    gone = Scenario("listed_message_gone", "messages.get 404 for a listed id", _gone_once)
    results = by_scenario(*play_all("gmail-sync", tmp_path, [*PAGE_FAULT_SCENARIOS, gone]))

    for name in ("page_twice", "page_vanishes", "empty_page_with_token"):
        assert_equal_to_clean(results[name][0])
    outcome, seen = results["page_twice"]
    replayed = outcome.played.notes[0].split("next token ")[1].rstrip(")")
    assert _gmail_list_tokens(seen["all"]).count(replayed) >= 2
    outcome, seen = results["page_vanishes"]
    assert "HTTP 200 partial" in outcome.played.notes[1] and "HTTP 400" in outcome.played.notes[1]
    outcome, seen = results["empty_page_with_token"]
    alias = outcome.played.notes[0].split("naming ")[1]
    assert alias != PAGERS["gmail-sync"].alias(alias)
    assert _gmail_list_tokens(seen["all"]).count(alias) == 1, "the empty page's token is followed"
    outcome, _ = results["listed_message_gone"]
    found = json.loads(outcome.played.notes[0])
    assert found["first"][1]["status"] == "success" and found["first"][1]["counts"]["gmail_messages_deleted"] == 1
    assert (found["stored_after_first"], found["stored_after_rerun"]) == (0, 1)
    assert (outcome.lost, outcome.duplicates) == (0, 0)
