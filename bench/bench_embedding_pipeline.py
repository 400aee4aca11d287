"""The end-to-end and search parts of bench/bench_embeddings.py (run from there; this file runs their children).

End to end: a temp DuckDB warehouse gets N email rows (text cut from the sandbox world's emails, written with
`warehouse.merge("gmail_messages", ...)`); a child process then calls generate-embeddings' HTTP entry point
(`tools.invoke.invoke`, local embedder) twice: the first run embeds every row, the second finds nothing to do.
The child wraps the warehouse's `query` (the selection statement) and `merge`, the kinds' text preparation and
the local embedder's constructor and `embed_documents` in timing proxies from outside; the product is unchanged.
The naive baseline (`e2e per-row`, the baseline of `e2e first`) runs the same first run on a copy of the same
warehouse with EMBEDDING_MERGE_ROWS=1, the product's smallest setting: every row is embedded alone and written
by its own MERGE statement.

Search: per size, `gmail_messages` and `dialpad_calls` are filled by set-based DuckDB SQL with random unit
vectors of dim 384 under the local model's name (not through the model), `gmail_participants` links each message
to one of 100 accounts (an account filter matches 1 % of the messages; calls carry the account themselves) and
dates spread over 360 days (`since` keeps the newest 10 %). One child embeds the query with the local model;
each size's child then times `emb_search.search` with that vector (a fixed-vector embedder), so its figures
are the warehouse's alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_embeddings import CORES, ROOT, peak_rss_mb, pin_cores, synthetic_texts

FUNCTION_DIR = ROOT / "functions" / "generate_embeddings"
sys.path.insert(0, str(FUNCTION_DIR))

ANCHOR = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
MAILBOXES = 10
ACCOUNTS = 100
DAYS = 360
SINCE_DAYS = 36
QUERY = "When can you send the revised pricing and the procurement timeline for the budget review?"
ENV = {"EMBEDDER": "local", "AUTO_SCHEMA": "false", "LOG_LEVEL": "WARNING", "FUNCTION_TIMEOUT_SECONDS": "3600"}
MERGE_ROWS = 250
"""EMBEDDING_MERGE_ROWS of our runs (the product's default); the per-row baseline runs with 1."""


def _child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **(env or {})}, timeout=3600, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"child {args[0]} failed ({out.returncode}): {out.stderr[-3000:]}")
    return dict(json.loads(lines[-1]))


# --- end to end -------------------------------------------------------------------------------------------------

def _schema(path: Path) -> Any:
    from shared.warehouse import connect

    warehouse = connect(f"duckdb:///{path}")
    warehouse.ensure_schema()
    return warehouse


def build_e2e(path: Path, rows: int, words: int) -> float:
    started = time.perf_counter()
    warehouse = _schema(path)
    messages = []
    for i, text in enumerate(synthetic_texts(rows, words)):
        cut = text.split()
        messages.append({"mailbox": f"rep{i % MAILBOXES}@us.test", "message_id": f"m{i:07d}",
                         "thread_id": f"t{i // 3:07d}", "sent_at": ANCHOR - dt.timedelta(hours=i),
                         "subject": " ".join(cut[:8]), "body_text": " ".join(cut[8:]),
                         "from_email": f"rep{i % MAILBOXES}@us.test", "is_deleted": False, "ingested_at": ANCHOR})
    warehouse.merge("gmail_messages", messages)
    warehouse.close()
    return time.perf_counter() - started


