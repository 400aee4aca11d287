"""The text embedded for a message or a call.

Emails: the subject, a blank line, then only what the sender newly wrote. mail-parser-reply splits the body at
reply headers ("On … wrote:" and its German, French, Spanish, Italian, Dutch, … forms, Outlook's
"From:/Sent:/To:" block, "----- Original Message -----") and finds the signature of the newest part ("-- ",
"Sent from my iPhone", sign-offs such as "Best regards,"). Before that, forwarded history is cut at its marker
("---------- Forwarded message ---------", "Begin forwarded message:"), which the library leaves in, and any
remaining "> " quoted lines are dropped with the attribution line just above them (a reply header in a form
the library does not know, e.g. Gmail's Spanish "El …, … escribió:"). The library cuts from a sign-off word to
the end, so a detected signature is dropped only when it looks like one: at most 8 lines, the first not ending
a sentence, so a line such as "Thanks, that matches my understanding." keeps the text after it.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailMessage

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs", "ja", "ko", "zh")
_MAX_SIGNATURE_LINES = 8

_FORWARD = re.compile(
    r"^[ \t>]*(?:-{2,}[ \t]*(?:Forwarded message|Weitergeleitete Nachricht|Message transf[ée]r[ée]|"
    r"Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht)[ \t]*-{2,}|"
    r"Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|D[ée]but du message r[ée]exp[ée]di[ée]\s?:)",
    re.MULTILINE | re.IGNORECASE)
_QUOTED = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_ATTRIBUTION = re.compile(r"^(?![ \t]*>)[^\n]*[@\d][^\n]*:[ \t]*\n(?=[ \t]*>)", re.MULTILINE)
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _newest_part(body: str) -> str:
    forward = _FORWARD.search(body)
    if forward:
        body = body[:forward.start()]
    message = EmailMessage(body, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    if not message.replies:
        return ""
    newest = message.replies[0]
    text = newest.body if _is_signature(newest.signatures) else newest.full_body
    return _QUOTED.sub("", _ATTRIBUTION.sub("", text))


def _is_signature(block: str) -> bool:
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    return bool(lines) and len(lines) <= _MAX_SIGNATURE_LINES and not lines[0].endswith((".", "?", "!"))


def email_text(subject: str | None, body: str | None) -> str:
    """Subject, blank line, the newly written body; either part may be missing; "" when nothing is left."""
    title = _tidy(subject or "")
    text = _tidy(_newest_part(body)) if body and body.strip() else ""
    return "\n\n".join(part for part in (title, text) if part)


def call_text(transcript: str | None) -> str:
    """`dialpad_calls.transcript_text` ("Speaker: words" per spoken line) with spaces and blank lines tidied."""
    if not transcript:
        return ""
    return "\n".join(line for line in _tidy(transcript).split("\n") if line)
