"""The report's charts, drawn by matplotlib's SVG backend and inlined in the page as `<svg>` elements.

Static SVG needs no script and names nothing to fetch, so the page renders offline and cannot make a request;
text stays text (`svg.fonttype = none`: the browser's font, selectable, small files). Output is deterministic for
the same data: a fixed hash salt for clip-path ids, no date in the metadata (the metadata block is dropped), and
every id is prefixed with the chart's name so that several charts in one page never share one.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ParamSpec

import matplotlib
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

Format = Callable[[float], str]
P = ParamSpec("P")
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D31", "#999999")
"""Okabe-Ito's colour-blind-safe set (plus a brown), in the order series are given."""
MUTED = "#B8BEC6"
STYLE: dict[str, object] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "sales-intel-report",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9AA3AD",
    "axes.labelcolor": "#333333",
    "axes.titlesize": 10,
    "xtick.color": "#4A5560",
    "ytick.color": "#4A5560",
    "axes.grid": True,
    "grid.color": "#E6E9EC",
    "axes.axisbelow": True,
    "legend.frameon": False,
    "legend.fontsize": 9,
}
WIDTH = 6.4
"""Inches at 72 pt each: half the page at laptop width, so a tick label reads at about 12 px."""


@dataclass(frozen=True)
class Projection:
    """A forecast drawn over one column: an outlined bar to `value` and a whisker from `low` to `high`."""

    index: int
    value: float
    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Target:
    value: float
    label: str


def styled(draw: Callable[P, Markup | None]) -> Callable[P, Markup | None]:
    """Draw (and save) with the report's style in force: rcParams are read as artists are made."""
    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Markup | None:
        with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]  # its stubs want literal keys
            return draw(*args, **kwargs)
    return wrapper


def colours(names: Sequence[str], fixed: Mapping[str, str] | None = None) -> dict[str, str]:
    """A colour per series: `fixed` ones first, then the palette in order."""
    fixed = fixed or {}
    free = iter(c for c in PALETTE if c not in fixed.values())
    return {name: fixed.get(name) or next(free, MUTED) for name in names}


@styled
def columns(name: str, title: str, categories: Sequence[str], series: Mapping[str, Sequence[float]],
            fmt: Format, colour: Mapping[str, str] | None = None, projection: Projection | None = None,
            target: Target | None = None, width: float = WIDTH, value_fmt: Format | None = None,
            inside: bool = False) -> Markup | None:
    """Stacked columns (one per category, one segment per series), optionally with a projection over one column
    and a horizontal target line; each column's total on top (`inside`: in white under its top edge), in
    `value_fmt`, else the axis's `fmt`. None when there is nothing to draw."""
    series = {label: values for label, values in series.items() if any(values)}  # no legend entry for nothing
    if not categories or not series:
        return None
    colour = colour or colours(list(series))
    fig = Figure(figsize=(width, 3.0), layout="constrained")
    ax = fig.add_subplot()
    xs = list(range(len(categories)))  # positions, not strings: month labels would be read as dates
    base = [0.0] * len(categories)
    for label, values in series.items():
        ax.bar(xs, values, bottom=base, color=colour[label], label=label, width=0.62)
        base = [b + v for b, v in zip(base, values, strict=True)]
    ax.set_xticks(xs, list(categories))
    if projection is not None:
        _projection(ax, projection, fmt)
    if target is not None:
        ax.axhline(target.value, color="#C0392B", linewidth=1.2, linestyle="--", label=target.label)
    for x, total in enumerate(base):
        if total and (projection is None or x != projection.index):
            ax.annotate((value_fmt or fmt)(total), (x, total), ha="center", va="top" if inside else "bottom",
                        fontsize=8.5, color="#FFFFFF" if inside else "#333333", xytext=(0, -4 if inside else 2),
                        textcoords="offset points", fontweight="bold" if inside else "normal")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.grid(axis="x", visible=False)
    ax.margins(y=0.12)
    _rotate_if_crowded(ax, categories)
    _legend(ax, len(series) + (projection is not None) + (target is not None), width)
    return render(fig, name, title)


