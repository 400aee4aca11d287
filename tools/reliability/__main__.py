"""python -m tools.reliability [--functions a,b] [--scenarios x,y] [--seed 11 --scale 1]: exit 1 on any failure,
or on any secret of the harness environment found in a log line, an answer or a warehouse table."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tools.pipeline import PIPELINE, by_cloud_name
from tools.reliability import catalog, report, runner
from tools.reliability.secrets_scan import Scanner


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--functions", help="cloud names, comma-separated (default: all seven)")
    parser.add_argument("--scenarios", help=f"comma-separated, of {', '.join(s.name for s in catalog.ALL)}")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args(argv)
    names = _names(args.functions)
    functions = [by_cloud_name(n) for n in names] if names else list(PIPELINE)
    functions.sort(key=PIPELINE.index)
    chosen = catalog.by_name(_names(args.scenarios))
    started = time.monotonic()
    outcomes = []
    scanner = Scanner()
    with tempfile.TemporaryDirectory(prefix="reliability-") as workdir, scanner.capturing():
        for outcome in runner.run(functions, chosen, args.seed, args.scale, Path(workdir), scanner.tamper):
            outcomes.append(outcome)
            print(f"  {outcome.function} / {outcome.scenario}: {'ok' if outcome.passed else 'FAIL'}", flush=True)
        hits = scanner.finish([Path(workdir) / "clean.duckdb"])
    print(f"\n{report.table(outcomes)}\n\n{report.notes(outcomes)}")
    scanned = ", ".join(f"{n} {what}" for what, n in scanner.scanned.items())
    print(f"\nsecrets: {len(scanner.secrets)} fake secret values searched in {scanned}: {len(hits)} hits")
    for hit in hits:
        print(f"  LEAK {hit.name} in {hit.where}")
    print(f"\n{len(outcomes)} cases in {time.monotonic() - started:.0f} s")
    return 0 if all(o.passed for o in outcomes) and not hits else 1


if __name__ == "__main__":
    sys.exit(main())
