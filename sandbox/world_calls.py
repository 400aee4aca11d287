"""Dialpad calls between reps and contacts, leads or unknown numbers, most with a transcript."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sandbox.world_context import GenContext, days_before
from sandbox.world_crm import Crm, Rep
from sandbox.world_identity import PER_CASE
from sandbox.world_intent import buying_chance, intent_of
from sandbox.world_models import Call
from sandbox.world_people import short_company
from sandbox.world_phones import Phone, display
from sandbox.world_schema import SfRecord
from sandbox.world_text import BUYING_INTENTS, deal_slots
from sandbox.world_transcripts import transcript
from sandbox.world_truth import Truth

_WORK_HOURS_UTC = {"US": range(14, 23), "CA": range(14, 23), "GB": range(8, 17), "AU": range(0, 7)}
_OTHER_INTENTS = ("scheduling", "objection", "renewal", "checkin", "timeline")
_CASES = ("switchboard", "phone_format", "deleted_contact")
_TALK_LOG_SECONDS = (math.log(45), math.log(2400))
"""Connected calls last from 45 s to 40 min, log-uniformly."""


class _CallWriter:
    def __init__(self, ctx: GenContext, crm: Crm, truth: Truth) -> None:
        self.ctx, self.crm, self.truth = ctx, crm, truth
        self.rng = ctx.rng("calls")
        self.intent_rng = ctx.rng("buying_intent/calls")
        self.weekend_rng = ctx.rng("calls/weekends")
        self.reps = {rep.user_id: rep for rep in crm.reps}
        self.accounts = {account["Id"]: account for account in crm.accounts}
        self.contacts = [c for c in crm.contacts if c["Id"] in crm.phones]
        self.leads = [lead for lead in crm.leads if lead["Id"] in crm.phones]
        self.dialpad_contacts: dict[str, str] = {}

    def write(self, count: int) -> list[Call]:
        calls = [self._call(self._counterpart()) for _ in range(count - len(_CASES) * PER_CASE * self.ctx.scale)]
        calls += self._case_calls()
        calls.sort(key=lambda call: call.date_started)
        return calls

    def _case_calls(self) -> list[Call]:
        """Calls for the designed identity cases, from their own random stream: a switchboard number (either of
        the two contacts on it really called), a number typed in another format than the Dialpad record's,
        and a contact since deleted in Salesforce."""
        self.rng = self.ctx.rng("call-cases")
        n = PER_CASE * self.ctx.scale
        contacts = {c["Id"]: c for c in self.crm.contacts}
        pairs = self.crm.cases["switchboard"]
        designed = {i for ids in self.crm.cases.values() for i in ids}
        typed = [c for c in self.contacts if c["Id"] not in designed and c["Phone"] != self.crm.phones[c["Id"]].e164]
        chosen = {
            "switchboard": [contacts[self.rng.choice(pairs[2 * (k % (len(pairs) // 2)):][:2])]
                            for k in range(n if pairs else 0)],
            "phone_format": self.rng.sample(typed, k=min(n, len(typed))),
            "deleted_contact": [contacts[self.rng.choice(self.crm.cases["deleted_contact"])] for _ in range(n)],
        }
        calls = []
        for case in _CASES:
            for contact in chosen[case]:
                account = self.accounts[contact["AccountId"]]
                intent = self.rng.choice(_OTHER_INTENTS)
                calls.append(self._call((contact, account, self.crm.phones[contact["Id"]], intent),
                                        international=case == "phone_format"))
        return calls

    def _counterpart(self) -> tuple[SfRecord | None, SfRecord | None, Phone, str]:
        """(record, account, phone, intent) for a contact (75%), an open lead (10%) or an unknown number."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.75 or (roll < 0.85 and not self.leads):
            contact = rng.choice(self.contacts)
            account = self.accounts[contact["AccountId"]]
            in_market = account["Id"] in self.truth.in_market_accounts
            buying = (rng if in_market else self.intent_rng).random() < buying_chance(intent_of(self.truth,
                                                                                              account["Id"]))
            intent = rng.choice((*BUYING_INTENTS, "timeline")) if buying else rng.choice(_OTHER_INTENTS)
            return contact, account, self.crm.phones[contact["Id"]], intent
        if roll < 0.85:
            lead = rng.choice(self.leads)
            return lead, None, self.crm.phones[lead["Id"]], rng.choice(("intro", "scheduling", "pricing"))
        country = rng.choice(("US", "US", "GB", "CA", "AU"))
        return None, None, self.ctx.phones.new(country), "wrong_number"

    def _rep_for(self, owner_id: str | None) -> Rep:
        return self.reps.get(owner_id or "") or self.rng.choice(self.crm.reps)

    def _call(self, counterpart: tuple[SfRecord | None, SfRecord | None, Phone, str],
              international: bool = False) -> Call:
        rng = self.rng
        record, account, phone, intent = counterpart
        rep = self._rep_for(record["OwnerId"] if record else None)
        started = self._start_time(phone.country)
        connected = rng.random() < 0.85
        ring = timedelta(seconds=rng.randrange(4, 30))
        talk = rng.uniform(8, 45) if intent == "wrong_number" else math.exp(rng.uniform(*_TALK_LOG_SECONDS))
        ended = started + ring + (timedelta(seconds=round(talk)) if connected else timedelta(0))
        outbound = rng.random() < 0.65
        call = Call(
            self.ctx.ids.numeric(16), started, started + ring if connected else None, ended,
            "outbound" if outbound else "inbound",
            "hangup" if connected else ("voicemail" if outbound else "missed"),
            phone.e164 if rng.random() < 0.85 and not international else display(rng, phone, international=True),
            rep.phone,
            rep.dialpad_user_id, rep.user_id, rep.email, rep.name, self._dialpad_contact(record, phone),
            connected and rng.random() < 0.85, intent, account["Id"] if account else None,
            record["Id"] if record else None,
        )
        if call.was_recorded and rng.random() < 0.97:
            call.transcript = transcript(rng, intent, call.duration_s, self._slots(rep, record, account))
        self._remember(call)
        return call

    def _start_time(self, country: str) -> datetime:
        day = days_before(self.rng, self.ctx.anchor, 90, 1).replace(hour=0, minute=0, second=0)
        while day.weekday() >= 5 and self.weekend_rng.random() < 0.9:
            day -= timedelta(days=1)
        hour = self.rng.choice(_WORK_HOURS_UTC[country])
        return day + timedelta(hours=hour, seconds=self.rng.randrange(3600))

    def _dialpad_contact(self, record: SfRecord | None, phone: Phone) -> dict[str, str]:
        key = record["Id"] if record else phone.e164
        contact_id = self.dialpad_contacts.setdefault(key, self.ctx.ids.numeric(16))
        if record is None:
            return {"id": contact_id, "type": "local", "name": display(self.rng, phone), "phone": phone.e164,
                    "email": ""}
        return {"id": contact_id, "type": "shared", "name": record["Name"], "phone": phone.e164,
                "email": (record["Email"] or "").lower()}

    def _slots(self, rep: Rep, record: SfRecord | None, account: SfRecord | None) -> dict[str, str]:
        name = account["Name"] if account else (record or {}).get("Company")
        company = short_company(name or "your company")
        other_first = record["FirstName"] if record else "there"
        other_name = record["Name"] if record else "Caller"
        slots = deal_slots(self.rng, company, self.ctx.anchor)
        return {**slots, "rep_first": rep.first_name, "rep_name": rep.name, "other_first": other_first,
                "other_name": other_name}

    def _remember(self, call: Call) -> None:
        self.truth.call_intent[call.call_id] = call.intent
        self.truth.call_record[call.call_id] = call.record_id
        self.truth.call_account[call.call_id] = call.account_id
        if call.intent in BUYING_INTENTS and call.account_id and call.date_connected:
            self.truth.intent_accounts.add(call.account_id)


def build_calls(ctx: GenContext, crm: Crm, truth: Truth) -> list[Call]:
    return _CallWriter(ctx, crm, truth).write(250 * ctx.scale)

