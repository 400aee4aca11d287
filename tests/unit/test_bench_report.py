"""bench/report.py: the figures' summaries, the ratios at 10x, the machine header and the rendered table."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from bench import bench_incremental_requests as incremental
from bench import report
from sandbox.recording import RecordedRequest

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
    assert benches["warehouse-writes"].command(True, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_warehouse_writes.py"), "--rows", "100", "1000", "--json",
        str(out)]
    assert benches["pipeline-incremental"].command(True, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_incremental_requests.py"), "--json", str(out)]
    assert sorted(benches) == sorted(["salesforce-sync", "dialpad-sync", "gmail-sync", "usage-collect",
                                      "entity-resolution", "generate-embeddings", "account-scoring",
                                      "warehouse-writes", "pipeline-incremental"])


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



# Two runs of bench_warehouse_writes.py --rows 100 (per-row is the baseline of merge) and of the incremental bench.
BASELINE_CANNED = [
    {"function": "warehouse-writes", "variant": "per-row", "size": 100, "records": 100, "seconds": 2.0,
     "records_per_s": 50.0, "statements": 100, "peak_rss_mb": 300.0, "baseline_of": "merge", "run": 1},
    {"function": "warehouse-writes", "variant": "merge", "size": 100, "records": 100, "seconds": 0.1,
     "records_per_s": 1000.0, "statements": 1, "peak_rss_mb": 270.0, "run": 1},
    {"function": "warehouse-writes", "variant": "per-row", "size": 100, "records": 100, "seconds": 2.5,
     "records_per_s": 40.0, "statements": 100, "peak_rss_mb": 300.0, "baseline_of": "merge", "run": 2},
    {"function": "warehouse-writes", "variant": "merge", "size": 100, "records": 100, "seconds": 0.125,
     "records_per_s": 800.0, "statements": 1, "peak_rss_mb": 240.0, "run": 2},
    {"function": "warehouse-writes", "variant": "merge", "size": 1000, "records": 1000, "seconds": 0.2,
     "records_per_s": 5000.0, "statements": 1, "peak_rss_mb": 280.0, "run": 1},
]
REQUESTS_CANNED = [
    {"function": "pipeline-incremental", "variant": "gmail ann@example.test", "size": 1, "records": None,
     "round_trips": 3, "goal": 20, "run": 1},
    {"function": "pipeline-incremental", "variant": "gmail ann@example.test", "size": 1, "records": None,
     "round_trips": 21, "goal": 20, "run": 2},
    {"function": "pipeline-incremental", "variant": "salesforce Contact", "size": 1, "records": None,
     "round_trips": 3, "goal": 20, "run": 1},
    {"function": "pipeline-incremental", "variant": "all sources (HTTP round trips)", "size": 1, "records": None,
     "round_trips": 46, "goal": None, "run": 1},
]


def test_given_tiny_ratios_when_formatted_then_three_significant_figures() -> None:
    assert report.number(0.0001) == "0.0001"
    assert report.number(0.000123456) == "0.000123"
    assert report.number(0.005) == "0.005"
    assert report.number(0.0) == "0.000"


def test_given_a_baseline_when_rendered_then_ours_over_baseline_run_by_run_at_its_size() -> None:
    lines = report.baseline_table(BASELINE_CANNED)

    assert lines == [
        "| function | ours | baseline | size | records/s ours/baseline | time ours/baseline "
        "| statements ours/baseline | round trips ours/baseline | peak RSS ours/baseline |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
        "| warehouse-writes | merge | per-row | 100 | 20.0 | 0.050 | 0.010 | — | 0.850 (0.800\u20130.900) |",
    ]
    assert report.baseline_table(CANNED) == []


def test_given_request_counts_when_rendered_then_their_own_table_against_the_goal() -> None:
    text = report.render([*CANNED, *REQUESTS_CANNED], {}, "1 run.")
    lines = text.splitlines()

    start = lines.index("| function | scope | size | requests | goal | met |")
    assert lines[start - 2] == "Source requests of a no-change incremental run of the whole pipeline:"
    assert lines[start + 2:start + 6] == [
        "| pipeline-incremental | gmail ann@example.test | 1 | 12 (3\u201321) | < 20 | no |",
        "| pipeline-incremental | salesforce Contact | 1 | 3 | < 20 | yes |",
        "| pipeline-incremental | all sources (HTTP round trips) | 1 | 46 | — | — |",
        "",
    ]
    assert not any(line.startswith("| pipeline-incremental") for line in lines[:start])
    assert "Ours against the naive baselines" not in text


def recorded(method: str, path: str, query: dict[str, list[str]] | None = None, body: bytes = b"",
             headers: dict[str, str] | None = None) -> RecordedRequest:
    return RecordedRequest(method, path, query or {}, headers or {}, body, dt.datetime(2026, 5, 4, tzinfo=dt.UTC), 200)


def test_given_logged_source_requests_when_scoped_then_each_mailbox_object_endpoint_and_source_counted() -> None:
    part = ("--b\r\nContent-Type: application/http\r\nContent-ID: <{n}>\r\n\r\n"
            "GET /gmail/v1/users/{user}/messages/m{n}?format=raw HTTP/1.1\r\n\r\n")
    batch = "".join(part.format(n=n, user="bo@example.test" if n == 2 else "ann@example.test") for n in range(3))
    soql = "SELECT Id FROM Contact WHERE SystemModstamp > 2026-05-01T00:00:00Z"
    log = [
        recorded("POST", "/services/oauth2/token"),
        recorded("GET", "/services/data/v59.0/sobjects/Contact/describe"),
        recorded("GET", "/services/data/v59.0/queryAll/", {"q": [soql]}),
        recorded("GET", "/services/data/v59.0/queryAll/01gSB0000000001AAQ-2000"),
        recorded("GET", "/services/data/v59.0/sobjects/Lead/deleted/"),
        recorded("POST", "/services/data/v59.0/jobs/query", body=b'{"operation": "queryAll", "query": "SELECT Id '
                 b'FROM Task"}'),
        recorded("GET", "/services/data/v59.0/jobs/query/750SB0000000001"),
        recorded("GET", "/gmail/v1/users/ann@example.test/history"),
        recorded("POST", "/batch/gmail/v1", body=(batch + "--b--\r\n").encode(),
                 headers={"Content-Type": "multipart/mixed; boundary=b"}),
        recorded("GET", "/api/v2/call"), recorded("GET", "/api/v2/call/123"),
        recorded("GET", "/api/v2/transcripts/123"),
        recorded("GET", "/v1/organizations/usage_report/messages"), recorded("POST", "/teams/spend"),
        recorded("GET", "/v4/spreadsheets/sheet-id/values/Mapping!A:E"),
    ]

    counted = incremental.count(log, [("gmail", "cy@example.test")])

    assert counted == {
        ("gmail", "cy@example.test"): 0, ("salesforce", "token"): 1, ("salesforce", "Contact"): 3,
        ("salesforce", "Lead"): 1, ("salesforce", "Task"): 2, ("gmail", "ann@example.test"): 3,
        ("gmail", "bo@example.test"): 1, ("dialpad", "call"): 1, ("dialpad", "call/{id}"): 1,
        ("dialpad", "transcripts/{id}"): 1, ("usage", "anthropic"): 1, ("usage", "cursor"): 1, ("usage", "sheets"): 1,
    }
    figures = incremental.figures(counted, len(log), 1)
    assert figures[-1] == {"function": "pipeline-incremental", "variant": "all sources (HTTP round trips)",
                           "size": 1, "records": None, "round_trips": 15, "goal": None}
    assert figures[1] == {"function": "pipeline-incremental", "variant": "salesforce token", "size": 1,
                          "records": None, "round_trips": 1, "goal": 20}
