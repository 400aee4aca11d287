"""Rate limiter, circuit breaker, backoff and the error classifier, on a fake clock."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import requests

from shared.resilience import (
    CircuitBreaker,
    CircuitOpenError,
    RateLimiter,
    backoff_seconds,
    classify,
    retry_after_seconds,
)
from tests.conftest import FakeClock


def response(status: int, body: str = "", **headers: str) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = body.encode()
    r.headers.update(headers)
    return r


@pytest.mark.parametrize(("status", "body", "retriable"), [
    (200, "", False), (400, "", False), (401, "", False), (404, "", False),
    (429, "", True), (500, "", True), (503, "", True), (529, "", True),
    (403, '{"error":{"errors":[{"reason":"userRateLimitExceeded"}]}}', True),
    (403, '[{"errorCode":"REQUEST_LIMIT_EXCEEDED"}]', True),
    (403, '{"error":{"errors":[{"reason":"forbidden"}]}}', False),
])
def test_classifier(status: int, body: str, retriable: bool) -> None:
    assert classify(response(status, body)).retriable is retriable


def test_connection_errors_are_retriable_and_others_fatal() -> None:
    assert classify(error=requests.ConnectionError("reset")).retriable
    assert classify(error=requests.ReadTimeout("slow")).retriable
    assert not classify(error=ValueError("bug")).retriable
    assert not classify(error=requests.exceptions.SSLError("certificate verify failed")).retriable


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(response(429, **{"Retry-After": "7"})) == 7
    dated = response(429, **{"Retry-After": "Thu, 01 Jan 2026 12:00:30 GMT"})
    assert retry_after_seconds(dated, now=lambda: now) == 30
    assert retry_after_seconds(response(429)) is None


def test_backoff_is_capped_exponential_with_jitter() -> None:
    rng = random.Random(1)
    waits = [backoff_seconds(n, base=1, cap=8, rng=rng) for n in range(8)]
    assert all(0 <= w <= min(8, 2**n) for n, w in enumerate(waits))
    assert len(set(waits)) == len(waits)


def test_rate_limiter_paces_to_its_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    start = clock.now
    for _ in range(25):
        limiter.acquire()
    assert clock.now - start == pytest.approx(2.0)  # 5 free (burst), 20 more at 10/s


def test_breaker_opens_after_threshold_and_half_opens_after_cooldown(clock: FakeClock) -> None:
    breaker = CircuitBreaker("dialpad", threshold=3, cooldown=30, clock=clock)
    for _ in range(3):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    clock.advance(30)
    assert breaker.state == "half-open"
    breaker.before_call()
    with pytest.raises(CircuitOpenError):
        breaker.before_call()  # only one trial at a time
    breaker.record_failure()
    assert breaker.state == "open"
    clock.advance(30)
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"
    breaker.before_call()
