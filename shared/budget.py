"""The run-wide time budget: every loop stops at a batch boundary before the function's timeout.

Cloud Functions stop an HTTP function at its timeout without warning. A job therefore gets a `TimeBudget`
(the timeout minus a safety margin, by default) and calls `checkpoint()` between batches, after one batch
and its checkpoint are committed and before the next starts: once the budget is spent it raises `OutOfTime`,
which `JobResult.scope` records as *pending* (not failed), so the scope resumes from its saved checkpoint on
the next run. Since the first batch of a run needs no check, every invocation makes progress of at least one
batch per scope, however small the budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class OutOfTime(Exception):  # noqa: N818 - a signal, not an error: the scope resumes next run
    """The time budget is spent: stop here, the work committed so far stands and resumes next run."""


class TimeBudget:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic,
                 started: float | None = None) -> None:
        self.seconds = seconds
        self.clock = clock
        self.started = clock() if started is None else started

    def remaining(self) -> float:
        return max(0.0, self.seconds - (self.clock() - self.started))

    @property
    def exhausted(self) -> bool:
        return self.remaining() <= 0

    def checkpoint(self, where: str = "") -> None:
        """Call between batches (the last one and its checkpoint committed): raises OutOfTime once the budget is
        spent."""
        if self.exhausted:
            raise OutOfTime(f"time budget of {self.seconds:g} s spent" + (f" after {where}" if where else ""))

    def bounded(self, seconds: float) -> float:
        """A wait (a poll, a server-side timeout) cut to what is left of the budget."""
        return max(0.0, min(seconds, self.remaining()))


def unlimited() -> TimeBudget:
    return TimeBudget(float("inf"))
