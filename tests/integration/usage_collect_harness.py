"""usage-collect called through its HTTP entry point against a sandbox, on a chosen day, into a DuckDB file.

The world is anchored on Monday 2026-05-04: usage runs from 2026-03-20 to 2026-05-03, the Cursor cycle starts
on 2026-05-01. `UsageHarness.run(body, at=...)` plays one invocation with the job's clock set to `at`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.cursor import cursor_fake
from sandbox.apis.sheets import sheets_fake
from sandbox.env import settings_env
from sandbox.recording import RecordedRequest
from sandbox.server import Sandbox
from sandbox.world import World, build_world
from shared import entrypoint
from shared.warehouse import Row, connect
from tools.invoke import invoke
from tools.pipeline import ROOT, by_cloud_name

sys.path.insert(0, str(ROOT / "functions" / "usage_collect"))
import usage_job

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
RUN_AT = ANCHOR + dt.timedelta(hours=5)
FIRST_DAY = dt.date(2026, 3, 20)
BACKFILL = {"start_date": FIRST_DAY.isoformat()}
ENTRY = by_cloud_name("usage-collect")


def new_world() -> World:
    return build_world(seed=11, scale=1, anchor=ANCHOR)


@dataclass
class UsageHarness:
    sandbox: Sandbox
    db_path: Path
    monkeypatch: pytest.MonkeyPatch

    @property
    def world(self) -> World:
        return self.sandbox.world

    def run(self, body: dict[str, Any] | None = None, at: dt.datetime = RUN_AT) -> tuple[int, dict[str, Any]]:
        """One invocation as the scheduler would make it at `at`; the runtime is dropped afterwards so that
        the next run reads its settings again (without re-applying the schema, which is in place by then)."""
        self.monkeypatch.setattr(usage_job, "utcnow", lambda: at)
        try:
            status, answer = invoke(ENTRY, body or {})
        finally:
            entrypoint.reset_runtimes()
        if status != 400:
            self.monkeypatch.setenv("AUTO_SCHEMA", "false")
        return status, answer

    def ok(self, body: dict[str, Any] | None = None, at: dt.datetime = RUN_AT) -> dict[str, Any]:
        status, answer = self.run(body, at)
        assert (status, answer["status"], answer["errors"]) == (200, "success", {}), answer
        return answer

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        warehouse = connect(f"duckdb:///{self.db_path}")
        try:
            return warehouse.query(sql, params or {})
        finally:
            warehouse.close()

    def setenv(self, **values: str) -> None:
        for name, value in values.items():
            self.monkeypatch.setenv(name, value)


@contextlib.contextmanager
def usage_harness(world: World, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    """A sandbox over `world` with its rate limits lifted (they are tested in tests/sandbox) and the env that
    points usage-collect at it and at `db_path`."""
    with Sandbox(world) as sandbox:
        cursor_fake(sandbox.app).limit.enabled = False
        sheets_fake(sandbox.app).limit.enabled = False
        env = {**settings_env(sandbox), "WAREHOUSE": f"duckdb:///{db_path}", "HTTP_BACKOFF_BASE": "0",
               "ANTHROPIC_REQUESTS_PER_SECOND": "1000", "CURSOR_REQUESTS_PER_MINUTE": "100000",
               "SHEETS_REQUESTS_PER_MINUTE": "100000"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield UsageHarness(sandbox, db_path, monkeypatch)


QUIET_ALERTS = {"ALERT_MOM_WARNING_PCT": "1e9", "ALERT_MOM_CRITICAL_PCT": "1e9", "ALERT_PROJECTED_MONTH_USD": "1e12",
                "ALERT_DAILY_SPIKE_USD": "1e12", "ALERT_COVERAGE_WARNING_PCT": "0", "ALERT_STALE_HOURS": "1e6"}


@dataclass(frozen=True)
class Backfill:
    """A warehouse file holding one full backfill of the standard world at RUN_AT (made once per test module;
    its alert thresholds were out of reach, so it holds no alerts), and the requests the backfill made."""

    path: Path
    requests: list[RecordedRequest]


def backfilled_template(directory: Path) -> Backfill:
    path = directory / "backfilled.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch, usage_harness(new_world(), path, monkeypatch) as harness:
        harness.setenv(**QUIET_ALERTS)
        harness.ok(BACKFILL)
        return Backfill(path, harness.sandbox.log.all())


@contextlib.contextmanager
def backfilled_harness(template: Backfill, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageHarness]:
    """A harness over a fresh standard world whose warehouse starts as a copy of the template backfill
    (cheaper than backfilling in every test)."""
    shutil.copy(template.path, db_path)
    with usage_harness(new_world(), db_path, monkeypatch) as harness:
        harness.setenv(AUTO_SCHEMA="false")
        yield harness


def log_entries(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def alert_logs(text: str) -> list[dict[str, Any]]:
    return [entry for entry in log_entries(text) if "alert_type" in entry]
