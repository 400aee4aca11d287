"""The sandbox server: loopback-only HTTP and HTTPS ports, request recording, fault injection."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from sandbox import Sandbox
from sandbox.__main__ import main
from sandbox.world import World, build_world

ANCHOR = datetime(2025, 6, 2, tzinfo=UTC)
QUERY = "/services/data/v59.0/query/"
AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=7, scale=1, anchor=ANCHOR)


@pytest.fixture(scope="module")
def running(world: World) -> Iterator[Sandbox]:
    with Sandbox(world) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running: Sandbox) -> Iterator[Sandbox]:
    running.log.clear()
    running.faults.clear()
    yield running
    running.faults.clear()


@pytest.fixture
def http(sandbox: Sandbox) -> requests.Session:
    return sandbox.session()


def accounts(sandbox: Sandbox, http: requests.Session, timeout: float = 10) -> requests.Response:
    return http.get(sandbox.http_url + QUERY, params={"q": "SELECT Id FROM Account"}, headers=AUTH,
                    timeout=timeout)


def test_both_ports_listen_on_loopback_only(sandbox: Sandbox) -> None:
    assert sandbox.http_url.startswith("http://127.0.0.1:")
    assert sandbox.https_url.startswith("https://127.0.0.1:")
    assert [host for host, _ in sandbox.addresses] == ["127.0.0.1", "127.0.0.1"]
    assert [port for _, port in sandbox.addresses] == [int(sandbox.http_url.rsplit(":", 1)[1]),
                                                      int(sandbox.https_url.rsplit(":", 1)[1])]
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(sandbox.world, host="0.0.0.0")  # noqa: S104 - the refusal is the point


def test_https_is_served_with_the_throwaway_ca(sandbox: Sandbox, http: requests.Session) -> None:
    answer = http.get(sandbox.https_url + "/_sandbox/health", timeout=10)

    assert answer.json()["ok"] is True and "salesforce" in answer.json()["sources"]
    untrusting = requests.Session()
    untrusting.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        untrusting.get(sandbox.https_url + "/_sandbox/health", timeout=10)


def test_stop_frees_both_ports_and_can_be_called_twice(world: World) -> None:
    sandbox = Sandbox(world).start()
    ports = [port for _, port in sandbox.addresses]
    ca_file = sandbox.ca_file

    sandbox.stop()
    sandbox.stop()

    for port in ports:
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    assert not Path(ca_file).exists()
    with pytest.raises(RuntimeError):
        _ = sandbox.http_url


def test_every_request_is_recorded_with_what_was_sent_and_answered(sandbox: Sandbox,
                                                                   http: requests.Session) -> None:
    http.post(sandbox.http_url + "/_sandbox/health?x=1&x=2&y=3", data=b'{"a": 1}',
              headers={"X-Test": "yes"}, timeout=10)
    accounts(sandbox, http)
    http.get(sandbox.http_url + "/nowhere", timeout=10)

    first, second, third = sandbox.log.all()
    assert (first.method, first.path) == ("POST", "/_sandbox/health")
    assert first.query == {"x": ["1", "2"], "y": ["3"]}
    assert first.body == b'{"a": 1}' and first.json() == {"a": 1} and first.header("x-test") == "yes"
    assert first.status == 405 and not first.fault
    assert (second.status, second.param("q"), third.status) == (200, "SELECT Id FROM Account", 404)
    assert first.timestamp <= second.timestamp <= third.timestamp
    assert sandbox.log.count() == 3 and sandbox.log.count(method="get") == 2
    assert sandbox.log.count(path_prefix="/services/data") == 1
    assert [r.path for r in sandbox.log.matching(status=404)] == ["/nowhere"]
    sandbox.log.clear()
    assert sandbox.log.all() == [] and len(sandbox.log) == 0


def test_a_429_fault_answers_with_retry_after_and_is_used_up(sandbox: Sandbox,
                                                              http: requests.Session) -> None:
    fault = sandbox.faults.add(path_prefix="/services/data", status=429, retry_after=2, times=1)

    limited, normal = accounts(sandbox, http), accounts(sandbox, http)

    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.json()["error"]["code"] == 429
    assert normal.status_code == 200 and fault.hits == 1 and fault.used_up
    assert [(r.status, r.fault) for r in sandbox.log.all()] == [(429, True), (200, False)]


def test_a_500_fault_with_a_custom_body_hits_only_its_method(sandbox: Sandbox,
                                                              http: requests.Session) -> None:
    body = [{"message": "boom", "errorCode": "UNKNOWN_EXCEPTION"}]
    sandbox.faults.add("/services/data", status=500, body=body, times=None, method="GET")

    failed = accounts(sandbox, http)
    untouched = http.post(sandbox.http_url + QUERY, headers=AUTH, timeout=10)

    assert failed.status_code == 500 and failed.json() == body and "Retry-After" not in failed.headers
    assert untouched.status_code == 405
    assert accounts(sandbox, http).status_code == 500
    sandbox.faults.clear()
    assert accounts(sandbox, http).status_code == 200


def test_a_delay_fault_slows_the_real_answer(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.faults.add("/services/data", status=None, delay=0.3)

    started = time.monotonic()
    slow = accounts(sandbox, http)
    elapsed = time.monotonic() - started

    assert slow.status_code == 200 and slow.json()["totalSize"] == 40
    assert elapsed >= 0.3
    assert sandbox.log.all()[0].fault is True


def test_a_timeout_shorter_than_the_delay_fails_the_client(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.faults.add("/services/data", status=503, retry_after=1, delay=0.5)

    with pytest.raises(requests.exceptions.ReadTimeout):
        accounts(sandbox, http, timeout=0.1)


def test_a_truncate_fault_cuts_the_real_body_in_half(sandbox: Sandbox, http: requests.Session) -> None:
    whole = accounts(sandbox, http).content
    sandbox.faults.add("/services/data", truncate=True)

    cut = accounts(sandbox, http)

    assert cut.status_code == 200 and cut.content == whole[: len(whole) // 2]
    assert int(cut.headers["Content-Length"]) == len(cut.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.content)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_reset_fault_drops_the_connection_without_an_answer_and_the_next_request_is_served(
        sandbox: Sandbox, http: requests.Session, scheme: str) -> None:
    base = sandbox.http_url if scheme == "http" else sandbox.https_url
    sandbox.faults.add("/services/data", reset=True)

    with pytest.raises(requests.exceptions.ConnectionError, match="without response"):
        http.get(base + QUERY, params={"q": "SELECT Id FROM Account"}, headers=AUTH, timeout=5)
    after = http.get(base + QUERY, params={"q": "SELECT Id FROM Account"}, headers=AUTH, timeout=5)

    assert after.status_code == 200
    assert [(r.path, r.status, r.fault) for r in sandbox.log.all()] == [(QUERY, 0, True), (QUERY, 200, False)]


def test_a_rewrite_fault_matching_query_arguments_changes_only_that_real_answer(
        sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.faults.add("/services/data", status=None, times=None,
                       rewrite=lambda body: json.dumps({**json.loads(body), "records": []}).encode(),
                       when=lambda args: "Contact" in args.get("q", [""])[0])

    contacts = http.get(sandbox.https_url + QUERY, params={"q": "SELECT Id FROM Contact"}, headers=AUTH)
    listed = accounts(sandbox, http)

    assert contacts.status_code == 200 and contacts.json()["records"] == [] and contacts.json()["totalSize"] > 0
    assert listed.json()["totalSize"] == 40 and len(listed.json()["records"]) == 40
    assert [r.fault for r in sandbox.log.all()] == [True, False]


def test_faults_only_match_their_path_prefix(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.faults.add("/gmail/v1", status=429)

    assert accounts(sandbox, http).status_code == 200
    assert len(sandbox.faults.active()) == 1


def test_the_cli_prints_where_it_serves_and_stops_after_its_ttl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seed", "3", "--ttl", "0"]) == 0

    out = capsys.readouterr().out
    assert re.search(r"^http +http://127\.0\.0\.1:\d+$", out, re.MULTILINE)
    assert re.search(r"^https +https://127\.0\.0\.1:\d+$", out, re.MULTILINE)
    assert re.search(r"^ca_file +\S+\.pem$", out, re.MULTILINE) and "stopped after 0 requests" in out


def test_the_cli_removes_its_temporary_ca_when_terminated_by_sigterm() -> None:
    command = [sys.executable, "-m", "sandbox", "--seed", "3"]
    with subprocess.Popen(command, cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            lines = []
            for line in process.stdout:
                lines.append(line)
                if line.startswith("ready in"):
                    break
            ca_file = next(Path(line.split()[1]) for line in lines if line.startswith("ca_file"))
            assert ca_file.is_file()

            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=10)
        finally:
            process.kill()

    assert process.returncode == 0, err
    assert "stopped after 0 requests" in out
    assert not ca_file.parent.exists()
