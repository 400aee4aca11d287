"""Mail that says no and mail that says nothing: a few low-intent accounts' customers turn the rep down (not
interested, chose a competitor, unsubscribe me), and a few contacts' out-of-office auto-replies answer a rep.

Written after the ordinary and the case mail, each kind from its own random stream, through the same writer as
all other mail (threads, participants, mailboxes, labels), so they are ordinary messages of the fake Gmail and are
logged to Salesforce like any other."""

from __future__ import annotations

import random
from datetime import timedelta

from sandbox.world_context import SELLER_DOMAIN
from sandbox.world_mail import MailWriter, Plan
from sandbox.world_models import Address, Email, EmailThread
from sandbox.world_people import short_company
from sandbox.world_schema import SfRecord, is_deleted
from sandbox.world_text import COMPETITORS, quote_reply

SIGNAL_MAIL_PER_SCALE = 12
"""About how many messages the signals add per scale unit; the ordinary mail makes room for them."""
NEGATIVE_BELOW = 0.15
"""Intent under which an account may turn the rep down (about a third of those accounts do)."""
AUTO_REPLIES_PER_SCALE = 4
_NEGATIVE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind → (subjects of a new thread, sentences)
    "not_interested": (
        ("Not a priority for us", "Re: Northwind Analytics"),
        ("Thanks for following up, but we are not interested at this time.",
         "We have decided not to move forward, this is not a priority for us this year.")),
    "competitor": (
        ("Our decision", "Update on our evaluation"),
        ("We have decided to go with {competitor} instead, so we will not be moving forward.",
         "After comparing the options we chose {competitor}; thanks for your time.")),
    "unsubscribe": (
        ("Please remove me from your list", "Unsubscribe"),
        ("Please unsubscribe me from these emails and remove me from your mailing list.",
         "Please stop contacting me and take me off your list.")),
}


class _Signals:
    def __init__(self, writer: MailWriter, rng: random.Random) -> None:
        self.w, self.rng = writer, rng
        writer.rng = rng
        self.by_thread: dict[tuple[str, str], list[Email]] = {}
        for email in writer.mail.emails:
            self.by_thread.setdefault((email.mailbox, email.thread_id), []).append(email)

    def thread_mail(self, thread: EmailThread) -> list[Email]:
        """The thread's messages as its first synced mailbox holds them, oldest first."""
        return sorted(self.by_thread[next(iter(thread.thread_ids.items()))], key=lambda e: e.sent_at)

    def reply(self, thread: EmailThread, plan: Plan, to: Address, text: str, previous: list[Email],
              most_minutes: int, title: str | None = None) -> list[Email]:
        """The thread's counterpart answers its last message; returns every mailbox's copy."""
        start, last = len(self.w.mail.emails), previous[-1]
        plan.mailboxes, plan.cc = list(thread.thread_ids), list(last.cc)
        at = last.sent_at + timedelta(minutes=self.rng.randrange(1, most_minutes))
        at = at if at < self.w.ctx.anchor else last.sent_at + (self.w.ctx.anchor - last.sent_at) / 2
        self.w._deliver(plan, thread, thread.counterpart, [to], text, at.replace(microsecond=0), previous, title)
        return self.w.mail.emails[start:]

    def contact_threads(self) -> list[tuple[EmailThread, list[Email]]]:
        return [(t, self.thread_mail(t)) for t in self.w.mail.threads
                if t.kind == "contact" and t.thread_ids and (t.record_id or "").startswith("003")]


def _signed(rng: random.Random, to_first: str, sentence: str, from_first: str) -> str:
    greeting = rng.choice(("Hi {0},", "Hello {0},", "{0},")).format(to_first)
    closing = rng.choice(("Thanks,", "Best,", "Regards,"))
    return f"{greeting}\n\n{sentence}\n\n{closing}\n{from_first}"


