"""An object's configured extra fields against its table, every run: columns added for new fields, widened
where BigQuery widens in place, type changes it cannot make reported, vanished fields logged once.

sync_state scope `<Object>#fields` (job `salesforce-sync`) holds the extra fields last synced, as JSON
`{"Budget__c": "NUMERIC", …}`. A field not in it is new: its column is added (nullable) and, when the table
already has rows, the field is back-filled (`sfdc_backfill`). A field in it that describe no longer reports (or the
settings no longer name) keeps its column, whose values stop changing; that is logged once, when it goes. A field
whose type now maps to another column type is widened when that loses nothing (INT64 → NUMERIC → FLOAT64) and
otherwise left out of the sync, never cast: `FieldTypeConflictError` fails the object's scope after the rest of the
object is synced, naming the field and both types, until the column is dropped or renamed (then it is created
again with the new type and back-filled).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sfdc_fields import BIGQUERY_TYPES, WIDENINGS, ExtraField, select_extras, soql_types
from sfdc_listing import JOB
from sfdc_streams import RUNTIME_COLUMNS, Stream

from shared.ledger import Run, RunLedger
from shared.log import get_logger
from shared.warehouse import Warehouse

log = get_logger(__name__)
FIELDS_SUFFIX = "#fields"


class FieldTypeConflictError(Exception):
    """A configured field's type changed to one its column cannot take without a cast."""


@dataclass
class FieldPlan:
    extras: list[ExtraField] = field(default_factory=list)
    """The extra fields synced this run."""
    new: list[ExtraField] = field(default_factory=list)
    """Those not synced before (their column may have been added just now)."""
    conflicts: list[str] = field(default_factory=list)

    def soql_types(self, described: Mapping[str, str]) -> dict[str, str]:
        return soql_types(self.extras, described)

    def raise_conflicts(self) -> None:
        if self.conflicts:
            raise FieldTypeConflictError("; ".join(self.conflicts))


@dataclass
class SchemaEvolution:
    stream: Stream
    warehouse: Warehouse
    ledger: RunLedger
    run: Run

    @property
    def scope(self) -> str:
        return self.stream.object_type + FIELDS_SUFFIX

    def plan(self, described: Sequence[Mapping[str, Any]], wanted: Sequence[str] | str) -> FieldPlan:
        """Bring the table in line with the configured fields describe reports; returns what to sync."""
        taken = {column: name for name, column in self.stream.columns}
        extras, missing = select_extras(self.stream.object_type, described, wanted, taken)
        if missing:
            log.warning("%s has no field(s) %s visible to this user; configured in SALESFORCE_EXTRA_FIELDS, not "
                        "synced", self.stream.object_type, ", ".join(missing),
                        extra={"scope": self.stream.object_type, "missing_fields": missing})
        if self.stream.custom:
            self.create_table(described, extras)
        stored = self.stored()
        columns = self.warehouse.bigquery_column_types(self.stream.table)
        plan = FieldPlan()
        for extra in extras:
            have = columns.get(extra.column)
            if have is None:
                self.warehouse.add_column(self.stream.table, extra.column, extra.bigquery_type)
                log.info("added column %s.%s %s for %s.%s", self.stream.table, extra.column, extra.bigquery_type,
                         self.stream.object_type, extra.name, extra={"scope": self.stream.object_type})
            elif have != extra.bigquery_type:
                if (have, extra.bigquery_type) not in WIDENINGS:
                    plan.conflicts.append(
                        f"{self.stream.object_type}.{extra.name} is now a {extra.sf_type} field "
                        f"({extra.bigquery_type}) but column {self.stream.table}.{extra.column} is {have}: not cast, "
                        "not synced; drop or rename the column to take the new type (it is then created again and "
                        "back-filled)")
                    continue
                self.warehouse.widen_column(self.stream.table, extra.column, extra.bigquery_type)
                log.warning("widened column %s.%s from %s to %s: %s.%s is now a %s field", self.stream.table,
                            extra.column, have, extra.bigquery_type, self.stream.object_type, extra.name,
                            extra.sf_type, extra={"scope": self.stream.object_type})
            plan.extras.append(extra)
            if stored is None or extra.name not in stored:
                plan.new.append(extra)
        for conflict in plan.conflicts:
            log.error(conflict, extra={"scope": self.stream.object_type, "run_id": self.run.run_id})
        synced = {extra.name: extra.bigquery_type for extra in plan.extras}
        gone = sorted(set(stored or {}) - set(synced) - {e.name for e in extras})
        if gone:
            log.warning("%s field(s) %s no longer synced (not in describe, or no longer configured): their "
                        "columns are kept and stop changing", self.stream.object_type, ", ".join(gone),
                        extra={"scope": self.stream.object_type, "vanished_fields": gone})
        if stored is None or synced != stored:
            self.ledger.set_cursor(JOB, self.scope, json.dumps(synced, sort_keys=True), self.run.run_id)
        return plan

    def stored(self) -> dict[str, str] | None:
        """The extra fields last synced; None before the first run that kept them."""
        text = self.ledger.get_cursor(JOB, self.scope)
        if text is None:
            return None
        try:
            found = json.loads(text) if text else {}
        except ValueError:
            log.warning("ignoring an unreadable field list", extra={"scope": self.scope, "value": text[:200]})
            return None
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else None

    def create_table(self, described: Sequence[Mapping[str, Any]], extras: Sequence[ExtraField]) -> None:
        """A custom object's table, from its describe types, unless it exists; extra fields are added after."""
        if self.warehouse.bigquery_column_types(self.stream.table):
            return
        columns = custom_table_columns(self.stream, {str(f["name"]): str(f["type"]) for f in described})
        self.warehouse.create_table(self.stream.table, columns, self.stream.key,
                                    f"Salesforce {self.stream.object_type}, created by salesforce-sync")
        log.info("created table %s for custom object %s", self.stream.table, self.stream.object_type,
                 extra={"scope": self.stream.object_type, "columns": len(columns) + len(extras)})


def custom_table_columns(stream: Stream, kinds: Mapping[str, str]) -> dict[str, str]:
    """Column → BigQuery type of a custom object's table: its stream's columns typed by describe (an optional
    field the org lacks left out), then the bookkeeping columns."""
    columns = {column: BIGQUERY_TYPES.get(kinds.get(name, "string"), "STRING") for name, column in stream.columns
               if name in kinds or name not in stream.optional}
    columns[stream.key] += " NOT NULL"
    return {**columns, **RUNTIME_COLUMNS}
