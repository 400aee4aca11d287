"""Mail a sales-intelligence store must not keep: threads among colleagues only, and a rep's personal, social,
chat, spam and trash mail.

Each such Email carries `private`, the reason gmail-sync's default privacy filter gives for leaving it out
(`internal` or `label`), so tests can tell what a sync should store; the product never reads it. The mail comes
from its own random and id streams, after the rest of the mail, so adding it reshuffles nothing else."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sandbox.world_context import SELLER_DOMAIN, GenContext, days_before
from sandbox.world_crm import Crm
from sandbox.world_ids import IdFactory
from sandbox.world_models import Address, Email
from sandbox.world_people import slugify

INTERNAL_THREADS_PER_SCALE = 6
LABELLED_PER_SCALE = 12
_LABELLED_KINDS = ("personal", "social", "chat", "spam", "trash", "personal")
_FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com")
_INTERNAL = (
    ("Pipeline review on Thursday", "Can you bring your commit numbers for the quarter? We go through each "
     "open deal over {n} and what is blocking it."),
    ("Your benefits enrollment closes Friday", "A reminder that open enrollment closes this Friday. Your "
     "current dental and vision choices roll over unless you change them in the portal."),
    ("1:1 notes", "Thanks for the time today. Notes: hiring plan for the second SDR, your territory split "
     "and the training budget of {n} we talked about."),
    ("Team offsite logistics", "The offsite is confirmed. Flights are booked through the travel desk; the "
     "hotel block holds {n} rooms until the end of the month."),
    ("Expense report needs your approval", "Your expense report of {n} for the customer dinners is waiting "
     "for approval. Please attach the missing receipt."),
    ("Compensation plan for next year", "Attached is the draft plan: quota up {n} percent, accelerators "
     "unchanged. Please keep it to yourself until the all-hands."),
)
_REPLIES = ("Thanks, will do.", "Got it, see you there.", "Done. Let me know if anything else is missing.",
            "Sounds good to me.")
_PERSONAL = (("Dinner on Saturday?", "Are you two free on Saturday? We could try the new place near the park."),
             ("Photos from the weekend", "Here are the photos from the hike. The one at the lake came out best."),
             ("Mum's birthday", "Shall we split the present? I found a nice one for about {n}."))
_SOCIAL = (("LinkedIn", "messages-noreply@linkedin.com", "You appeared in {n} searches this week",
            "See who is looking at your profile. Grow your network with people you may know."),
           ("Facebook", "notification@facebookmail.com", "You have {n} new notifications",
            "A friend tagged you in a photo. See what you missed."))
_CHATS = ("running late, start without me", "did you see the game last night?", "lunch at 1?")
_SPAM = (("Prize Desk", "winner@prize-claims.biz", "You have won {n} dollars",
          "Claim your prize now by replying with your bank details."),)


class _PrivateWriter:
    def __init__(self, ctx: GenContext, crm: Crm) -> None:
        self.ctx = ctx
        self.rng: random.Random = ctx.rng("private_mail")
        self.ids = IdFactory(ctx.rng("ids/private_mail"))
        self.reps = crm.reps
        self.mailbox_reps = [rep for rep in crm.reps if rep.has_mailbox]
        self.emails: list[Email] = []

    def _email(self, mailbox: str, thread_id: str | None, sender: Address, to: list[Address], title: str,
               text: str, at: datetime, labels: list[str], previous: list[Email], reason: str) -> Email:
        message_id = self.ids.gmail(at)
        email = Email(message_id, thread_id or message_id, mailbox, sender, to, [], title, text, at, labels,
                      f"<CA{self.ids.token(30)}@mail.gmail.com>", previous[-1].rfc822_id if previous else None,
                      [p.rfc822_id for p in previous], "private", None, None, private=reason)
        self.emails.append(email)
        return email

    def internal_thread(self) -> None:
        """Two colleagues write to each other; a synced colleague's mailbox gets its own copies."""
        rep = self.rng.choice(self.mailbox_reps)
        colleague = self.rng.choice([r for r in self.reps if r is not rep])
        title, text = self.rng.choice(_INTERNAL)
        people = [Address(colleague.name, colleague.email), Address(rep.name, rep.email)]
        boxes = [r.email for r in (rep, colleague) if r.has_mailbox]
        thread_ids: dict[str, str] = {}
        at = days_before(self.rng, self.ctx.anchor, 60, 0.5)
        previous: list[Email] = []
        for index in range(self.rng.randrange(1, 4)):
            sender, recipient = people[index % 2], people[(index + 1) % 2]
            body = text.format(n=self.rng.randrange(3, 90)) if index == 0 else self.rng.choice(_REPLIES)
            subject = title if index == 0 else f"Re: {title}"
            copies = [self._email(box, thread_ids.get(box), sender, [recipient], subject, body, at,
                                  ["SENT"] if box == sender.email else ["INBOX"], previous, "internal")
                      for box in boxes]
            for copy in copies:
                thread_ids.setdefault(copy.mailbox, copy.thread_id)
            previous.append(copies[0])
            at += timedelta(minutes=self.rng.randrange(10, 600))
            if at >= self.ctx.anchor:
                break

    def labelled(self, kind: str) -> None:
        """One message the labels exclude; its sender is outside the company, so only the label keeps it out."""
        rep = self.rng.choice(self.mailbox_reps)
        me = Address(rep.name, rep.email)
        at = days_before(self.rng, self.ctx.anchor, 60, 0.1)
        n = self.rng.randrange(5, 500)
        if kind == "social":
            name, address, title, text = self.rng.choice(_SOCIAL)
            self._email(rep.email, None, Address(name, address), [me], title.format(n=n), text, at,
                        ["INBOX", "CATEGORY_SOCIAL", "UNREAD"], [], "label")
        elif kind == "spam":
            name, address, title, text = self.rng.choice(_SPAM)
            self._email(rep.email, None, Address(name, address), [me], title.format(n=n), text, at, ["SPAM"], [],
                        "label")
        else:
            friend = self._friend()
            if kind == "chat":
                self._email(rep.email, None, friend, [me], "", self.rng.choice(_CHATS), at, ["CHAT"], [], "label")
                return
            title, text = self.rng.choice(_PERSONAL)
            labels = ["TRASH"] if kind == "trash" else ["INBOX", "CATEGORY_PERSONAL"]
            self._email(rep.email, None, friend, [me], title, text.format(n=n), at, labels, [], "label")

    def _friend(self) -> Address:
        while True:
            first, last = self.rng.choice(_FRIEND_FIRST), self.rng.choice(_FRIEND_LAST)
            email = f"{slugify(first)}.{slugify(last)}{self.rng.randrange(100, 999)}@{self.rng.choice(_FREE_MAIL)}"
            if email not in self.ctx.emails_taken and not email.endswith(SELLER_DOMAIN):
                return Address(f"{first} {last}", email)


_FRIEND_FIRST = ("Sam", "Alex", "Robin", "Kim", "Jo", "Chris", "Pat", "Lee")
_FRIEND_LAST = ("Morgan", "Hughes", "Silva", "Novak", "Okafor", "Larsen", "Moreau", "Tanaka")


def write_private_mail(ctx: GenContext, crm: Crm) -> list[Email]:
    writer = _PrivateWriter(ctx, crm)
    for _ in range(INTERNAL_THREADS_PER_SCALE * ctx.scale):
        writer.internal_thread()
    for index in range(LABELLED_PER_SCALE * ctx.scale):
        writer.labelled(_LABELLED_KINDS[index % len(_LABELLED_KINDS)])
    return writer.emails
