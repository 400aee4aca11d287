"""Load test of one served function (`make serve`): concurrent 400-rejections and no-change incremental runs.

    .venv/bin/python bench/bench_serve_load.py [--function salesforce-sync] [--requests 300] [--runs 40]
                                               [--workers 8]

Starts `python -m tools.serve --function <fn> --port 0` (its own sandbox, a throwaway DuckDB warehouse) as a
child process, waits for the URL it announces and for it to answer, makes one initial run, then fires each kind
of request from a thread pool: `reject`, a body with an unknown field (documented answer: 400 naming the
field), and `run`, a no-change incremental run (200; 409 when another run of the function holds it, answered
`{"status": "skipped", "held_by": ...}`). Prints latency p50/p90/p99/max, requests/s and the HTTP statuses per
kind; exits 1 when any answer is not a documented one. The server is always stopped (SIGTERM, then kill).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.pipeline import by_cloud_name  # noqa: E402

UNKNOWN_FIELD = "bench_unknown_field"
STARTUP_SECONDS = 90
REQUEST_TIMEOUT = 120
_local = threading.local()


@dataclass
class Outcome:
    seconds: float
    status: int
    problem: str | None = None
    """Why the answer is not a documented one (None: it is)."""
    changed: int = 0
    """Rows a 200 run reports inserted or changed (a no-change run: 0)."""


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)


def session() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.trust_env = False
    return _local.session


def _pump(stream: Any, into: queue.Queue[str | None], kept: list[str]) -> None:
    """Read the server's stdout to the end (a full pipe would block its logging), keeping every line."""
    for line in stream:
        kept.append(line.rstrip("\n"))
        into.put(kept[-1])
    into.put(None)


def _announced_url(lines: queue.Queue[str | None], deadline: float) -> str:
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if line is None:
            raise RuntimeError("the server exited before announcing its URL")
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and str(record.get("url", "")).startswith("http://127.0.0.1:"):
            return str(record["url"])
    raise RuntimeError(f"no URL announced within {STARTUP_SECONDS} s")


@contextmanager
def served(function: str, workdir: Path) -> Iterator[Served]:
    env = {**os.environ, "WAREHOUSE": f"duckdb:///{workdir / 'warehouse.duckdb'}"}
    stderr = (workdir / "stderr.txt").open("w")
    process = subprocess.Popen([sys.executable, "-m", "tools.serve", "--function", function, "--port", "0"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    server = Served("", process)
    threading.Thread(target=_pump, args=(process.stdout, lines, server.lines), daemon=True).start()
    try:
        server.url = _announced_url(lines, time.monotonic() + STARTUP_SECONDS)
        yield server
    finally:
        stop(process)
        stderr.close()


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_answering(url: str, body: dict[str, Any]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if session().post(url, json=body, timeout=10).status_code == 400:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {STARTUP_SECONDS} s")
        time.sleep(0.2)


def post(url: str, body: dict[str, Any]) -> tuple[float, int, Any]:
    started = time.perf_counter()
    response = session().post(url, json=body, timeout=REQUEST_TIMEOUT)
    seconds = time.perf_counter() - started
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return seconds, response.status_code, answer


def rejection(url: str, body: dict[str, Any]) -> Outcome:
    seconds, status, answer = post(url, body)
    if status != 400:
        return Outcome(seconds, status, f"HTTP {status}, not 400")
    if not isinstance(answer, dict) or answer.get("field") != UNKNOWN_FIELD:
        return Outcome(seconds, status, f"400 not naming {UNKNOWN_FIELD}: {str(answer)[:200]}")
    return Outcome(seconds, status)


def incremental_run(url: str, body: dict[str, Any]) -> Outcome:
    seconds, status, answer = post(url, body)
    shape = answer if isinstance(answer, dict) else {}
    if status == 409:
        held = shape.get("status") == "skipped" and shape.get("held_by")
        return Outcome(seconds, status, None if held else f"409 without status skipped / held_by: {shape}")
    if status != 200:
        return Outcome(seconds, status, f"HTTP {status}: {str(answer)[:300]}")
    if shape.get("status") != "success":
        return Outcome(seconds, status, f"run {shape.get('status')}: {str(shape.get('errors'))[:300]}")
    return Outcome(seconds, status, changed=sum(int(v) for v in (shape.get("counts") or {}).values()))


def fire(count: int, workers: int, call: Callable[[], Outcome]) -> tuple[list[Outcome], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda _: _guarded(call), range(count)))
    return outcomes, time.perf_counter() - started


def _guarded(call: Callable[[], Outcome]) -> Outcome:
    started = time.perf_counter()
    try:
        return call()
    except requests.RequestException as exc:
        return Outcome(time.perf_counter() - started, 0, f"{type(exc).__name__}: {str(exc)[:200]}")


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def report(kind: str, outcomes: list[Outcome], wall: float) -> None:
    ms = sorted(o.seconds * 1000 for o in outcomes)
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(Counter(o.status for o in outcomes).items()))
    print(f"{kind:<7} {len(outcomes):>5} {percentile(ms, 0.5):>8.1f} {percentile(ms, 0.9):>8.1f} "
          f"{percentile(ms, 0.99):>8.1f} {ms[-1]:>8.1f} {statistics.fmean(ms):>8.1f} {len(outcomes) / wall:>8.1f}"
          f"  {statuses}")


def bodies(function: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The no-change run's body (the demo body, incremental where the function has a sync type) and the
    rejected one (the same with an unknown field)."""
    demo = dict(by_cloud_name(function).demo_body)
    run = {**demo, "sync_type": "incremental"} if "sync_type" in demo else demo
    return run, {**run, UNKNOWN_FIELD: 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--function", default="salesforce-sync", help="cloud name of the function to serve")
    parser.add_argument("--requests", type=int, default=300, help="rejected requests")
    parser.add_argument("--runs", type=int, default=40,
                        help="no-change runs (each makes the function's source requests: far slower)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent client threads")
    args = parser.parse_args(argv)
    run_body, reject_body = bodies(args.function)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp, served(args.function, Path(tmp)) as server:
        wait_until_answering(server.url, reject_body)
        seconds, status, answer = post(server.url, run_body)
        print(f"{args.function} on {server.url}; initial run: HTTP {status} "
              f"{(answer or {}).get('status')} in {seconds:.1f} s, counts {(answer or {}).get('counts')}")
        if status != 200:
            problems.append(f"initial run: HTTP {status}: {str(answer)[:300]}")
        print(f"{args.requests} rejections, {args.runs} runs, {args.workers} workers; latency in ms")
        print(f"{'kind':<7} {'n':>5} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'mean':>8} {'req/s':>8}  statuses")
        kinds: dict[str, tuple[int, Callable[[], Outcome]]] = {
            "reject": (args.requests, lambda: rejection(server.url, reject_body)),
            "run": (args.runs, lambda: incremental_run(server.url, run_body))}
        for kind, (count, call) in kinds.items():
            outcomes, wall = fire(count, args.workers, call)
            report(kind, outcomes, wall)
            by_status = {status: [o for o in outcomes if o.status == status] for status in {o.status for o in outcomes}}
            if len(by_status) > 1:
                for status, some in sorted(by_status.items()):
                    report(f"{kind}/{status}", some, wall)
            problems += [f"{kind}: {n} x {p}" for p, n in Counter(o.problem for o in outcomes if o.problem).items()]
            changed = [o.changed for o in outcomes if o.changed]
            if changed:
                print(f"note: {len(changed)} no-change runs reported rows written (up to {max(changed)})")
    for problem in problems:
        print(f"undocumented answer: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
