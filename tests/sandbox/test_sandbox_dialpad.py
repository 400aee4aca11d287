"""The Dialpad fake: call list paging and filters, transcripts, auth, error bodies and per-key rate limits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sandbox import Sandbox
from sandbox.apis.dialpad import PAGE_SIZE, DialpadFake, dialpad_fake
from sandbox.dialpad_wire import ABSENT, epoch_ms
from sandbox.world import build_world
from tests.conftest import FakeClock

ANCHOR = datetime(2026, 3, 2, tzinfo=UTC)
AUTH = {"Authorization": "Bearer test-key"}


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=5, scale=1, anchor=ANCHOR)) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running: Sandbox) -> Iterator[Sandbox]:
    running.log.clear()
    fake(running).limits.reset()
    fake(running).limits.enabled = False
    yield running
    fake(running).limits.enabled = True
    fake(running).limits.reset()


def fake(sandbox: Sandbox) -> DialpadFake:
    return dialpad_fake(sandbox.app)


def get(sandbox: Sandbox, path: str, headers: dict[str, str] | None = None, **params: Any) -> requests.Response:
    return requests.get(f"{sandbox.http_url}/api/v2{path}", params=params,
                        headers=AUTH if headers is None else headers, timeout=10)


def all_pages(sandbox: Sandbox, **params: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        body = get(sandbox, "/call", **params, **({"cursor": cursor} if cursor else {})).json()
        pages.append(body["items"])
        cursor = body.get("cursor")
        if not cursor:
            return pages


def test_given_the_world_when_listing_every_page_then_each_call_comes_once_newest_first(sandbox: Sandbox) -> None:
    pages = all_pages(sandbox)
    items = [item for page in pages for item in page]

    assert [len(page) for page in pages[:-1]] == [PAGE_SIZE] * (len(pages) - 1)
    assert sorted(str(item["call_id"]) for item in items) == sorted(c.call_id for c in sandbox.world.calls)
    started = [int(item["date_started"]) for item in items]
    assert started == sorted(started, reverse=True)


def test_given_started_after_and_before_then_only_calls_strictly_inside_are_listed(sandbox: Sandbox) -> None:
    calls = sorted(sandbox.world.calls, key=lambda c: c.date_started)
    low, high = epoch_ms(calls[10].date_started), epoch_ms(calls[120].date_started)
    items = [i for page in all_pages(sandbox, started_after=low, started_before=high) for i in page]

    expected = {c.call_id for c in calls if low < epoch_ms(c.date_started) < high}
    assert {str(i["call_id"]) for i in items} == expected
    assert all(r.param("started_after") == str(low) for r in sandbox.log.matching(path_prefix="/api/v2/call"))


def test_given_a_call_when_listed_then_it_has_the_documented_shape_with_int64_as_string_or_number(
        sandbox: Sandbox) -> None:
    items = [i for page in all_pages(sandbox) for i in page]
    by_id = {str(i["call_id"]): i for i in items}
    call = next(c for c in sandbox.world.calls if c.date_connected and c.was_recorded)
    item = by_id[call.call_id]

    assert float(item["duration"]) == (epoch_ms(call.date_ended) - epoch_ms(call.date_connected))
    assert int(item["date_started"]) == epoch_ms(call.date_started)
    assert item["target"]["email"] == call.rep_email and str(item["target"]["id"]) == call.rep_user_id
    assert item["external_number"] == call.external_number and item["was_recorded"] is True
    kinds = {type(i["call_id"]) for i in items}
    assert kinds == {str, int}
    assert all(type(i["date_started"]) is type(i["call_id"]) for i in items)


def test_given_a_recorded_call_then_its_transcript_has_speaker_lines_and_a_call_without_one_is_404(
        sandbox: Sandbox) -> None:
    call = next(c for c in sandbox.world.calls if c.transcript)
    body = get(sandbox, f"/transcripts/{call.call_id}").json()
    assert call.transcript
    assert [line["content"] for line in body["lines"]] == [line.text for line in call.transcript]
    first = body["lines"][0]
    assert str(first["user_id"]) == call.rep_user_id and "contact_id" not in first
    assert datetime.fromisoformat(first["time"]).tzinfo is None

    silent = next(c for c in sandbox.world.calls if not c.transcript)
    missing = get(sandbox, f"/transcripts/{silent.call_id}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == 404 and missing.json()["error"]["errors"][0]["reason"] == "notFound"


def test_given_no_key_then_401_and_either_bearer_or_apikey_param_is_accepted(sandbox: Sandbox) -> None:
    assert get(sandbox, "/call", headers={}).status_code == 401
    assert get(sandbox, "/call", headers={}, apikey="k").status_code == 200
    assert get(sandbox, "/call").status_code == 200


@pytest.mark.parametrize(("params", "fragment"), [
    ({"started_after": "yesterday"}, "started_after"),
    ({"cursor": "%%%"}, "cursor"),
    ({"target_type": "planet"}, "target_type"),
])
def test_given_bad_parameters_then_400_with_the_error_body(sandbox: Sandbox, params: dict[str, str],
                                                          fragment: str) -> None:
    response = get(sandbox, "/call", **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400 and error["errors"][0]["reason"] == "invalid"
    assert fragment in error["message"].lower()


def test_given_a_user_target_then_only_that_reps_calls_are_listed(sandbox: Sandbox) -> None:
    rep = sandbox.world.calls[0].rep_user_id
    items = [i for page in all_pages(sandbox, target_type="user", target_id=rep) for i in page]
    assert {str(i["call_id"]) for i in items} == {c.call_id for c in sandbox.world.calls if c.rep_user_id == rep}


def test_given_ten_single_call_gets_in_a_minute_then_the_eleventh_is_429_until_the_window_passes(
        sandbox: Sandbox, clock: FakeClock) -> None:
    limits = fake(sandbox).limits
    limits.enabled, limits.clock = True, clock
    call_id = sandbox.world.calls[0].call_id
    for _ in range(10):
        assert get(sandbox, f"/call/{call_id}").status_code == 200
        clock.advance(1.5)

    over = get(sandbox, f"/call/{call_id}")
    assert over.status_code == 429 and over.headers["Retry-After"] == "45"
    assert over.json()["error"]["code"] == 429
    assert get(sandbox, "/call", headers={"Authorization": "Bearer other-key"}).status_code == 200
    assert get(sandbox, "/call").status_code == 200, "the list has its own, larger limit"
    clock.advance(45)
    assert get(sandbox, f"/call/{call_id}").status_code == 200


def test_given_more_than_twenty_requests_in_a_second_then_the_company_limit_answers_429(
        sandbox: Sandbox, clock: FakeClock) -> None:
    limits = fake(sandbox).limits
    limits.enabled, limits.clock = True, clock
    statuses = [get(sandbox, "/call").status_code for _ in range(21)]
    assert statuses == [200] * 20 + [429]
    clock.advance(1)
    assert get(sandbox, "/call").status_code == 200


def test_given_a_call_appended_to_the_world_then_the_list_serves_it(sandbox: Sandbox) -> None:
    world = sandbox.world
    with sandbox.state.lock:
        newest = max(world.calls, key=lambda c: c.date_started)
        world.calls.append(dataclasses.replace(newest, call_id="9000000000000001"))
    try:
        first = get(sandbox, "/call").json()["items"]
        assert "9000000000000001" in {str(i["call_id"]) for i in first[:2]}
    finally:
        with sandbox.state.lock:
            world.calls.pop()


def test_given_wire_overrides_then_that_call_is_served_malformed_in_its_place_and_the_others_untouched(
        sandbox: Sandbox) -> None:
    calls = sorted(sandbox.world.calls, key=lambda c: c.date_started)
    bad, other = calls[1], calls[2]
    after, before = epoch_ms(calls[0].date_started), epoch_ms(calls[3].date_started)
    fake(sandbox).wire_overrides[bad.call_id] = {"date_started": "abc", "call_id": ABSENT}
    try:
        listed = get(sandbox, "/call", started_after=after, started_before=before).json()["items"]
        single = get(sandbox, f"/call/{bad.call_id}").json()
    finally:
        fake(sandbox).wire_overrides.clear()

    assert len(listed) == 2 and listed[1] == single, "listed newest first, in its true place"
    assert single["date_started"] == "abc" and "call_id" not in single
    assert str(listed[0]["call_id"]) == other.call_id and int(listed[0]["date_started"]) == epoch_ms(
        other.date_started)
