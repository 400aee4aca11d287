"""usage-collect paces Cursor so that no sliding minute holds more requests than the team's limit."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared.resilience import RateLimiter
from shared.settings import CommonSettings
from tests.conftest import FakeClock

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "usage_collect"))

from usage_clients import per_minute_policy


@pytest.mark.parametrize("per_minute", [20, 7, 60])
def test_a_per_minute_policy_never_exceeds_the_limit_in_any_sliding_minute(per_minute: int,
                                                                          clock: FakeClock) -> None:
    policy = per_minute_policy(CommonSettings(), "cursor", per_minute)
    assert policy.rate_per_second is not None
    limiter = RateLimiter(policy.rate_per_second, policy.burst, clock, clock.sleep)

    times = []
    for _ in range(5 * per_minute):
        limiter.acquire()
        times.append(clock.now)

    busiest = max(sum(1 for t in times if start <= t < start + 60) for start in times)
    assert busiest <= per_minute
    assert times[per_minute // 2 - 1] == times[0], "half the budget goes out at once"