class Clock:
    """Seconds per label, summed over every call of the wrapped functions."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, label: str, fn: Callable[..., Any], when: Callable[..., bool] | None = None
             ) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if when is not None and not when(*args, **kwargs):
                return fn(*args, **kwargs)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
        return timed

    def take(self) -> dict[str, float]:
        taken, self.seconds = self.seconds, {}
        return taken


def e2e_child(labels: tuple[str, ...] = ("first", "unchanged")) -> dict[str, Any]:
    """One run per label through the entry point in this process (the first embeds every row, any later one
    must embed none): per run seconds by stage, MERGEs, peak RSS."""
    pin_cores()
    import emb_job
    from emb_local import LocalEmbedder

    from shared.warehouse.base import observe_statements
    from shared.warehouse.duckdb_backend import DuckDBWarehouse
    from tools.invoke import invoke
    from tools.pipeline import by_cloud_name

    clock = Clock()
    selects = {kind.select for kind in emb_job.KINDS.values()}
    tables = {kind.table for kind in emb_job.KINDS.values()}
    proxies: list[tuple[type, str, str, Callable[..., bool] | None]] = [
        (DuckDBWarehouse, "query", "selection", lambda self, sql, *a, **k: str(sql) in selects),
        (DuckDBWarehouse, "merge", "merge", lambda self, table, *a, **k: table in tables),
        (LocalEmbedder, "__init__", "model load", None), (LocalEmbedder, "embed_documents", "embedding", None)]
    for owner, method, label, when in proxies:
        setattr(owner, method, clock.wrap(label, getattr(owner, method), when))
    for name, kind in emb_job.KINDS.items():
        emb_job.KINDS[name] = dataclasses.replace(kind, text=clock.wrap("text", kind.text))
    statements: list[str] = []
    runs: list[dict[str, Any]] = []
    for label in labels:
        before, started = len(statements), time.perf_counter()
        with observe_statements(lambda sql, _: statements.append(sql)):
            status, answer = invoke(by_cloud_name("generate-embeddings"), {"type": "emails"})
        seconds = time.perf_counter() - started
        if status != 200 or answer.get("status") != "success":
            raise SystemExit(f"generate-embeddings answered {status}: {answer}")
        embedded = answer["counts"]["gmail_messages"]
        if runs and embedded:
            raise SystemExit(f"the unchanged {label} run embedded {embedded} rows instead of 0")
        merges = sum(1 for sql in statements[before:] if sql.startswith("merge into gmail_messages"))
        runs.append({"run": label, "seconds": seconds, "stages": clock.take(), "merges": merges,
                     "statements": len(statements) - before, "embedded": embedded, "peak_rss_mb": peak_rss_mb()})
    return {"runs": runs}


def run_e2e(rows: int, words: int, tmp: Path, baseline: bool = True) -> list[dict[str, Any]]:
    """Prints the end-to-end table; returns bench/report.py's figures of its runs (with `baseline`, also the
    per-row baseline's first run on a copy of the same warehouse)."""
    path = tmp / "e2e.duckdb"
    built = build_e2e(path, rows, words)
    variants: list[tuple[str, int, tuple[str, ...], Path]] = [("e2e", MERGE_ROWS, ("first", "unchanged"), path)]
    if baseline:
        shutil.copyfile(path, tmp / "e2e_per_row.duckdb")
        variants.append(("per-row", 1, ("first",), tmp / "e2e_per_row.duckdb"))
    results = {name: _child(["e2e", ",".join(labels)],
                            {**ENV, "WAREHOUSE": f"duckdb:///{db}", "EMBEDDING_MERGE_ROWS": str(merge_rows)})
               for name, merge_rows, labels, db in variants}
    print(f"\nend to end: generate-embeddings through its HTTP entry point, {{\"type\": \"emails\"}}, local "
          f"embedder, {rows:,} email rows of {words} words (warehouse built in {built:.1f} s, not product time), "
          f"{CORES} cores, 1-min load average at the end {os.getloadavg()[0]:.1f}; EMBEDDING_MERGE_ROWS "
          + ", ".join(f"{merge_rows} ({name})" for name, merge_rows, _, _ in variants))
    stages = ("model load", "selection", "text", "embedding", "merge")
    print(f"{'run':<17} {'embedded':>8} {'total s':>8} " + " ".join(f"{s + ' s':>12}" for s in stages)
          + f" {'other s':>8} {'rows/s':>7} {'MERGEs':>6} {'peak RSS MB':>11}")
    figures = []
    for name, merge_rows, _, _ in variants:
        for r in results[name]["runs"]:
            split = [r["stages"].get(s, 0.0) for s in stages]
            work = r["seconds"] - split[0]
            rate = f"{r['embedded'] / work:>7.1f}" if r["embedded"] else f"{'-':>7}"
            print(f"{name + ' ' + r['run']:<17} {r['embedded']:>8,} {r['seconds']:>8.2f} "
                  + " ".join(f"{s:>12.2f}" for s in split)
                  + f" {r['seconds'] - sum(split):>8.2f} {rate} {r['merges']:>6} {r['peak_rss_mb']:>11.0f}")
            figures.append(e2e_figure(name, merge_rows, rows, r))
    print("rows/s: rows embedded / (total s - model load s), the MERGEs included; other: app start and imports "
          "(first run), request handling, ledger")
    return figures