@styled
def hbars(name: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]], fmt: Format,
          colour: Mapping[str, str] | None = None, grouped: bool = False, limit: float | None = None,
          values: bool = True, width: float = WIDTH, integer: bool = False,
          log_ticks: Sequence[tuple[float, str]] = ()) -> Markup | None:
    """Horizontal bars, one row per label (top to bottom in the order given), its series stacked or side by
    side (`grouped`), each row's total (or each bar's value) at its end. `integer`: whole-number ticks;
    `log_ticks`: a log scale with these (value, label) ticks (ages from minutes to months). None when there is
    nothing to draw."""
    series = {label: row for label, row in series.items() if any(row)}
    if not labels or not series:
        return None
    colour = colour or colours(list(series))
    bars_per_row = len(series) if grouped else 1
    legend_rows = -(-len(series) // legend_columns(list(series), width)) if len(series) > 1 else 0
    fig = Figure(figsize=(width, 0.8 + 0.3 * len(labels) * bars_per_row ** 0.6 + 0.28 * legend_rows),
                 layout="constrained")
    ax = fig.add_subplot()
    rows = list(range(len(labels)))[::-1]
    height = 0.7 / bars_per_row
    left = [0.0] * len(labels)
    for number, (label, row) in enumerate(series.items()):
        offset = (number - (len(series) - 1) / 2) * height if grouped else 0.0
        bars = ax.barh([y - offset for y in rows], row, left=None if grouped else left,
                       height=height * (0.9 if grouped else 1), color=colour[label], label=label)
        if grouped and values:
            ax.bar_label(bars, labels=[fmt(v) if v else "" for v in row], padding=3, fontsize=8.5)
        left = [a + b for a, b in zip(left, row, strict=True)]
    if values and not grouped:
        for y, total in zip(rows, left, strict=True):
            ax.annotate(fmt(total), (total, y), va="center", ha="left", fontsize=8.5, color="#333333",
                        xytext=(3, 0), textcoords="offset points")
    ax.set_yticks(rows, list(labels))
    ax.grid(axis="y", visible=False)
    if log_ticks:
        _log_axis(ax, [v for v in left if v > 0], log_ticks)
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=integer))
        if limit is not None:
            ax.set_xlim(0, limit)
        else:
            ax.margins(x=0.14)
    _legend(ax, len(series), width)
    return render(fig, name, title)


def _log_axis(ax: Axes, values: Sequence[float], ticks: Sequence[tuple[float, str]]) -> None:
    """A log x axis from below the smallest value to past the largest, with the given ticks inside it."""
    low, high = min(values) / 2, max(values) * 4
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    shown = [(v, label) for v, label in ticks if low <= v <= high]
    ax.set_xticks([v for v, _ in shown], [label for _, label in shown])
    ax.xaxis.set_minor_locator(NullLocator())


def _projection(ax: Axes, projection: Projection, fmt: Format) -> None:
    x = projection.index
    ax.bar([x], [projection.value], width=0.62, fill=False, edgecolor="#333333", linewidth=1.1,
           linestyle=(0, (3, 2)), label=projection.label)
    ax.errorbar([x], [projection.value], yerr=[[projection.value - projection.low],
                                               [projection.high - projection.value]],
                fmt="none", ecolor="#333333", elinewidth=1.1, capsize=4)
    ax.annotate(fmt(projection.value), (x, projection.high), ha="center", va="bottom", fontsize=8.5,
                color="#333333", xytext=(0, 3), textcoords="offset points")


def _rotate_if_crowded(ax: Axes, categories: Sequence[str]) -> None:
    if len(categories) * max((len(c) for c in categories), default=0) > 60:
        ax.tick_params(axis="x", labelrotation=35)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")


def legend_columns(labels: Sequence[str], width: float) -> int:
    """As many legend columns as fit the figure's width (inches), judged by the longest label at 9 pt."""
    entry = 0.6 + 0.075 * max((len(label) for label in labels), default=1)
    return max(1, min(len(labels), int(width * 0.95 // entry)))


def _legend(ax: Axes, entries: int, width: float) -> None:
    """Above the plot, in as few rows as fit, so it never covers a bar."""
    if entries > 1:
        labels = ax.get_legend_handles_labels()[1]
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), handlelength=1.2, borderaxespad=0.3, columnspacing=1.2,
                  ncols=legend_columns(labels, width))


_ID = re.compile(r'\bid="([^"]+)"')


def render(fig: Figure, name: str, title: str) -> Markup:
    """The figure as an inline `<svg>`: no XML prolog, no metadata, ids prefixed with `name`, labelled `title`."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})  # the figure's own size: same text size everywhere
    return Markup(inline_svg(buffer.getvalue(), name, title))  # noqa: S704 - our own SVG; title escaped below


def inline_svg(text: str, name: str, title: str) -> str:
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r"<style[^>]*>.*?</style>\s*", "", text, flags=re.DOTALL)  # `*{...}`: the page's CSS has it
    for found in set(_ID.findall(text)):
        scoped = f"{name}-{found}"
        text = text.replace(f'id="{found}"', f'id="{scoped}"').replace(f"#{found})", f"#{scoped})")
        text = text.replace(f'href="#{found}"', f'href="#{scoped}"')
    label = Markup.escape(title)
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1).strip()
