"""Section 3, is the pipeline healthy: the latest run of every function and its scopes (v_etl_status), functions
failing repeatedly (v_pipeline_health), data age per source table (v_data_freshness), entity-resolution match rates
(v_match_rates) and embedding coverage of the mail and calls."""

from __future__ import annotations

from collections.abc import Sequence

from tools import report_charts as charts
from tools import report_format as fmt
from tools.report_page import Block, Cell, Chart, Section, Table, Tile, chip, chips, empty_block, num, text
from tools.report_queries import Result, Results, Row, whole

KEY = "health"
TITLE = "Pipeline health"
BAD = ("failed", "abandoned")
NO_RUNS = ("No rows in v_etl_status: no function has run yet. Run `make demo` locally, or trigger each function "
           "in pipeline order (runbook, section 3).")
SOURCE_COLOURS = {"salesforce": "#0072B2", "gmail": "#D55E00", "dialpad": "#009E73", "anthropic": "#CC79A7",
                  "cursor": "#E69F00", "sheets": "#8C6D31"}
ERROR_CHARS = 160
AGE_TICKS = ((1 / 60, "1 min"), (10 / 60, "10 min"), (1, "1 h"), (6, "6 h"), (24, "1 d"), (24 * 7, "1 wk"),
             (24 * 30, "30 d"), (24 * 182, "6 mo"), (24 * 365, "1 yr"), (24 * 365 * 5, "5 yr"))
"""Ticks of the data-age axis, in hours."""


def build(results: Results, functions: Sequence[str]) -> tuple[Section, Tile]:
    status = results["etl_status"]
    blocks = (status_block(status, functions), failing_block(results["pipeline_health"]),
              freshness_block(results["data_freshness"]), match_block(results["match_rates"]),
              embedding_block(results["embedding_coverage"]))  # wide blocks first, then a pair
    return Section(KEY, TITLE, summary(status, results["pipeline_health"], functions), blocks), tile(status, functions)


def summary(status: Result, failing: Result, functions: Sequence[str]) -> str:
    """`7 of 7 functions succeeded in their latest run; none failing repeatedly.`"""
    if status.failed or not status.rows:
        return ""
    runs = latest_runs(status.rows, functions)
    ok = sum(1 for run in runs.values() if run and run["status"] == "success")
    line = f"{ok} of {fmt.plural(len(runs), 'function')} succeeded in their latest run"
    if not failing.failed:
        line += f"; {len(failing.rows) or 'none'} failing repeatedly"
    return line + "."


def latest_runs(rows: Sequence[Row], functions: Sequence[str]) -> dict[str, Row | None]:
    """Each function's latest run (scope '*'): the expected functions in pipeline order, then any other."""
    runs = {r["function_name"]: r for r in rows if r["scope"] == "*"}
    names = [*functions, *sorted(set(runs) - set(functions))]
    return {name: runs.get(name) for name in names}


def status_takeaway(rows: Sequence[Row], functions: Sequence[str]) -> tuple[str, str]:
    """`All 7 functions succeeded in their latest run (the newest started …).` or what needs a look, and a tone."""
    runs = latest_runs(rows, functions)
    failed_scopes = {r["function_name"] for r in rows if r["scope"] != "*" and r["status"] in BAD}
    bad = [f"{name} {run['status']}" for name, run in runs.items() if run and run["status"] in BAD]
    warn = [f"{name} {run['status'] if run['status'] != 'success' else 'has failed scopes'}"
            for name, run in runs.items()
            if run and run["status"] not in BAD and (run["status"] != "success" or name in failed_scopes)]
    never = [name for name, run in runs.items() if run is None]
    if not bad and not warn and not never:
        newest = max(r["started_at"] for r in runs.values() if r)
        return (f"All {fmt.plural(len(runs), 'function')} succeeded in their latest run "
                f"(the newest started {fmt.moment(newest)}).", "good")
    parts = [*bad, *warn] + ([f"never run: {fmt.listing(never)}"] if never else [])
    look = len(bad) + len(warn) + len(never)
    return (f"{look} of {fmt.plural(len(runs), 'function')} need a look: {fmt.listing(parts, 4)}.",
            "bad" if bad else "warn")


