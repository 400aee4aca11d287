"""Secrets never reach log output; Secret Manager references resolve and rotate after the TTL."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import requests

from sandbox.server import Sandbox
from sandbox.world import build_world
from shared import log as shared_log
from shared.secrets import Secret, SecretCache
from shared.settings import CommonSettings

FAKE_KEY = "sk-ant-admin-FAKE-0123456789abcdef"


class KeyedSettings(CommonSettings):
    anthropic_admin_key: Secret


def captured_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    shared_log.configure_logging("DEBUG", stream=out)
    yield out
    shared_log.configure_logging("INFO", stream=None)


def test_secret_values_are_masked_in_messages_extras_and_tracebacks(
        stream: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", FAKE_KEY)
    settings = KeyedSettings.load()
    logger = logging.getLogger("test.secrets")
    with shared_log.bind_run(run_id="run-1", function="usage-collect"):
        logger.info("calling with key %s", settings.anthropic_admin_key.get(), extra={"header": FAKE_KEY})
        logger.info("settings %s", settings.masked())
        try:
            raise RuntimeError(f"auth failed for {FAKE_KEY}")
        except RuntimeError:
            logger.exception("boom")
    text = stream.getvalue()
    assert FAKE_KEY not in text
    assert text.count(shared_log.MASK) >= 4
    lines = captured_lines(stream)
    assert all(line["run_id"] == "run-1" and line["function"] == "usage-collect" for line in lines)
    assert lines[2]["severity"] == "ERROR" and "exception" in lines[2]


def test_secret_settings_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", FAKE_KEY)
    settings = KeyedSettings.load()
    for shown in (repr(settings), str(settings), json.dumps(settings.masked()), str(settings.anthropic_admin_key)):
        assert FAKE_KEY not in shown
    assert settings.anthropic_admin_key.get() == FAKE_KEY


def test_bad_settings_are_rejected_with_the_setting_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE", "postgres://nope")
    with pytest.raises(ValueError, match="WAREHOUSE must start with"):
        CommonSettings.load()


def test_secret_manager_reference_is_resolved_cached_and_rotated_after_ttl(stream: io.StringIO) -> None:
    now = [0.0]
    versions = {"projects/p/secrets/cursor-admin-key/versions/latest": "key_FAKE_v1"}
    fetched: list[str] = []

    def fetch(resource: str) -> str:
        fetched.append(resource)
        return versions[resource]

    cache = SecretCache(fetch, ttl_seconds=300, clock=lambda: now[0])
    secret = Secret("secretmanager://projects/p/secrets/cursor-admin-key", cache)
    assert secret.get() == "key_FAKE_v1"
    versions["projects/p/secrets/cursor-admin-key/versions/latest"] = "key_FAKE_v2"
    now[0] = 299
    assert secret.get() == "key_FAKE_v1"
    now[0] = 301
    assert secret.get() == "key_FAKE_v2"
    assert fetched == ["projects/p/secrets/cursor-admin-key/versions/latest"] * 2
    logging.getLogger("t").warning("rotated to key_FAKE_v2")
    assert "key_FAKE_v2" not in stream.getvalue()


def test_malformed_secret_references_are_rejected() -> None:
    with pytest.raises(ValueError, match="secretmanager://projects/P/secrets/NAME"):
        Secret("secretmanager://cursor-admin-key")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=7, scale=1)) as running:
        yield running


def test_a_newline_terminated_secret_from_the_environment_is_sent_without_it(
        monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, stream: io.StringIO) -> None:
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", FAKE_KEY + "\r\n")
    key = KeyedSettings.load().anthropic_admin_key

    answer = sandbox.session().get(sandbox.http_url + "/_sandbox/health", headers={"x-api-key": key.get()},
                                   timeout=10)

    assert answer.status_code == 200
    assert sandbox.log.all()[-1].header("x-api-key") == FAKE_KEY
    logging.getLogger("t").warning("sent %r", key.get())
    assert FAKE_KEY not in stream.getvalue()


def test_a_newline_terminated_secret_manager_version_resolves_without_it(stream: io.StringIO) -> None:
    versions = {"projects/p/secrets/cursor-admin-key/versions/3": "key_FAKE_v3\n"}
    secret = Secret("secretmanager://projects/p/secrets/cursor-admin-key/versions/3\n",
                    SecretCache(versions.__getitem__, ttl_seconds=300))

    assert secret.get() == "key_FAKE_v3"
    assert requests.Request("GET", "http://127.0.0.1/", headers={"Authorization": f"Bearer {secret.get()}"}
                            ).prepare().headers["Authorization"] == "Bearer key_FAKE_v3"
    logging.getLogger("t").warning("resolved %s", secret.get())
    assert "key_FAKE_v3" not in stream.getvalue()


def test_an_empty_secret_manager_version_is_an_error_that_names_the_version() -> None:
    secret = Secret("secretmanager://projects/p/secrets/dialpad-api-key", SecretCache(lambda _: " \n"))
    with pytest.raises(ValueError, match="projects/p/secrets/dialpad-api-key/versions/latest is empty"):
        secret.get()
