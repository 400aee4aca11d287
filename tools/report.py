"""`make report`: one self-contained HTML page of what the suite knows, read from the warehouse views that Looker
Studio reads in production: today's call list, where the AI money goes, and whether the pipeline is healthy.

Read-only (SELECTs under sql/report/ only), on DuckDB or BigQuery alike. The page loads nothing: styles and
charts (matplotlib's SVG) are inline and its content security policy forbids any fetch.

    python -m tools.report [--warehouse URL] [--out .local/report.html]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from shared.settings import CommonSettings
from shared.warehouse import connect
from tools import report_accounts, report_health, report_spend
from tools import report_format as fmt
from tools.pipeline import ROOT, implemented
from tools.report_page import Page, render
from tools.report_queries import Results, problems, run_all
from tools.sql import one_line

DEFAULT_OUT = ROOT / ".local" / "report.html"
TITLE = "Sales-intel report"


def build_page(results: Results, warehouse: str, now: dt.datetime) -> Page:
    """The page from the query results; `now` (UTC) decides what "today" is."""
    accounts, accounts_tile = report_accounts.build(results, now.date())
    spend, spend_tile = report_spend.build(results)
    health, health_tile = report_health.build(results, [e.cloud_name for e in implemented()])
    return Page(TITLE, fmt.moment(now), warehouse, (accounts_tile, spend_tile, health_tile),
                (accounts, spend, health), tuple(problems(results)))


def local_file(url: str) -> Path | None:
    """The DuckDB file a `duckdb:///` URL names (None for BigQuery and in-memory DuckDB)."""
    if not url.startswith("duckdb:///") or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix("duckdb:///"))


def render_report(url: str, now: dt.datetime | None = None) -> tuple[str, list[str]]:
    """The page's HTML and the queries that failed. A missing local warehouse is an error, not an empty page
    (connecting would create an empty file)."""
    path = local_file(url)
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `make demo` first, or set WAREHOUSE")
    warehouse = connect(url)
    try:
        results = run_all(warehouse)
    finally:
        warehouse.close()
    page = build_page(results, url, now or dt.datetime.now(dt.UTC))
    return render(page), list(page.problems)


def write_report(url: str, out: Path = DEFAULT_OUT) -> Path:
    """Write the report of the warehouse at `url` to `out`; returns the path as the user would type it."""
    html, _ = render_report(url)
    return save(html, out)


def save(html: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return shown(out)


def shown(path: Path) -> Path:
    resolved = path.resolve()
    return resolved.relative_to(Path.cwd()) if resolved.is_relative_to(Path.cwd()) else resolved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", help="duckdb:///PATH or bigquery://PROJECT/DATASET (default: WAREHOUSE "
                                            "from the environment or .env, else the local demo warehouse)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the HTML file to write")
    args = parser.parse_args(argv)
    try:
        html, failed = render_report(args.warehouse or CommonSettings.load().warehouse)
    except Exception as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    written = save(html, args.out)
    for problem in failed:
        print(f"warning: query {problem}", file=sys.stderr)
    print(f"report: {written}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
