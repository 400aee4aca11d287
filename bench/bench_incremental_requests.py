"""Benchmark: the source requests of a no-change incremental run of the whole pipeline (goal: < 20 per scope).

    .venv/bin/python bench/bench_incremental_requests.py [--seed 11] [--scale 1] [--json figures.json]

One sandbox world; the seven functions run once in pipeline order (the first sync) through their HTTP entry
points in this process, on one warehouse file, with the fakes' rate limits lifted as the reliability harness
lifts them and production's page and batch sizes. Then the sandbox's request log is cleared and the four syncs
run again with the bodies their schedulers send (incremental), with nothing changed at the sources. Their
requests are counted per scope: per Gmail mailbox (the userId of each call, the parts of a batch one by one),
per Salesforce object (the SOQL FROM of a query, describe, getDeleted; a next page or a Bulk job's poll belongs to
the object queried before it, as the sync takes the objects one at a time) and the Salesforce token, per Dialpad
endpoint, per usage source. The sync asks getDeleted only once a new minute has begun since the object's last
check, so a Salesforce object counts 2 or 3 requests depending on the clock. `--json` writes one figure per scope
for bench/report.py (`round_trips`, `goal`).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.gmail_wire import parse_batch  # noqa: E402
from sandbox.recording import RecordedRequest  # noqa: E402

GOAL = 20
SYNCS = {"salesforce-sync": {"object_type": "all", "sync_type": "incremental"},
         "dialpad-sync": {"sync_type": "incremental"}, "gmail-sync": {"sync_type": "incremental"},
         "usage-collect": {}}
"""The second pass: what each sync's hourly scheduler job sends."""
FIRST_BODIES = {"generate-embeddings": {"limit": 5000}}
"""The first pass embeds everything (the demo body stops at 150 rows)."""
SOURCE_PREFIXES = (("/v1/organizations/", "anthropic"), ("/teams/", "cursor"), ("/v4/spreadsheets/", "sheets"))
_FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)
_SOBJECT = re.compile(r"/services/data/[^/]+/sobjects/(\w+)/")
_GMAIL_USER = re.compile(r"/gmail/v1/users/([^/]+)")
Scope = tuple[str, str]


def _soql_object(request: RecordedRequest) -> str | None:
    query = request.param("q")
    if query is None and request.method == "POST" and request.body:
        try:
            query = json.loads(request.body).get("query")
        except (ValueError, AttributeError):
            query = None
    match = _FROM.search(query or "")
    return match.group(1) if match else None


def _gmail_users(request: RecordedRequest) -> list[str]:
    if request.path.startswith("/batch"):
        calls = parse_batch(request.header("Content-Type") or "", request.body)
        return [m.group(1) for call in calls if (m := _GMAIL_USER.match(call.path))]
    match = _GMAIL_USER.match(request.path)
    return [match.group(1)] if match else []


def scopes(requests: Iterable[RecordedRequest]) -> Iterator[Scope]:
    """(sync, scope) of each source request, in order; a Gmail batch gives one per part."""
    salesforce_object = "unattributed"
    for request in requests:
        path = request.path
        if path.startswith("/services/oauth2/"):
            yield "salesforce", "token"
        elif path.startswith("/services/data/"):
            named = _SOBJECT.match(path)
            salesforce_object = (named.group(1) if named else _soql_object(request)) or salesforce_object
            yield "salesforce", salesforce_object
        elif path.startswith("/api/v2/"):
            parts = path.removeprefix("/api/v2/").split("/")
            yield "dialpad", parts[0] + ("/{id}" if len(parts) > 1 else "")
        elif path.startswith(("/gmail/", "/batch")):
            yield from (("gmail", user) for user in _gmail_users(request))
        elif path.startswith(("/google-oauth2/", "/google-iam/")):
            yield "gmail", "token"
        else:
            usage = next((name for prefix, name in SOURCE_PREFIXES if path.startswith(prefix)), None)
            yield ("usage", usage) if usage else ("other", path)


