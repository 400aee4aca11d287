"""Final tables of a scenario against the clean run's: rows lost, rows duplicated or unexpected, cursors ahead.

Every table under sql/tables is compared except the ledger's own logs; a function's upstream tables start equal,
so only what it writes can differ. Rows are compared without the bookkeeping columns that name the run or the
moment it wrote (VOLATILE).
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.sqlfiles import table_files
from shared.warehouse import Warehouse

LEDGER_TABLES = frozenset({"etl_run_log", "etl_run_scopes", "sync_state_log"})
VOLATILE = frozenset({"_run_id", "run_id", "ingested_at", "_synced_at", "synced_at", "updated_at", "embedded_at",
                      "resolved_at", "scored_at", "computed_at", "loaded_at", "created_at_run", "recorded_at",
                      "seen_at", "collected_at", "generated_at", "_loaded_at", "fired_at", "first_seen_at",
                      "last_seen_at", "evaluated_at", "matched_at", "raised_at", "built_at", "source_embedded_at",
                      "prototypes_at"})
WORKING_TABLES = frozenset({"sf_listing_seen"})
"""A job's own scratch state, not data: its leftovers are reported, not counted (sf_listing_seen keeps the ids of
an unfinished full listing; its partitions expire after 60 days)."""
Rows = dict[str, collections.Counter[tuple[Any, ...]]]
Keys = dict[str, collections.Counter[tuple[Any, ...]]]
Coverage = tuple[str, str | None, Any]


@dataclass(frozen=True)
class Snapshot:
    rows: Rows
    keys: Keys
    cursors: dict[tuple[str, str], str]


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, float):
        return round(value, 6)
    return value


def snapshot(warehouse: Warehouse) -> Snapshot:
    rows: Rows = {}
    keys: Keys = {}
    for name, spec in table_files().items():
        if name in LEDGER_TABLES:
            continue
        found = warehouse.query(f"select * from {name}")
        rows[name] = collections.Counter(
            tuple((k, _freeze(v)) for k, v in sorted(r.items()) if k not in VOLATILE) for r in found)
        keys[name] = collections.Counter(tuple(_freeze(r.get(k)) for k in spec.key) for r in found)
    cursors = {(r["job"], r["scope"]): r["cursor_value"]
               for r in warehouse.query("select job, scope, cursor_value from sync_state")}
    return Snapshot(rows, keys, cursors)


def lost_in(clean: Snapshot, other: Snapshot, table: str) -> int:
    """Rows of the clean run that the scenario lacks (or holds with other values)."""
    return (clean.rows[table] - other.rows.get(table, collections.Counter())).total()


def duplicates_in(clean: Snapshot, other: Snapshot, table: str) -> int:
    """Rows the clean run does not have (a row stored twice counts once), plus repeats of a key that repeated
    identical rows do not already account for."""
    rows = other.rows.get(table, collections.Counter())
    repeated_keys = sum(n - 1 for n in other.keys.get(table, collections.Counter()).values())
    repeated_rows = sum(n - 1 for n in rows.values())
    return (rows - clean.rows[table]).total() + max(0, repeated_keys - repeated_rows)


def differences(clean: Snapshot, other: Snapshot) -> dict[str, tuple[int, int]]:
    """Table → (rows lost, duplicates) for every table where either is not 0."""
    found = {t: (lost_in(clean, other, t), duplicates_in(clean, other, t)) for t in clean.rows}
    return {t: figures for t, figures in found.items() if any(figures)}


@dataclass(frozen=True)
class CursorRule:
    """A function's cursors: which scopes count, the tables each covers, and how to read its position."""

    job: str
    covers: Callable[[str], tuple[Coverage, ...]]
    """scope → the (table, column, value) its rows are (column None: the whole table); () for other scopes"""
    position: Callable[[str], Any]


def ahead(rule: CursorRule | None, clean: Snapshot, state: Snapshot) -> bool | None:
    """A cursor is ahead of the data when it already stands where the clean run's ended (it claims its scope
    caught up, so the next run starts past it) while the tables it covers lack rows the clean run has.
    None: the function keeps no cursor."""
    if rule is None:
        return None
    for (job, scope), value in state.cursors.items():
        covered = rule.covers(scope) if job == rule.job else ()
        final = clean.cursors.get((job, scope))
        if not covered or final is None or not _reached(rule, value, final):
            continue
        if any(_missing(clean, state, coverage) for coverage in covered):
            return True
    return False


def _missing(clean: Snapshot, state: Snapshot, coverage: Coverage) -> int:
    table, column, value = coverage
    gone = clean.rows[table] - state.rows[table]
    return sum(n for row, n in gone.items() if column is None or dict(row).get(column) == value)


def _reached(rule: CursorRule, value: str, final: str) -> bool:
    try:
        mine, theirs = rule.position(value), rule.position(final)
        return mine is not None and theirs is not None and mine >= theirs
    except (ValueError, TypeError):
        return False


def json_field(name: str) -> Callable[[str], Any]:
    """A cursor that is either the position itself or a JSON checkpoint holding it under `name`."""
    def read(value: str) -> Any:
        if value.lstrip().startswith("{"):
            return json.loads(value).get(name)
        return value
    return read
