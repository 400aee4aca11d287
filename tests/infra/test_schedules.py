"""The Cloud Scheduler crons, evaluated in their time zones over a whole year (both DST changes): every source is
synced as often as its data needs, and each morning syncs → entity-resolution → generate-embeddings →
account-scoring run in that order, each after the previous one's timeout, and finish before reps start."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
from collections import Counter, defaultdict
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from tests.infra.cron import Cron, parse_field
from tests.infra.test_terraform import schedules, variables

UTC = dt.UTC
FIRST, LAST = dt.date(2027, 1, 1), dt.date(2027, 12, 31)
REPS_START = dt.time(8, 0)
"""Reps start at 08:00 in var.time_zone (the sales team's)."""
SYNCS = ("gmail-sync", "salesforce-sync", "dialpad-sync")
MORNING_CHAIN = (SYNCS, ("entity-resolution",), ("generate-embeddings",))
SAME_MORNING = dt.timedelta(hours=3)


@cache
def runs() -> dict[str, list[tuple[dt.datetime, dict[str, object]]]]:
    """Function name → every (start, schedule) from a day before FIRST to LAST, in order."""
    by_job: dict[str, list[tuple[dt.datetime, dict[str, object]]]] = defaultdict(list)
    for schedule in schedules():
        cron = Cron.parse(str(schedule["cron"]))
        for start in cron.fire_times(str(schedule["time_zone"]), FIRST - dt.timedelta(days=1), LAST):
            by_job[str(schedule["job"])].append((start, schedule))
    return {job: sorted(found, key=lambda run: run[0]) for job, found in by_job.items()}


@cache
def timeout(job: str) -> dt.timedelta:
    return dt.timedelta(seconds=int(next(s for s in schedules() if s["job"] == job)["timeout_seconds"]))


@cache
def starts(job: str) -> list[dt.datetime]:
    return [start for start, _ in runs()[job]]


def latest_before(job: str, moment: dt.datetime) -> dt.datetime:
    return starts(job)[bisect.bisect_left(starts(job), moment) - 1]


def local_days(job: str, key: str | None = None) -> Counter[dt.date]:
    zone = ZoneInfo(variables()["time_zone"]["default"])
    return Counter(start.astimezone(zone).date() for start, s in runs()[job]
                   if (key is None or s["key"] == key) and start.astimezone(zone).date() >= FIRST)


# --------------------------------------------------------------------------------------------------------------------
# The evaluator itself
# --------------------------------------------------------------------------------------------------------------------


def test_cron_fields_expand_lists_ranges_and_steps_and_refuse_what_cron_refuses() -> None:
    assert parse_field("*/15", 0, 59) == {0, 15, 30, 45}
    assert parse_field("5,35", 0, 59) == {5, 35}
    assert parse_field("1-5", 0, 7) == {1, 2, 3, 4, 5}
    assert parse_field("8-18/4", 0, 23) == {8, 12, 16}
    assert parse_field("10/20", 0, 59) == {10, 30, 50}
    assert Cron.parse("0 9 * * 7").weekdays == {0}
    for bad in ("60 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "*/0 * * * *", "0 0 * * MON", "0 0 * *"):
        with pytest.raises(ValueError):
            Cron.parse(bad)


def test_fire_times_follow_the_wall_clock_across_daylight_saving_changes() -> None:
    hourly = Cron.parse("30 * * * *")
    spring = hourly.fire_times("America/Los_Angeles", dt.date(2027, 3, 14), dt.date(2027, 3, 14))
    autumn = hourly.fire_times("America/Los_Angeles", dt.date(2027, 11, 7), dt.date(2027, 11, 7))
    assert (len(spring), len(autumn)) == (23, 25)
    daily = Cron.parse("0 7 * * *").fire_times("America/Los_Angeles", dt.date(2027, 3, 13), dt.date(2027, 3, 15))
    assert [t.hour for t in daily] == [15, 14, 14]  # 07:00 PST, then PDT, in UTC
    sundays = Cron.parse("0 12 * * 0").fire_times("Etc/UTC", dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert [t.day for t in sundays] == [3, 10, 17, 24, 31]


# --------------------------------------------------------------------------------------------------------------------
# The schedules
# --------------------------------------------------------------------------------------------------------------------


def test_every_schedule_is_a_cron_the_evaluator_reads_in_a_known_time_zone() -> None:
    for schedule in schedules():
        Cron.parse(str(schedule["cron"]))
        ZoneInfo(str(schedule["time_zone"]))
    assert variables()["time_zone"]["default"] == "America/Los_Angeles"


@pytest.mark.parametrize("job", ["gmail-sync", "entity-resolution"])
def test_gmail_and_entity_resolution_run_several_times_every_day(job: str) -> None:
    per_day = local_days(job)
    assert len(per_day) == (LAST - FIRST).days + 1
    assert min(per_day.values()) >= 4 and max(per_day.values()) <= 12, per_day.most_common(1)


@pytest.mark.parametrize("job", ["salesforce-sync", "dialpad-sync"])
def test_salesforce_and_dialpad_sync_incrementally_every_hour_and_fully_once_a_week(job: str) -> None:
    incremental = [start for start, s in runs()[job] if s["key"] == "default"]
    gaps = {later - earlier for earlier, later in itertools.pairwise(incremental)}
    assert gaps == {dt.timedelta(hours=1)}
    bodies = {str(s["body"]) for _, s in runs()[job] if s["key"] == "default"}
    assert [json.loads(b) for b in bodies] == [{"sync_type": "incremental"}]
    full = [(start, s) for start, s in runs()[job] if s["key"] == "full"]
    assert {json.loads(str(s["body"]))["sync_type"] for _, s in full} == {"full"}
    weeks = Counter(start.isocalendar()[:2] for start, _ in full if start.date() >= FIRST)
    assert set(weeks.values()) == {1} and len(weeks) >= 52


def test_usage_collect_runs_daily_at_six_in_los_angeles() -> None:
    (schedule,) = [s for s in schedules() if s["job"] == "usage-collect"]
    assert schedule["time_zone"] == "America/Los_Angeles"
    zone = ZoneInfo("America/Los_Angeles")
    starts = [start.astimezone(zone) for start, _ in runs()["usage-collect"] if start.astimezone(zone).date() >= FIRST]
    assert {(t.hour, t.minute) for t in starts} == {(6, 0)}
    assert len(starts) == len({t.date() for t in starts}) == (LAST - FIRST).days + 1


def test_each_morning_syncs_then_resolution_then_embeddings_then_scoring_finish_before_reps_start() -> None:
    zone = ZoneInfo(variables()["time_zone"]["default"])
    scoring = [start for start, _ in runs()["account-scoring"] if start.astimezone(zone).date() >= FIRST]
    assert len(scoring) == (LAST - FIRST).days + 1, "account-scoring runs every morning"
    for start in scoring:
        local = start.astimezone(zone)
        assert local.time() < REPS_START and (start + timeout("account-scoring")).astimezone(zone).time() <= REPS_START
        ready = start
        for stage in reversed(MORNING_CHAIN):
            # The latest run of each job of the stage before scoring has finished before the next stage starts.
            latest = {job: latest_before(job, start) for job in stage}
            for job, run_start in latest.items():
                assert run_start + timeout(job) <= ready, f"{job} at {run_start.astimezone(zone)} ends after " \
                                                          f"the next stage starts at {ready.astimezone(zone)}"
                assert start - run_start <= SAME_MORNING, f"{job}: no run in the morning of {local.date()}"
            ready = min(latest.values())


def test_no_function_is_started_again_while_its_previous_run_may_still_be_going() -> None:
    for job, found in runs().items():
        for (earlier, first), (later, second) in itertools.pairwise(found):
            assert later - earlier >= timeout(job), f"{job}: {first['name']} and {second['name']} overlap at {later}"


def test_nothing_less_than_hourly_is_scheduled_in_the_hours_daylight_saving_skips_or_repeats() -> None:
    for schedule in schedules():
        cron = Cron.parse(str(schedule["cron"]))
        if len(cron.hours) < 24:
            assert not cron.hours & {1, 2}, f"{schedule['name']} runs between 01:00 and 03:00 local time"
