"""The naive entity-resolution baseline of bench_entity_resolution.py: a per-row Python matcher.

For each participant row, one warehouse query (bench/sql/er_naive_match.sql): the contact by exact email, else the
lead by exact email, else the account by the address's domain. The matches are then written with one
`Warehouse.merge`. It walks at most `cap` rows (in key order); each lookup scans the Salesforce tables whatever
the rows before it, so its cost per row does not depend on how many rows it walks, and `extrapolated` scales the
measured seconds and statements to every participant row (labelled so in the bench's figures).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.warehouse import Warehouse
from shared.warehouse.base import observe_statements

SQL = Path(__file__).resolve().parent / "sql"
METHODS = {1: "contact_email", 2: "lead_email", 3: "account_domain"}
KEY = ("mailbox", "message_id", "email_address", "role")
IDS = ("sf_contact_id", "sf_lead_id", "sf_account_id")


@dataclass(frozen=True)
class NaiveRun:
    rows: int
    seconds: float
    statements: int
    by_method: dict[str, int]
    agree: int
    """Rows whose contact, lead and account ids all equal the ones the product's run set."""


def match(warehouse: Warehouse, email: str, domain: str | None) -> dict[str, Any]:
    """One row's match: its ids and method, all None without one."""
    found = warehouse.query(SQL / "er_naive_match.sql", {"email": email, "domain": domain or ""})
    if not found:
        return {"sf_contact_id": None, "sf_lead_id": None, "sf_account_id": None, "match_method": None}
    hit = found[0]
    return {"sf_contact_id": hit["contact_id"], "sf_lead_id": hit["lead_id"], "sf_account_id": hit["account_id"],
            "match_method": METHODS[int(hit["level"])]}


def resolve(warehouse: Warehouse, cap: int, now: dt.datetime) -> NaiveRun:
    """Match the first `cap` participant rows one by one and write them; timed and counted."""
    statements: list[str] = []
    started = time.perf_counter()
    with observe_statements(lambda sql, params: statements.append(sql)):
        participants = warehouse.query(SQL / "er_naive_participants.sql", {"cap": cap})
        written = []
        by_method: dict[str, int] = {}
        agree = 0
        for row in participants:
            found = match(warehouse, row["email_address"], row["domain"])
            method = found["match_method"] or "none"
            by_method[method] = by_method.get(method, 0) + 1
            agree += all(found[k] == row[k] for k in IDS)
            written.append({**{k: row[k] for k in KEY}, **found, "resolved_at": now})
        if written:
            warehouse.merge("gmail_participants", written)
    return NaiveRun(len(participants), time.perf_counter() - started, len(statements), by_method, agree)


def extrapolated(run: NaiveRun, rows: int) -> tuple[float, int]:
    """Seconds and statements for `rows` participant rows at the measured cost per row (the walk's listing
    query and the final merge counted once)."""
    if run.rows >= rows or run.rows == 0:
        return run.seconds, run.statements
    return run.seconds * rows / run.rows, run.statements - run.rows + rows
