"""A small evaluator of the five-field crons the Terraform uses (numbers, `*`, lists, ranges, steps; no names).

Fire times are wall-clock times in the schedule's time zone: a local time that does not exist (the spring-forward
gap) never fires, one that happens twice (fall back) fires twice. Day of month and day of week restrict together
when both are given, as in cron (either matches).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.UTC
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def parse_field(text: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        step = int(step_text) if slash else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            start, end = (int(v) for v in base.split("-", 1))
        else:
            start = int(base)
            end = high if slash else start
        if not (low <= start <= end <= high) or step < 1:
            raise ValueError(f"cron field {text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        fields = expression.split()
        if len(fields) != 5:
            raise ValueError(f"{expression!r} is not a five-field cron")
        parsed = (parse_field(f, low, high) for f, (low, high) in zip(fields, _BOUNDS, strict=True))
        minutes, hours, days, months, weekdays = parsed
        weekdays = frozenset(d % 7 for d in weekdays)
        return cls(minutes, hours, days, months, weekdays, fields[2] == "*", fields[4] == "*")

    def runs_on(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        by_day, by_weekday = day.day in self.days, day.isoweekday() % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def fire_times(self, time_zone: str, first: dt.date, last: dt.date) -> list[dt.datetime]:
        """Every fire time from `first` to `last` (local dates, inclusive), as aware UTC datetimes, in order."""
        zone = ZoneInfo(time_zone)
        found: set[dt.datetime] = set()
        day = first
        while day <= last:
            if self.runs_on(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        wall = dt.datetime.combine(day, dt.time(hour, minute))
                        for fold in (0, 1):
                            moment = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
                            if moment.astimezone(zone).replace(tzinfo=None) == wall:
                                found.add(moment)
            day += dt.timedelta(days=1)
        return sorted(found)
