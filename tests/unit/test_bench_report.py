"""bench/report.py: the figures' summaries, the ratios at 10x, the machine header and the rendered table."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parents[2]

# Two runs of gmail-sync at two sizes, as bench_gmail_sync.py --json writes them (report.py adds "run").
CANNED = json.loads("""[
 {"function": "gmail-sync", "variant": "batch 50", "size": 100, "records": 100, "seconds": 4.0,
  "records_per_s": 25.0, "round_trips": 12, "peak_rss_mb": 200, "statements": 105, "quota_units_per_s": 50,
  "quota_budget_units_per_s": 250, "run": 1},
 {"function": "gmail-sync", "variant": "batch 50", "size": 1000, "records": 1000, "seconds": 8.0,
  "records_per_s": 130.0, "round_trips": 28, "peak_rss_mb": 240, "statements": 105, "quota_units_per_s": 200,
  "quota_budget_units_per_s": 250, "run": 1},
 {"function": "gmail-sync", "variant": "batch 50", "size": 100, "records": 100, "seconds": 5.0,
  "records_per_s": 20.0, "round_trips": 12, "peak_rss_mb": 220, "statements": 105, "quota_units_per_s": 40,
  "quota_budget_units_per_s": 250, "run": 2},
 {"function": "gmail-sync", "variant": "batch 50", "size": 1000, "records": 1000, "seconds": 10.0,
  "records_per_s": 100.0, "round_trips": 28, "peak_rss_mb": 264, "statements": 105, "quota_units_per_s": 150,
  "quota_budget_units_per_s": 250, "run": 2},
 {"function": "entity-resolution", "variant": "first", "size": 400, "records": 440, "seconds": 1.0,
  "records_per_s": 440.0, "round_trips": null, "peak_rss_mb": 190, "statements": 8, "run": 1}
]""")
HEAD = ("| function | variant | size | records | records/s | round trips /100 records | quota units/s ÷ budget "
        "| peak RSS MB | statements | time \u00d7 | memory \u00d7 | round trips \u00d7 |")


def test_given_three_runs_when_summarised_then_median_with_min_and_max() -> None:
    assert report.spread([12.8, 11.9, 12.3]) == "12.3 (11.9\u201312.8)"
    assert report.spread([1500.0, 999.6, 1234.4]) == "1,234 (1,000\u20131,500)"
    assert report.spread([0.1234, 0.2, 0.15]) == "0.150 (0.123\u20130.200)"
    assert report.spread([5.678, 5.2, 6.0]) == "5.68 (5.20\u20136.00)"


def test_given_runs_that_agree_or_no_values_when_summarised_then_the_value_alone_or_a_dash() -> None:
    assert report.spread([144, 144, 144]) == "144"
    assert report.spread([None, None]) == "—"
    assert report.spread([None, 7.0]) == "7.00"


def test_given_counts_when_summarised_then_whole_numbers() -> None:
    assert report.spread([8, 8]) == "8"
    assert report.spread([7, 9, 8]) == "8 (7\u20139)"
    assert report.spread([7, 9]) == "8 (7\u20139)"
    assert report.spread([7, 8]) == "7.50 (7\u20138)"


def test_given_two_runs_at_two_sizes_when_ratios_then_paired_run_by_run() -> None:
    small = {1: {"seconds": 2.0, "peak_rss_mb": 100.0, "round_trips": None},
             2: {"seconds": 4.0, "peak_rss_mb": 100.0, "round_trips": None}}
    large = {1: {"seconds": 10.0, "peak_rss_mb": 150.0, "round_trips": None},
             2: {"seconds": 12.0, "peak_rss_mb": 130.0, "round_trips": None},
             3: {"seconds": 99.0, "peak_rss_mb": 999.0, "round_trips": None}}

    assert report.scale_ratios(large, small) == ["4.00 (3.00\u20135.00)", "1.40 (1.30\u20131.50)", "—"]


def test_given_proc_texts_when_machine_fields_read_then_memory_and_cpu_model() -> None:
    meminfo = "MemTotal:       24576000 kB\nMemFree:         1000000 kB\n"
    cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\n"

    assert report.memory_gib(meminfo) == 23.4375
    assert report.cpu_model(cpuinfo) == "AMD EPYC 7B13"
    assert report.memory_gib("") is None
    assert report.cpu_model("processor\t: 0\n") is None


def test_given_installed_and_missing_packages_when_versions_read_then_each_named() -> None:
    versions = report.package_versions(["duckdb", "no-such-package-for-b1"])

    assert versions == {"duckdb": metadata.version("duckdb"), "no-such-package-for-b1": "not installed"}


def test_given_this_machine_when_header_built_then_every_field_stated() -> None:
    header = report.machine()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()

    assert list(header) == ["cores", "memory", "cpu", "python", "packages", "commit", "date"]
    assert header["python"] == f"{platform.python_implementation()} {platform.python_version()}"
    assert header["packages"].split(", ")[0] == f"duckdb {metadata.version('duckdb')}"
    assert [p.split(" ")[0] for p in header["packages"].split(", ")] == list(report.PACKAGES)
    assert header["commit"].startswith(commit)
    assert header["memory"].endswith(" GiB")


def test_given_canned_figures_of_two_runs_and_two_sizes_when_rendered_then_the_exact_table() -> None:
    text = report.render(CANNED, {"cores": "2", "date": "2026-05-04 12:00 UTC"}, "2 run(s) of each bench.")
    lines = text.splitlines()

    assert lines[:6] == ["# Benchmark report", "", "2 run(s) of each bench.", "", "- cores: 2",
                         "- date: 2026-05-04 12:00 UTC"]
    start = lines.index(HEAD)
    assert lines[start + 2:start + 5] == [
        "| gmail-sync | batch 50 | 100 | 100 | 22.5 (20.0\u201325.0) | 12.0 | 0.180 (0.160\u20130.200) "
        "| 210 (200\u2013220) | 105 | — | — | — |",
        "| gmail-sync | batch 50 | 1,000 (10\u00d7) | 1,000 | 115 (100\u2013130) | 2.80 | 0.700 (0.600\u20130.800) "
        "| 252 (240\u2013264) | 105 | 2.00 | 1.20 | 2.33 |",
        "| entity-resolution | first | 400 | 440 | 440 | — | — | 190 | 8 | — | — | — |",
    ]
    assert lines[start + 5] == ""


def test_given_quick_and_latency_when_commands_built_then_only_latency_benches_take_it(tmp_path: Path) -> None:
    benches = {b.function: b for b in report.BENCHES}
    out = tmp_path / "f.json"

    assert benches["salesforce-sync"].command(True, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_salesforce_sync.py"), "--records", "300", "--mode", "rest",
        "--latency-ms", "30", "--json", str(out)]
    assert benches["entity-resolution"].command(False, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_entity_resolution.py"), "--json", str(out)]
    assert sorted(benches) == sorted(["salesforce-sync", "dialpad-sync", "gmail-sync", "usage-collect",
                                      "entity-resolution", "generate-embeddings", "account-scoring"])


def test_given_quick_run_of_salesforce_sync_when_reported_then_report_md_has_its_rows(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), "--quick", "--runs", "1", "--only",
                           "salesforce-sync", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in out.read_text().splitlines() if line.startswith("| salesforce-sync |")]
    assert [row.split(" | ")[1:4] for row in rows] == [["rest", "300", "868"], ["rest", "3,000 (10\u00d7)", "3,219"]]
    assert all(row.split(" | ")[8] == "144" for row in rows), rows
    assert rows[0] in done.stdout
    assert "- commit: " in out.read_text()

