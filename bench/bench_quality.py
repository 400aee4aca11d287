"""Benchmark quality against the sandbox world's truth on larger worlds: semantic search (capped recall@10 and
MRR@10 per topic, local model), account scoring (Spearman of priority_score and budget_likelihood with the
hidden buying intent, precision@10/@20, beside the activity-count baseline) and entity resolution (contact and
account precision, contact recall and recall, and seconds, for ours, the naive per-row matcher and the peer
Splink on the same mail participants: bench/er_peers.py).

    .venv/bin/python bench/bench_quality.py [--seeds 11,7] [--scale 2] [--splink-python PATH] [--json PATH]

Per world (seed, scale): the Salesforce, Dialpad and Gmail syncs, entity resolution and generate-embeddings run
through their HTTP entry points into a temporary DuckDB warehouse; then the search queries, and account-scoring for
the day after the world's anchor (tests/integration/emb_quality.py and scoring_quality.py define the metrics; the
tests in tests/integration/test_world_quality.py check the floors on seed 11, scale 1). Entity resolution comes
last: the naive matcher overwrites the match columns. Splink runs in .venv-splink (`make bench` installs it); where
that environment is missing its row is left out and a line says so. `--json` writes the figures for
bench/report.py (each with `quality`: metric name -> value).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import er_peers  # noqa: E402
from sandbox.world import build_world  # noqa: E402
from tests.integration import emb_quality, scoring_quality  # noqa: E402
from tools.invoke import invoke  # noqa: E402
from tools.pipeline import by_cloud_name  # noqa: E402

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="11,7", help="comma-separated world seeds")
    parser.add_argument("--scale", type=int, default=2, help="world scale")
    parser.add_argument("--splink-python", type=Path, default=er_peers.SPLINK_PYTHON,
                        help="the Python of Splink's environment (default .venv-splink/bin/python)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON for bench/report.py")
    args = parser.parse_args(argv)
    figures: list[dict[str, object]] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        world = build_world(seed=seed, scale=args.scale, anchor=ANCHOR)
        label = f"seed {seed} scale {args.scale}"
        with tempfile.TemporaryDirectory() as folder, \
                emb_quality.embedded_world(world, f"duckdb:///{Path(folder) / 'wh.duckdb'}") as warehouse:
            loaded = time.perf_counter() - started
            retrieval = emb_quality.measure(world, warehouse)
            day = (ANCHOR + dt.timedelta(days=1)).date().isoformat()
            status, answer = invoke(by_cloud_name("account-scoring"), {"score_date": day})
            assert status == 200 and answer["status"] == "success", answer
            scoring = scoring_quality.measure(world, warehouse, answer["run_id"])
            matchers = [er_peers.ours(world, warehouse)]
            if args.splink_python.exists():
                domains = tuple(d for d in os.environ.get("COMPANY_DOMAINS", "").split(",") if d)
                matchers.append(er_peers.splink(world, warehouse, domains, args.splink_python))
            else:
                print(f"Splink left out: {args.splink_python} is missing (make .venv-splink/.installed)")
            matchers.append(er_peers.naive(world, warehouse))
        print(f"\nworld {label}: loaded and embedded in {loaded:.0f} s, "
              f"measured in {time.perf_counter() - started - loaded:.1f} s")
        print(retrieval.report())
        print(f"\naccount scoring on {day}: " + scoring.report())
        print("\nentity resolution on the mail participants:")
        for judged in matchers:
            summary = judged.quality.report().split("\nrecall by case type:")[0]
            print(f"{judged.variant}: {judged.rows} rows judged, {judged.seconds:.2f} s\n{summary}")
        figures += quality_figures(label, retrieval, scoring, matchers)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


def quality_figures(label: str, retrieval: emb_quality.Retrieval, scoring: scoring_quality.ScoringQuality,
                    matchers: list[er_peers.Judged]) -> list[dict[str, object]]:
    """The report's figures: one per function and variant, its metrics under `quality`."""
    figures: list[dict[str, object]] = [
        {"function": "generate-embeddings", "variant": "search (local model)", "world": label,
         "size": next(iter(retrieval.topics.values())).corpus,
         "quality": {"recall@10": retrieval.recall, "MRR@10": retrieval.mrr}}]
    for name, q in scoring.by_score.items():
        figures.append({"function": "account-scoring", "variant": name, "world": label, "size": scoring.accounts,
                        "quality": {"Spearman": q.spearman, "P@10": q.precision_at_10, "P@20": q.precision_at_20,
                                    "chance P@k": scoring.in_market / scoring.accounts}})
    for judged in matchers:
        figures.append({"function": "entity-resolution", "variant": judged.variant, "world": label,
                        "size": judged.rows, "quality": judged.figures()})
    return figures


if __name__ == "__main__":
    sys.exit(main())
