"""Crafted account histories for account-scoring's tests: rows written straight into a warehouse as the syncs and
entity resolution would leave them (participants already linked to their account and contact)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from shared.warehouse import Warehouse

REP, REP_ID = "rep@northwind-analytics.com", "005REP"
SCORE_DATE = dt.date(2026, 5, 4)


def at(days_before: float, hour: int = 10) -> dt.datetime:
    """A moment `days_before` days before the score date (at `hour` UTC)."""
    midnight = dt.datetime.combine(SCORE_DATE, dt.time(), dt.UTC)
    return midnight - dt.timedelta(days=days_before) + dt.timedelta(hours=hour)


class History:
    """One warehouse's crafted accounts; each method writes what one event in an account's life leaves behind."""

    def __init__(self, warehouse: Warehouse, prefix: str = "") -> None:
        """`prefix` keeps the ids of a second History on the same warehouse apart from the first's."""
        self.wh, self.prefix = warehouse, prefix
        self.ids = itertools.count(1)
        stamp = {"system_modstamp": at(400), "_synced_at": at(0), "is_deleted": False}
        self.stamp = stamp
        self.wh.merge("sf_users", [{"user_id": REP_ID, "user_name": "Rita Rep", "email": REP, "is_active": True,
                                    **stamp}])

    def account(self, account_id: str, name: str, title: str = "Director of IT") -> str:
        """An account with one contact (`<account_id>-C`, at <account_id>.example.com); returns the address."""
        address = f"buyer@{account_id.lower()}.example.com"
        self.wh.merge("sf_accounts", [{"account_id": account_id, "account_name": name, "owner_id": REP_ID,
                                       **self.stamp}])
        self.wh.merge("sf_contacts", [{"contact_id": f"{account_id}-C", "account_id": account_id, "title": title,
                                       "email": address, "email_normalized": address, **self.stamp}])
        return address

    def email(self, account_id: str, days_before: float, subject: str, body: str, inbound: bool,
              thread: str | None = None) -> str:
        number = next(self.ids)
        message_id, customer = f"{self.prefix}m{number:04d}", f"buyer@{account_id.lower()}.example.com"
        sent = at(days_before)
        self.wh.merge("gmail_messages", [{
            "mailbox": REP, "message_id": message_id, "thread_id": thread or message_id, "sent_at": sent,
            "subject": subject, "body_text": body, "rfc822_message_id": f"<{message_id}@example.com>",
            "is_deleted": False, "ingested_at": sent}])
        sender, receiver = (customer, REP) if inbound else (REP, customer)
        self.wh.merge("gmail_participants", [
            self._participant(message_id, sender, "from", sent, account_id),
            self._participant(message_id, receiver, "to", sent, account_id)])
        return message_id

    def _participant(self, message_id: str, address: str, role: str, sent: dt.datetime,
                     account_id: str) -> dict[str, Any]:
        internal = address == REP
        return {"mailbox": REP, "message_id": message_id, "email_address": address, "role": role,
                "sent_at": sent, "ingested_at": sent, "is_internal": internal,
                "sf_account_id": None if internal else account_id,
                "sf_contact_id": None if internal else f"{account_id}-C"}

    def call(self, account_id: str, days_before: float, minutes: float, transcript: str,
             inbound: bool = False) -> str:
        call_id = f"{self.prefix}{9000 + next(self.ids)}"
        when = at(days_before)
        self.wh.merge("dialpad_calls", [{
            "call_id": call_id, "call_time": when, "direction": "inbound" if inbound else "outbound",
            "state": "hangup", "duration_seconds": minutes * 60, "transcript_text": transcript,
            "rep_email": REP, "sf_account_id": account_id, "sf_contact_id": f"{account_id}-C",
            "ingested_at": when}])
        return call_id

    def meeting(self, account_id: str, days_before: float, subject: str, booked_days_before: float) -> None:
        start = at(days_before)
        self.wh.merge("sf_events", [{
            "event_id": f"00U{self.prefix}{next(self.ids):04d}", "subject": subject, "start_at": start,
            "end_at": start + dt.timedelta(hours=1), "account_id": account_id, "owner_id": REP_ID,
            "created_date": at(booked_days_before), **self.stamp}])

    def opportunity(self, account_id: str, amount: float, stage: str, probability: float,
                    closes_in_days: int) -> None:
        self.wh.merge("sf_opportunities", [{
            "opportunity_id": f"006{self.prefix}{next(self.ids):04d}", "account_id": account_id,
            "opportunity_name": f"{account_id} - Platform", "stage_name": stage, "amount": amount,
            "probability": probability, "close_date": SCORE_DATE + dt.timedelta(days=closes_in_days),
            "is_closed": False, "is_won": False, "owner_id": REP_ID, "created_date": at(120), **self.stamp}])
