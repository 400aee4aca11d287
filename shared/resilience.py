"""Building blocks of the shared HTTP session: error classifier, backoff, rate limiter, circuit breaker.

Each takes its clock and sleep as arguments so tests can run them on a fake clock.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

Clock = Callable[[], float]
Sleep = Callable[[float], None]

RETRIABLE_STATUS = {
    408: "request timeout",
    429: "rate limited",
    500: "server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
    529: "overloaded (Anthropic)",
}
# 403 is retriable only with these reasons: Google quota errors and Salesforce's concurrent-request limit.
RETRIABLE_403_REASONS = ("rateLimitExceeded", "userRateLimitExceeded", "REQUEST_LIMIT_EXCEEDED")


@dataclass(frozen=True)
class Verdict:
    retriable: bool
    reason: str


def classify(response: requests.Response | None = None, error: BaseException | None = None) -> Verdict:
    """One place that decides whether a failed call is worth retrying."""
    if error is not None:
        if isinstance(error, requests.exceptions.SSLError):
            return Verdict(False, "TLS handshake or certificate verification failed")
        if isinstance(error, requests.ConnectionError | requests.Timeout):
            return Verdict(True, f"connection problem: {type(error).__name__}")
        return Verdict(False, f"unexpected error: {type(error).__name__}")
    assert response is not None
    if response.status_code < 400:
        return Verdict(False, "ok")
    if response.status_code in RETRIABLE_STATUS:
        return Verdict(True, RETRIABLE_STATUS[response.status_code])
    if response.status_code == 403 and any(r in response.text for r in RETRIABLE_403_REASONS):
        return Verdict(True, "quota exceeded (403)")
    return Verdict(False, f"HTTP {response.status_code}")


def retry_after_seconds(response: requests.Response, now: Callable[[], dt.datetime] | None = None) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = now() if now else dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Capped exponential backoff with full jitter: uniform(0, min(cap, base * 2**attempt))."""
    return rng.uniform(0, min(cap, base * (2**attempt)))


class RateLimiter:
    """Token bucket: `rate` requests per second with bursts up to `burst`. Thread-safe."""

    def __init__(self, rate: float, burst: float | None = None, clock: Clock = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.clock = clock
        self.sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, cost: float = 1.0) -> float:
        """Take `cost` tokens, sleeping until they are available. Returns the seconds waited."""
        wait = self.reserve(cost)
        if wait > 0:
            self.sleep(wait)
        return wait

    def reserve(self, cost: float = 1.0) -> float:
        """Take `cost` tokens now and return the seconds until they are paid for, without sleeping (a caller
        pacing on several buckets sleeps once, for the longest of their waits)."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= cost
            return -self._tokens / self.rate if self._tokens < 0 else 0.0


class CircuitOpenError(requests.ConnectionError):
    """Raised without calling the source while its breaker is open."""


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `cooldown` lets one trial call through."""

    def __init__(self, name: str, threshold: int, cooldown: float, clock: Clock = time.monotonic) -> None:
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_in_flight = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def before_call(self) -> None:
        with self._lock:
            state = self.state
            if state == "open" or (state == "half-open" and self._trial_in_flight):
                raise CircuitOpenError(f"circuit for {self.name} is open after {self.failures} failures")
            if state == "half-open":
                self._trial_in_flight = True

    def record_success(self) -> None:
        with self._lock:
            self.failures = 0
            self.opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self.failures += 1
            self._trial_in_flight = False
            if self.failures >= self.threshold or self.opened_at is not None:
                self.opened_at = self.clock()


def error_detail(response: requests.Response, limit: int = 300) -> str:
    """A short, log-safe description of an error response body."""
    try:
        body = json.dumps(response.json())
    except ValueError:
        body = response.text
    return body[:limit]
