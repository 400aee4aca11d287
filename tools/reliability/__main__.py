"""python -m tools.reliability [--functions a,b] [--scenarios x,y] [--seed 11 --scale 1] [--jobs 2]: exit 1 on any
failure, or on any secret of the harness environment found in a log line, an answer or a warehouse table.

With --jobs N the cases are shared among N child processes (`--shard k/N`, each writing its outcomes as JSON),
and this process prints the one table of them all, in the catalog's order.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.pipeline import PIPELINE, by_cloud_name
from tools.reliability import catalog, report, runner
from tools.reliability.runner import Outcome
from tools.reliability.secrets_scan import Scanner


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def _shard(text: str) -> tuple[int, int]:
    index, _, total = text.partition("/")
    shard = (int(index), int(total))
    if not 0 <= shard[0] < shard[1]:
        raise argparse.ArgumentTypeError(f"--shard k/n needs 0 <= k < n, not {text}")
    return shard


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--functions", help="cloud names, comma-separated (default: all seven)")
    parser.add_argument("--scenarios", help=f"comma-separated, of {', '.join(s.name for s in catalog.ALL)}")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="child processes sharing the cases")
    parser.add_argument("--shard", type=_shard, default=(0, 1), help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.jobs > 1:
        outcomes, secrets = _in_children(argv if argv is not None else sys.argv[1:], args.jobs)
    else:
        outcomes, secrets = _here(args)
    if args.json:
        args.json.write_text(json.dumps({"outcomes": [o.to_json() for o in outcomes], "secrets": secrets}))
        return 0
    order = {(f.cloud_name, s.name): i for i, (f, s) in enumerate((f, s) for f in PIPELINE for s in catalog.ALL)}
    outcomes.sort(key=lambda o: order[(o.function, o.scenario)])
    print(f"\n{report.table(outcomes)}\n\n{report.notes(outcomes)}")
    print(f"\nsecrets: {secrets['values']} fake secret values searched in {secrets['log lines']} log lines, "
          f"{secrets['answers']} answers, {secrets['warehouses']} warehouses: {len(secrets['hits'])} hits")
    for hit in secrets["hits"]:
        print(f"  LEAK {hit}")
    print(f"\n{len(outcomes)} cases in {time.monotonic() - started:.0f} s")
    return 0 if all(o.passed for o in outcomes) and not secrets["hits"] else 1


def _here(args: argparse.Namespace) -> tuple[list[Outcome], dict[str, Any]]:
    names = _names(args.functions)
    functions = [by_cloud_name(n) for n in names] if names else list(PIPELINE)
    functions.sort(key=PIPELINE.index)
    chosen = catalog.by_name(_names(args.scenarios))
    outcomes = []
    scanner = Scanner()
    with tempfile.TemporaryDirectory(prefix="reliability-") as workdir, scanner.capturing():
        for outcome in runner.run(functions, chosen, args.seed, args.scale, Path(workdir), scanner.tamper,
                                  args.shard):
            outcomes.append(outcome)
            print(f"  {outcome.function} / {outcome.scenario}: {'ok' if outcome.passed else 'FAIL'}", flush=True)
        hits = scanner.finish([Path(workdir) / "clean.duckdb"])
    return outcomes, {**scanner.scanned, "values": len(scanner.secrets),
                      "hits": [f"{hit.name} in {hit.where}" for hit in hits]}


def _in_children(argv: list[str], jobs: int) -> tuple[list[Outcome], dict[str, Any]]:
    """Run the shards at once; a child that fails to report fails the whole run."""
    passed = [a for i, a in enumerate(argv) if not a.startswith("--jobs") and not (i and argv[i - 1] == "--jobs")]
    with tempfile.TemporaryDirectory(prefix="reliability-shards-") as folder:
        paths = [Path(folder) / f"shard-{k}.json" for k in range(jobs)]
        children = [subprocess.Popen([sys.executable, "-m", "tools.reliability", *passed, "--shard", f"{k}/{jobs}",  # noqa: S603
                                      "--json", str(path)]) for k, path in enumerate(paths)]
        codes = [child.wait() for child in children]
        if any(codes) or not all(path.exists() for path in paths):
            raise SystemExit(f"a reliability shard did not finish (exit codes {codes})")
        shards = [json.loads(path.read_text()) for path in paths]
    outcomes = [Outcome.from_json(o) for shard in shards for o in shard["outcomes"]]
    totals: dict[str, Any] = {key: sum(s["secrets"][key] for s in shards)
                              for key in ("log lines", "answers", "warehouses")}
    totals["values"] = max(s["secrets"]["values"] for s in shards)
    totals["hits"] = [hit for s in shards for hit in s["secrets"]["hits"]]
    return outcomes, totals


if __name__ == "__main__":
    sys.exit(main())
