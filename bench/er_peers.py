"""bench_quality.py's entity-resolution comparison: ours, the naive per-row matcher and Splink, judged against the
sandbox world's truth on the same mail participants (tests/integration/er_quality.py defines the figures).

Ours is timed by a `scope=emails, full=true` run through the function's entry point (every participant row matched
and rewritten). The naive matcher (bench/er_naive.py) then walks every participant row and overwrites the match
columns with its own. Splink runs in its own environment (bench/er_splink.py): it reads the distinct external
(address, display name) pairs and the live contacts, exported here as JSON lines, and its best contact per pair is
judged on every row that pair stands for, the account taken from the contact.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import er_naive
from sandbox.world import World
from shared.warehouse import Warehouse
from tests.integration import er_quality
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ROOT = Path(__file__).resolve().parent.parent
SPLINK_PYTHON = ROOT / ".venv-splink" / "bin" / "python"
SQL = Path(__file__).resolve().parent / "sql"


@dataclass(frozen=True)
class Judged:
    variant: str
    seconds: float
    rows: int
    """Participant rows judged (external, with a truth label): the same for every matcher."""
    quality: er_quality.Quality

    def figures(self) -> dict[str, float]:
        q = self.quality
        return {"contact precision": q.contact_precision.value, "contact recall": q.contact_recall.value,
                "account precision": q.account_precision.value, "recall": q.recall.value, "seconds": self.seconds}


class _Rows:
    """What er_quality.measure reads: the participant rows with another matcher's ids."""

    def __init__(self, participants: list[dict[str, Any]]) -> None:
        self.participants = participants

    def query(self, sql: str, params: object = None) -> list[dict[str, Any]]:
        return self.participants


def ours(world: World, warehouse: Warehouse) -> Judged:
    started = time.perf_counter()
    status, answer = invoke(by_cloud_name("entity-resolution"), {"scope": "emails", "full": True})
    seconds = time.perf_counter() - started
    assert status == 200 and answer["status"] == "success", answer
    quality = er_quality.measure(world, warehouse, calls=False)
    return Judged("ours (set SQL)", seconds, sum(quality.rows_by_case.values()), quality)


def naive(world: World, warehouse: Warehouse) -> Judged:
    """Overwrites the match columns of gmail_participants: run it after everything that reads ours."""
    run = er_naive.resolve(warehouse, cap=10**9, now=dt.datetime.now(dt.UTC))
    quality = er_quality.measure(world, warehouse, calls=False)
    return Judged("per-row", run.seconds, sum(quality.rows_by_case.values()), quality)


def splink(world: World, warehouse: Warehouse, company_domains: tuple[str, ...],
           python: Path = SPLINK_PYTHON) -> Judged:
    participants = warehouse.query("select * from gmail_participants")
    contacts = warehouse.query(SQL / "er_splink_contacts.sql")
    account_of = {c["contact_id"]: c["account_id"] for c in contacts}
    pairs: dict[tuple[str, str], str] = {}
    for row in participants:
        address = row["email_address"]
        if address.rpartition("@")[2] not in company_domains:
            pairs.setdefault((address, row.get("display_name") or ""), str(len(pairs)))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _write_lines(work / "participants.jsonl", (
            {"unique_id": uid, "email": address, "domain": address.rpartition("@")[2], **_names(name)}
            for (address, name), uid in pairs.items()))
        _write_lines(work / "contacts.jsonl", (
            {"unique_id": c["contact_id"], "email": c["email"], "domain": c["domain"],
             "first_name": _clean(c["first_name"]), "last_name": _clean(c["last_name"])} for c in contacts))
        subprocess.run([str(python), str(ROOT / "bench" / "er_splink.py"), "--input", str(work),
                        "--out", str(work / "matches.json")], check=True, cwd=ROOT)
        answer = json.loads((work / "matches.json").read_text())
    matches = answer["matches"]
    judged = []
    for row in participants:
        uid = pairs.get((row["email_address"], row.get("display_name") or ""))
        contact = matches[uid][0] if uid in matches else None
        judged.append({**row, "sf_contact_id": contact, "sf_lead_id": None,
                       "sf_account_id": account_of.get(contact) if contact else None,
                       "match_method": "splink" if contact else None, "is_ambiguous": False})
    quality = er_quality.measure(world, _Rows(judged), calls=False)  # type: ignore[arg-type]
    return Judged("splink", float(answer["seconds"]), sum(quality.rows_by_case.values()), quality)


def _names(display_name: str) -> dict[str, str | None]:
    """First and last name of a display name ("Ann Lee", "Lee, Ann"), lowercased."""
    last, comma, first = display_name.replace('"', " ").partition(",")
    words = (first + " " + last).split() if comma else display_name.replace('"', " ").split()
    if not words or "@" in display_name:
        return {"first_name": None, "last_name": None}
    return {"first_name": _clean(words[0]), "last_name": _clean(words[-1]) if len(words) > 1 else None}


def _clean(name: str | None) -> str | None:
    return name.strip().lower() or None if name else None


def _write_lines(path: Path, rows: Any) -> None:
    with path.open("w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
