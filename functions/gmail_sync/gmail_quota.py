"""Gmail quota pacing: each call costs quota units (get and list 5, history 2, profile 1), debited from the
mailbox's own token bucket (the per-user budget) and from the project's, which every mailbox synced in the
process shares (the per-project budget)."""

from __future__ import annotations

import time

from shared.resilience import Clock, RateLimiter, Sleep

UNITS_GET, UNITS_LIST, UNITS_HISTORY, UNITS_PROFILE = 5, 5, 2, 1
PACE_SHARE = 0.9
"""Share of the budget the pacer spends on average: the rest absorbs one batch landing at a window edge and
network jitter, so Gmail's moving average stays under the budget."""


def quota_limiter(units_per_second: float, batch_size: int, clock: Clock = time.monotonic,
                  sleep: Sleep = time.sleep) -> RateLimiter:
    """The mailbox's pacer: a bucket refilled at PACE_SHARE of the budget, holding one full batch."""
    return RateLimiter(units_per_second * PACE_SHARE, float(UNITS_GET * batch_size), clock, sleep)


def project_limiter(units_per_second: float, batch_size: int, workers: int, clock: Clock = time.monotonic,
                    sleep: Sleep = time.sleep) -> RateLimiter:
    """The project's pacer, shared by every mailbox: refilled at PACE_SHARE of the project budget, holding one
    full batch per mailbox synced at once."""
    return RateLimiter(units_per_second * PACE_SHARE, float(UNITS_GET * batch_size * workers), clock, sleep)


class QuotaPacer:
    """A mailbox's calls debit its own bucket and the project's at once, then wait for the slower of the two
    (thread-safe: each bucket locks its own state)."""

    def __init__(self, mailbox: RateLimiter, project: RateLimiter | None = None, sleep: Sleep | None = None) -> None:
        self.mailbox, self.project = mailbox, project
        self.sleep = sleep or mailbox.sleep

    def acquire(self, units: float) -> float:
        wait = self.mailbox.reserve(units)
        if self.project is not None:
            wait = max(wait, self.project.reserve(units))
        if wait > 0:
            self.sleep(wait)
        return wait
