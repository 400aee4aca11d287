"""`make demo`: the suite end to end on the embedded default (DuckDB + sandbox), no cloud account needed.

Applies the schema to a fresh local warehouse, starts the sandbox with a seeded world, invokes every
implemented function through its HTTP entry point in pipeline order, prints one semantic search, runs
gmail-sync's first sync once more with a zero time budget to show it resuming over many invocations to the same
tables, then takes gmail-sync's mailboxes from Salesforce while one rep leaves and one joins, then has salesforce-sync
take the org's custom fields and its custom object (and a field an admin creates between two runs), and prints a
summary.
Function logs (JSON lines) go to .local/demo.log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from sandbox.apis.gmail import gmail_fake
from sandbox.apis.salesforce_org import salesforce_org
from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.staff_changes import JOINER, ROLE, rep_joins, rep_leaves
from sandbox.world import build_world
from shared import entrypoint
from shared.log import configure_logging
from shared.sqlfiles import read_sql
from shared.warehouse import connect
from tools.invoke import invoke
from tools.pipeline import ROOT, FunctionEntry, by_cloud_name, implemented
from tools.reliability.secrets_scan import scan, secret_values
from tools.report import write_report
from tools.table import render

LOCAL = ROOT / ".local"
SUMMARY_SQL = ("demo/latest_runs.sql", "demo/data_freshness.sql")
"""Printed first; then each function's own queries in pipeline order, so the demo ends with today's accounts."""
SUMMARY_WIDTH = 110
RESUME_FUNCTION = "gmail-sync"
RESUME_SETTINGS = {"TIME_BUDGET_SECONDS": "0", "GMAIL_PAGE_SIZE": "50"}
RESUME_CHECK = "demo/gmail_message_keys.sql"
DIRECTORY_SETTINGS = {"GMAIL_MAILBOX_SOURCE": "salesforce", "GMAIL_MAILBOX_ROLES": ROLE}
CUSTOM_SETTINGS = {"SALESFORCE_EXTRA_FIELDS": '{"Account": "*", "Opportunity": ["Competitors__c", "Seats__c"]}',
                   "SALESFORCE_CUSTOM_OBJECTS": "Competitor__c"}
ADDED_FIELD = ("Account", "Tier__c", "int")
SEARCH_FUNCTION = "generate-embeddings"
SEARCH_QUERY = "pricing and budget approval"


def fresh_warehouse(path: Path) -> str:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    url = f"duckdb:///{path}"
    warehouse = connect(url)
    changes = warehouse.ensure_schema()
    warehouse.close()
    print(f"schema: {len(changes)} tables and views applied to {path.relative_to(ROOT)}")
    return url


def run_pipeline() -> bool:
    ok = True
    for entry in implemented():
        status, answer = invoke(entry)
        ok = ok and status == 200
        counts = ", ".join(f"{k}={v}" for k, v in sorted(answer.get("counts", {}).items())) or "-"
        print(f"{entry.cloud_name:<20} HTTP {status}  {answer.get('status', '?'):<8} {counts}")
        for scope, error in answer.get("errors", {}).items():
            print(f"{'':<20} error in {scope}: {error}")
    if not implemented():
        print("(no functions implemented yet)")
    return ok


def semantic_search(query: str = SEARCH_QUERY, k: int = 5) -> bool:
    """One search through generate-embeddings (read-only) over what the pipeline embedded: the top k."""
    entry = by_cloud_name(SEARCH_FUNCTION)
    if entry not in implemented():
        return True
    status, answer = invoke(entry, {"query": query, "k": k})
    print(f"\n{SEARCH_FUNCTION} search {query!r}: HTTP {status} {answer.get('status')}")
    rows = [{"similarity": f"{r['similarity']:.3f}", "kind": r["kind"], "date": str(r["date"])[:10],
             "title": r["title"][:70], "account_id": r["account_id"]} for r in answer.get("results", [])]
    print(render(rows) if rows else "  (no results)")
    return status == 200


def resumable_first_sync(main_url: str, invocations: int = 200) -> bool:
    """gmail-sync's first sync again, into a fresh warehouse with a time budget of zero and small pages: every
    invocation commits one page per mailbox and stops with the rest pending, the next resumes from the
    checkpoint, and the final tables equal the unbounded run's."""
    entry = by_cloud_name(RESUME_FUNCTION)
    url = fresh_warehouse(LOCAL / "resume_demo.duckdb")
    os.environ.update({"WAREHOUSE": url, **RESUME_SETTINGS})
    entrypoint.reset_runtimes()
    print(f"\n{RESUME_FUNCTION} first sync again with {RESUME_SETTINGS}:")
    answer: dict[str, object] = {}
    for number in range(1, invocations + 1):
        status, answer = invoke(entry)
        if number <= 3 or not answer.get("pending"):
            print(f"  invocation {number}: HTTP {status} {answer.get('status')} pending={answer.get('pending')}")
        elif number == 4:
            print("  ...")
        if status != 200 or not answer.get("pending"):
            break
    entrypoint.reset_runtimes()
    same = _rows(url, RESUME_CHECK) == _rows(main_url, RESUME_CHECK)
    print(f"  {number} invocations; final gmail tables equal the single unbounded run's: {'yes' if same else 'NO'}")
    return same and not answer.get("pending")


