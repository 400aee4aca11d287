"""Benchmark gmail-sync: a full sync of N messages over 4 mailboxes against the Gmail fake with injected latency,
paced to the per-user quota budget, then an incremental run with nothing new; once per batch size, under the
fake's per-user concurrency limit (parts of one batch beyond it answer 429 "Too many concurrent requests").

    .venv/bin/python bench/bench_gmail_sync.py                      # 2,000 then 20,000 messages, batches 50 and 100
    .venv/bin/python bench/bench_gmail_sync.py --messages 2000 --batch-sizes 50 100 --concurrency 50
    .venv/bin/python bench/bench_gmail_sync.py --messages 20000 200000 --budget 25000 --latency-ms 30
    .venv/bin/python bench/bench_gmail_sync.py --json figures.json   # also the figures for bench/report.py

The sandbox runs in its own process, so the peak RSS printed is the function's alone. Figures: messages/s,
HTTP round trips per 100 messages, batch parts refused for concurrency, peak quota units/s per mailbox as the
fake accounted them (a 60 s moving average, how Gmail's 15,000 units/min counts) against the budget, calls
refused for quota, peak RSS; then the batch sizes side by side. `--internal-share F` makes that share of every
mailbox's messages internal-only (from the mailbox to another synced one): the privacy filter (GMAIL_EXTERNAL_ONLY,
on by default) fetches and drops them, so they cost quota and store nothing; the run's quota units per stored
message against a run without (`--internal-share 0`) is what the participant filter costs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.gmail_sync.gmail_quota import UNITS_GET  # noqa: E402
from sandbox.apis.gmail import gmail_fake  # noqa: E402
from sandbox.env import settings_env  # noqa: E402
from sandbox.gmail_store import CONCURRENT_PER_USER  # noqa: E402
from sandbox.server import Sandbox  # noqa: E402
from sandbox.world import build_world  # noqa: E402
from sandbox.world_models import Address  # noqa: E402
from shared import entrypoint  # noqa: E402
from shared.log import configure_logging  # noqa: E402
from shared.warehouse.base import observe_statements  # noqa: E402
from tools.invoke import invoke  # noqa: E402
from tools.pipeline import by_cloud_name  # noqa: E402

MAILBOXES = 4
QUOTA_WINDOW_S = 60.0


def fill(sandbox: Sandbox, per_mailbox: int) -> int:
    """Top every mailbox up (or cut it down) to `per_mailbox` messages received over the last year."""
    store = gmail_fake(sandbox.app).store
    rng = random.Random(f"{sandbox.world.seed}/bench-gmail")
    now = datetime.now(UTC)
    for mailbox in sandbox.world.mailboxes[:MAILBOXES]:
        live = store.messages_of(mailbox)
        for message in live[per_mailbox:]:
            store.delete_message(mailbox, message.email.message_id)
        for _ in range(per_mailbox - len(live)):
            store.add_message(mailbox, internal_at=now - timedelta(seconds=rng.randrange(365 * 86400)))
    return sum(len(store.messages_of(m)) for m in sandbox.world.mailboxes[:MAILBOXES])


def make_internal(sandbox: Sandbox, share: float) -> int:
    """Replace `share` of every mailbox's messages by internal-only ones (the mailbox writing to another synced
    mailbox, same receipt time); returns how many."""
    store = gmail_fake(sandbox.app).store
    rng = random.Random(f"{sandbox.world.seed}/bench-gmail-internal")
    mailboxes = sandbox.world.mailboxes[:MAILBOXES]
    replaced = 0
    for number, mailbox in enumerate(mailboxes):
        colleague = Address("Colleague", mailboxes[(number + 1) % len(mailboxes)])
        live = store.messages_of(mailbox)
        for message in rng.sample(live, round(share * len(live))):
            store.delete_message(mailbox, message.email.message_id)
            new_id = store.new_message_id(message.internal_at)
            email = dataclasses.replace(message.email, message_id=new_id, thread_id=new_id, cc=[],
                                        sender=Address("Rep", mailbox), to=[colleague],
                                        rfc822_id=f"<internal-{new_id}@bench.test>")
            store.add_message(mailbox, email=email, labels=list(message.labels), internal_at=message.internal_at)
            replaced += 1
    return replaced


def serve(messages: int, budget: float, latency_ms: float, concurrency: int, internal_share: float) -> None:
    """The sandbox process: fill the mailboxes, print how to reach them, serve until stdin closes."""
    with Sandbox(build_world(seed=7, scale=1)) as sandbox:
        total = fill(sandbox, messages // MAILBOXES)
        make_internal(sandbox, internal_share)
        store = gmail_fake(sandbox.app).store
        store.concurrent_per_user = concurrency or None
        quota = store.quota
        quota.units_per_second, quota.window_s = budget, QUOTA_WINDOW_S
        quota.reset()
        sandbox.faults.add("/", status=None, delay=latency_ms / 1000, times=None)
        mailboxes = sandbox.world.mailboxes[:MAILBOXES]
        print(json.dumps({"env": {**settings_env(sandbox), "GMAIL_MAILBOXES": json.dumps(mailboxes)},
                          "url": sandbox.http_url, "messages": total}), flush=True)
        sys.stdin.read()


def stats(url: str) -> dict[str, Any]:
    answer: dict[str, Any] = requests.get(f"{url}/_sandbox/gmail/stats", timeout=30).json()
    return answer


def measure(messages: int, budget: float, latency_ms: float, batch_size: int, concurrency: int,
            workers: int | None = None, internal_share: float = 0.0) -> dict[str, Any]:
    """The function process: sync through the HTTP entry point against the sandbox process."""
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(messages), "--budget", str(budget),
                               "--latency-ms", str(latency_ms), "--concurrency", str(concurrency),
                               "--internal-share", str(internal_share)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdin and server.stdout
    try:
        sandbox = json.loads(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            os.environ.update({**sandbox["env"], "WAREHOUSE": f"duckdb:///{tmp}/wh.duckdb", "LOG_LEVEL": "WARNING",
                               "GMAIL_QUOTA_UNITS_PER_SECOND": str(budget), "GMAIL_BATCH_SIZE": str(batch_size),
                               **({"GMAIL_MAX_WORKERS": str(workers)} if workers else {})})
            return {"batch_size": batch_size, "concurrency": concurrency, "workers": workers,
                    "internal_share": internal_share, **sync_twice(sandbox["url"], sandbox["messages"])}
    finally:
        server.stdin.close()
        server.wait(timeout=60)


def sync_twice(url: str, total: int) -> dict[str, Any]:
    entry = by_cloud_name("gmail-sync")
    before = stats(url)["requests"]
    statements: list[str] = []
    started = time.perf_counter()
    with observe_statements(lambda sql, params: statements.append(sql)):
        status, answer = invoke(entry, {"sync_type": "full"})
    seconds = time.perf_counter() - started
    after = stats(url)
    invoke(entry, {})
    idle = stats(url)["requests"] - after["requests"] - 1
    entrypoint.reset_runtimes()
    round_trips = after["requests"] - before - 1
    quota = after["quota"]
    return {
        "messages": total, "status": status, "run_status": answer["status"], "seconds": round(seconds, 1),
        "stored": answer["counts"].get("gmail_messages", 0), "messages_per_s": round(total / seconds, 1),
        "round_trips": round_trips, "round_trips_per_100": round(round_trips / total * 100, 3),
        "peak_units_per_s": max(round(q["peak_units_per_second"], 1) for q in quota.values() if q["units"]),
        "mean_units_per_s": max(round(q["units"] / seconds, 1) for q in quota.values()),
        "refused": sum(q["refused"] for q in quota.values()), "idle_incremental_requests": idle,
        "concurrency_refused": sum(q["concurrency_refused"] for q in quota.values()),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "exact_seconds": seconds, "statements": len(statements),
        "skipped_internal": answer["counts"].get("gmail_skipped_internal", 0),
        "units": sum(q["units"] for q in quota.values()),
    }


def report(figures: dict[str, Any], budget: float, latency_ms: float) -> None:
    print(f"\n{figures['messages']:,} messages, {MAILBOXES} mailboxes, {latency_ms:.0f} ms latency, "
          f"budget {budget:g} units/s per mailbox, batches of {figures['batch_size']}, concurrency limit "
          f"{figures['concurrency'] or 'none'}: HTTP {figures['status']} {figures['run_status']}")
    print(f"  wall time               {figures['seconds']} s ({figures['stored']:,} rows stored)")
    print(f"  messages/s              {figures['messages_per_s']}")
    print(f"  HTTP round trips        {figures['round_trips']} = {figures['round_trips_per_100']} per 100 messages")
    print(f"  parts refused (429)     {figures['concurrency_refused']} for concurrency, each sent again")
    short = " — the run is shorter than the window" if figures["seconds"] < QUOTA_WINDOW_S else ""
    print(f"  peak quota units/s      {figures['peak_units_per_s']} (busiest mailbox, {QUOTA_WINDOW_S:.0f} s moving "
          f"average{short}) vs budget {budget:g}; run mean {figures['mean_units_per_s']}; "
          f"{figures['refused']} refused")
    print(f"  idle incremental run    {figures['idle_incremental_requests']} requests")
    stored = figures["messages"] - figures["skipped_internal"]
    print(f"  privacy filter          {figures['skipped_internal']:,} internal-only messages fetched and dropped "
          f"({figures['internal_share']:.0%} made internal); {figures['units']:,.0f} quota units in all, "
          f"{figures['units'] / max(stored, 1):.2f} per stored message")
    print(f"  peak RSS                {figures['peak_rss_mb']} MB (the function's process; the sandbox runs apart)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, nargs="*", default=[2_000, 20_000])
    parser.add_argument("--budget", type=float, default=250.0, help="quota units/s per mailbox")
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--batch-sizes", type=int, nargs="*", default=[50, 100], help="GMAIL_BATCH_SIZE values")
    parser.add_argument("--concurrency", type=int, default=CONCURRENT_PER_USER,
                        help="the fake's batch parts served per user (0: no limit)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    parser.add_argument("--baseline", choices=("small", "none"), default="small",
                        help="the origin's way as the baseline: one message per request, one mailbox at a time "
                             "(GMAIL_BATCH_SIZE=1, GMAIL_MAX_WORKERS=1), at the first size only (small)")
    parser.add_argument("--internal-share", type=float, default=0.0,
                        help="share of every mailbox's messages made internal-only (the privacy filter drops them)")
    parser.add_argument("--batch", type=int, default=50, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure_logging("WARNING", stream=sys.stderr)
    if args.serve:
        serve(args.serve, args.budget, args.latency_ms, args.concurrency, args.internal_share)
        return 0
    if args.one:
        print(json.dumps(measure(args.one, args.budget, args.latency_ms, args.batch, args.concurrency, args.workers,
                                 args.internal_share)))
        return 0
    figures = []
    for number, size in enumerate(args.messages):
        runs = []
        plan = [(batch, None) for batch in args.batch_sizes]
        if args.baseline == "small" and number == 0:
            plan.append((1, 1))
        for batch, workers in plan:
            done = subprocess.run([sys.executable, __file__, "--one", str(size), "--budget", str(args.budget),
                                   "--latency-ms", str(args.latency_ms), "--batch", str(batch), "--concurrency",
                                   str(args.concurrency), *(["--workers", str(workers)] if workers else []),
                                   "--internal-share", str(args.internal_share)],
                                  capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            report(runs[-1], args.budget, args.latency_ms)
            figures.append(figure(runs[-1], size, args.budget, args.latency_ms))
            if workers:
                figures[-1].update(variant=NAIVE, baseline_of=f"batch {args.batch_sizes[0]}")
        compare(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


NAIVE = "per-message sequential"
"""The origin's way: one messages.get per request, one mailbox after another."""


