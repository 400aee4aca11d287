"""dialpad-sync given malformed listed calls: skipped with a counted, logged reason; the run and cursor go on."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from sandbox.apis.dialpad import dialpad_fake
from sandbox.dialpad_wire import ABSENT
from sandbox.server import Sandbox
from shared.warehouse import Warehouse
from tests.integration.test_dialpad_sync import (
    SINCE,
    calls_by_id,
    dialpad_fixture,  # noqa: F401 - the "dialpad" fixture
    list_requests,
    run,
    wh_fixture,  # noqa: F401 - the "wh" fixture
)

SKIPPED = "dialpad_calls_skipped"


def skip_logs(out: str) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [e for e in entries if e.get("message", "").startswith("skipped a malformed call")]


def calls_cursor(wh: Warehouse) -> str:
    [row] = wh.query("select cursor_value from sync_state where job = 'dialpad-sync' and scope = 'calls'")
    return str(row["cursor_value"])


@pytest.mark.parametrize(("value", "reason"), [
    (ABSENT, "date_started is missing"),
    (None, "date_started is missing"),
    ("", "date_started is missing"),
    ("abc", "date_started is unreadable: 'abc'"),
    ("-86400000", "date_started is out of range: '-86400000'"),
    (10**20, "date_started is unreadable: 100000000000000000000"),
    ("4102444800000", "date_started is out of range: '4102444800000'"),
])
def test_given_one_call_with_a_bad_date_started_then_it_is_skipped_counted_and_logged_and_the_rest_stored(
        dialpad: Sandbox, wh: Warehouse, capsys: pytest.CaptureFixture[str], value: Any, reason: str) -> None:
    calls = sorted(dialpad.world.calls, key=lambda c: c.date_started)
    bad = calls[len(calls) // 2]
    dialpad_fake(dialpad.app).wire_overrides[bad.call_id] = {"date_started": value}
    capsys.readouterr()

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    assert answer["counts"][SKIPPED] == 1
    assert answer["counts"]["dialpad_calls"] == len(calls) - 1
    assert set(calls_by_id(wh)) == {c.call_id for c in calls} - {bad.call_id}
    [logged] = skip_logs(capsys.readouterr().out)
    assert (logged["severity"], logged["call_id"], logged["reason"], logged["run_id"]) == (
        "WARNING", bad.call_id, reason, answer["run_id"])
    latest = max(c.date_started for c in calls if c is not bad)
    assert dt.datetime.fromisoformat(calls_cursor(wh)) == latest, "the cursor passed the bad call"


def test_given_a_bad_call_skipped_then_the_next_incremental_run_succeeds_without_meeting_it_again(
        dialpad: Sandbox, wh: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    calls = sorted(dialpad.world.calls, key=lambda c: c.date_started)
    bad = calls[len(calls) // 2]
    dialpad_fake(dialpad.app).wire_overrides[bad.call_id] = {"date_started": "abc"}
    first_status, first = run({"sync_type": "full", "started_after": SINCE})
    assert (first_status, first["status"], first["counts"][SKIPPED]) == (200, "success", 1)
    cursor = calls_cursor(wh)
    dialpad.log.clear()
    capsys.readouterr()

    status, answer = run({"sync_type": "incremental"})

    assert (status, answer["status"], answer["errors"]) == (200, "success", {})
    assert answer["counts"] == {"dialpad_calls": 0, "dialpad_transcript_lines": 0, SKIPPED: 0}
    assert skip_logs(capsys.readouterr().out) == []
    assert calls_cursor(wh) == cursor
    assert list_requests(dialpad), "the incremental run listed from the cursor minus the lookback"


def test_given_a_call_without_id_then_it_is_skipped_and_the_window_still_completes(
        dialpad: Sandbox, wh: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    calls = sorted(dialpad.world.calls, key=lambda c: c.date_started)
    bad = calls[-1]
    dialpad_fake(dialpad.app).wire_overrides[bad.call_id] = {"call_id": ABSENT, "date_connected": "soon"}
    capsys.readouterr()

    status, answer = run({"sync_type": "full", "started_after": SINCE})

    assert (status, answer["status"], answer["counts"][SKIPPED]) == (200, "success", 1)
    assert set(calls_by_id(wh)) == {c.call_id for c in calls[:-1]}
    [logged] = skip_logs(capsys.readouterr().out)
    assert (logged["call_id"], logged["reason"]) == (None, "call_id is missing")
    assert dt.datetime.fromisoformat(calls_cursor(wh)) == calls[-2].date_started
