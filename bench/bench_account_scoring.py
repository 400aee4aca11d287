"""Benchmark: account-scoring on DuckDB over 100k accounts and 10M activity rows (the issue's sizes).

    .venv/bin/python bench/bench_account_scoring.py [--accounts 100000] [--activity 10000000]
        [--embedded 100000] [--scales 0.1,1] [--loop-cap 1000] [--json PATH]

The warehouse is generated with set-based DuckDB SQL, as the syncs and entity resolution leave it (no sandbox):
~200 reps in `sf_users`, accounts owned by them, 3 contacts per account with titles, 1.5 opportunities per account
(40 % open). The activity rows (emails 75 %, calls 15 %, Salesforce meetings 5 %, tasks 5 %) fall over the 180 days
before the score date, skewed: a few accounts are busy, most are quiet, a fifth have none. Emails come in threads
of three in the owner's mailbox, with a resolved `from` row (the customer's contact or the rep), a `to` row and a
`cc` on half of them; their subjects and bodies are short templates, some with budget, pricing, procurement or
contract words, auto-replies and negative answers (score_rules.PATTERNS), some with quoted history. `--embedded`
emails get unit vectors of dimension 384 (a twentieth of them close to one of the 14 intent prototypes).

Each run goes through the function's HTTP entry point in a child process (its peak RSS is the function's own):
the first run of the score date, an unchanged rerun of the same day (no document's signals recomputed), and the
next day. Printed per run: seconds per step (signals, features, scores, the two count queries) timed around the
warehouse's query, the entry point's total, warehouse statements (ledger included), rows written, peak RSS; then
the ratios of the largest scale to the smallest. Build seconds are printed apart: they are not product time.
Then the naive baseline on the same warehouse, `per-account loop` (bench/scoring_naive.py: one query per account
for its activity rows, a counts-and-recency version of the documented formula in Python, one MERGE of the
scores): it scores at most `--loop-cap` accounts, a stride over all of them, and past that its seconds and
statements are extrapolated to every live account at the measured cost per account (variant
`per-account loop (extrapolated)`; peak RSS is the measured one). It is the baseline of the `first` run.
The generated warehouse has no hidden buying intent, so priority quality (Spearman, precision@20 against the
activity-count baseline) is not measured here: bench/bench_quality.py measures it on the sandbox world.
`--json` also writes the figures for bench/report.py (records: the activity rows scored over).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_entity_resolution import child_report, peak_rss_kib  # noqa: E402

COMPANY_DOMAIN = "us.test"
REPS = 200
DIM = 384
MODEL = "all-MiniLM-L6-v2-int8"
SCORE_DATE = dt.date(2026, 5, 4)
ANCHOR = f"timestamp '{SCORE_DATE.isoformat()} 00:00:00'"
WINDOW_MINUTES = 180 * 24 * 60
LOOP_OF = "first"
STEPS = {"jobs/score_signals.sql": "signals", "jobs/score_features.sql": "features",
         "jobs/score_accounts.sql": "scores", "jobs/score_count.sql": "counts"}
COLUMNS = ("signals", "features", "scores", "counts", "total")

# (subject, body): 0-2 neutral (0 with quoted history), 3 pricing ask, 4 budget, 5 contract, 6 auto-reply,
# 7-9 negative (competitor, not interested, unsubscribe); 10 is our pricing answer.
TEMPLATES = [
    ("next steps", "Thanks for the time today, notes from our call below.\nOn Mon, Alex wrote:\n> what budget "
                   "do you have for this?"),
    ("Intro: analytics for your team", "Following up on the dashboard demo; happy to answer questions."),
    ("Weekly sync", "Agenda for the weekly sync is attached, see you Thursday."),
    ("Question on pricing", "Could you send a quote for 40 seats? How much is the license fee per user?"),
    ("FY budget sign-off", "Our budget for the next fiscal year is approved; procurement will send the vendor "
                           "registration form."),
    ("Order form and MSA", "Legal has redlines on the MSA, the order form itself looks fine."),
    ("Automatic reply: out of office", "I am out of the office until Monday with limited access to email."),
    ("proposal", "Thanks, but we decided to go with another vendor this year."),
    ("checking in", "We are not interested at this time, please put this on hold."),
    ("newsletter", "Please unsubscribe me from this list."),
    ("Pricing as requested", "Attached is our pricing: the quote for 40 seats with a 10% discount."),
]
TEMPLATE_CUTS = (300, 550, 750, 830, 890, 930, 970, 980, 992, 1000)  # per mille, templates 0-9
TITLES = ["VP Sales", "Director of IT", "Engineering Manager", "CFO", "Software Engineer", "Head of Data",
          "Procurement Lead", "Analyst", "Vice President, Finance", "Data Engineer", "Chief Executive Officer",
          "Operations Coordinator"]
TRANSCRIPTS = [
    "Rep: thanks for joining. Customer: we are reviewing the dashboards with the team.",
    "Customer: what is the pricing per seat and can you send a quote? Rep: yes, today.",
    "Customer: the budget is approved and procurement needs the security questionnaire.",
    "Customer: we went with another vendor, sorry. Rep: understood.",
]


@dataclass(frozen=True)
class Sizes:
    accounts: int
    activity: int
    embedded: int

    @property
    def messages(self) -> int:
        return self.activity * 75 // 100

    @property
    def calls(self) -> int:
        return self.activity * 15 // 100

    @property
    def events(self) -> int:
        return self.activity * 5 // 100

    @property
    def tasks(self) -> int:
        return self.activity - self.messages - self.calls - self.events


def sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def setup_sql(s: Sizes) -> list[str]:
    """Macros: `acct(h)` picks an account from a hash, skewed (u^4 over 80 % of the accounts, permuted)."""
    a = s.accounts
    kinds = " ".join(f"when k < {cut} then {i}" for i, cut in enumerate(TEMPLATE_CUTS))
    return [
        "create or replace temp macro hh(x) as cast(hash(x) >> 2 as bigint)",
        f"create or replace temp macro acct(h) as "
        f"(cast(floor(0.8 * {a} * pow((h % 1000003) / 1000003.0, 4)) as bigint) * 1000003) % {a}",
        f"create or replace temp macro template(k) as case {kinds} end",
        "create or replace temp macro ago(h) as " + ANCHOR + f" - to_minutes(cast(h % {WINDOW_MINUTES} as bigint))",
        "create or replace temp macro acct_id(a) as printf('001%012d', a)",
        "create or replace temp macro contact_id(j) as printf('003%012d', j)",
        "create or replace temp macro contact_email(j) as 'c' || j || '@co' || (j // 3) || '.com'",
        f"create or replace temp macro rep(a) as 'rep' || (a % {REPS}) || '@{COMPANY_DOMAIN}'",
    ]


def generator_sql(s: Sizes) -> list[str]:
    """Set-based DuckDB statements that fill the warehouse (hh() spreads accounts, times and texts)."""
    a, subjects, bodies = s.accounts, sql_list([t[0] for t in TEMPLATES]), sql_list([t[1] for t in TEMPLATES])
    stamp = f"{ANCHOR} - interval 1 day"
    return [
        f"""insert into sf_users (user_id, username, user_name, email, email_normalized, is_active, system_modstamp,
              is_deleted, _synced_at)
            select printf('005%012d', u), 'rep' || u || '@{COMPANY_DOMAIN}', 'Rep ' || u,
              'rep' || u || '@{COMPANY_DOMAIN}', 'rep' || u || '@{COMPANY_DOMAIN}', true, {stamp}, false, {stamp}
            from range({REPS}) as t(u)""",
        f"""insert into sf_accounts (account_id, account_name, website, domain, owner_id, system_modstamp, is_deleted,
              _synced_at)
            select acct_id(i), 'Account ' || i, 'https://www.co' || i || '.com', 'co' || i || '.com',
              printf('005%012d', i % {REPS}), {stamp}, i % 500 = 499, {stamp}
            from range({a}) as t(i)""",
        f"""insert into sf_contacts (contact_id, account_id, first_name, last_name, contact_name, email,
              email_normalized, email_domain, title, system_modstamp, is_deleted, _synced_at)
            select contact_id(j), acct_id(j // 3), 'First' || j, 'Last' || j, 'First' || j || ' Last' || j,
              contact_email(j), contact_email(j), 'co' || (j // 3) || '.com',
              {sql_list(TITLES)}[1 + hh(j) % {len(TITLES)}], {stamp}, false, {stamp}
            from range({3 * a}) as t(j)""",
        f"""create or replace temp table plan as
            with msgs as (
              select m, m // 3 as thread, m % 3 as step, hh(m // 3) as th, hh(m * 13 + 5) as mh
              from range({s.messages}) as t(m)
            )
            select m, thread, step, acct(th) as a, acct(th) * 3 + mh % 3 as j, (step = 1) != (th % 7 = 0) as outbound,
              mh % 100 < 4 as unmatched, mh % 2 = 0 as has_cc,
              ago(th) + to_minutes(cast(step * (30 + mh % 600) as bigint)) as sent_at,
              template(mh % 1000) as tpl
            from msgs""",
        f"""insert into gmail_messages (mailbox, message_id, thread_id, sent_at, subject, from_email, body_text,
              rfc822_message_id, is_deleted, ingested_at)
            with texts as (
              select *, case when outbound and tpl = 3 then 10 when outbound and tpl >= 6 then 1 else tpl end as t
              from plan
            )
            select rep(a), 'm' || m, 't' || thread, sent_at,
              if(step > 0, 'Re: ', '') || {subjects}[t + 1],
              if(outbound, rep(a), contact_email(j)), {bodies}[t + 1] || '\n-- ref ' || m,
              '<m' || m || '@mail.test>', m % 1000 = 999, sent_at
            from texts""",
        f"""insert into gmail_participants (mailbox, message_id, email_address, role, domain, sent_at, sf_contact_id,
              sf_account_id, match_method, match_confidence, is_internal, resolved_at, ingested_at)
            with sides as (
              select m, a, j, sent_at, unmatched, 'from' as role, outbound as internal from plan
              union all
              select m, a, j, sent_at, unmatched, 'to', not outbound from plan
              union all
              select m, a, a * 3 + (j + 1) % 3, sent_at, false, 'cc', false from plan where has_cc
            ),
            addressed as (
              select *, if(internal, rep(a), contact_email(j)) as email_address,
                not internal and not unmatched as resolved
              from sides
            )
            select rep(a), 'm' || m, email_address, role, split_part(email_address, '@', 2), sent_at,
              if(resolved, contact_id(j), null), if(resolved, acct_id(a), null),
              if(resolved, 'contact_email', null), if(resolved, 1.0, null), internal, {stamp}, sent_at
            from addressed""",
        "drop table plan",
        f"""insert into dialpad_calls (call_id, call_time, direction, state, duration_seconds, external_number,
              internal_number, rep_email, transcript_text, has_transcript, ingested_at, sf_contact_id,
              sf_account_id, match_method, match_confidence, is_internal, resolved_at)
            with calls as (select q, hh(q * 31 + 3) as h, acct(hh(q * 31 + 3)) as a from range({s.calls}) t(q))
            select 'call' || q, ago(h // 7), if(h % 3 = 0, 'inbound', 'outbound'), 'hangup',
              if(h % 20 = 0, 0, cast(h % 1800 as double)), '+1415' || lpad(cast(a * 3 + h % 3 as varchar), 7, '0'),
              '+1650' || lpad(cast(a % {REPS} as varchar), 7, '0'), rep(a),
              {sql_list(TRANSCRIPTS)}[1 + (case when h % 100 < 80 then 0 when h % 100 < 90 then 1
                                               when h % 100 < 98 then 2 else 3 end)],
              true, {stamp}, if(h % 100 < 97, contact_id(a * 3 + h % 3), null),
              if(h % 100 < 97, acct_id(a), null), if(h % 100 < 97, 'contact_phone', null),
              if(h % 100 < 97, 0.9, null), false, {stamp}
            from calls""",
        f"""insert into sf_events (event_id, subject, start_at, end_at, account_id, owner_id, created_date,
              system_modstamp, is_deleted, _synced_at)
            with events as (
              select e, hh(e * 17 + 1) as h, acct(hh(e * 17 + 1)) as a,
                ago(hh(e * 17 + 1) // 5) + if(e % 6 = 0, interval 30 day, interval 0 day) as start_at
              from range({s.events}) t(e)
            )
            select printf('00U%012d', e), ['Discovery call', 'Demo', 'QBR', 'Pricing review'][1 + h % 4],
              start_at, start_at + interval 30 minute, acct_id(a), printf('005%012d', a % {REPS}),
              start_at - interval 10 day, {stamp}, e % 200 = 0, {stamp}
            from events""",
        f"""insert into sf_tasks (task_id, subject, status, activity_date, account_id, owner_id, created_date,
              system_modstamp, is_deleted, _synced_at)
            with tasks as (select k, hh(k * 11 + 9) as h, acct(hh(k * 11 + 9)) as a from range({s.tasks}) t(k))
            select printf('00T%012d', k), 'Follow up', 'Completed', cast(ago(h // 3) as date), acct_id(a),
              printf('005%012d', a % {REPS}), ago(h // 3) - interval 1 day, {stamp}, false, {stamp}
            from tasks""",
        f"""insert into sf_opportunities (opportunity_id, account_id, opportunity_name, stage_name, amount,
              close_date, probability, is_closed, is_won, owner_id, created_date, system_modstamp, is_deleted,
              _synced_at)
            with opps as (
              select o, hh(o * 5 + 2) as h, if(o < {a}, o, hh(o) % {a}) as a from range({a * 3 // 2}) t(o)
            )
            select printf('006%012d', o), acct_id(a), 'Deal ' || o,
              ['Prospecting', 'Qualification', 'Proposal', 'Negotiation', 'Closed Won', 'Closed Lost'][
                1 + if(h % 10 < 4, h % 4, 4 + h % 2)],
              5000 + h % 200000, cast({ANCHOR} as date) + cast(h % 180 as integer) - 30,
              [10.0, 25.0, 50.0, 75.0, 100.0, 0.0][1 + if(h % 10 < 4, h % 4, 4 + h % 2)], h % 10 >= 4,
              h % 10 >= 4 and h % 2 = 0, printf('005%012d', a % {REPS}), {ANCHOR} - interval 200 day, {stamp},
              false, {stamp}
            from opps""",
    ]


def unit_vectors(rows: int, seed: int) -> Any:
    import numpy as np

    vectors = np.random.default_rng(seed).standard_normal((rows, DIM))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def add_embeddings(con: Any, s: Sizes) -> None:
    """14 prototypes for MODEL; `embedded` emails spread over all of them get vectors, every 20th near one."""
    import numpy as np
    import pyarrow as pa

    topics = ["budget"] * 4 + ["procurement"] * 3 + ["contract"] * 3 + ["pricing"] * 4
    prototypes = unit_vectors(len(topics), 1)
    con.register("protos", pa.table({"phrase": [f"{t} phrase {i}" for i, t in enumerate(topics)], "topic": topics,
                                     "embedding": list(prototypes)}))
    con.execute(f"""insert into intent_prototypes select '{MODEL}', phrase, topic, embedding, {DIM},
                    {ANCHOR} - interval 2 day from protos""")
    count = min(s.embedded, s.messages)
    if count == 0:
        return
    vectors = unit_vectors(count, 2)
    near = prototypes[[i % len(topics) for i in range(0, count, 20)]] + 0.8 * vectors[::20]
    vectors[::20] = near / np.linalg.norm(near, axis=1, keepdims=True)
    step = max(1, s.messages // count)
    con.register("vectors", pa.table({"message_id": [f"m{i * step}" for i in range(count)],
                                      "embedding": list(vectors)}))
    con.execute(f"""update gmail_messages set embedding = v.embedding, embedding_model = '{MODEL}',
                    embedding_dim = {DIM}, embedded_at = {ANCHOR} - interval 1 day
                    from vectors as v where gmail_messages.message_id = v.message_id""")


def build_warehouse(path: Path, sizes: Sizes) -> tuple[float, dict[str, int]]:
    """Schema from sql/ through the warehouse, then rows by set-based DuckDB SQL; seconds and rows per table."""
    import duckdb

    from shared.warehouse import connect

    started = time.perf_counter()
    warehouse = connect(f"duckdb:///{path}")
    warehouse.ensure_schema()
    warehouse.close()
    con = duckdb.connect(str(path))
    try:
        for statement in setup_sql(sizes) + generator_sql(sizes):
            con.execute(statement)
        add_embeddings(con, sizes)
        tables = ("sf_accounts", "sf_contacts", "sf_opportunities", "gmail_messages", "gmail_participants",
                  "dialpad_calls", "sf_events", "sf_tasks")
        rows = {t: int(con.execute(f"select count(*) from {t}").fetchone()[0]) for t in tables}  # type: ignore[index]
        con.execute("checkpoint")
    finally:
        con.close()
    return time.perf_counter() - started, rows


def child(body: dict[str, Any]) -> None:
    """Runs inside the child process: one run through the HTTP entry point, each warehouse query timed."""
    from shared.warehouse.base import observe_statements
    from shared.warehouse.duckdb_backend import DuckDBWarehouse
    from tools.invoke import invoke
    from tools.pipeline import by_cloud_name

    steps: dict[str, float] = dict.fromkeys(COLUMNS, 0.0)
    original = DuckDBWarehouse.query_typed

    def timed(self: DuckDBWarehouse, sql: Any, params: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return original(self, sql, params)
        finally:
            step = STEPS.get(sql if isinstance(sql, str) else "", "")
            if step:
                steps[step] += time.perf_counter() - started

    DuckDBWarehouse.query_typed = timed  # type: ignore[method-assign]
    statements: list[str] = []
    started = time.perf_counter()
    with observe_statements(lambda sql, params: statements.append(sql)):
        status, answer = invoke(by_cloud_name("account-scoring"), body)
    steps["total"] = time.perf_counter() - started
    print(json.dumps({"status": status, "answer": answer, "steps": steps, "statements": len(statements),
                      "peak_rss_kib": peak_rss_kib()}, default=str))


def loop_child(path: str, cap: int) -> None:
    """Runs inside the child process: the per-account loop over at most `cap` accounts; prints a JSON line."""
    from bench.scoring_naive import score
    from shared.warehouse import connect

    warehouse = connect(f"duckdb:///{path}")
    run = score(warehouse, SCORE_DATE, cap, "bench-naive-loop")
    warehouse.close()
    print(json.dumps({"loop": run.__dict__, "peak_rss_kib": peak_rss_kib()}))


def run_loop(path: Path, cap: int) -> dict[str, Any]:
    return child_report(__file__, "--loop-child", path, cap, "loop", "per-account loop")


def loop_figure(sizes: Sizes, report: dict[str, Any]) -> dict[str, Any]:
    """The loop's figures at `sizes`, extrapolated to every live account when it scored a sample."""
    from bench.scoring_naive import NaiveRun, extrapolated

    run = NaiveRun(**report["loop"])
    seconds, statements = extrapolated(run)
    sampled = run.accounts < run.live
    return {"function": "account-scoring", "variant": f"per-account loop{' (extrapolated)' if sampled else ''}",
            "baseline_of": LOOP_OF, "size": sizes.accounts, "records": sizes.activity, "seconds": seconds,
            "records_per_s": sizes.activity / seconds, "round_trips": None,
            "peak_rss_mb": report["peak_rss_kib"] / 1024, "statements": statements,
            "measured_accounts": run.accounts, "measured_seconds": run.seconds, "live_accounts": run.live,
            "measured_activity_rows": run.activity_rows}


def run_child(path: Path, body: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "WAREHOUSE": f"duckdb:///{path}", "AUTO_SCHEMA": "false", "LOG_LEVEL": "WARNING",
           "FUNCTION_TIMEOUT_SECONDS": "3600"}
    result = subprocess.run([sys.executable, __file__, "--child", json.dumps(body)], env=env, capture_output=True,
                            text=True, cwd=ROOT, timeout=3600, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith('{"status"')]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"the account-scoring child failed ({result.returncode}): {result.stderr[-2000:]}")
    report = dict(json.loads(lines[-1]))
    if report["status"] != 200 or report["answer"].get("status") != "success":
        raise SystemExit(f"account-scoring answered {report['status']}: {report['answer']}")
    return report


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def measure(sizes: Sizes, loop_cap: int) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Build one warehouse, run the three runs and the loop; prints a line per run, returns the reports by run
    and the loop's figure."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wh.duckdb"
        seconds, rows = build_warehouse(path, sizes)
        size_mib = path.stat().st_size / 2**20
        print(f"-- {sizes.accounts:,} accounts, {sizes.activity:,} activity rows ({rows['gmail_messages']:,} emails, "
              f"{rows['dialpad_calls']:,} calls, {rows['sf_events']:,} meetings, {rows['sf_tasks']:,} tasks), "
              f"{rows['gmail_participants']:,} participants, {rows['sf_contacts']:,} contacts, "
              f"{rows['sf_opportunities']:,} opportunities, {min(sizes.embedded, sizes.messages):,} embedded; "
              f"built in {seconds:.1f} s, file {size_mib:,.0f} MiB; {load()}", flush=True)
        next_day = (SCORE_DATE + dt.timedelta(days=1)).isoformat()
        runs = [("first", SCORE_DATE.isoformat()), ("same day", SCORE_DATE.isoformat()), ("next day", next_day)]
        reports: dict[str, dict[str, Any]] = {}
        for label, day in runs:
            r = run_child(path, {"score_date": day})
            counts = r["answer"].get("counts") or {}
            steps = r["steps"]
            print(f"{label:<9} " + " ".join(f"{steps[c]:>8.1f}" for c in COLUMNS)
                  + f" {r['statements']:>10} {int(counts.get('activity_signals', 0)):>10,}"
                  f" {int(counts.get('account_recommendations', 0)):>9,} {r['peak_rss_kib'] / 1024:>8,.0f} MiB"
                  f"  {load()}", flush=True)
            reports[label] = r
        loop = loop_figure(sizes, run_loop(path, loop_cap))
        print(f"{loop['variant']}: {loop['measured_accounts']:,} of {loop['live_accounts']:,} accounts "
              f"({loop['measured_activity_rows']:,} rows read) in {loop['measured_seconds']:.1f} s; "
              f"{loop['seconds']:,.1f} s and {loop['statements']:,} statements for all", flush=True)
        return reports, loop


def ratios(small: dict[str, dict[str, Any]], large: dict[str, dict[str, Any]], factor: float) -> None:
    print(f"-- ratios x{factor:g} size (time per step, total; peak RSS)")
    for label, r in large.items():
        s = small[label]
        parts = [f"{r['steps'][c] / s['steps'][c]:>8.1f}" if s["steps"][c] > 0 else f"{'-':>8}" for c in COLUMNS]
        print(f"{label:<9} " + " ".join(parts) + f" {'':>10} {'':>10} {'':>9} "
              f"{r['peak_rss_kib'] / s['peak_rss_kib']:>8.1f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="Salesforce accounts (at scale 1)")
    parser.add_argument("--activity", type=int, default=10_000_000,
                        help="activity rows at scale 1: emails, calls, meetings and tasks together")
    parser.add_argument("--embedded", type=int, default=100_000, help="emails with a vector (at scale 1)")
    parser.add_argument("--scales", default="0.1,1", help="comma-separated fractions of the sizes to run, in order")
    parser.add_argument("--loop-cap", type=int, default=1000,
                        help="accounts the per-account loop scores at most (extrapolated past it)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    parser.add_argument("--child", metavar="BODY", help=argparse.SUPPRESS)
    parser.add_argument("--loop-child", nargs=2, metavar=("PATH", "CAP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(json.loads(args.child))
        return
    if args.loop_child is not None:
        loop_child(args.loop_child[0], int(args.loop_child[1]))
        return
    scales = [float(x) for x in args.scales.split(",")]
    print(f"account-scoring on DuckDB, score date {SCORE_DATE}, {os.cpu_count()} CPUs, {load()}")
    print(f"{'run':<9} " + " ".join(f"{c + ' s':>8}" for c in COLUMNS)
          + f" {'statements':>10} {'signals':>10} {'scored':>9} {'peak RSS':>12}")
    results = []
    figures: list[dict[str, Any]] = []
    for scale in scales:
        sizes = Sizes(max(10, round(args.accounts * scale)), max(100, round(args.activity * scale)),
                      round(args.embedded * scale))
        reports, loop = measure(sizes, args.loop_cap)
        results.append((scale, reports))
        figures.extend(figure(sizes, label, r) for label, r in reports.items())
        figures.append(loop)
    if len(results) > 1:
        (s0, small), (s1, large) = results[0], results[-1]
        ratios(small, large, s1 / s0)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


def figure(sizes: Sizes, label: str, report: dict[str, Any]) -> dict[str, Any]:
    """One run's figures in bench/report.py's shape."""
    counts = report["answer"].get("counts") or {}
    seconds = report["steps"]["total"]
    return {"function": "account-scoring", "variant": label, "size": sizes.accounts, "records": sizes.activity,
            "seconds": seconds, "records_per_s": sizes.activity / seconds, "round_trips": None,
            "peak_rss_mb": report["peak_rss_kib"] / 1024, "statements": report["statements"],
            "signals": int(counts.get("activity_signals", 0)),
            "scored": int(counts.get("account_recommendations", 0))}


if __name__ == "__main__":
    main()
