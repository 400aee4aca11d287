"""bench/report.py: the figures' summaries, the ratios at 10x, the machine header and the rendered table."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from bench import bench_incremental_requests as incremental
from bench import er_naive, report, scoring_naive
from sandbox.recording import RecordedRequest

ROOT = Path(__file__).resolve().parents[2]

# Two runs of gmail-sync at two sizes, as bench_gmail_sync.py --json writes them (report.py adds "run").
CANNED = json.loads("""[
 {"function": "gmail-sync", "variant": "batch 50", "size": 100, "records": 100, "seconds": 4.0,
  "records_per_s": 25.0, "round_trips": 12, "peak_rss_mb": 200, "statements": 105, "quota_units_per_s": 50,
  "quota_budget_units_per_s": 250, "quota_limit_records_per_s": 250, "run": 1},
 {"function": "gmail-sync", "variant": "batch 50", "size": 1000, "records": 1000, "seconds": 8.0,
  "records_per_s": 130.0, "round_trips": 28, "peak_rss_mb": 240, "statements": 105, "quota_units_per_s": 200,
  "quota_budget_units_per_s": 250, "quota_limit_records_per_s": 250, "run": 1},
 {"function": "gmail-sync", "variant": "batch 50", "size": 100, "records": 100, "seconds": 5.0,
  "records_per_s": 20.0, "round_trips": 12, "peak_rss_mb": 220, "statements": 105, "quota_units_per_s": 40,
  "quota_budget_units_per_s": 250, "quota_limit_records_per_s": 250, "run": 2},
 {"function": "gmail-sync", "variant": "batch 50", "size": 1000, "records": 1000, "seconds": 10.0,
  "records_per_s": 100.0, "round_trips": 28, "peak_rss_mb": 264, "statements": 105, "quota_units_per_s": 150,
  "quota_budget_units_per_s": 250, "quota_limit_records_per_s": 250, "run": 2},
 {"function": "entity-resolution", "variant": "first", "size": 400, "records": 440, "seconds": 1.0,
  "records_per_s": 440.0, "round_trips": null, "peak_rss_mb": 190, "statements": 8, "run": 1}
]""")
HEAD = ("| function | variant | size | records | records/s | round trips /100 records | quota units/s ÷ budget "
        "| records/s ÷ quota limit "
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
        "| 0.090 (0.080\u20130.100) | 210 (200\u2013220) | 105 | — | — | — |",
        "| gmail-sync | batch 50 | 1,000 (10\u00d7) | 1,000 | 115 (100\u2013130) | 2.80 | 0.700 (0.600\u20130.800) "
        "| 0.460 (0.400\u20130.520) | 252 (240\u2013264) | 105 | 2.00 | 1.20 | 2.33 |",
        "| entity-resolution | first | 400 | 440 | 440 | — | — | — | 190 | 8 | — | — | — |",
    ]
    assert lines[start + 5] == ""


def test_given_quick_and_latency_when_commands_built_then_only_latency_benches_take_it(tmp_path: Path) -> None:
    benches = {b.function: b for b in report.BENCHES}
    out = tmp_path / "f.json"

    assert benches["salesforce-sync"].command(True, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_salesforce_sync.py"), "--records", "300", "--mode", "both",
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
                                      "warehouse-writes", "pipeline-incremental", "quality"])
    assert benches["quality"].command(False, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_quality.py"), "--seeds", "11", "--scale", "2", "--json", str(out)]


def test_given_quick_run_of_salesforce_sync_when_reported_then_report_md_has_its_rows(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), "--quick", "--runs", "1", "--only",
                           "salesforce-sync", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    lines = out.read_text().splitlines()
    rows = [line for line in lines if line.startswith("| salesforce-sync |")]
    assert [row.split(" | ")[1:4] for row in rows[:4]] == [
        ["rest", "300", "846"], ["rest", "3,000 (10\u00d7)", "3,277"],
        ["bulk", "300", "846"], ["bulk", "3,000 (10\u00d7)", "3,277"]]
    assert [row.split(" | ")[9] for row in rows[:4]] == ["157", "157", "167", "167"], rows
    paired = rows[4:]
    assert [row.split(" | ")[1:4] for row in paired] == [["bulk", "rest", "300"], ["bulk", "rest", "3,000"]]
    assert [row.split(" | ")[6:8] for row in paired] == [["1.06", "1.97"], ["1.06", "1.97"]], paired
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


def test_given_quick_when_er_and_scoring_commands_built_then_their_baselines_are_capped(tmp_path: Path) -> None:
    benches = {b.function: b for b in report.BENCHES}
    out = tmp_path / "f.json"

    assert benches["entity-resolution"].command(True, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_entity_resolution.py"), "--scale", "0.004", "--per-row-cap",
        "1000", "--json", str(out)]
    assert benches["account-scoring"].command(True, 30, out) == [
        sys.executable, str(ROOT / "bench" / "bench_account_scoring.py"), "--accounts", "200", "--activity", "5000",
        "--embedded", "200", "--loop-cap", "50", "--json", str(out)]


def test_given_a_capped_walk_when_extrapolated_then_seconds_and_per_row_statements_scale_to_every_row() -> None:
    walked = er_naive.NaiveRun(rows=1000, seconds=4.0, statements=1002, by_method={}, agree=0)
    sampled = scoring_naive.NaiveRun(accounts=50, live=200, seconds=1.5, statements=52, activity_rows=900)

    assert er_naive.extrapolated(walked, 100_000) == (400.0, 100_002)
    assert er_naive.extrapolated(walked, 1000) == (4.0, 1002)
    assert scoring_naive.extrapolated(sampled) == (6.0, 202)
    assert scoring_naive.extrapolated(scoring_naive.NaiveRun(200, 200, 2.0, 202, 10)) == (2.0, 202)


def activity(kind: str, days_ago: float, inbound: bool | None = None, amount: float | None = None,
             probability: float | None = None) -> dict[str, object]:
    return {"kind": kind, "occurred_at": dt.datetime(2026, 5, 4) - dt.timedelta(days=days_ago), "inbound": inbound,
            "amount": amount, "probability": probability}


def test_given_an_accounts_activity_when_the_loop_scores_it_then_the_documented_counts_formula() -> None:
    as_of = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
    rows = [activity("email", 2, True), activity("email", 3, False), activity("call", 10, False, 600.0),
            activity("task", 5), activity("meeting", 20), activity("email", 45, True),
            activity("opportunity", -40, amount=250_000.0, probability=50.0)]

    # raw = 1 + 0.3 + 1 + 0.05 * 10 + 2 + 0.2 = 5 (the 45-day-old email is outside 30 days); last touch 2 days ago
    assert scoring_naive.scores(rows, as_of) == {"engagement_score": 39.35, "budget_likelihood": 19.0,
                                                 "priority_score": 41.3}
    assert scoring_naive.scores([activity("email", 35, True)], as_of) == {
        "engagement_score": 0.0, "budget_likelihood": 7.59, "priority_score": 3.79}


def test_given_participants_when_the_per_row_matcher_runs_then_one_lookup_per_row_and_its_matches_written() -> None:
    from shared.warehouse import connect

    now = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    sf = {"system_modstamp": now, "is_deleted": False, "_synced_at": now}
    warehouse = connect("duckdb:///:memory:")
    warehouse.ensure_schema()
    warehouse.merge("sf_accounts", [{"account_id": "001A", "domain": "acme.test", **sf}])
    warehouse.merge("sf_contacts", [{"contact_id": "003A", "account_id": "001A", "email_normalized": "ann@acme.test",
                                     **sf},
                                    {"contact_id": "003D", "account_id": "001A", "email_normalized": "gone@acme.test",
                                     **{**sf, "is_deleted": True}}])
    warehouse.merge("sf_leads", [{"lead_id": "00QL", "email_normalized": "lee@prospect.test", **sf}])
    addresses = {"ann@acme.test": "acme.test", "ann+news@acme.test": "acme.test", "lee@prospect.test":
                 "prospect.test", "gone@acme.test": "acme.test", "x@unknown.test": "unknown.test"}
    warehouse.merge("gmail_participants", [
        {"mailbox": "rep@us.test", "message_id": "m1", "email_address": address, "role": "to", "domain": domain,
         "sf_contact_id": "003A" if address == "ann@acme.test" else None, "ingested_at": now}
        for address, domain in addresses.items()])

    run = er_naive.resolve(warehouse, 10, now)

    assert (run.rows, run.statements, run.agree) == (5, 7, 1)
    assert run.by_method == {"contact_email": 1, "account_domain": 2, "lead_email": 1, "none": 1}
    stored = {r["email_address"]: (r["sf_contact_id"], r["sf_lead_id"], r["sf_account_id"], r["match_method"])
              for r in warehouse.query("select * from gmail_participants")}
    assert stored == {"ann@acme.test": ("003A", None, "001A", "contact_email"),
                      "ann+news@acme.test": (None, None, "001A", "account_domain"),
                      "gone@acme.test": (None, None, "001A", "account_domain"),
                      "lee@prospect.test": (None, "00QL", None, "lead_email"),
                      "x@unknown.test": (None, None, None, None)}
    assert er_naive.resolve(warehouse, 2, now).rows == 2


def sync_measure(trips: int, statements: int, bulk_jobs: int) -> dict[str, float]:
    return {"records": 868, "seconds": 2.0, "rate": 434.0, "trips": trips, "rss_mib": 300.0,
            "statements": statements, "bulk_jobs": bulk_jobs}


def test_given_rest_and_bulk_runs_when_salesforce_figures_built_then_rest_is_the_baseline_where_bulk_ran() -> None:
    from bench import bench_salesforce_sync as sfdc

    used = sfdc.figures_of({"rest": sync_measure(25, 144, 0), "bulk": sync_measure(49, 152, 8)}, 300, 30)
    unused = sfdc.figures_of({"rest": sync_measure(25, 144, 0), "bulk": sync_measure(25, 144, 0)}, 300, 30)
    alone = sfdc.figures_of({"rest": sync_measure(25, 144, 0)}, 300, 30)

    assert [(f["variant"], f.get("baseline_of"), f["bulk_jobs"]) for f in used] == [("rest", "bulk", 0),
                                                                                   ("bulk", None, 8)]
    assert [f.get("baseline_of") for f in unused + alone] == [None, None, None]
    lines = report.baseline_table([{**f, "run": 1} for f in used])
    assert lines[2] == "| salesforce-sync | bulk | rest | 300 | 1.00 | 1.00 | 1.06 | 1.96 | 1.00 |"


def test_given_a_sequential_dialpad_run_when_figured_then_it_names_the_pooled_variant_as_ours() -> None:
    from bench import bench_dialpad_sync as dialpad

    def result(seconds: float) -> dict[str, object]:
        return {"calls": 250, "seconds": seconds, "list_trips": 7, "transcript_trips": 188, "peak_rss_mb": 280.0,
                "statements": 87}

    ours = dialpad.figure(result(6.0), 250, 4, 30)
    baseline = dialpad.figure(result(15.0), 250, 1, 30, baseline_of="4 workers")

    assert (ours["variant"], ours.get("baseline_of"), ours["workers"]) == ("4 workers", None, 4)
    assert (baseline["variant"], baseline["baseline_of"], baseline["workers"]) == ("sequential", "4 workers", 1)
    lines = report.baseline_table([{**ours, "run": 1}, {**baseline, "run": 1}])
    assert lines[2] == "| dialpad-sync | 4 workers | sequential | 250 | 2.50 | 0.400 | 1.00 | 1.00 | 1.00 |"


def test_given_e2e_runs_when_embedding_figures_built_then_the_per_row_run_is_the_baseline_of_e2e_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import bench_embedding_pipeline as pipeline

    def run(label: str, seconds: float, embedded: int, merges: int, statements: int) -> dict[str, object]:
        return {"run": label, "seconds": seconds, "embedded": embedded, "merges": merges, "statements": statements,
                "peak_rss_mb": 450.0, "stages": {"model load": 0.5, "merge": 0.1 * merges, "embedding": 1.0}}

    first = pipeline.e2e_figure("e2e", 250, 20, run("first", 2.5, 20, 1, 7))
    unchanged = pipeline.e2e_figure("e2e", 250, 20, run("unchanged", 0.1, 0, 0, 5))
    per_row = pipeline.e2e_figure("per-row", 1, 20, run("first", 4.5, 20, 20, 26))

    assert [(f["variant"], f.get("baseline_of"), f["merge_rows"]) for f in (first, unchanged, per_row)] == [
        ("e2e first", None, 250), ("e2e unchanged", None, 250), ("e2e per-row", "e2e first", 1)]
    assert (first["seconds"], first["records_per_s"], unchanged["records_per_s"]) == (2.0, 10.0, None)
    lines = report.baseline_table([{**f, "run": 1} for f in (first, unchanged, per_row)])
    assert lines[2:] == ["| generate-embeddings | e2e first | e2e per-row | 20 | 2.00 | 0.500 | 0.269 | — | 1.00 |"]


QUALITY_CANNED = [
    {"function": "entity-resolution", "variant": "ours (set SQL)", "world": "seed 11 scale 2", "size": 706,
     "quality": {"contact precision": 1.0, "contact recall": 0.953, "seconds": 0.1}, "run": 1},
    {"function": "entity-resolution", "variant": "ours (set SQL)", "world": "seed 11 scale 2", "size": 706,
     "quality": {"contact precision": 1.0, "contact recall": 0.953, "seconds": 0.3}, "run": 2},
    {"function": "entity-resolution", "variant": "splink", "world": "seed 11 scale 2", "size": 706,
     "quality": {"contact precision": 0.951, "contact recall": 0.854, "seconds": 1.8}, "run": 1},
    {"function": "account-scoring", "variant": "activity_baseline", "world": "seed 11 scale 2", "size": 40,
     "quality": {"Spearman": -0.214, "P@20": 0.15}, "run": 1},
]


def test_given_quality_figures_when_rendered_then_one_table_per_function_and_none_in_the_main_table() -> None:
    text = report.render([*CANNED, *QUALITY_CANNED], {}, "2 runs.")
    lines = text.splitlines()

    start = lines.index("Quality against the sandbox world's truth, measured in the same run:")
    assert lines[start + 2:start + 14] == [
        "entity-resolution (world seed 11 scale 2):",
        "",
        "| variant | judged | contact precision | contact recall | seconds |",
        "|---|---:|---:|---:|---:|",
        "| ours (set SQL) | 706 | 1.00 | 0.953 | 0.200 (0.100\u20130.300) |",
        "| splink | 706 | 0.951 | 0.854 | 1.80 |",
        "",
        "account-scoring (world seed 11 scale 2):",
        "",
        "| variant | judged | Spearman | P@20 |",
        "|---|---:|---:|---:|",
        "| activity_baseline | 40 | -0.214 | 0.150 |",
    ]
    assert not any("splink" in line or "activity_baseline" in line for line in lines[:start])


def test_given_display_names_when_split_for_splink_then_first_and_last_lowercased_or_none() -> None:
    from bench import er_peers

    assert er_peers._names("Wang, Rosa") == {"first_name": "rosa", "last_name": "wang"}
    assert er_peers._names("Victor  LINDQVIST") == {"first_name": "victor", "last_name": "lindqvist"}
    assert er_peers._names("Cher") == {"first_name": "cher", "last_name": None}
    assert er_peers._names("") == {"first_name": None, "last_name": None}
    assert er_peers._names("ann@acme.test") == {"first_name": None, "last_name": None}


def test_given_an_earlier_report_when_merged_then_only_the_functions_not_run_now_are_taken_from_it() -> None:
    earlier = {"header": {"commit": "abc1234", "date": "2026-12-01 10:00 UTC"}, "settings": "3 run(s).",
               "figures": [*CANNED, *QUALITY_CANNED]}
    now = [{**CANNED[0], "records_per_s": 99.0}]

    figures, settings = report.merged(earlier, now, "1 run(s).", {"gmail-sync"})

    assert figures[0]["records_per_s"] == 99.0
    assert [f["function"] for f in figures[1:]] == ["entity-resolution", "entity-resolution", "entity-resolution",
                                                    "entity-resolution", "account-scoring"]
    assert settings == ("1 run(s). entity-resolution, quality: from an earlier report (commit abc1234, "
                        "2026-12-01 10:00 UTC: 3 run(s).)")
    assert report.merged(earlier, now, "1 run(s).", {"gmail-sync", "entity-resolution", "quality"}) == (
        now, "1 run(s).")
    later = {"header": {"commit": "def5678", "date": "2026-12-02 10:00 UTC"}, "settings": settings,
             "run_settings": "1 run(s).", "figures": figures}
    _, again = report.merged(later, [], "3 run(s).", {"entity-resolution"})
    assert again == ("3 run(s). gmail-sync: from an earlier report (commit def5678, 2026-12-02 10:00 UTC: "
                     "1 run(s).) quality: from an earlier report (commit abc1234, 2026-12-01 10:00 UTC: 3 run(s).)"), \
        "a figure kept twice still names the report it was measured in"
