"""Entity-resolution quality: the warehouse's match columns against the sandbox world's ground truth.

Population. Every `gmail_participants` row whose address is external (the world's truth labels it; internal
addresses, the seller's own domain, are left out) and every `dialpad_calls` row. Each row's truth is an
`Identity` (contact, lead, account, case type, whether Salesforce holds it in some form, and for a switchboard
number the contacts that share it).

Precision (contact, account; lead too, printed only). Over the rows where the resolver set that id, the share
whose id is the true one. A contact on a switchboard number (ambiguous by design) counts as right when it is one
of the contacts holding the number and the row is flagged `is_ambiguous`; a lead counts as right when it is the
true lead or a lead converted into the true contact.

Recall. Over the rows whose address, number or account domain is in Salesforce in some form
(`Identity.in_salesforce`), the share resolved to the truth's most specific record: the true contact when there
is one (for a converted lead, its lead will do), else the true lead, else the true account; and no id set may
contradict the truth. Personal addresses (free mail, in Salesforce in no form) are outside that denominator;
their recall (same rule) is reported on its own.

Contact recall. Over the rows whose truth is one live contact (not a switchboard number) that Salesforce holds,
the share whose contact id is that one: the figure a matcher that links participants to contacts alone (the
benchmarks' per-row matcher, Splink) can be compared on.

Per-method precision. Over the rows of each `match_method`, the share where every id the resolver set is right.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sandbox.world import SELLER_DOMAIN, World
from sandbox.world_truth import Identity
from shared.warehouse import Warehouse

PERSONAL_CASES = ("personal_named", "personal_unnamed", "personal_alone")


@dataclass
class Ratio:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += hit
        self.total += 1

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.value:.3f} ({self.hits}/{self.total})"


@dataclass
class Quality:
    contact_precision: Ratio = field(default_factory=Ratio)
    account_precision: Ratio = field(default_factory=Ratio)
    lead_precision: Ratio = field(default_factory=Ratio)
    recall: Ratio = field(default_factory=Ratio)
    contact_recall: Ratio = field(default_factory=Ratio)
    personal_recall: Ratio = field(default_factory=Ratio)
    recall_by_case: dict[str, Ratio] = field(default_factory=lambda: defaultdict(Ratio))
    precision_by_method: dict[str, Ratio] = field(default_factory=lambda: defaultdict(Ratio))
    rows_by_case: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[str] = field(default_factory=list)
    """A sample of wrong or missed rows, for whoever tunes the rules."""
    unlabelled: int = 0
    """External rows the truth has no identity for (should be none)."""

    def report(self) -> str:
        lines = [
            f"contact precision  {self.contact_precision}",
            f"account precision  {self.account_precision}",
            f"lead precision     {self.lead_precision}",
            f"recall (in Salesforce in some form) {self.recall}",
            f"contact recall                      {self.contact_recall}",
            f"recall on personal addresses        {self.personal_recall}",
            "recall by case type:",
            *(f"  {case:<18} {ratio}" for case, ratio in sorted(self.recall_by_case.items())),
            "precision by match_method:",
            *(f"  {method:<20} {ratio}" for method, ratio in sorted(self.precision_by_method.items())),
            "rows by case type: " + ", ".join(f"{c}={n}" for c, n in sorted(self.rows_by_case.items())),
        ]
        if self.unlabelled:
            lines.append(f"external rows without a truth label: {self.unlabelled}")
        if self.misses:
            lines += ["sample of wrong or missed rows:", *(f"  {m}" for m in self.misses[:25])]
        return "\n".join(lines)


class _Judge:
    def __init__(self, world: World) -> None:
        self.converted_into: dict[str, set[str]] = defaultdict(set)
        for lead in world.leads:
            if lead["IsConverted"] and lead["ConvertedContactId"]:
                self.converted_into[lead["ConvertedContactId"]].add(lead["Id"])
        self.quality = Quality()

    def contact_ok(self, row: dict[str, Any], truth: Identity) -> bool:
        predicted = row.get("sf_contact_id")
        if truth.ambiguous:
            return predicted in truth.candidates and bool(row.get("is_ambiguous"))
        return predicted == truth.contact_id

    def lead_ok(self, row: dict[str, Any], truth: Identity) -> bool:
        predicted = row.get("sf_lead_id")
        return predicted == truth.lead_id or predicted in self.converted_into.get(truth.contact_id or "", set())

    def consistent(self, row: dict[str, Any], truth: Identity) -> bool:
        return ((row.get("sf_contact_id") is None or self.contact_ok(row, truth))
                and (row.get("sf_lead_id") is None or self.lead_ok(row, truth))
                and (row.get("sf_account_id") is None or row.get("sf_account_id") == truth.account_id))

    def resolved(self, row: dict[str, Any], truth: Identity) -> bool:
        if not self.consistent(row, truth):
            return False
        if truth.contact_id:
            lead_will_do = truth.case == "converted_lead" and row.get("sf_lead_id") == truth.lead_id
            return (row.get("sf_contact_id") is not None and self.contact_ok(row, truth)) or lead_will_do
        if truth.lead_id:
            return row.get("sf_lead_id") == truth.lead_id
        if truth.account_id:
            return row.get("sf_account_id") == truth.account_id
        return False

    def judge(self, row: dict[str, Any], truth: Identity, what: str) -> None:
        q = self.quality
        q.rows_by_case[truth.case] += 1
        if row.get("sf_contact_id") is not None:
            q.contact_precision.add(self.contact_ok(row, truth))
        if row.get("sf_account_id") is not None:
            q.account_precision.add(row["sf_account_id"] == truth.account_id)
        if row.get("sf_lead_id") is not None:
            q.lead_precision.add(self.lead_ok(row, truth))
        if row.get("match_method"):
            q.precision_by_method[row["match_method"]].add(self.consistent(row, truth))
        hit = self.resolved(row, truth)
        if truth.in_salesforce and truth.contact_id and not truth.ambiguous and truth.case != "deleted_contact":
            q.contact_recall.add(row.get("sf_contact_id") == truth.contact_id)
        if truth.in_salesforce:
            q.recall.add(hit)
            q.recall_by_case[truth.case].add(hit)
        elif truth.case in PERSONAL_CASES:
            q.personal_recall.add(hit)
            q.recall_by_case[truth.case].add(hit)
        wrong = not self.consistent(row, truth)
        if wrong or ((truth.in_salesforce or truth.case in PERSONAL_CASES) and not hit):
            ids = {k: row.get(k) for k in ("sf_contact_id", "sf_lead_id", "sf_account_id", "match_method")}
            q.misses.append(f"{'WRONG' if wrong else 'missed'} {truth.case} {what}: got {ids}, truth "
                            f"contact={truth.contact_id} lead={truth.lead_id} account={truth.account_id}")


def measure(world: World, warehouse: Warehouse, calls: bool = True) -> Quality:
    """Quality of the match columns now in the warehouse, judged against `world.truth`; the mail participants
    alone with `calls=False`."""
    judge = _Judge(world)
    truth = world.truth
    for row in warehouse.query("select * from gmail_participants"):
        identity = truth.address_identity.get(row["email_address"])
        if identity is None:
            judge.quality.unlabelled += not row["email_address"].endswith("@" + SELLER_DOMAIN)
            continue
        judge.judge(row, identity, f"{row['email_address']} ({row['role']}, {row.get('display_name')!r})")
    for row in warehouse.query("select * from dialpad_calls") if calls else ():
        identity = truth.call_identity.get(row["call_id"])
        if identity is None:
            judge.quality.unlabelled += 1
            continue
        judge.judge(row, identity, f"call {row['call_id']} {row.get('external_number')}")
    return judge.quality

