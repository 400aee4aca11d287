"""Which days a run collects, and how a range is cut into chunks a source accepts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """Calendar days `start`..`end` (inclusive), UTC."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[dt.date]:
        return [self.start + n * DAY for n in range(self.days)]

    def chunks(self, max_days: int) -> Iterator[Window]:
        """Consecutive windows of at most `max_days` days covering this one, oldest first."""
        first = self.start
        while first <= self.end:
            last = min(first + (max_days - 1) * DAY, self.end)
            yield Window(first, last)
            first = last + DAY

    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)

    def ends_before(self) -> dt.datetime:
        """The first instant after the window."""
        return dt.datetime.combine(self.end + DAY, dt.time(), dt.UTC)


def collection_window(start: dt.date | None, end: dt.date | None, today: dt.date, trailing_days: int,
                      last_collected: dt.date | None, backfill_days: int) -> Window:
    """An explicit range (either bound may be left out), else today and the `trailing_days` before it, because
    usage data settles late. The first run (nothing collected yet) reaches back `backfill_days`; after an
    outage the window reaches back to the last collected day, at most `backfill_days`."""
    if start is not None or end is not None:
        last = end or today
        return Window(start or last - trailing_days * DAY, last)
    first = today - trailing_days * DAY
    if last_collected is None:
        first = min(first, today - backfill_days * DAY)
    elif last_collected < first:
        first = max(last_collected, today - backfill_days * DAY)
    return Window(first, today)