def figure(run: dict[str, Any], size: int, budget: float, latency_ms: float) -> dict[str, Any]:
    """One run's figures in bench/report.py's shape; quota: the busiest mailbox's mean units/s over the run."""
    internal = f", {run['internal_share']:.0%} internal" if run.get("internal_share") else ""
    return {"function": "gmail-sync", "variant": f"batch {run['batch_size']}{internal}", "size": size,
            "records": run["messages"], "seconds": run["exact_seconds"],
            "records_per_s": run["messages"] / run["exact_seconds"], "round_trips": run["round_trips"],
            "peak_rss_mb": run["peak_rss_mb"], "statements": run["statements"],
            "quota_units_per_s": run["mean_units_per_s"], "quota_budget_units_per_s": budget,
            "quota_limit_records_per_s": budget / UNITS_GET * MAILBOXES,
            "peak_units_per_s": run["peak_units_per_s"], "quota_refused": run["refused"],
            "concurrency_refused": run["concurrency_refused"],
            "idle_incremental_requests": run["idle_incremental_requests"], "latency_ms": latency_ms}


def compare(runs: list[dict[str, Any]]) -> None:
    if len(runs) < 2:
        return
    print(f"\n  {'batch':>5}  {'messages/s':>10}  {'round trips/100':>15}  {'parts refused':>13}  {'wall s':>6}")
    for run in runs:
        print(f"  {run['batch_size']:>5}  {run['messages_per_s']:>10}  {run['round_trips_per_100']:>15}  "
              f"{run['concurrency_refused']:>13}  {run['seconds']:>6}")


if __name__ == "__main__":
    sys.exit(main())
