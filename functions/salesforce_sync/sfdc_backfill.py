"""Values of newly configured fields for the rows a table already has, without re-reading every field.

After the object's normal sync, a targeted query reads only `Id` and the new fields (`SELECT Id, Budget__c FROM
Account ORDER BY Id`, by REST; by a Bulk API 2.0 queryAll job when the object has more records than
SALESFORCE_BULK_THRESHOLD) and updates those columns of the stored rows; rows the table lacks are left to the
normal sync. sync_state scope `<Object>#backfill` holds the checkpoint (JSON): `{"fields": [...], "api": "rest",
"after_id": "<last Id committed>"}` or `{"fields": [...], "api": "bulk", "job": "<id>", "created": "<UTC>",
"complete": false, "locator": "<next result set>"}`, saved after every committed batch; the time budget is
checked between batches, and the next run resumes where this one stopped. Cleared ("") when done.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import sfdc_bulk
from sfdc_fields import ExtraField, soql_types
from sfdc_listing import JOB, Record
from sfdc_values import cursor_text, typed

from shared.log import get_logger

if TYPE_CHECKING:
    from sfdc_sync import ObjectSync

log = get_logger(__name__)
BACKFILL_SUFFIX = "#backfill"


@dataclass
class Backfill:
    fields: list[str]
    api: Literal["rest", "bulk"] | None = None
    after_id: str | None = None
    job: str | None = None
    created: str | None = None
    complete: bool = False
    locator: str = ""
    done: int = field(default=0)
    """Rows updated so far (for the log)."""

    def dump(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, "", False)}, sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> Backfill | None:
        if not text:
            return None
        try:
            found = cls(**json.loads(text))
        except (ValueError, TypeError) as exc:
            log.warning("ignoring an unreadable back-fill checkpoint: %s", exc, extra={"checkpoint": text[:200]})
            return None
        return found if found.fields else None


@dataclass
class FieldBackfill:
    sync: ObjectSync
    saved: Backfill | None = None

    @property
    def scope(self) -> str:
        return self.sync.scope + BACKFILL_SUFFIX

    def load(self) -> Backfill | None:
        self.saved = Backfill.load(self.sync.ledger.get_cursor(JOB, self.scope))
        return self.saved

    def plan(self, new: Sequence[ExtraField], synced: Sequence[ExtraField]) -> None:
        """Save the back-fill this run owes: the pending one (less the fields no longer synced) and the new
        fields; a change of fields restarts it, so that one pass reads them all."""
        names = {extra.name for extra in synced}
        pending = [name for name in (self.saved.fields if self.saved else []) if name in names]
        wanted = sorted({*pending, *(extra.name for extra in new)})
        if wanted == sorted(self.saved.fields if self.saved else []):
            return
        if self.saved is not None and self.saved.job:
            self.abort(self.saved.job)
        self.save(Backfill(wanted) if wanted else None)
        if wanted:
            log.info("%s field(s) %s to back-fill for stored rows", self.sync.scope, ", ".join(wanted),
                     extra={"scope": self.sync.scope, "fields": wanted})

    def drop(self) -> None:
        """A full listing reads every field of every record: no back-fill is owed."""
        if self.saved is not None:
            if self.saved.job:
                self.abort(self.saved.job)
            self.save(None)

    def save(self, backfill: Backfill | None) -> None:
        self.sync.ledger.set_cursor(JOB, self.scope, backfill.dump() if backfill else "", self.sync.run.run_id)
        self.saved = backfill

    def run(self, extras: Sequence[ExtraField], described: dict[str, str],
            committed: Callable[[int], None]) -> None:
        """Fill the saved back-fill's fields, batch by batch; raises OutOfTime between batches."""
        backfill = self.saved
        if backfill is None:
            return
        chosen = [extra for extra in extras if extra.name in backfill.fields]
        types = {"Id": "id", **soql_types(chosen, described)}
        if backfill.api is None:
            big = self.sync.client.count(self.sync.scope) > self.sync.options.bulk_threshold
            backfill.api = "bulk" if big else "rest"
            self.save(backfill)
        batches = self.bulk_batches(backfill, types) if backfill.api == "bulk" else self.rest_batches(backfill, types)
        for records, more in batches:
            backfill.done += self.commit(chosen, records, committed)
            if backfill.api == "rest" and records:
                backfill.after_id = str(records[-1]["Id"])
            if more:
                self.save(backfill)
                self.sync.budget.checkpoint(f"{self.sync.scope} back-fill of {', '.join(backfill.fields)}")
        self.save(None)
        log.info("back-filled %s field(s) %s: %d stored rows changed", self.sync.scope, ", ".join(backfill.fields),
                 backfill.done, extra={"scope": self.sync.scope, "fields": backfill.fields, "rows": backfill.done})

    def commit(self, chosen: Sequence[ExtraField], records: list[Record], committed: Callable[[int], None]) -> int:
        stream, run = self.sync.stream, self.sync.run
        rows = [{stream.key: record["Id"], **{extra.column: extra.value(record) for extra in chosen},
                 "_synced_at": run.started_at, "_run_id": run.run_id} for record in records]
        changed = self.sync.warehouse.merge(stream.table, rows, key=(stream.key,), volatile=("_synced_at", "_run_id"),
                                            insert=False) if rows else 0
        committed(changed)
        return changed

    def rest_batches(self, backfill: Backfill, types: dict[str, str]) -> Iterator[tuple[list[Record], bool]]:
        where = ""
        if backfill.after_id:
            where = " WHERE Id > '" + backfill.after_id.replace("\\", "\\\\").replace("'", "\\'") + "'"
        soql = f"SELECT {', '.join(types)} FROM {self.sync.scope}{where} ORDER BY Id ASC"
        records: list[Record] = []
        for page in self.sync.client.query_pages(soql):
            records.extend(self.sync.identified({n: typed(raw.get(n), k) for n, k in types.items()}
                                                for raw in page.records))
            if len(records) >= self.sync.options.batch_size or not page.more:
                yield records, page.more
                records = []

    def bulk_batches(self, backfill: Backfill, types: dict[str, str]) -> Iterator[tuple[list[Record], bool]]:
        client, scope = self.sync.client, self.sync.scope
        if backfill.job is None:
            backfill.job = client.create_bulk_query(scope, f"SELECT {', '.join(types)} FROM {scope}")
            backfill.created = cursor_text(self.sync.now())
            self.save(backfill)
        if not backfill.complete:
            sfdc_bulk.wait_for_job(self.sync, backfill.job, str(backfill.created),
                                   lambda: self.save(Backfill(backfill.fields)), "back-fill Bulk job")
            backfill.complete = True
        while True:
            result = client.bulk_result_set(scope, backfill.job, backfill.locator, self.sync.options.batch_size)
            records = self.sync.identified({n: typed(raw[n], k) for n, k in types.items() if n in raw}
                                           for raw in csv.DictReader(io.StringIO(result.csv)))
            backfill.locator = result.locator
            yield records, bool(result.locator)
            if not result.locator:
                return

    def abort(self, job: str) -> None:
        """A back-fill replaced (its fields changed) or owed no more: its job is not needed."""
        sfdc_bulk.abandon_job(self.sync, job, lambda: None)


def described_types(described: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(f["name"]): str(f["type"]) for f in described}
