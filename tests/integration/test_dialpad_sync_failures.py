"""dialpad-sync when things go wrong: failing transcripts, transcripts not ready yet, a failing list, bad bodies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from sandbox.server import Sandbox
from shared.warehouse import Warehouse
from tests.integration.test_dialpad_sync import (
    SINCE,
    calls_by_id,
    dialpad_fixture,  # noqa: F401 - the "dialpad" fixture
    list_requests,
    run,
    transcript_requests,
    wh_fixture,  # noqa: F401 - the "wh" fixture
)


def scopes(warehouse: Warehouse, run_id: str) -> dict[str, str]:
    rows = warehouse.query("select scope, status from etl_run_scopes where run_id = @id", {"id": run_id})
    return {row["scope"]: row["status"] for row in rows}


def test_given_one_transcript_failing_then_the_run_is_partial_the_call_is_kept_and_the_next_run_fills_it(
        dialpad: Sandbox, wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_MAX_RETRIES", "2")
    broken = next(c for c in dialpad.world.calls if c.transcript)
    fault = dialpad.faults.add(f"/api/v2/transcripts/{broken.call_id}", status=500, retry_after=None, times=None)

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert (status, answer["status"]) == (200, "partial")
    assert set(answer["errors"]) == {"transcripts"} and broken.call_id in answer["errors"]["transcripts"]
    assert scopes(wh, answer["run_id"]) == {"calls": "success", "transcripts": "failed"}
    rows = calls_by_id(wh)
    assert len(rows) == len(dialpad.world.calls)
    assert rows[broken.call_id]["has_transcript"] is None and rows[broken.call_id]["transcript_text"] is None
    assert sum(row["has_transcript"] is True for row in rows.values()) == sum(
        1 for c in dialpad.world.calls if c.transcript) - 1

    dialpad.faults.remove(fault)
    dialpad.log.clear()
    status, answer = run({"sync_type": "incremental"})

    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    assert [r.path for r in transcript_requests(dialpad)] == [f"/api/v2/transcripts/{broken.call_id}"]
    row = calls_by_id(wh)[broken.call_id]
    assert row["has_transcript"] is True and row["transcript_line_count"] == len(broken.transcript or [])
    assert row["call_time"] == broken.date_started, "the retry writes transcript columns only"
    lines = wh.query("select count(*) as n from dialpad_transcript_lines where call_id = @id", {"id": broken.call_id})
    assert lines[0]["n"] == len(broken.transcript or [])


def test_given_a_just_ended_call_without_transcript_yet_then_it_is_retried_until_dialpad_has_one(
        dialpad: Sandbox, wh: Warehouse) -> None:
    template = next(c for c in dialpad.world.calls if c.transcript)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    fresh = dataclasses.replace(template, call_id="5000000000000003", date_started=now - dt.timedelta(minutes=20),
                                date_connected=now - dt.timedelta(minutes=19),
                                date_ended=now - dt.timedelta(minutes=5), transcript=None)
    with dialpad.state.lock:
        dialpad.world.calls.append(fresh)

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert (status, answer["status"]) == (200, "success")
    assert calls_by_id(wh)[fresh.call_id]["has_transcript"] is None
    with dialpad.state.lock:
        fresh.transcript = template.transcript
    dialpad.log.clear()

    run({"sync_type": "incremental"})

    assert calls_by_id(wh)[fresh.call_id]["has_transcript"] is True
    assert [r.path for r in transcript_requests(dialpad)] == [f"/api/v2/transcripts/{fresh.call_id}"]


def test_given_the_list_failing_from_the_start_then_the_run_fails_with_500_and_nothing_moves(
        dialpad: Sandbox, wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_MAX_RETRIES", "1")
    dialpad.faults.add("/api/v2/call", status=503, retry_after=0, times=None)

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert (status, answer["status"]) == (500, "failed")
    assert "503" in answer["errors"]["calls"]
    assert len(list_requests(dialpad)) == 2
    assert wh.query("select count(*) as n from dialpad_calls")[0]["n"] == 0
    assert wh.query("select count(*) as n from sync_state")[0]["n"] == 0


def _serve_first_page_for_cursors(dialpad: Sandbox, times: int | None) -> list[bytes]:
    """The first list page is kept; requests with a cursor get it again (its calls and its own cursor), as a
    replayed answer would look."""
    first: list[bytes] = []

    def keep(data: bytes) -> bytes:
        first[:] = first or [data]
        return data

    dialpad.faults.add("/api/v2/call", status=None, retry_after=None, times=times,
                       when=lambda args: bool(args.get("cursor")), rewrite=lambda data: first[0])
    dialpad.faults.add("/api/v2/call", status=None, retry_after=None, times=None,
                       when=lambda args: not args.get("cursor"), rewrite=keep)
    return first


def test_given_a_page_served_again_for_the_next_cursor_then_the_cursor_is_followed_again_and_every_call_lands_once(
        dialpad: Sandbox, wh: Warehouse) -> None:
    first = _serve_first_page_for_cursors(dialpad, times=1)

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    cursor = json.loads(first[0])["cursor"]
    assert [r.param("cursor") for r in list_requests(dialpad)].count(cursor) == 2
    rows = wh.query("select call_id, count(*) as n from dialpad_calls group by call_id")
    assert len(rows) == len(dialpad.world.calls) and {row["n"] for row in rows} == {1}


def test_given_dialpad_handing_out_the_same_cursor_again_and_again_then_the_listing_stops_after_one_repeat(
        dialpad: Sandbox, wh: Warehouse) -> None:
    first = _serve_first_page_for_cursors(dialpad, times=None)

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert answer["status"] in ("failed", "partial") and status in (200, 500)
    assert "same list cursor 3 times" in answer["errors"]["calls"]
    cursor = json.loads(first[0])["cursor"]
    assert [r.param("cursor") for r in list_requests(dialpad)] == [None, cursor, cursor]


@pytest.mark.parametrize(("body", "field", "fragment"), [
    ({"sync_type": "weekly"}, "sync_type", "'incremental' or 'full'"),
    ({"sync_type": "full", "started_after": "last tuesday"}, "started_after", "must be an ISO date or datetime string"),
    ({"sync_type": "full", "started_after": "2026-02-30"}, "started_after", "from 2000-01-01T00:00:00Z to now"),
    ({"sync_type": "full", "since": "2026-01-01"}, "since", "unknown field"),
    ({"started_after": "2026-01-01"}, "started_after", "only allowed with sync_type 'full'"),
    ({"sync_type": "full", "started_after": "2999-01-01"}, "started_after", "from 2000-01-01T00:00:00Z to now"),
])
def test_given_a_bad_body_then_400_names_the_field_and_nothing_is_called_or_written(
        dialpad: Sandbox, wh: Warehouse, body: dict[str, Any], field: str, fragment: str) -> None:
    status, answer = run(body)

    assert status == 400 and answer["field"] == field
    assert fragment in answer["error"], json.dumps(answer)
    assert len(dialpad.log) == 0
    assert wh.query("select count(*) as n from etl_runs")[0]["n"] == 0
