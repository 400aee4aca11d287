"""The one HTTP session factory every source client uses.

`make_session(policy)` returns a `requests.Session` whose adapter applies, to every request:
a per-source rate limit, a circuit breaker, connect/read timeouts, and bounded retries with
exponential backoff and jitter on retriable failures, honouring `Retry-After`. Libraries that accept a
session (simple-salesforce, our REST clients, the Google client through `shared.google_http`) all go
through it, so retry behaviour is defined once.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from shared.log import get_logger
from shared.resilience import (
    CircuitBreaker,
    Clock,
    RateLimiter,
    Sleep,
    backoff_seconds,
    classify,
    retry_after_seconds,
)
from shared.settings import CommonSettings

log = get_logger(__name__)


class RetryAfterTooLong(requests.HTTPError):
    """The source asked us to wait longer than the policy allows."""


@dataclass
class HttpPolicy:
    source: str
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_retries: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    max_retry_after: float = 300.0
    rate_per_second: float | None = None
    burst: float | None = None
    breaker_threshold: int = 5
    breaker_cooldown: float = 60.0
    ca_bundle: str | None = None
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_settings(cls, settings: CommonSettings, source: str, **overrides: Any) -> HttpPolicy:
        values: dict[str, Any] = {
            "connect_timeout": settings.http_connect_timeout,
            "read_timeout": settings.http_read_timeout,
            "max_retries": settings.http_max_retries,
            "backoff_base": settings.http_backoff_base,
            "backoff_cap": settings.http_backoff_cap,
            "max_retry_after": settings.http_max_retry_after,
            "breaker_threshold": settings.breaker_failure_threshold,
            "breaker_cooldown": settings.breaker_cooldown_seconds,
            "ca_bundle": settings.http_ca_bundle,
        }
        return cls(source=source, **{**values, **overrides})


_shared_limiters: dict[str, RateLimiter] = {}
_shared_breakers: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


def _limiter_for(policy: HttpPolicy) -> RateLimiter | None:
    if not policy.rate_per_second:
        return None
    with _registry_lock:
        key = f"{policy.source}:{policy.rate_per_second}:{policy.burst}"
        if key not in _shared_limiters:
            _shared_limiters[key] = RateLimiter(policy.rate_per_second, policy.burst, policy.clock, policy.sleep)
        return _shared_limiters[key]


def _breaker_for(policy: HttpPolicy) -> CircuitBreaker:
    with _registry_lock:
        if policy.source not in _shared_breakers:
            _shared_breakers[policy.source] = CircuitBreaker(
                policy.source, policy.breaker_threshold, policy.breaker_cooldown, policy.clock)
        return _shared_breakers[policy.source]


def reset_shared_state() -> None:
    """Forget per-source limiters and breakers (tests; a fresh process starts clean anyway)."""
    with _registry_lock:
        _shared_limiters.clear()
        _shared_breakers.clear()


class ResilientAdapter(HTTPAdapter):
    """An HTTPAdapter that rate-limits, retries and trips a breaker around `send`.

    The breaker counts calls, not attempts: a call that still fails after its retries is one failure, so one
    struggling request cannot open the circuit for everything else that shares the source."""

    def __init__(self, policy: HttpPolicy, limiter: RateLimiter | None, breaker: CircuitBreaker) -> None:
        super().__init__(pool_connections=8, pool_maxsize=32)
        self.policy = policy
        self.limiter = limiter
        self.breaker = breaker
        self.round_trips = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self.policy.connect_timeout, self.policy.read_timeout)
        self.breaker.before_call()
        attempt = 0
        while True:
            if self.limiter:
                self.limiter.acquire()
            response, error = self._send_once(request, kwargs)
            verdict = classify(response, error)
            if not verdict.retriable:
                self._record_outcome(response, error)
                if error is not None:
                    raise error
                assert response is not None
                return response
            wait = self._wait_before_retry(attempt, response)
            if attempt >= self.policy.max_retries or wait is None:
                self.breaker.record_failure()
                return self._give_up(response, error, verdict.reason)
            log.warning("retrying %s %s after %s (%.2fs)", request.method, _path(request), verdict.reason,
                        wait, extra={"source": self.policy.source, "attempt": attempt + 1})
            self.policy.sleep(wait)
            attempt += 1

    def _send_once(self, request: requests.PreparedRequest,
                   kwargs: dict[str, Any]) -> tuple[requests.Response | None, BaseException | None]:
        self.round_trips += 1
        try:
            return super().send(request, **kwargs), None
        except requests.RequestException as exc:  # classify() tells retriable (connection, timeout) from fatal
            return None, exc

    def _record_outcome(self, response: requests.Response | None, error: BaseException | None) -> None:
        if error is None and response is not None and response.status_code < 500:
            self.breaker.record_success()
        else:
            self.breaker.record_failure()

    def _wait_before_retry(self, attempt: int, response: requests.Response | None) -> float | None:
        asked = retry_after_seconds(response) if response is not None else None
        if asked is not None:
            return asked if asked <= self.policy.max_retry_after else None
        return backoff_seconds(attempt, self.policy.backoff_base, self.policy.backoff_cap, self.policy.rng)

    def _give_up(self, response: requests.Response | None, error: BaseException | None,
                 reason: str) -> requests.Response:
        log.warning("giving up after %s", reason, extra={"source": self.policy.source})
        if error is not None:
            raise error
        assert response is not None
        return response


def _path(request: requests.PreparedRequest) -> str:
    return (request.path_url or "").split("?")[0]


def make_session(policy: HttpPolicy) -> requests.Session:
    """A session for one source: every request through it gets the policy's resilience."""
    session = requests.Session()
    adapter = ResilientAdapter(policy, _limiter_for(policy), _breaker_for(policy))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if policy.ca_bundle:
        session.verify = policy.ca_bundle
        session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment overrides `verify`
    session.headers["User-Agent"] = f"sales-intel-functions ({policy.source})"
    return session


def adapter_of(session: requests.Session) -> ResilientAdapter:
    adapter = session.get_adapter("https://")
    assert isinstance(adapter, ResilientAdapter)
    return adapter