def mailboxes_from_salesforce(sandbox: Sandbox, url: str) -> bool:
    """gmail-sync with its mailboxes from Salesforce (the active users of one role) while a rep leaves and one
    joins: salesforce-sync brings the change, and gmail-sync drops the leaver (the stored mail stays) and gives
    the joiner a first sync."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    leaver = rep_leaves(sandbox.world, sandbox.world.mailboxes[-1], now)["Email"]
    rep_joins(sandbox.world, gmail_fake(sandbox.app), now)
    os.environ.update({"WAREHOUSE": url, **DIRECTORY_SETTINGS})
    entrypoint.reset_runtimes()
    print(f"\n{RESUME_FUNCTION} with {DIRECTORY_SETTINGS}: {leaver} leaves, {JOINER} joins")
    steps: tuple[tuple[FunctionEntry, dict[str, Any]], ...] = (
        (by_cloud_name("salesforce-sync"), {"object_type": "User"}), (by_cloud_name(RESUME_FUNCTION), {}))
    ok, answer = True, dict[str, Any]()
    for entry, body in steps:
        status, answer = invoke(entry, body)
        counts = answer.get("counts", {})
        shown = f"sf_users={counts.get('sf_users')}" if "sf_users" in counts else (
            f"gmail_messages={counts.get('gmail_messages')} mailboxes={answer.get('mailboxes')}")
        print(f"  {entry.cloud_name:<18} HTTP {status} {answer.get('status')}  {shown}")
        ok = ok and status == 200
    for name in DIRECTORY_SETTINGS:
        os.environ.pop(name)
    entrypoint.reset_runtimes()
    mailboxes = answer.get("mailboxes", {})
    return ok and (mailboxes.get("new"), mailboxes.get("dropped")) == (1, 1)


def custom_fields(sandbox: Sandbox, url: str) -> bool:
    """salesforce-sync with the org's custom fields and its custom object configured: the new columns are added
    and back-filled for the accounts and opportunities already stored, Competitor__c gets its own table; then an
    admin creates a field and the next run adds its column and back-fills it alone."""
    entry = by_cloud_name("salesforce-sync")
    os.environ.update({"WAREHOUSE": url, **CUSTOM_SETTINGS})
    entrypoint.reset_runtimes()
    print(f"\nsalesforce-sync with {CUSTOM_SETTINGS}:")
    ok = True
    for step in ("configured", "added"):
        if step == "added":
            object_type, name, kind = ADDED_FIELD
            accounts = sandbox.world.records(object_type)
            salesforce_org(sandbox.state).add_field(sandbox.state, object_type, name, kind,
                                                    {r["Id"]: n % 3 + 1 for n, r in enumerate(accounts)})
            print(f"  an admin creates {object_type}.{name} ({kind})")
        status, answer = invoke(entry)
        counts = answer.get("counts", {})
        shown = " ".join(f"{k}={counts.get(k)}" for k in ("sf_accounts", "sf_opportunities", "sf_custom_objects"))
        print(f"  HTTP {status} {answer.get('status')}  {shown}")
        ok = ok and status == 200 and answer.get("status") == "success"
    warehouse = connect(url)
    try:
        added = {table: [f"{c} {t}" for c, t in warehouse.bigquery_column_types(table).items() if c.endswith("__c")]
                 for table in ("sf_accounts", "sf_opportunities", "sf_competitor")}
    finally:
        warehouse.close()
    for table, columns in added.items():
        print(f"  {table}: {', '.join(columns)}")
    for name in CUSTOM_SETTINGS:
        os.environ.pop(name)
    entrypoint.reset_runtimes()
    return ok and "tier__c INT64" in added["sf_accounts"] and bool(added["sf_competitor"])


def _rows(url: str, sql: str) -> list[dict[str, object]]:
    warehouse = connect(url)
    try:
        return warehouse.query(sql)
    finally:
        warehouse.close()


def summary(url: str) -> None:
    warehouse = connect(url)
    try:
        for path in [*SUMMARY_SQL, *(p for entry in implemented() for p in entry.summary_sql)]:
            title = read_sql(path).splitlines()[0].removeprefix("--").strip()
            print(f"\n{title}\n{render(warehouse.query(path), max_width=SUMMARY_WIDTH)}")
    finally:
        warehouse.close()


def no_secrets_shown(env: dict[str, str]) -> bool:
    """No fake credential of the sandbox in the function logs or in any table (tools/reliability/secrets_scan)."""
    secrets = secret_values(env)
    hits = scan(secrets, logs=(LOCAL / "demo.log").read_text(), warehouses=[LOCAL / "warehouse.duckdb"])
    print(f"\nsecrets: {len(secrets)} fake secret values searched in the function logs and every table: "
          f"{len(hits)} hits" + "".join(f"\n  LEAK {hit.name} in {hit.where}" for hit in hits))
    return not hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args(argv)
    LOCAL.mkdir(exist_ok=True)
    url = fresh_warehouse(LOCAL / "warehouse.duckdb")
    with (LOCAL / "demo.log").open("w") as log_file, Sandbox(build_world(args.seed, args.scale)) as sandbox:
        configure_logging("INFO", stream=log_file)
        env = settings_env(sandbox)
        os.environ.update({**env, "WAREHOUSE": url, "AUTO_SCHEMA": "false"})
        print(f"sandbox: world seed={args.seed} scale={args.scale} at {sandbox.http_url} and {sandbox.https_url}\n")
        try:
            ok = run_pipeline()
            ok = semantic_search() and ok
            ok = resumable_first_sync(url) and ok
            ok = mailboxes_from_salesforce(sandbox, url) and ok
            ok = custom_fields(sandbox, url) and ok
        finally:
            entrypoint.reset_runtimes()
            configure_logging(stream=None)
    summary(url)
    print(f"\nreport: {write_report(url, LOCAL / 'report.html')}")
    ok = no_secrets_shown(env) and ok
    print(f"\nfunction logs: {(LOCAL / 'demo.log').relative_to(ROOT)}; query more with make sql Q=\"...\"")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
