"""What the report page is made of (sections of blocks: a takeaway, a chart or a table, or why it is empty) and
how it becomes one self-contained HTML file: `tools/report_template.html.j2`, rendered by Jinja2 with
autoescaping on, so every value from the warehouse reaches the page as text, never as markup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

TEMPLATE = "report_template.html.j2"
TONES = {
    "success": "good", "ok": "good", "met": "good",
    "partial": "warn", "pending": "warn", "running": "info", "warning": "warn", "below": "warn",
    "failed": "bad", "abandoned": "bad", "critical": "bad", "never run": "muted",
}
"""Status words and the colour they are shown in (anything else: neutral)."""


@dataclass(frozen=True)
class Cell:
    text: str = ""
    items: tuple[str, ...] = ()
    """A list in one cell (an account's reasons, a function's scopes)."""
    status: str = ""
    """Shown as a coloured chip (TONES) when set."""
    numeric: bool = False
    chips: tuple[tuple[str, str], ...] = ()
    """(label, status) pairs shown as small chips (the scopes of a run)."""


def text(value: str) -> Cell:
    return Cell(value)


def num(value: str) -> Cell:
    return Cell(value, numeric=True)


def chip(status: str, label: str | None = None) -> Cell:
    return Cell(label or status, status=status)


def items(values: Sequence[str]) -> Cell:
    return Cell(items=tuple(values))


def chips(pairs: Sequence[tuple[str, str]]) -> Cell:
    return Cell(chips=tuple(pairs))


def tone(status: str) -> str:
    return TONES.get(status, "neutral")


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""

    @property
    def numeric(self) -> tuple[bool, ...]:
        """Columns whose cells are all numbers are right-aligned, header included."""
        return tuple(bool(self.rows) and all(row[i].numeric for row in self.rows) for i in range(len(self.headers)))


@dataclass(frozen=True)
class Chart:
    name: str
    svg: Markup
    caption: str = ""


@dataclass(frozen=True)
class Block:
    """One chart or table of a section, with its one-line takeaway; `empty` says why there is nothing to show."""

    key: str
    title: str
    takeaway: str
    source: str
    chart: Chart | None = None
    table: Table | None = None
    empty: str | None = None
    wide: bool = False
    tone: str = "neutral"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    summary: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Tile:
    """A headline figure at the top of the page, linking to its section."""

    label: str
    value: str
    detail: str
    section: str
    tone: str = "neutral"


@dataclass(frozen=True)
class Page:
    title: str
    generated_at: str
    warehouse: str
    tiles: tuple[Tile, ...]
    sections: tuple[Section, ...]
    problems: tuple[str, ...] = field(default=())


def empty_block(key: str, title: str, source: str, why: str, wide: bool = False) -> Block:
    """A block with nothing to show: its takeaway is the reason."""
    return Block(key, title, why, source, empty=why, wide=wide, tone="muted")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["tone"] = tone
    return env


def render(page: Page) -> str:
    return environment().get_template(TEMPLATE).render(page=page)
