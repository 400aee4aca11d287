"""Salesforce activity: logged calls and emails (Task, EmailMessage), meetings (Event), follow-up tasks."""

from __future__ import annotations

import html
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.world_context import SELLER_DOMAIN, GenContext, days_before, moment
from sandbox.world_crm import Crm
from sandbox.world_intent import meeting_subject, meeting_weight
from sandbox.world_models import Call, Email
from sandbox.world_schema import SfRecord, sf_record
from sandbox.world_truth import Truth

_MEETINGS = ("Discovery call", "Product demo", "Pricing review", "Security review",
             "Quarterly business review", "Onsite workshop", "Technical deep dive", "Contract walkthrough")
_LOCATIONS = ("Zoom", "Google Meet", "Microsoft Teams", "Zoom", "Onsite")


@dataclass
class Activity:
    tasks: list[SfRecord] = field(default_factory=list)
    events: list[SfRecord] = field(default_factory=list)
    email_messages: list[SfRecord] = field(default_factory=list)


class _ActivityWriter:
    def __init__(self, ctx: GenContext, crm: Crm, truth: Truth) -> None:
        self.ctx, self.crm, self.truth = ctx, crm, truth
        self.rng = ctx.rng("activity")
        self.topic_rng = ctx.rng("buying_intent/meetings")
        self.open_deal: dict[str, str] = {}
        for opportunity in crm.opportunities:
            if not opportunity["IsClosed"]:
                self.open_deal.setdefault(opportunity["AccountId"], opportunity["Id"])
        self.contacts_of: dict[str, list[SfRecord]] = {}
        for contact in crm.contacts:
            self.contacts_of.setdefault(contact["AccountId"], []).append(contact)
        self.out = Activity()

    def _someone_at(self, account_id: str) -> SfRecord | None:
        contacts = self.contacts_of.get(account_id)
        return self.rng.choice(contacts) if contacts else None

    def _what(self, account_id: str | None) -> str | None:
        return self.open_deal.get(account_id, account_id) if account_id else None

    def _about(self, who_id: str | None, account_id: str | None) -> dict[str, str | None]:
        """WhoId, WhatId (the open deal, else the account) and AccountId; a task on a Lead has neither."""
        if who_id and who_id.startswith("00Q"):
            account_id = None
        return {"WhoId": who_id, "WhatId": self._what(account_id), "AccountId": account_id}

    def _task(self, created: datetime, **values: Any) -> SfRecord:
        stamp = min(created, self.ctx.anchor)
        task = sf_record("Task", stamp, Id=self.ctx.ids.sf("00T"), Priority="Normal", **values)
        self.out.tasks.append(task)
        return task

    def log_call(self, call: Call) -> None:
        disposition = "Connected" if call.date_connected else (
            "Left Voicemail" if call.state == "voicemail" else "No Answer")
        notes = " ".join(line.text for line in (call.transcript or [])[2:4]) or f"Call about {call.intent}."
        self._task(
            call.date_ended + timedelta(minutes=self.rng.randrange(1, 90)), OwnerId=call.rep_sf_user_id,
            Subject=f"Call with {call.contact['name']}", Status="Completed",
            ActivityDate=call.date_started.date(), **self._about(call.record_id, call.account_id),
            Type="Call", TaskSubtype="Call",
            CallDurationInSeconds=int(call.duration_s), CallDisposition=disposition,
            CallType=call.direction.capitalize(), Description=notes, IsClosed=True,
            CompletedDateTime=call.date_ended,
        )

    def log_email(self, email: Email, owner_id: str) -> None:
        """Logged from the rep's mailbox into Salesforce: a completed email Task plus its EmailMessage."""
        logged = email.sent_at + timedelta(minutes=self.rng.randrange(1, 30))
        task = self._task(
            logged, OwnerId=owner_id, Subject=f"Email: {email.subject}", Status="Completed",
            ActivityDate=email.sent_at.date(), **self._about(email.record_id, email.account_id), Type="Email",
            TaskSubtype="Email", Description=email.body[:255], IsClosed=True, CompletedDateTime=email.sent_at,
        )
        incoming = not email.sender.email.endswith(SELLER_DOMAIN)
        self.out.email_messages.append(sf_record(
            "EmailMessage", min(logged, self.ctx.anchor), Id=self.ctx.ids.sf("02s"), ActivityId=task["Id"],
            RelatedToId=task["WhatId"], Subject=email.subject, FromName=email.sender.name or None,
            FromAddress=email.sender.email, ToAddress="; ".join(a.email for a in email.to),
            CcAddress="; ".join(a.email for a in email.cc) or None, TextBody=email.body,
            HtmlBody=_html(email.body) if email.has_html else None, MessageDate=email.sent_at,
            Incoming=incoming, Status=self.rng.choice("01") if incoming else "3",
            MessageIdentifier=email.rfc822_id,
            ThreadIdentifier=email.references[0] if email.references else email.rfc822_id,
        ))

    def follow_up(self, opportunity: SfRecord) -> None:
        rng = self.rng
        who = self._someone_at(opportunity["AccountId"])
        self._task(
            days_before(rng, self.ctx.anchor, 14, 0.1), OwnerId=opportunity["OwnerId"],
            Subject=opportunity["NextStep"] or "Follow up", Status=rng.choice(("Not Started", "In Progress")),
            ActivityDate=(self.ctx.anchor + timedelta(days=rng.randrange(1, 21))).date(),
            WhoId=who["Id"] if who else None, WhatId=opportunity["Id"], AccountId=opportunity["AccountId"],
            Type="Other", TaskSubtype="Task", IsClosed=False,
        )

    def meeting(self, account: SfRecord, owner_id: str) -> None:
        rng = self.rng
        start = moment(rng, self.ctx.anchor - timedelta(days=90), self.ctx.anchor + timedelta(days=30))
        start = start.replace(minute=rng.choice((0, 30)), second=0)
        subject, location = rng.choice(_MEETINGS), rng.choice(_LOCATIONS)
        subject = meeting_subject(self.topic_rng, self.truth.buying_intent[account["Id"]], subject)
        all_day = location == "Onsite" and rng.random() < 0.5
        if all_day:
            start = start.replace(hour=0, minute=0)
        minutes = 1440 if all_day else rng.choice((30, 30, 45, 60, 90))
        who = self._someone_at(account["Id"])
        created = min(start - timedelta(days=rng.randrange(1, 14)), self.ctx.anchor - timedelta(hours=1))
        self.out.events.append(sf_record(
            "Event", created, Id=self.ctx.ids.sf("00U"), OwnerId=owner_id, Subject=subject,
            StartDateTime=start, EndDateTime=start + timedelta(minutes=minutes), ActivityDateTime=start,
            ActivityDate=start.date(),
            DurationInMinutes=minutes, IsAllDayEvent=all_day, WhoId=who["Id"] if who else None,
            WhatId=self._what(account["Id"]), AccountId=account["Id"], Location=location, Type="Meeting",
            EventSubtype="Event", Description=f"{subject} with {account['Name']}",
        ))


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return f"<html><body>{paragraphs}</body></html>"


