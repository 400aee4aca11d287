"""`make report` checked as a person would: the page of a small demo run (the differential check's pipeline: every
function through its HTTP entry point on the seed-11 world) opened in headless Chromium at laptop width. Every
section is there, every chart drew its data, the page asked for nothing but itself (the DevTools protocol's
request log, and a recording proxy on loopback that every browser request goes to), it loads in under 2 s, and a
screenshot is left in `.local/report.png` for review (the figures in `.local/report-browser.json`).

Needs Debian's `chromium` (`make unit` installs it where apt-get can); without it the browser tests are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.headless_chromium import BROWSER_SERVICES, browser, find_chromium, page_requests, recording_proxy
from tools.pipeline import ROOT
from tools.report import write_report
from tools.sqlcheck.differential import run_pipeline

SCREENSHOT = ROOT / ".local" / "report.png"
FIGURES = ROOT / ".local" / "report-browser.json"
WIDTH = 1280
LOAD_BUDGET_MS = 2000.0
SECTIONS = [("accounts", "Today's accounts"), ("spend", "AI spend"), ("health", "Pipeline health")]
CHARTS = {"actions-by-rep", "monthly-cost", "cost-by-team", "coverage", "freshness", "match-rates", "embeddings"}
LOOK = """(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const charts = [...document.querySelectorAll('figure[data-chart]')].map(figure => {
    const svg = figure.querySelector('svg');
    const box = svg.getBoundingClientRect();
    const filled = [...svg.querySelectorAll('path[d]')].filter(p => !p.closest('g[id*="legend"]')
      && /fill: #(?!ffffff)/.test(p.getAttribute('style') || ''));
    return {name: figure.dataset.chart, width: box.width, height: box.height, filled: filled.length,
            texts: [...svg.querySelectorAll('text')].map(t => t.textContent)};
  });
  return {
    load_ms: nav.loadEventEnd - nav.startTime,
    dom_ready_ms: nav.domContentLoadedEventEnd - nav.startTime,
    sections: [...document.querySelectorAll('section[data-section]')]
      .map(s => [s.id, s.querySelector('h2').textContent]),
    charts,
    takeaways: [...document.querySelectorAll('[data-takeaway]')].map(p => p.textContent),
    empty: [...document.querySelectorAll('[data-empty]')].map(p => p.textContent),
    resources: performance.getEntriesByType('resource').map(r => r.name),
    horizontal_overflow: document.documentElement.scrollWidth - window.innerWidth,
    table_rows: document.querySelectorAll('tbody tr').length,
  };
})()"""


@dataclass(frozen=True)
class Seen:
    facts: dict[str, Any]
    requested: list[str]
    proxied: list[str]


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip("the report's browser check needs Debian's chromium, which is not installed: run "
                    "`apt-get install chromium` as root (`make unit` does where it can)")
    return found


@pytest.fixture(scope="module")
def demo_report() -> Iterator[Path]:
    folder = ROOT / ".local" / "report-test" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    warehouse = folder / "warehouse.duckdb"
    run_pipeline(warehouse, seed=11, scale=1)
    out = folder / "report.html"
    write_report(f"duckdb:///{warehouse}", out)
    yield out
    shutil.rmtree(folder, ignore_errors=True)


def look(chromium: str, page_file: Path, screenshot: Path | None = None) -> Seen:
    with recording_proxy() as (port, proxied), browser(chromium, port, width=WIDTH) as page:
        page.send("Page.navigate", url=page_file.resolve().as_uri())
        page.wait_for("Page.loadEventFired")
        facts = page.evaluate(LOOK)
        if screenshot is not None:
            page.screenshot(screenshot, WIDTH)
        return Seen(facts, page.requested_urls(), list(proxied))


@pytest.fixture(scope="module")
def seen(chromium: str, demo_report: Path) -> Seen:
    """The demo page as the browser saw it; the screenshot and figures are replaced whole (two test workers may
    each take this module's fixtures)."""
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot = SCREENSHOT.with_name(f".report-{os.getpid()}.png")
    result = look(chromium, demo_report, shot)
    shot.replace(SCREENSHOT)
    figures = {k: result.facts[k] for k in ("load_ms", "dom_ready_ms", "table_rows", "horizontal_overflow")}
    figures |= {"charts": {c["name"]: c["filled"] for c in result.facts["charts"]}, "screenshot": str(SCREENSHOT),
                "browser_own_requests": [r for r in result.proxied if r not in page_requests(result.proxied)]}
    written = FIGURES.with_name(f".report-browser-{os.getpid()}.json")
    written.write_text(json.dumps(figures, indent=2) + "\n")
    written.replace(FIGURES)
    return result


def test_every_section_is_there_and_nothing_is_empty_after_a_demo_run(seen: Seen) -> None:
    assert [tuple(s) for s in seen.facts["sections"]] == SECTIONS
    assert seen.facts["empty"] == []
    takeaways = seen.facts["takeaways"]
    assert len(takeaways) >= 10 and all(t.strip().endswith(".") for t in takeaways)
    projected = r"is projected at \$[\d,]+ \((90 % interval \$[\d,.]+\u2013\$[\d,.]+|no interval yet: [a-z ]+)\)"
    whole_month = r"came to \$[\d,]+ \(the whole month\)"  # on the first of a month: the month before, complete
    assert any(re.search(f"AI spend for 20\\d\\d-\\d\\d ({projected}|{whole_month})", t) for t in takeaways)
    assert any(re.search(r"has \d+ accounts? to act on; top: ", t) for t in takeaways)
    assert seen.facts["table_rows"] >= 10


def test_every_chart_drew_its_data_at_a_readable_size(seen: Seen) -> None:
    charts = {c["name"]: c for c in seen.facts["charts"]}
    assert set(charts) == CHARTS
    for name, chart in charts.items():
        assert chart["width"] >= 400 and chart["height"] >= 100, name
        assert chart["filled"] >= 3, name  # bars, stacked segments: data drawn, not just axes
        assert any(re.search(r"\d", t) for t in chart["texts"]), name  # formatted tick or value labels
    assert any(t.startswith("$") for t in charts["monthly-cost"]["texts"])
    assert any(t.endswith("%") for t in charts["coverage"]["texts"])


def test_the_page_asked_for_nothing_but_itself(seen: Seen, demo_report: Path) -> None:
    assert seen.requested == [demo_report.resolve().as_uri()]
    assert seen.facts["resources"] == []
    assert page_requests(seen.proxied) == []  # Chromium's own calls home (BROWSER_SERVICES) are not the page's
    html = demo_report.read_text()
    assert re.findall(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html) == []
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert re.findall(r"url\((?!#)", html) == []


def test_the_page_loads_in_under_two_seconds_and_fits_a_laptop_screen(seen: Seen) -> None:
    assert 0 < seen.facts["load_ms"] < LOAD_BUDGET_MS, f"load took {seen.facts['load_ms']:.0f} ms"
    assert seen.facts["horizontal_overflow"] <= 0
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and SCREENSHOT.stat().st_size > 50_000


def test_the_check_would_see_a_page_that_fetches(chromium: str, tmp_path: Path) -> None:
    """The same look at a page that loads an image and a stylesheet from elsewhere: both show."""
    page = tmp_path / "fetching.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" href="http://127.0.0.1:8099/style.css">'
                    '</head><body><img src="http://report-check.invalid/pixel.png"></body></html>')
    result = look(chromium, page)
    assert {"http://127.0.0.1:8099/style.css", "http://report-check.invalid/pixel.png"} <= set(result.requested)
    assert {r.split()[1] for r in page_requests(result.proxied)} >= {
        "http://127.0.0.1:8099/style.css", "http://report-check.invalid/pixel.png"}
    assert not set(BROWSER_SERVICES) & {"127.0.0.1", "report-check.invalid"}
