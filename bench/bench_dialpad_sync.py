"""Benchmark dialpad-sync: a full sync of N and 10xN calls (default 5,000 and 50,000) from the sandbox.

    .venv/bin/python bench/bench_dialpad_sync.py [--scale 20] [--workers 4] [--baseline small|all|none]
        [--latency-ms 0] [--json figures.json]

Each size gets its own world and sandbox in this process (which counts the HTTP round trips it serves); the
sync runs through the function's HTTP entry point in a child process, so the child's peak RSS is the sync's
own memory, not the world's. The fake's rate limits and the client's pacing are lifted to measure our code;
the line "quota-bound" says how long the same sync takes at the default pacing that respects Dialpad's
limits (list 3/s + transcripts 15/s = the company's 20 requests/s), which is what bounds it in production.
`--latency-ms` delays every sandbox answer; `--json` also writes the figures for bench/report.py.

The naive baseline `sequential` is the same sync with DIALPAD_TRANSCRIPT_WORKERS=1 (one transcript at a time),
run on the same world and its figure names the pooled one (`--workers`) it is the baseline of (`baseline_of`).
By default it runs at N only (`--baseline small`): with latency it takes about `--workers` times as long as ours,
and at 10xN that is most of the bench's time; `all` runs it at both sizes, `none` skips it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

CALLS_PER_SCALE = 250
LIST_RATE, TRANSCRIPT_RATE = 3.0, 15.0


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux's VmHWM, because getrusage's ru_maxrss carries over the parent's peak
    through fork + exec (the parent holds a large world), which would hide the sync's own figure."""
    try:
        status = Path("/proc/self/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(body: str) -> int:
    """Run one sync through the HTTP entry point; print its answer, wall time and peak RSS as JSON."""
    from shared.warehouse.base import observe_statements
    from tools.invoke import invoke
    from tools.pipeline import by_cloud_name

    statements: list[str] = []
    started = time.perf_counter()
    with observe_statements(lambda sql, params: statements.append(sql)):
        status, answer = invoke(by_cloud_name("dialpad-sync"), json.loads(body))
    seconds = time.perf_counter() - started
    print(json.dumps({"http": status, "answer": answer, "seconds": seconds, "statements": len(statements),
                      "peak_rss_mb": peak_rss_mb()}))
    return 0


def measure(scale: int, workers: int, latency_ms: float = 0.0) -> dict[str, Any]:
    from sandbox.apis.dialpad import dialpad_fake
    from sandbox.env import settings_env
    from sandbox.server import Sandbox
    from sandbox.world import build_world

    world = build_world(seed=7, scale=scale)
    since = (world.anchor - dt.timedelta(days=100)).date().isoformat()
    with tempfile.TemporaryDirectory() as tmp, Sandbox(world) as sandbox:
        dialpad_fake(sandbox.app).limits.enabled = False
        if latency_ms:
            sandbox.faults.add("/", status=None, delay=latency_ms / 1000, times=None)
        env = {**os.environ, **settings_env(sandbox), "WAREHOUSE": f"duckdb:///{tmp}/bench.duckdb",
               "DIALPAD_BASE_URL": sandbox.http_url, "LOG_LEVEL": "WARNING",
               "DIALPAD_LIST_RATE_PER_SECOND": "100000", "DIALPAD_TRANSCRIPT_RATE_PER_SECOND": "100000",
               "DIALPAD_TRANSCRIPT_WORKERS": str(workers)}
        body = json.dumps({"sync_type": "full", "started_after": since})
        done = subprocess.run([sys.executable, __file__, "--child", body], env=env, capture_output=True,
                              text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise SystemExit(f"sync failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["calls"] = len(world.calls)
        result["list_trips"] = sandbox.log.count("GET", "/api/v2/call")
        result["transcript_trips"] = sandbox.log.count("GET", "/api/v2/transcripts/")
    return result


def report(result: dict[str, Any]) -> str:
    calls = result["calls"]
    trips = result["list_trips"] + result["transcript_trips"]
    quota_s = result["list_trips"] / LIST_RATE + result["transcript_trips"] / TRANSCRIPT_RATE
    counts = result["answer"]["counts"]
    return (f"{calls:>7,} calls  HTTP {result['http']} {result['answer']['status']:<8} "
            f"{calls / result['seconds']:>7,.0f} calls/s ({result['seconds']:.1f} s)  "
            f"round trips {trips:,} = {1000 * trips / calls:,.0f} per 1000 calls "
            f"(list {1000 * result['list_trips'] / calls:.1f}, transcripts "
            f"{1000 * result['transcript_trips'] / calls:.0f})  peak RSS {result['peak_rss_mb']:.0f} MB  "
            f"rows {counts.get('dialpad_calls', 0):,} calls + {counts.get('dialpad_transcript_lines', 0):,} lines  "
            f"quota-bound {quota_s / 60:.0f} min")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=20, help=f"N = scale x {CALLS_PER_SCALE} calls; also runs 10xN")
    parser.add_argument("--workers", type=int, default=4, help="DIALPAD_TRANSCRIPT_WORKERS")
    parser.add_argument("--baseline", choices=("small", "all", "none"), default="small",
                        help="sizes of the sequential baseline (1 transcript worker): N only (default), both, none")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every sandbox answer")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    print(f"dialpad-sync full sync, transcript workers={args.workers}, sandbox over HTTP on loopback")
    scales = (args.scale, 10 * args.scale)
    results = [measure(scale, args.workers, args.latency_ms) for scale in scales]
    for result in results:
        print(report(result))
    small, large = results
    print(f"10x calls: time x{large['seconds'] / small['seconds']:.1f}, "
          f"peak RSS x{large['peak_rss_mb'] / small['peak_rss_mb']:.2f}")
    baseline_scales = {"small": scales[:1], "all": scales, "none": ()}[args.baseline]
    baselines = [measure(scale, 1, args.latency_ms) for scale in baseline_scales]
    if baselines:
        print("sequential baseline, transcript workers=1")
    for scale, result in zip(baseline_scales, baselines, strict=True):
        print(report(result))
        ours = results[scales.index(scale)]
        print(f"  ours ({args.workers} workers) / sequential: calls/s x{result['seconds'] / ours['seconds']:.2f}")
    if args.json:
        figures = [figure(result, scale * CALLS_PER_SCALE, args.workers, args.latency_ms)
                   for scale, result in zip(scales, results, strict=True)]
        figures += [figure(result, scale * CALLS_PER_SCALE, 1, args.latency_ms, baseline_of=f"{args.workers} workers")
                    for scale, result in zip(baseline_scales, baselines, strict=True)]
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


def figure(result: dict[str, Any], size: int, workers: int, latency_ms: float, baseline_of: str | None = None
           ) -> dict[str, Any]:
    """One run's figures in bench/report.py's shape; a baseline's variant is `sequential`."""
    variant = "sequential" if baseline_of else f"{workers} workers"
    extra = {"baseline_of": baseline_of} if baseline_of else {}
    return {"function": "dialpad-sync", "variant": variant, "size": size, "records": result["calls"],
            "seconds": result["seconds"], "records_per_s": result["calls"] / result["seconds"],
            "round_trips": result["list_trips"] + result["transcript_trips"], "peak_rss_mb": result["peak_rss_mb"],
            "statements": result["statements"], "list_trips": result["list_trips"],
            "transcript_trips": result["transcript_trips"], "latency_ms": latency_ms, "workers": workers, **extra}


if __name__ == "__main__":
    sys.exit(main())
