"""Benchmark: entity-resolution on DuckDB over 1M participants x 200k contacts x 50k accounts (the issue's sizes).

    .venv/bin/python bench/bench_entity_resolution.py [--scale 1.0] [--calls-per-participant 0.1]
        [--per-row-cap 2000] [--json PATH]

The warehouse tables are generated directly with set-based DuckDB SQL (no sandbox APIs): accounts with
`www.` websites, contacts (1 % deleted, some sharing a switchboard number), leads (some converted), reps in
`sf_users`, messages with four participants each (exact contact addresses, `+tag` variants, aliases on the
account's domain, lead addresses, unknown and free-mail addresses, the reps themselves) and calls. Each run goes
through the function's HTTP entry point in a child process (its peak RSS is the function's own) at two sizes,
`--scale` and a tenth of it, so the statement count per run can be seen not to depend on rows. Printed per run:
participants + calls, seconds through the entry point (`call s`) and as the run ledger timed the run itself
(`run s`), rows/s (on `run s`), warehouse statements, rows the run reported writing, peak RSS.
Runs, in order: the first (everything new), `full=true` (rewrites every row), an unchanged re-run, a run
after 1 % of the contacts' emails changed, and `emails full` (scope `emails`, `full=true`: every participant row
matched and rewritten, calls left alone). Then the naive baseline on the same warehouse, `per-row`
(bench/er_naive.py): one lookup query per participant row in Python, contact by exact email, else lead, else
account by domain, and one MERGE of its matches; it walks at most `--per-row-cap` rows and, past that, its
seconds and statements are extrapolated to every participant row at the measured cost per row (variant
`per-row (extrapolated)`; records/s and peak RSS are the measured ones). It is the baseline of `emails full`.
Printed for it: rows walked, seconds measured and extrapolated, its rows by method and the share of them where
its ids equal ours. The generated warehouse has no ground truth, so neither matcher's precision or recall is
measured here (tests/integration/er_quality.py does that for ours on the sandbox world).
`--json` also writes the figures for bench/report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMPANY_DOMAIN = "us.test"
REPS = 50
NOW = "timestamp '2026-05-04 12:00:00'"
PER_ROW_OF = "emails full"


@dataclass(frozen=True)
class Sizes:
    participants: int
    contacts: int
    accounts: int
    calls: int

    @classmethod
    def at(cls, scale: float, calls_per_participant: float) -> Sizes:
        participants = max(400, round(1_000_000 * scale) // 4 * 4)
        return cls(participants, max(80, round(200_000 * scale)), max(20, round(50_000 * scale)),
                   round(participants * calls_per_participant))

    @property
    def leads(self) -> int:
        return max(10, self.contacts // 10)


def generator_sql(s: Sizes) -> list[str]:
    """DuckDB statements that fill the warehouse (hash(i) spreads the address kinds deterministically)."""
    a, c, leads, p, k = s.accounts, s.contacts, s.leads, s.participants, s.calls
    contact_email = f"'c' || j || '@co' || (j % {a}) || '.com'"
    return [
        f"""insert into sf_accounts (account_id, account_name, website, domain, last_activity_date,
              system_modstamp, is_deleted, _synced_at)
            select printf('001%012d', i), 'Account ' || i, 'https://www.co' || i || '.com/about', 'co' || i || '.com',
              date '2026-01-01' + cast(i % 120 as integer), {NOW}, false, {NOW}
            from range({a}) as t(i)""",
        f"""insert into sf_contacts (contact_id, account_id, first_name, last_name, contact_name, email,
              email_normalized, email_domain, phone, phone_e164, last_activity_date, system_modstamp, is_deleted,
              deleted_at, _synced_at)
            select printf('003%012d', j), printf('001%012d', j % {a}), 'First' || j, 'Last' || j,
              'First' || j || ' Last' || j, {contact_email}, {contact_email}, 'co' || (j % {a}) || '.com',
              '+1415' || lpad(cast(j % {max(1, c - c // 50)} as varchar), 7, '0'),
              '+1415' || lpad(cast(j % {max(1, c - c // 50)} as varchar), 7, '0'),
              date '2026-01-01' + cast(j % 120 as integer), {NOW}, j % 100 = 99,
              case when j % 100 = 99 then {NOW} end, {NOW}
            from range({c}) as t(j)""",
        f"""insert into sf_leads (lead_id, first_name, last_name, lead_name, email, email_normalized, email_domain,
              company, phone, phone_e164, is_converted, converted_account_id, converted_contact_id, system_modstamp,
              is_deleted, _synced_at)
            select printf('00Q%012d', l), 'Lead' || l, 'Person' || l, 'Lead' || l || ' Person' || l,
              'l' || l || '@prospect' || l || '.net', 'l' || l || '@prospect' || l || '.net', 'prospect' || l || '.net',
              'Prospect ' || l, '+1628' || lpad(cast(l as varchar), 7, '0'),
              '+1628' || lpad(cast(l as varchar), 7, '0'),
              l % 5 = 0, case when l % 5 = 0 then printf('001%012d', l % {a}) end,
              case when l % 5 = 0 then printf('003%012d', l % {c}) end, {NOW}, false, {NOW}
            from range({leads}) as t(l)""",
        f"""insert into sf_users (user_id, username, user_name, email, email_normalized, is_active, system_modstamp,
              is_deleted, _synced_at)
            select printf('005%012d', u), 'rep' || u || '@{COMPANY_DOMAIN}', 'Rep ' || u,
              'rep' || u || '@{COMPANY_DOMAIN}', 'rep' || u || '@{COMPANY_DOMAIN}', true, {NOW}, false, {NOW}
            from range({REPS}) as t(u)""",
        f"""insert into gmail_messages (mailbox, message_id, thread_id, sent_at, subject, from_email,
              rfc822_message_id, is_deleted, ingested_at)
            select 'rep' || (m % {REPS}) || '@{COMPANY_DOMAIN}', 'm' || m, 't' || (m // 3),
              {NOW} - to_minutes(cast(m % 129600 as bigint)), 'Subject ' || m, null, '<m' || m || '@mail>', false, {NOW}
            from range({p // 4}) as t(m)""",
        f"""insert into gmail_participants (mailbox, message_id, email_address, display_name, role, domain, sent_at,
              ingested_at)
            with slots as (
              select i // 4 as m, i % 4 as slot, hash(i) % 100 as kind, hash(i * 31 + 7) % {c} as j
              from range({p}) as t(i)
            ),
            addressed as (
              select m, slot, j,
                case
                  when (slot = 0 and m % 2 = 0) or (slot = 1 and m % 2 = 1)
                    then 'rep' || (m % {REPS}) || '@{COMPANY_DOMAIN}'
                  when kind < 60 then {contact_email}
                  when kind < 70 then 'c' || j || '+news@co' || (j % {a}) || '.com'
                  when kind < 78 then 'info' || j || '@co' || (j % {a}) || '.com'
                  when kind < 84 then 'l' || (j % {leads}) || '@prospect' || (j % {leads}) || '.net'
                  when kind < 94 then 'x' || m || '.' || slot || '@unknown' || (m % 1000) || '.org'
                  else 'first' || j || '.last' || j || '@gmail.com'
                end as email_address
              from slots
            )
            select 'rep' || (m % {REPS}) || '@{COMPANY_DOMAIN}', 'm' || m, email_address,
              case when email_address like '%@gmail.com' then 'First' || j || ' Last' || j end,
              case slot when 0 then 'from' when 1 then 'to' when 2 then 'cc' else 'bcc' end,
              split_part(email_address, '@', 2), {NOW} - to_minutes(cast(m % 129600 as bigint)), {NOW}
            from addressed""",
        f"""insert into dialpad_calls (call_id, call_time, direction, state, duration_seconds, external_number,
              internal_number, rep_email, ingested_at)
            select 'call' || q, {NOW} - to_minutes(cast(q % 129600 as bigint)),
              case when q % 2 = 0 then 'outbound' else 'inbound' end, 'hangup', cast(q % 900 as double),
              case when hash(q) % 10 < 7 then '+1415' || lpad(cast(hash(q) % {c} as varchar), 7, '0')
                   when hash(q) % 10 < 8 then '+1628' || lpad(cast(q % {leads} as varchar), 7, '0')
                   else '+1212' || lpad(cast(q as varchar), 7, '0') end,
              '+1650' || lpad(cast(q % {REPS} as varchar), 7, '0'), 'rep' || (q % {REPS}) || '@{COMPANY_DOMAIN}', {NOW}
            from range({k}) as t(q)""",
    ]


CHANGE_ONE_PERCENT = """update sf_contacts
  set email = 'moved.' || email, email_normalized = 'moved.' || email_normalized,
    system_modstamp = system_modstamp + interval 1 hour
  where hash(contact_id) % 100 = 0"""


def build_warehouse(path: Path, sizes: Sizes) -> float:
    """Schema from sql/ through the warehouse, then rows by set-based DuckDB SQL; returns seconds."""
    import duckdb

    from shared.warehouse import connect

    started = time.perf_counter()
    warehouse = connect(f"duckdb:///{path}")
    warehouse.ensure_schema()
    warehouse.close()
    con = duckdb.connect(str(path))
    try:
        for statement in generator_sql(sizes):
            con.execute(statement)
    finally:
        con.close()
    return time.perf_counter() - started


def change_one_percent(path: Path) -> int:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        changed = con.execute(CHANGE_ONE_PERCENT).fetchall()
        return int(changed[0][0]) if changed else 0
    finally:
        con.close()


def ledger_seconds(path: Path, run_id: str) -> float:
    """The run's own duration as the ledger recorded it (the entry point's time less app and process start)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("select max(duration_seconds) from etl_run_log where run_id = ?", [run_id]).fetchone()
        return float(row[0]) if row and row[0] is not None else float("nan")
    finally:
        con.close()


def peak_rss_kib() -> int:
    """This process's own peak RSS (/proc's VmHWM; getrusage would include the parent's across exec)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(body: dict[str, Any]) -> None:
    """Runs inside the child process: one run through the HTTP entry point; prints a JSON line."""
    from shared.warehouse.base import observe_statements
    from tools.invoke import invoke
    from tools.pipeline import by_cloud_name

    statements: list[str] = []
    started = time.perf_counter()
    with observe_statements(lambda sql, params: statements.append(sql)):
        status, answer = invoke(by_cloud_name("entity-resolution"), body)
    print(json.dumps({"status": status, "answer": answer, "seconds": time.perf_counter() - started,
                      "statements": len(statements), "peak_rss_kib": peak_rss_kib()}, default=str))


def naive_child(path: str, cap: int) -> None:
    """Runs inside the child process: the per-row matcher over the first `cap` rows; prints a JSON line."""
    import datetime as dt

    from bench.er_naive import resolve
    from shared.warehouse import connect

    warehouse = connect(f"duckdb:///{path}")
    run = resolve(warehouse, cap, dt.datetime(2026, 5, 4, 13, tzinfo=dt.UTC))
    warehouse.close()
    print(json.dumps({"naive": run.__dict__, "peak_rss_kib": peak_rss_kib()}))


def child_report(script: str, flag: str, path: Path, cap: int, key: str, what: str) -> dict[str, Any]:
    """Run `script flag path cap` in a child process and return the last JSON line it printed under `key`."""
    result = subprocess.run([sys.executable, script, flag, str(path), str(cap)], capture_output=True,
                            text=True, cwd=ROOT, timeout=3600, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith(f'{{"{key}"')]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the {what} failed ({result.returncode}): {result.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def run_naive(path: Path, cap: int) -> dict[str, Any]:
    return child_report(__file__, "--naive-child", path, cap, "naive", "per-row child")


def per_row_figure(sizes: Sizes, report: dict[str, Any]) -> dict[str, Any]:
    """The naive matcher's figures at `sizes`, extrapolated to every participant row when it walked fewer."""
    from bench.er_naive import NaiveRun, extrapolated

    run = NaiveRun(**report["naive"])
    seconds, statements = extrapolated(run, sizes.participants)
    capped = run.rows < sizes.participants
    return {"function": "entity-resolution", "variant": "per-row (extrapolated)" if capped else "per-row",
            "baseline_of": PER_ROW_OF, "size": sizes.participants, "records": sizes.participants,
            "seconds": seconds, "records_per_s": run.rows / run.seconds, "round_trips": None,
            "peak_rss_mb": report["peak_rss_kib"] / 1024, "statements": statements, "measured_rows": run.rows,
            "measured_seconds": run.seconds, "by_method": run.by_method,
            "agreement": run.agree / run.rows if run.rows else None}


def run_child(path: Path, body: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "WAREHOUSE": f"duckdb:///{path}", "AUTO_SCHEMA": "false", "LOG_LEVEL": "WARNING",
           "COMPANY_DOMAINS": COMPANY_DOMAIN, "FUNCTION_TIMEOUT_SECONDS": "3600"}
    result = subprocess.run([sys.executable, __file__, "--child", json.dumps(body)], env=env, capture_output=True,
                            text=True, cwd=ROOT, timeout=3600, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"status"')]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the entity-resolution child failed ({result.returncode}): {result.stderr[-2000:]}")
    report = dict(json.loads(lines[-1]))
    if report["status"] != 200 or report["answer"].get("status") != "success":
        raise SystemExit(f"entity-resolution answered {report['status']}: {report['answer']}")
    return report


def written(answer: dict[str, Any]) -> int:
    """The rows the run reported writing: its answer's counts per table (participants + calls)."""
    return sum(int(n) for n in (answer.get("counts") or {}).values())


def measure(sizes: Sizes, per_row_cap: int) -> list[dict[str, Any]]:
    """Build one warehouse, run the five runs and the per-row matcher; prints a line per run, returns figures."""
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wh.duckdb"
        seconds = build_warehouse(path, sizes)
        print(f"-- {sizes.participants:,} participants, {sizes.calls:,} calls, {sizes.contacts:,} contacts, "
              f"{sizes.leads:,} leads, {sizes.accounts:,} accounts (generated in {seconds:.1f} s)", flush=True)
        runs: list[tuple[str, dict[str, Any]]] = [
            ("first", {"scope": "all"}), ("full", {"scope": "all", "full": True}),
            ("unchanged", {"scope": "all"}), ("1% changed", {"scope": "all"}),
            (PER_ROW_OF, {"scope": "emails", "full": True}),
        ]
        for label, body in runs:
            if label == "1% changed":
                print(f"   (changed the email of {change_one_percent(path):,} contacts)", flush=True)
            r = run_child(path, body)
            job = ledger_seconds(path, r["answer"]["run_id"])
            rows = sizes.participants + (sizes.calls if body["scope"] == "all" else 0)
            print(f"{label:<11} {rows:>10,} {r['seconds']:>8.1f} {job:>8.1f} {rows / job:>10,.0f} "
                  f"{r['statements']:>11} {written(r['answer']):>10,} {r['peak_rss_kib'] / 1024:>7.0f} MiB", flush=True)
            figures.append({"function": "entity-resolution", "variant": label, "size": sizes.participants,
                            "records": rows, "seconds": job, "records_per_s": rows / job, "round_trips": None,
                            "peak_rss_mb": r["peak_rss_kib"] / 1024, "statements": r["statements"],
                            "call_seconds": r["seconds"], "written": written(r["answer"])})
        naive = per_row_figure(sizes, run_naive(path, per_row_cap))
        methods = ", ".join(f"{m} {n:,}" for m, n in sorted(naive["by_method"].items()))
        print(f"{naive['variant']:<11} {sizes.participants:>10,} {naive['measured_rows']:>8,} rows walked in "
              f"{naive['measured_seconds']:.1f} s ({naive['seconds']:,.1f} s for all, {naive['statements']:,} "
              f"statements); {methods}; ids equal to ours on {naive['agreement']:.1%}", flush=True)
        figures.append(naive)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the issue's sizes (1.0: 1M participants, 200k contacts, 50k accounts)")
    parser.add_argument("--calls-per-participant", type=float, default=0.1, help="calls generated per participant")
    parser.add_argument("--per-row-cap", type=int, default=2000,
                        help="participant rows the per-row baseline walks at most (extrapolated past it)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    parser.add_argument("--child", metavar="BODY", help=argparse.SUPPRESS)
    parser.add_argument("--naive-child", nargs=2, metavar=("PATH", "CAP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(json.loads(args.child))
        return
    if args.naive_child is not None:
        naive_child(args.naive_child[0], int(args.naive_child[1]))
        return
    print(f"{'run':<11} {'rows':>10} {'call s':>8} {'run s':>8} {'rows/s':>10} {'statements':>11} {'written':>10} "
          f"{'peak RSS':>11}")
    figures = [figure for scale in (args.scale / 10, args.scale)
               for figure in measure(Sizes.at(scale, args.calls_per_participant), args.per_row_cap)]
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
