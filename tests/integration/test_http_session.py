"""The shared HTTP session against the sandbox: Retry-After, backoff, breaker, rate limit, TLS."""

from __future__ import annotations

import random

import pytest
import requests
from simple_salesforce import Salesforce

from sandbox.server import Sandbox
from shared.http import HttpPolicy, adapter_of, make_session
from shared.resilience import CircuitOpenError
from tests.conftest import FakeClock

HEALTH = "/_sandbox/health"


def policy(clock: FakeClock, **overrides: object) -> HttpPolicy:
    values: dict[str, object] = {"source": "probe", "max_retries": 3, "backoff_base": 1.0, "backoff_cap": 8.0,
                                 "breaker_threshold": 10, "breaker_cooldown": 30.0, "clock": clock,
                                 "sleep": clock.sleep, "rng": random.Random(3)}
    return HttpPolicy(**{**values, **overrides})  # type: ignore[arg-type]


def test_a_429_with_retry_after_is_retried_after_exactly_that_wait(sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.faults.add(HEALTH, status=429, retry_after=7, times=1)
    response = make_session(policy(clock)).get(sandbox.http_url + HEALTH)
    assert response.status_code == 200
    assert clock.sleeps == [7.0]
    assert [r.status for r in sandbox.log.all()] == [429, 200]


def test_5xx_without_retry_after_backs_off_with_growing_jittered_waits(sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.faults.add(HEALTH, status=503, retry_after=None, times=3)
    session = make_session(policy(clock))
    assert session.get(sandbox.http_url + HEALTH).status_code == 200
    assert len(clock.sleeps) == 3
    assert all(0 <= wait <= cap for wait, cap in zip(clock.sleeps, (1, 2, 4), strict=True))
    assert adapter_of(session).round_trips == 4


def test_retries_are_bounded_and_the_last_answer_is_returned(sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.faults.add(HEALTH, status=500, times=None)
    response = make_session(policy(clock, max_retries=2)).get(sandbox.http_url + HEALTH)
    assert response.status_code == 500
    assert sandbox.log.count(path_prefix=HEALTH) == 3


def test_a_retry_after_beyond_the_limit_fails_fast(sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.faults.add(HEALTH, status=429, retry_after=3600, times=None)
    response = make_session(policy(clock, max_retry_after=60)).get(sandbox.http_url + HEALTH)
    assert response.status_code == 429
    assert clock.sleeps == []


def test_fatal_errors_are_not_retried(sandbox: Sandbox, clock: FakeClock) -> None:
    sandbox.faults.add(HEALTH, status=404, times=None)
    assert make_session(policy(clock)).get(sandbox.http_url + HEALTH).status_code == 404
    assert sandbox.log.count(path_prefix=HEALTH) == 1 and clock.sleeps == []


def test_breaker_opens_stops_calling_the_source_and_recovers(sandbox: Sandbox, clock: FakeClock) -> None:
    fault = sandbox.faults.add(HEALTH, status=500, times=None)
    session = make_session(policy(clock, max_retries=0, breaker_threshold=3))
    for _ in range(3):
        assert session.get(sandbox.http_url + HEALTH).status_code == 500
    with pytest.raises(CircuitOpenError):
        session.get(sandbox.http_url + HEALTH)
    assert sandbox.log.count(path_prefix=HEALTH) == 3
    sandbox.faults.remove(fault)
    clock.advance(30)
    assert session.get(sandbox.http_url + HEALTH).status_code == 200
    assert session.get(sandbox.http_url + HEALTH).status_code == 200
    assert sandbox.log.count(path_prefix=HEALTH) == 5


def test_rate_limit_paces_requests(sandbox: Sandbox, clock: FakeClock) -> None:
    session = make_session(policy(clock, rate_per_second=5, burst=1))
    for _ in range(6):
        session.get(sandbox.http_url + HEALTH)
    assert sum(clock.sleeps) == pytest.approx(1.0)


def test_simple_salesforce_queries_the_tls_fake_through_the_shared_session(sandbox: Sandbox,
                                                                          clock: FakeClock) -> None:
    session = make_session(policy(clock, source="salesforce", ca_bundle=sandbox.ca_file))
    sf = Salesforce(instance_url=sandbox.https_url, session_id="fake-session-token", session=session)
    result = sf.query_all("SELECT Id, Name, SystemModstamp FROM Account")
    live = [a for a in sandbox.world.accounts if not a["IsDeleted"]]
    assert result["totalSize"] == len(live)
    assert {r["Id"] for r in result["records"]} == {a["Id"] for a in live}
    assert all(r.path.startswith("/services/data/") for r in sandbox.log.all())


def test_tls_verification_is_real(sandbox: Sandbox) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sandbox.https_url + HEALTH, timeout=5)


def test_a_fatal_transport_error_counts_against_the_breaker_and_is_raised(sandbox: Sandbox, clock: FakeClock) -> None:
    session = make_session(policy(clock, breaker_threshold=1))
    with pytest.raises(requests.exceptions.SSLError):
        session.get(sandbox.https_url + HEALTH)  # no CA configured: TLS verification fails, not retriable
    assert clock.sleeps == []
    with pytest.raises(CircuitOpenError):
        session.get(sandbox.http_url + HEALTH)
