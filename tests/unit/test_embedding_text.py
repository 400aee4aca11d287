"""generate-embeddings' text preparation: only what the sender newly wrote, measured on the sandbox world's mail."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "generate_embeddings"))

from emb_text import call_text, email_text

from sandbox.world import build_world
from sandbox.world_models import Email
from sandbox.world_text import quote_reply

REPLY_FLOOR = 1.0
VARIANT_FLOOR = 0.97
_SIGN_OFF = re.compile(r"\n\n(?:Thanks|Thank you|Best|Best regards|Regards|Cheers|Kind regards),\n[^\n]+$")


@pytest.mark.parametrize(("body", "expected"), [
    ("Sounds good, see you Tuesday.\n\nOn Mon, Nov 16, 2026 at 00:06 Dmitri Young <dmitri@example.com> wrote:\n"
     "> Could we meet on Tuesday?\n>\n> Dmitri", "Sounds good, see you Tuesday."),
    ("Passt mir gut.\n\nAm 16.11.2026 um 10:00 schrieb Dmitri Young <dmitri@example.com>:\n> Treffen wir uns?",
     "Passt mir gut."),
    ("Ça me va.\n\nLe lun. 16 nov. 2026 à 10:00, Dmitri Young <dmitri@example.com> a écrit :\n> On se voit ?",
     "Ça me va."),
    ("Me parece bien.\n\nEl lun, 16 nov 2026 a las 10:00, Dmitri Young (<dmitri@example.com>) escribió:\n"
     "> ¿Nos vemos?", "Me parece bien."),
    ("My answer.\n> the line I am answering\nMore of my answer.", "My answer.\n\nMore of my answer."),
], ids=["on-wrote", "german", "french", "spanish-unknown-header", "inline-quote"])
def test_quoted_replies_are_stripped(body: str, expected: str) -> None:
    assert email_text("Re: Meeting", body) == f"Re: Meeting\n\n{expected}"


@pytest.mark.parametrize("body", [
    "FYI, the security questions.\n\n---------- Forwarded message ---------\nFrom: Sec <sec@example.com>\n"
    "Date: Mon, Nov 16, 2026\nSubject: Questionnaire\nTo: Ann <ann@example.com>\n\nPlease fill this in.",
    "FYI, the security questions.\n\nBegin forwarded message:\n\nFrom: Sec <sec@example.com>\n"
    "Subject: Questionnaire\nDate: November 16, 2026\n\nPlease fill this in.",
    "FYI, the security questions.\n\nFrom: Sec <sec@example.com>\nSent: Monday, November 16, 2026 10:00 AM\n"
    "To: Ann <ann@example.com>\nSubject: Questionnaire\n\nPlease fill this in.",
    "FYI, the security questions.\n\n-----Original Message-----\nFrom: Sec\nSent: Monday\n\nPlease fill this in.",
], ids=["gmail-forward", "apple-forward", "outlook-header-block", "original-message"])
def test_forwarded_history_is_stripped(body: str) -> None:
    assert email_text("Fwd: Questionnaire", body) == "Fwd: Questionnaire\n\nFYI, the security questions."


@pytest.mark.parametrize("body", [
    "We need 50 seats.\n\n-- \nJane Doe\nVP Data, Acme Corp\n+1 555 0100",
    "We need 50 seats.\n\nSent from my iPhone",
    "We need 50 seats.\n\nBest regards,\nJane",
], ids=["dash-dash-space", "sent-from-my-iphone", "sign-off"])
def test_signatures_are_stripped(body: str) -> None:
    assert email_text("Seats", body) == "Seats\n\nWe need 50 seats."


def test_a_sentence_that_starts_like_a_sign_off_keeps_the_text_after_it() -> None:
    body = "Hi Ann,\n\nThanks, that matches my understanding.\nWe will sign on Friday."
    assert email_text("Notes", body) == "Notes\n\n" + body


def test_a_body_that_is_only_quoted_history_leaves_the_subject() -> None:
    assert email_text("Re: Pricing", "> Here is the quote.\n> Dmitri") == "Re: Pricing"
    only_header = "On Mon, Nov 16, 2026 at 00:06 Dmitri <dmitri@example.com> wrote:\n> Here is the quote."
    assert email_text("Re: Pricing", only_header) == "Re: Pricing"


def test_missing_parts_and_whitespace() -> None:
    assert email_text(None, None) == ""
    assert email_text("", "   \n\n ") == ""
    assert email_text("  Re:   Budget  ", None) == "Re: Budget"
    assert email_text(None, "First line  \r\n\r\n\r\n\r\n\tSecond\u00a0 line") == "First line\n\nSecond line"


def test_call_text_keeps_speaker_lines_and_tidies_whitespace() -> None:
    stored = "Dmitri Young:  Thanks for   taking the call.\n\n\nAnn Lee: Happy to.\r\n"
    assert call_text(stored) == "Dmitri Young: Thanks for taking the call.\nAnn Lee: Happy to."
    assert call_text(None) == "" and call_text("") == "" and call_text(" \n ") == ""


@dataclass
class Case:
    subject: str
    body: str
    new: str
    history: str


def _world_cases() -> list[Case]:
    """Each distinct world message a sync stores (the privacy filter leaves the private mail out), with the text
    its sender wrote, known from how the world built the reply."""
    emails = [email for email in build_world(seed=7).emails if not email.private]
    by_rfc822 = {email.rfc822_id: email for email in emails}
    cases, seen = [], set()
    for email in emails:
        if email.rfc822_id in seen:
            continue
        seen.add(email.rfc822_id)
        parent = by_rfc822.get(email.in_reply_to or "")
        tail = quote_reply(parent.body, _attribution(parent)) if parent else ""
        if tail and email.body.endswith(tail):
            cases.append(Case(email.subject, email.body, email.body[:-len(tail)], parent.body if parent else ""))
        else:
            cases.append(Case(email.subject, email.body, email.body, ""))
    return cases


def _attribution(parent: Email) -> str:
    return f"On {parent.sent_at:%a, %b %d, %Y at %H:%M} {parent.sender.header()} wrote:"


def _variants(case: Case, index: int) -> Case:
    """The same new text under the other constructs mail clients produce, chosen by position."""
    history = case.history or "Earlier note about the renewal quote and the number of seats."
    flat = f"From: Dmitri Young <dmitri@example.com>\nSent: Monday, November 16, 2026 10:00 AM\n" \
           f"To: Ann Lee <ann@example.com>\nSubject: {case.subject}\n\n{history}"
    tails = (
        f"\n\n---------- Forwarded message ---------\n{flat}",
        f"\n\n{flat}",
        "\n\n-- \nAnn Lee\nHead of Data, Example Corp\n+1 555 0100",
        "\n\nSent from my iPhone",
        "\n\nAm 16.11.2026 um 10:00 schrieb Dmitri Young <dmitri@example.com>:\n"
        + "\n".join(f"> {line}" for line in history.splitlines()),
        "\n\nLe lun. 16 nov. 2026 à 10:00, Dmitri Young <dmitri@example.com> a écrit :\n"
        + "\n".join(f"> {line}" for line in history.splitlines()),
    )
    new = case.new.rstrip()
    return Case(case.subject, new + tails[index % len(tails)], new, history + tails[index % len(tails)])


def _clean(case: Case) -> bool:
    """The prepared text is the subject and the new text (with or without its sign-off), none of the history."""
    text = email_text(case.subject, case.body)
    wanted = {email_text(case.subject, None) + "\n\n" + _tidy(case.new),
              email_text(case.subject, None) + "\n\n" + _tidy(_SIGN_OFF.sub("", case.new))}
    return text in wanted


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.strip().splitlines()))


def test_world_replies_keep_exactly_the_new_text() -> None:
    cases = _world_cases()
    replies = [case for case in cases if case.history]
    share = sum(map(_clean, cases)) / len(cases)
    print(f"\nworld messages: {share:.1%} of {len(cases)} ({len(replies)} with quoted history) stripped exactly")
    assert len(replies) > 50
    assert share >= REPLY_FLOOR


def test_world_messages_under_other_client_constructs() -> None:
    cases = [_variants(case, index) for index, case in enumerate(_world_cases())]
    share = sum(map(_clean, cases)) / len(cases)
    print(f"\nworld messages under forward/Outlook/signature/iPhone/German/French tails: {share:.1%} of {len(cases)}")
    assert share >= VARIANT_FLOOR
