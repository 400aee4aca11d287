"""A rep leaving and one joining between two runs, as the demo and the tests stage them: Salesforce deactivates
the leaver; the joiner is a new active Field Sales user with a new Workspace mailbox holding a few messages."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime

from sandbox.apis.gmail import GmailFake
from sandbox.world import World
from sandbox.world_ids import IdFactory
from sandbox.world_schema import SfRecord, sf_record

JOINER = "nadia.joiner@northwind-analytics.com"
ROLE = "Field Sales"


def rep_leaves(world: World, address: str, now: datetime) -> SfRecord:
    user = next(u for u in world.users if u["Email"].lower() == address.lower())
    user["IsActive"] = False
    return world.touch(user, now)


def rep_joins(world: World, gmail: GmailFake, now: datetime, messages: int = 3) -> SfRecord:
    """The joiner's user (created now, so an incremental User sync brings it) and mailbox, whose messages copy
    customer mail of the first synced mailbox under new ids and Message-IDs."""
    role = next(r["Id"] for r in world.user_roles if r["Name"] == ROLE)
    profile = next(p["Id"] for p in world.profiles if p["Name"] == "Sales User")
    user = sf_record("User", now, Id=IdFactory(random.Random(f"{world.seed}/joiner")).sf("005"),
                     Username=f"{JOINER}.prod", FirstName="Nadia", LastName="Joiner", Name="Nadia Joiner",
                     Email=JOINER, Title="Account Executive", Department="Sales", IsActive=True,
                     UserType="Standard", ProfileId=profile, UserRoleId=role)
    world.users.append(user)
    gmail.add_mailbox(JOINER)
    first = gmail.store.mailbox(world.mailboxes[0])
    assert first is not None
    for template in first.copyable[:messages]:
        message_id = gmail.store.new_message_id(now)
        gmail.store.add_message(JOINER, email=dataclasses.replace(
            template, message_id=message_id, thread_id=message_id, mailbox=JOINER, in_reply_to=None, references=[],
            rfc822_id=f"<joiner-{message_id}@mail.gmail.com>", sent_at=now, labels=["INBOX"]), internal_at=now)
    return user
