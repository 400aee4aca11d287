"""A fresh sandbox, world and DuckDB warehouse per test, and salesforce-sync called through its HTTP entry point."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.apis.salesforce_org import INVALID_SESSION, REQUEST_LIMIT_EXCEEDED, SalesforceOrg, salesforce_org
from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import World, build_world
from sandbox.world_schema import SfRecord
from shared import entrypoint
from shared.warehouse import connect
from tools.invoke import invoke
from tools.pipeline import ROOT, by_cloud_name

sys.path.insert(0, str(ROOT / "functions" / "salesforce_sync"))
import sfdc_deletes

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
NOW = ANCHOR + dt.timedelta(days=1)
"""The moment both the sync's delete tracking and the fake's getDeleted take as now, until a test moves it."""
ENTRY = by_cloud_name("salesforce-sync")
QUERY_ALL = "/services/data/v59.0/queryAll/"
TOKEN = "/services/oauth2/token"
BULK = "/services/data/v59.0/jobs/query"
TABLES = {"Account": ("sf_accounts", "account_id"), "Contact": ("sf_contacts", "contact_id"),
          "Lead": ("sf_leads", "lead_id"), "Opportunity": ("sf_opportunities", "opportunity_id"),
          "Task": ("sf_tasks", "task_id"), "Event": ("sf_events", "event_id"),
          "EmailMessage": ("sf_email_messages", "email_message_id"), "User": ("sf_users", "user_id"),
          "Profile": ("sf_profiles", "profile_id"), "UserRole": ("sf_user_roles", "role_id")}
LIMIT_EXCEEDED = REQUEST_LIMIT_EXCEEDED
EXPIRED = INVALID_SESSION


@dataclass
class Harness:
    sandbox: Sandbox
    warehouse_url: str
    monkeypatch: pytest.MonkeyPatch
    now: dt.datetime = field(default=NOW)

    @classmethod
    @contextlib.contextmanager
    def start(cls, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scale: int = 1) -> Iterator[Harness]:
        with Sandbox(build_world(seed=11, scale=scale, anchor=ANCHOR)) as sandbox:
            url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
            for name, value in {**settings_env(sandbox), "WAREHOUSE": url, "HTTP_BACKOFF_BASE": "0",
                                "SALESFORCE_BULK_POLL_SECONDS": "0"}.items():
                monkeypatch.setenv(name, value)
            harness = cls(sandbox, url, monkeypatch)
            monkeypatch.setattr(sfdc_deletes, "utcnow", lambda: harness.now)
            salesforce_org(sandbox.state).clock = lambda: harness.now
            yield harness

    @property
    def world(self) -> World:
        return self.sandbox.world

    @property
    def org(self) -> SalesforceOrg:
        return salesforce_org(self.sandbox.state)

    def configure(self, **settings: Any) -> None:
        """Change settings; the function reads them again on its next request."""
        for name, value in settings.items():
            self.monkeypatch.setenv(name.upper(), str(value))
        entrypoint.reset_runtimes()

    def sync(self, **body: Any) -> tuple[int, dict[str, Any]]:
        return invoke(ENTRY, body)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        warehouse = connect(self.warehouse_url)
        try:
            return warehouse.query(sql, params)
        finally:
            warehouse.close()

    def rows(self, object_type: str) -> list[dict[str, Any]]:
        table, key = TABLES[object_type]
        return self.query(f"select * from {table} order by {key}")

    def row(self, object_type: str, record_id: str) -> dict[str, Any]:
        table, key = TABLES[object_type]
        found = self.query(f"select * from {table} where {key} = @id", {"id": record_id})
        assert len(found) == 1, f"{object_type} {record_id}: {len(found)} rows"
        return found[0]

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every synced table and the cursors, in full."""
        tables = {name: self.rows(name) for name in TABLES}
        return {**tables, "sync_state": self.query("select * from sync_state order by job, scope")}

    def cursor(self, object_type: str) -> str | None:
        found = self.query("select cursor_value from sync_state where job = 'salesforce-sync' and scope = @s",
                           {"s": object_type})
        return found[0]["cursor_value"] if found else None

    def soql_sent(self, object_type: str) -> list[str]:
        """The SOQL of every REST query the sandbox received for one object (COUNT() included)."""
        texts = [r.param("q") or "" for r in self.sandbox.log.matching(path_prefix=QUERY_ALL)]
        return [text for text in texts if text.endswith(f"FROM {object_type}") or f"FROM {object_type} " in text]

    def change(self, object_type: str, index: int, at: dt.datetime, **values: Any) -> SfRecord:
        with self.sandbox.state.lock:
            record = self.world.records(object_type)[index]
            record.update(values)
            return World.touch(record, at)

    def delete(self, object_type: str, index: int, at: dt.datetime) -> SfRecord:
        with self.sandbox.state.lock:
            return World.delete(self.world.records(object_type)[index], at)

    def advance(self, **delta: float) -> dt.datetime:
        """Move the shared clock forward (`minutes=90`, `days=2`, …); returns the new now."""
        self.now += dt.timedelta(**delta)
        return self.now

    def hard_delete(self, object_type: str, index: int, at: dt.datetime | None = None) -> str:
        """Delete a record for good (recycle bin emptied): queryAll no longer returns it; getDeleted lists it."""
        with self.sandbox.state.lock:
            record_id = str(self.world.records(object_type)[index]["Id"])
        self.org.hard_delete(self.sandbox.state, object_type, record_id, at or self.now)
        return record_id

    def get_deleted_sent(self) -> list[tuple[str, str | None, str | None]]:
        """(object, start, end) of every getDeleted request the sandbox received, in order."""
        found = self.sandbox.log.matching(where=lambda r: r.path.endswith("/deleted/"))
        return [(r.path.split("/")[-3], r.param("start"), r.param("end")) for r in found]

    def latest_stamp(self, object_type: str) -> dt.datetime:
        with self.sandbox.state.lock:
            return max(r["SystemModstamp"] for r in self.world.records(object_type))