def e2e_figure(name: str, merge_rows: int, rows: int, run: dict[str, Any]) -> dict[str, Any]:
    """One run's figures in bench/report.py's shape; the per-row run names ours (`e2e first`) its baseline_of."""
    work = run["seconds"] - run["stages"].get("model load", 0.0)
    figure = {"function": "generate-embeddings", "variant": f"e2e {run['run']}" if name == "e2e" else f"e2e {name}",
              "size": rows, "records": run["embedded"], "seconds": work,
              "records_per_s": run["embedded"] / work if run["embedded"] else None, "round_trips": None,
              "peak_rss_mb": run["peak_rss_mb"], "statements": run["statements"], "merges": run["merges"],
              "merge_rows": merge_rows, "merge_seconds": run["stages"].get("merge", 0.0),
              "embedding_seconds": run["stages"].get("embedding", 0.0), "total_seconds": run["seconds"]}
    if name != "e2e":
        figure["baseline_of"] = "e2e first"
    return figure


# --- search -----------------------------------------------------------------------------------------------------

def _unit_vectors(n: int) -> str:
    """Rows (i, v): n random unit vectors of dim 384 (Box-Muller normals, normalised), in DuckDB SQL."""
    return f"""raw as (
          select i, list_transform(range(384), lambda x: sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) as v
          from range({n}) as t(i)),
        vectors as (
          select i, list_transform(v, lambda x: x / norm) as v
          from (select i, v, sqrt(list_sum(list_transform(v, lambda y: y * y))) as norm from raw))"""


def fill_sql(n: int, model: str) -> list[str]:
    now = f"timestamp '{ANCHOR:%Y-%m-%d %H:%M:%S}'"
    when = f"{now} - to_minutes(cast((i * {DAYS * 1440}) // {n} as bigint))"
    account = f"printf('001ACCT%05d', i % {ACCOUNTS})"
    embedded = f"v, '{model}', 384, 'bench', {now}"
    return [
        f"""insert into gmail_messages (mailbox, message_id, thread_id, sent_at, subject, from_email, is_deleted,
              ingested_at, embedding, embedding_model, embedding_dim, content_hash, embedded_at)
            with {_unit_vectors(n)}
            select 'rep' || (i % {MAILBOXES}) || '@us.test', 'm' || i, 't' || (i // 3), {when}, 'Subject ' || i,
              'rep' || (i % {MAILBOXES}) || '@us.test', false, {now}, {embedded}
            from vectors""",
        f"""insert into gmail_participants (mailbox, message_id, email_address, role, domain, sent_at, sf_account_id,
              ingested_at)
            select 'rep' || (i % {MAILBOXES}) || '@us.test', 'm' || i,
              case when r = 0 then 'rep' || (i % {MAILBOXES}) || '@us.test' else 'buyer' || i || '@co.test' end,
              case when r = 0 then 'from' else 'to' end, case when r = 0 then 'us.test' else 'co.test' end, {when},
              case when r = 1 then {account} end, {now}
            from range({n}) as t(i), range(2) as s(r)""",
        f"""insert into dialpad_calls (call_id, call_time, direction, transcript_text, sf_account_id, ingested_at,
              embedding, embedding_model, embedding_dim, content_hash, embedded_at)
            with {_unit_vectors(n)}
            select 'call' || i, {when}, 'outbound', 'Rep: hello, this is call ' || i || ' about the renewal',
              {account}, {now}, {embedded}
            from vectors""",
    ]


def build_search(path: Path, n: int, model: str) -> float:
    import duckdb

    started = time.perf_counter()
    _schema(path).close()
    con = duckdb.connect(str(path))
    try:
        con.execute("set enable_progress_bar = false")
        for statement in fill_sql(n, model):
            con.execute(statement)
    finally:
        con.close()
    return time.perf_counter() - started


def query_child() -> dict[str, Any]:
    pin_cores()
    from emb_local import LocalEmbedder

    started = time.perf_counter()
    embedder = LocalEmbedder(threads=CORES)
    loaded = time.perf_counter()
    vector = embedder.embed_query(QUERY)
    return {"model": embedder.model, "load_s": loaded - started, "query_ms": 1000 * (time.perf_counter() - loaded),
            "vector": vector}