def _negative(signals: _Signals, account: SfRecord, contact: SfRecord,
              threads: list[tuple[EmailThread, list[Email]]]) -> None:
    """One message from the contact: a reply on their latest thread (60%) or a new short thread."""
    w, rng = signals.w, signals.rng
    subjects, sentences = _NEGATIVE[rng.choice(tuple(_NEGATIVE))]
    sentence = rng.choice(sentences).format(competitor=rng.choice(COMPETITORS[:-1]))
    plan = Plan("contact", w._owner_mailbox(account["OwnerId"]), w._address_of(contact), account["Id"],
                contact["Id"], "objection", short_company(account["Name"]))
    theirs = [(t, mail) for t, mail in threads if t.record_id == contact["Id"]]
    if theirs and rng.random() < 0.6:
        thread, previous = max(theirs, key=lambda pair: pair[1][-1].sent_at)
        last = previous[-1]
        rep = last.sender if last.sender.email.endswith("@" + SELLER_DOMAIN) else last.to[0]
        text = _signed(rng, rep.name.split(" ")[0] or "there", sentence, contact["FirstName"])
        header = f"On {last.sent_at:%a, %b %d, %Y at %H:%M} {last.sender.header()} wrote:"
        signals.reply(thread, plan, rep, text + quote_reply(last.body, header), previous, 5 * 24 * 60)
    else:
        thread = EmailThread("", rng.choice(subjects), "objection", "contact", account["Id"], contact["Id"],
                             plan.counterpart)
        plan.mailboxes = [plan.rep.email]
        text = _signed(rng, plan.rep.first_name, sentence, contact["FirstName"])
        at = w.ctx.anchor - timedelta(seconds=rng.randrange(86400, 60 * 86400))
        w._deliver(plan, thread, plan.counterpart, [Address(plan.rep.name, plan.rep.email)], text, at, [])
        w.mail.threads.append(thread)
    w.truth.negative_accounts.add(account["Id"])


def write_negatives(writer: MailWriter) -> None:
    signals = _Signals(writer, writer.ctx.rng("negative-signals"))
    live = {a: [c for c in contacts if not is_deleted(c)] for a, contacts in writer.by_account.items()}
    low = [a for a in writer.crm.accounts if writer.truth.buying_intent[a["Id"]] < NEGATIVE_BELOW and live.get(a["Id"])]
    threads = signals.contact_threads()
    for account in signals.rng.sample(low, k=round(len(low) / 3)):
        _negative(signals, account, signals.rng.choice(live[account["Id"]]), threads)


def write_auto_replies(writer: MailWriter) -> None:
    """A contact's out-of-office answer, minutes after a rep's message that ends a thread."""
    signals = _Signals(writer, writer.ctx.rng("auto-replies"))
    rng, w = signals.rng, writer
    reps = {rep.email: rep for rep in w.crm.reps}
    candidates = [(t, mail) for t, mail in signals.contact_threads()
                  if mail[-1].sender.email == mail[-1].mailbox and mail[-1].sent_at < w.ctx.anchor - timedelta(hours=1)]
    for thread, previous in rng.sample(candidates, k=min(AUTO_REPLIES_PER_SCALE * w.ctx.scale, len(candidates))):
        last = previous[-1]
        back = last.sent_at + timedelta(days=rng.randrange(3, 15))
        name = thread.counterpart.name.split(",")[-1].strip() or thread.counterpart.email.split("@")[0]
        text = (f"I am out of the office until {back:%A, %B} {back.day} with limited access to email. "
                f"For anything urgent, please contact the main office.\n\nThank you,\n{name}")
        plan = Plan("contact", reps[last.mailbox], thread.counterpart, thread.account_id, thread.record_id,
                    "auto_reply", "")
        copies = signals.reply(thread, plan, last.sender, text, previous, 6, f"Automatic reply: {thread.subject}")
        w.truth.auto_reply_messages.update(copy.message_id for copy in copies)