def status_block(result: Result, functions: Sequence[str]) -> Block:
    title = "Latest run per function and scope"
    if result.failed or not result.rows:
        return empty_block("etl-status", title, result.source, result.failed or NO_RUNS, wide=True)
    scopes: dict[str, list[tuple[str, str]]] = {}
    for row in result.rows:
        if row["scope"] != "*":
            scopes.setdefault(row["function_name"], []).append((row["scope"], row["status"]))
    body: list[tuple[Cell, ...]] = []
    for name, run in latest_runs(result.rows, functions).items():
        if run is None:
            body.append((text(name), chip("never run"), text(fmt.MISSING), num(fmt.MISSING), num(fmt.MISSING),
                         text(""), text("")))
            continue
        body.append((text(name), chip(run["status"]), text(fmt.moment(run["started_at"])),
                     num(fmt.seconds(run["duration_seconds"])), num(fmt.count(run["rows_processed"])),
                     chips(scopes.get(name, [])), text(shortened(run["error_message"]))))
    headers: tuple[str, ...] = ("Function", "Status", "Started", "Duration", "Rows", "Scopes (latest status each)",
                                "Error")
    if not any(row[-1].text for row in body):  # no error anywhere: no empty column
        headers, body = headers[:-1], [row[:-1] for row in body]
    takeaway, tone = status_takeaway(result.rows, functions)
    return Block("etl-status", title, takeaway, result.source, table=Table(headers, tuple(body)), wide=True,
                 tone=tone)


def shortened(error: str | None) -> str:
    """An error message cut to ERROR_CHARS (the full text is in etl_runs)."""
    error = error or ""
    return error[:ERROR_CHARS] + "…" if len(error) > ERROR_CHARS else error


def failing_block(result: Result) -> Block:
    title = "Functions failing repeatedly"
    if result.failed:
        return empty_block("pipeline-health", title, result.source, result.failed)
    if not result.rows:
        return Block("pipeline-health", title, "No function is failing repeatedly: none has its last two or more "
                     "scheduled runs all failed or abandoned (v_pipeline_health is empty).", result.source, wide=True,
                     tone="good")
    named = [f"{r['function_name']} ({r['consecutive_failures']} scheduled runs in a row)" for r in result.rows]
    takeaway = f"{fmt.plural(len(result.rows), 'function')} failing repeatedly: {fmt.listing(named)}."
    body = tuple((text(r["function_name"]), num(fmt.count(r["consecutive_failures"])),
                  text(fmt.moment(r["last_run_at"])), text(shortened(r["last_error_message"])))
                 for r in result.rows)
    return Block("pipeline-health", title, takeaway, result.source,
                 table=Table(("Function", "Failures in a row", "Last run", "Last error"), body), wide=True, tone="bad")


def freshness_takeaway(rows: Sequence[Row]) -> tuple[str, str]:
    loaded = [r for r in rows if r["last_loaded_at"] is not None]
    never = [r["table_name"] for r in rows if r["last_loaded_at"] is None]
    if not loaded:
        return "No source table has been loaded yet: run the syncs and usage-collect first.", "warn"
    oldest_load = max(r["minutes_since_last_load"] for r in loaded)
    line = (f"{len(loaded)} of {fmt.plural(len(rows), 'source table')} loaded, "
            + ("all just now" if oldest_load < 1 else f"all within the last {fmt.age(oldest_load)}"))
    dated = [r for r in loaded if r["minutes_since_newest_record"] is not None]
    if dated:
        newest = min(dated, key=lambda r: (r["minutes_since_newest_record"], r["table_name"]))
        oldest = max(dated, key=lambda r: (r["minutes_since_newest_record"], r["table_name"]))
        line += (f"; newest records from {fmt.age(newest['minutes_since_newest_record'])} ({newest['table_name']}) "
                 f"to {fmt.age(oldest['minutes_since_newest_record'])} old ({oldest['table_name']})")
    line += f"; never loaded: {fmt.listing(never)}." if never else "."
    return line, "warn" if never else "good"


def freshness_block(result: Result) -> Block:
    title = "Data age per source table"
    if result.failed:
        return empty_block("freshness", title, result.source, result.failed)
    dated = [r for r in result.rows if r["minutes_since_newest_record"] is not None]
    takeaway, tone = freshness_takeaway(result.rows)
    if not dated:
        return empty_block("freshness", title, result.source, takeaway)
    dated.sort(key=lambda r: (r["source_system"], r["table_name"]))
    sources = sorted({r["source_system"] for r in dated})
    series = {s: [max(r["minutes_since_newest_record"], 1) / 60 if r["source_system"] == s else 0.0 for r in dated]
              for s in sources}  # at least a minute: the scale is logarithmic
    svg = charts.hbars("freshness", title, [r["table_name"] for r in dated], series, lambda h: fmt.age(h * 60),
                       charts.colours(sources, SOURCE_COLOURS), width=12, log_ticks=AGE_TICKS)
    return Block("freshness", title, takeaway, result.source, tone=tone, wide=True,
                 chart=Chart("freshness", svg, "Age of each table's newest record (sent, called, modified, used), "
                             "coloured by source; the scale is logarithmic.") if svg else None)