def build_activity(ctx: GenContext, crm: Crm, truth: Truth, calls: list[Call], emails: list[Email]) -> Activity:
    writer = _ActivityWriter(ctx, crm, truth)
    rng: random.Random = writer.rng
    for call in calls:
        if call.record_id and rng.random() < 0.6:
            writer.log_call(call)
    mailbox_owner = {rep.email: rep.user_id for rep in crm.reps}
    logged: set[str] = set()
    for email in emails:
        if email.record_id and email.rfc822_id not in logged and rng.random() < 0.25:
            logged.add(email.rfc822_id)
            writer.log_email(email, mailbox_owner[email.mailbox])
    for opportunity in crm.opportunities:
        if not opportunity["IsClosed"] and rng.random() < 0.5:
            writer.follow_up(opportunity)
    reps = {rep.user_id for rep in crm.reps}
    weights = [meeting_weight(truth.buying_intent[account["Id"]]) for account in crm.accounts]
    for account in rng.choices(crm.accounts, weights=weights, k=80 * ctx.scale):
        owner = account["OwnerId"] if account["OwnerId"] in reps else rng.choice(crm.reps).user_id
        writer.meeting(account, owner)
    set_last_activity(ctx, crm, writer.out)
    return writer.out


def set_last_activity(ctx: GenContext, crm: Crm, activity: Activity) -> None:
    """LastActivityDate: the latest past Task or Event date of the account or contact, kept by Salesforce."""
    latest: dict[str, date] = {}
    today = ctx.anchor.date()
    for record in (*activity.tasks, *activity.events):
        day = record["ActivityDate"]
        if day is None or day > today:
            continue
        for key in (record["AccountId"], record["WhoId"]):
            if key and (key not in latest or day > latest[key]):
                latest[key] = day
    for record in (*crm.accounts, *crm.contacts):
        record["LastActivityDate"] = latest.get(record["Id"])