@dataclasses.dataclass
class FixedQuery:
    """An embedder whose query vector was computed beforehand, so a search's time is the warehouse's."""

    model: str
    vector: list[float]
    dim: int = 384

    def embed_query(self, text: str) -> list[float]:
        return self.vector

    def embed_documents(self, texts: Any) -> list[list[float]]:
        raise NotImplementedError


CASES = {"none": {}, "account_id": {"account_id": "001ACCT00007"},
         "since": {"since": (ANCHOR - dt.timedelta(days=SINCE_DAYS)).date().isoformat()}}


def search_child(path: str, query_file: str, searches: int) -> dict[str, Any]:
    pin_cores()
    from emb_search import search
    from emb_settings import EmbeddingParams

    from shared.warehouse import connect

    query = json.loads(Path(query_file).read_text())
    embedder = FixedQuery(query["model"], query["vector"])
    warehouse = connect(f"duckdb:///{path}")
    timings: dict[str, dict[str, Any]] = {}
    for kind in ("emails", "calls"):
        for case, extra in CASES.items():
            params = EmbeddingParams(query=QUERY, k=10, type=kind, **extra)
            ms, found = [], 0
            for _ in range(searches + 1):
                started = time.perf_counter()
                found = len(search(params, warehouse, embedder))
                ms.append(1000 * (time.perf_counter() - started))
            timings[f"{kind}/{case}"] = {"first": ms[0], "median": statistics.median(ms[1:]), "min": min(ms[1:]),
                                         "max": max(ms[1:]), "found": found}
    warehouse.close()
    return {"timings": timings, "peak_rss_mb": peak_rss_mb()}


def run_search(sizes: list[int], searches: int, tmp: Path) -> list[dict[str, Any]]:
    """Prints the search table; returns bench/report.py's figures (records: the rows one search scans)."""
    query_file = tmp / "query.json"
    query = _child(["query"])
    query_file.write_text(json.dumps(query))
    results, built = {}, {}
    for n in sizes:
        path = tmp / f"search_{n}.duckdb"
        built[n] = build_search(path, n, query["model"])
        results[n] = _child(["search", str(path), str(query_file), str(searches)])
        path.unlink()
    print(f"\nsearch: emb_search.search, k=10, DuckDB (list_cosine_similarity scan), random unit vectors of dim 384, "
          f"{CORES} cores, 1-min load average at the end {os.getloadavg()[0]:.1f}")
    print(f"query embedding (local model, once, own process): {query['query_ms']:.0f} ms (model load "
          f"{query['load_s']:.2f} s); the times below are the search alone, median/min/max over {searches} "
          f"searches after a first one (shown apart)")
    print("filters: account_id matches 1 % of the rows (emails: through gmail_participants), since keeps the "
          f"newest {100 * SINCE_DAYS // DAYS} %")
    print(f"{'rows':>8} {'kind':<7} {'filter':<11} {'first ms':>9} {'median ms':>10} {'min ms':>7} {'max ms':>7} "
          f"{'hits':>5} {'fill s':>7} {'peak RSS MB':>11}")
    for n in sizes:
        for name, t in results[n]["timings"].items():
            kind, case = name.split("/")
            print(f"{n:>8,} {kind:<7} {case:<11} {t['first']:>9.1f} {t['median']:>10.1f} {t['min']:>7.1f} "
                  f"{t['max']:>7.1f} {t['found']:>5} {built[n]:>7.1f} {results[n]['peak_rss_mb']:>11.0f}")
    if len(sizes) > 1:
        low, high = min(sizes), max(sizes)
        ratios = ", ".join(f"{name} {results[high]['timings'][name]['median'] / t['median']:.1f}x"
                           for name, t in results[low]["timings"].items())
        print(f"median ratio {high:,}/{low:,} rows: {ratios}")
    print("fill s: building the table by DuckDB SQL (both kinds and the participants), not product time")
    return [{"function": "generate-embeddings", "variant": f"search {name}", "size": n, "records": n,
             "seconds": t["median"] / 1000, "records_per_s": n / (t["median"] / 1000), "round_trips": None,
             "peak_rss_mb": results[n]["peak_rss_mb"], "statements": None, "hits": t["found"]}
            for n in sizes for name, t in results[n]["timings"].items()]


def main(argv: list[str]) -> int:
    children = {"e2e": lambda: e2e_child(tuple(argv[1].split(","))), "query": query_child,
                "search": lambda: search_child(argv[1], argv[2], int(argv[3]))}
    print(json.dumps(children[argv[0]]()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