def count(requests: Iterable[RecordedRequest], expected: Iterable[Scope] = ()) -> Counter[Scope]:
    """Requests per scope; every `expected` scope is listed, 0 when it was not asked at all."""
    counted: Counter[Scope] = Counter(dict.fromkeys(expected, 0))
    counted.update(scopes(requests))
    return counted


def incremental_requests(seed: int, scale: int) -> tuple[Counter[Scope], int]:
    """Requests per scope of the second (no-change) pass, and its HTTP round trips in all."""
    from functions.salesforce_sync.sfdc_streams import OBJECT_TYPES
    from sandbox.env import settings_env
    from sandbox.server import Sandbox
    from sandbox.world import build_world
    from shared import entrypoint
    from shared.log import configure_logging
    from shared.warehouse import connect
    from tools.pipeline import PIPELINE, by_cloud_name
    from tools.reliability.runner import HARNESS_ENV, lift_limits
    from tools.reliability.stage import Stage

    pacing = {k: v for k, v in HARNESS_ENV.items() if "_RATE_" in k or "_PER_" in k}
    configure_logging("WARNING", stream=io.StringIO())
    world = build_world(seed, scale)
    with Sandbox(world) as sandbox, tempfile.TemporaryDirectory() as tmp:
        lift_limits(sandbox)
        env = {**settings_env(sandbox), **pacing, "LOG_LEVEL": "WARNING", "HTTP_BACKOFF_BASE": "0",
               "EMBEDDER": "vertex", "GOOGLE_CLOUD_PROJECT": "bench-project"}
        path = Path(tmp) / "wh.duckdb"
        warehouse = connect(f"duckdb:///{path}")
        warehouse.ensure_schema()
        warehouse.close()
        try:
            for entry in PIPELINE:
                run(Stage(entry, path, env, sandbox, FIRST_BODIES.get(entry.cloud_name)))
            sandbox.log.clear()
            for name, body in SYNCS.items():
                run(Stage(by_cloud_name(name), path, env, sandbox, body))
            requests = sandbox.log.all()
        finally:
            entrypoint.reset_runtimes()
            configure_logging(stream=None)
    expected = [*(("gmail", m) for m in world.mailboxes), ("salesforce", "token"),
                *(("salesforce", o) for o in OBJECT_TYPES), ("dialpad", "call"),
                *(("usage", name) for _, name in SOURCE_PREFIXES)]
    return count(requests, expected), len(requests)


def run(stage: Any) -> None:
    stage.fresh_instance()
    status, answer = stage.invoke()
    if status != 200 or answer.get("status") != "success":
        raise SystemExit(f"{stage.entry.cloud_name} did not succeed: HTTP {status} {answer}")


def figures(counted: Counter[Scope], total: int, scale: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"function": "pipeline-incremental", "variant": f"{sync} {scope}", "size": scale, "records": None,
         "round_trips": n, "goal": GOAL} for (sync, scope), n in counted.items()]
    rows.append({"function": "pipeline-incremental", "variant": "all sources (HTTP round trips)", "size": scale,
                 "records": None, "round_trips": total, "goal": None})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=11, help="the world's seed (default 11)")
    parser.add_argument("--scale", type=int, default=1, help="the world's scale (default 1)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON (for bench/report.py)")
    args = parser.parse_args()
    counted, total = incremental_requests(args.seed, args.scale)
    print(f"{'sync':<10} {'scope':<44} {'requests':>8}  < {GOAL}")
    for (sync, scope), n in counted.items():
        print(f"{sync:<10} {scope:<44} {n:>8}  {'yes' if n < GOAL else 'NO'}")
    print(f"{'all':<10} {'HTTP round trips':<44} {total:>8}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures(counted, total, args.scale), indent=1))


if __name__ == "__main__":
    main()