def match_takeaway(rows: Sequence[Row]) -> str:
    parts = []
    for source, label in (("email", "external email participants"), ("call", "calls")):
        of_source = [r for r in rows if r["source"] == source]
        if of_source:
            matched = sum(r["share"] or 0 for r in of_source if r["match_method"] != "unmatched")
            parts.append(f"{fmt.share(matched)} of {label}")
    total = sum(whole(r["row_count"]) for r in rows)
    ambiguous = sum(whole(r["ambiguous_rows"]) for r in rows)
    first, last = min(r["first_date"] for r in rows), max(r["last_date"] for r in rows)
    return (f"Matched to Salesforce: {fmt.listing(parts)} ({fmt.day(first)} to {fmt.day(last)}); "
            f"{fmt.share(ambiguous / total if total else None)} of rows ambiguous.")


def match_block(result: Result) -> Block:
    title = "Entity-resolution match rates"
    if result.failed or not result.rows:
        why = result.failed or ("No rows in v_match_rates: run entity-resolution after the syncs (gmail-sync, "
                                "dialpad-sync).")
        return empty_block("match-rates", title, result.source, why)
    labels = {"email": "email participants", "call": "calls"}
    sources = [s for s in labels if any(r["source"] == s for r in result.rows)]
    by_size: dict[str, int] = {}
    for row in result.rows:
        by_size[row["match_method"]] = by_size.get(row["match_method"], 0) + whole(row["row_count"])
    methods = sorted(by_size, key=lambda m: (m == "unmatched", -by_size[m], m))
    share = {(r["source"], r["match_method"]): (r["share"] or 0) * 100 for r in result.rows}
    series = {m: [share.get((s, m), 0.0) for s in sources] for m in methods}
    svg = charts.hbars("match-rates", title, [labels[s] for s in sources], series, lambda v: f"{v:.0f} %",
                       charts.colours(methods, {"unmatched": charts.MUTED}), limit=100, values=False)
    return Block("match-rates", title, match_takeaway(result.rows), result.source, tone="info",
                 chart=Chart("match-rates", svg, "Share of external rows by match method, the 30 days to the latest "
                             "activity (internal people left out).") if svg else None)


def embedding_takeaway(rows: Sequence[Row]) -> str:
    labels = {"gmail_messages": "live mail", "dialpad_calls": "calls"}
    parts = []
    for row in rows:
        embedded, live = whole(row["with_vector"]), whole(row["live_rows"])
        if live:
            parts.append(f"{fmt.share(embedded / live)} of {labels.get(row['table_name'], row['table_name'])} "
                         f"({embedded:,} of {live:,})")
    waiting = sum(whole(r["not_embedded"]) for r in rows)
    tail = f"{waiting:,} rows wait for generate-embeddings" if waiting else "nothing waits for generate-embeddings"
    return f"{fmt.listing(parts)} {'has' if len(parts) == 1 else 'have'} an embedding; {tail}."


def embedding_block(result: Result) -> Block:
    title = "Embedding coverage"
    if result.failed or not any(whole(r["live_rows"]) for r in result.rows):
        why = result.failed or ("No mail or calls stored yet: run gmail-sync and dialpad-sync, then "
                                "generate-embeddings.")
        return empty_block("embeddings", title, "gmail_messages, dialpad_calls", why)
    labels = {"gmail_messages": "mail", "dialpad_calls": "calls"}
    rows = [r for r in result.rows if whole(r["live_rows"])]
    series = {"with a vector": [float(whole(r["with_vector"])) for r in rows],
              "empty text": [float(whole(r["empty_text"])) for r in rows],
              "not embedded yet": [float(whole(r["not_embedded"])) for r in rows]}
    svg = charts.hbars("embeddings", title, [str(labels.get(r["table_name"], r["table_name"])) for r in rows],
                       series, lambda v: fmt.count(v),
                       {"with a vector": "#009E73", "empty text": "#56B4E9", "not embedded yet": charts.MUTED},
                       integer=True)
    return Block("embeddings", title, embedding_takeaway(result.rows), result.source, tone="info",
                 chart=Chart("embeddings", svg, "Live mail and calls by embedding state.") if svg else None)


def tile(result: Result, functions: Sequence[str]) -> Tile:
    if result.failed or not result.rows:
        return Tile("Pipeline", fmt.MISSING, "no run recorded yet", KEY, "muted")
    runs = latest_runs(result.rows, functions)
    ok = [name for name, run in runs.items() if run and run["status"] == "success"]
    takeaway, tone = status_takeaway(result.rows, functions)
    detail = "every latest run succeeded" if tone == "good" else takeaway.split(": ", 1)[-1].rstrip(".")
    return Tile("Pipeline: latest runs succeeded", f"{len(ok)} of {len(runs)}", detail, KEY, tone)
