"""World emails as real mail: RFC 822 bytes and the Gmail API `payload` tree, with the answer a parser owes.

Each message gets one MIME shape, chosen from a hash of (world seed, message id) so that it never depends on
the order messages are rendered or on messages added later:

| variant         | shape                                                                                  |
|-----------------|----------------------------------------------------------------------------------------|
| plain           | text/plain, UTF-8, 7bit                                                                |
| plain_latin1    | text/plain, ISO-8859-1, quoted-printable, accented postscript                          |
| plain_cp1252    | text/plain, Windows-1252, 8bit, curly quotes, euro sign and dash                       |
| plain_bad_bytes | text/plain declared UTF-8, 8bit, with two invalid bytes                                |
| alternative     | multipart/alternative: text/plain (quoted-printable) + text/html                       |
| html_only       | text/html only, base64                                                                 |
| mixed           | multipart/mixed: multipart/alternative (plain + html, or plain + multipart/related html |
|                 | with an inline logo) + the attachments                                                 |

Orthogonal features, also hashed: no Date header (then the answer is internalDate), Date in the sender's
time zone, display names as RFC 2047 encoded words (some holding a comma), Bcc on sent mail, Reply-To whose
display name has a comma.

Like Gmail, `payload` bodies are transfer-decoded and text parts are transcoded to UTF-8 — except the
Windows-1252 and bad-bytes variants, whose bytes are passed through as received (Gmail does that for some
legacy mail), so a client must fall back to the declared charset.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import quopri
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.utils import format_datetime
from typing import Any

from sandbox.world_context import SELLER_DOMAIN
from sandbox.world_models import Address, Attachment, Email

LATIN1_PS = "P.S. Café, crème brûlée and jalapeño poppers at the kickoff?"
CP1252_PS = "P.S. The \u201cfinal\u201d price is \u20ac12,000 \u2013 valid until Friday\u2026"
BAD_BYTES_PS = b"Sent from my phone \xff\xfe"
BAD_BYTES_TEXT = "Sent from my phone \ufffd\ufffd"
ARCHIVE = Address("Sales Archive", f"archive@{SELLER_DOMAIN}")
LOGO = Attachment("northwind-logo.png", "image/png", 2_310)
_ZONES = (UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=2)),
          timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-4)))
_POLICY = policy.compat32.clone(linesep="\r\n")


def draw(seed: int, message_id: str, what: str) -> float:
    """A uniform number in [0, 1) fixed by (seed, message id, purpose)."""
    digest = hashlib.sha256(f"{seed}/gmail-mime/{message_id}/{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def internal_time(seed: int, email: Email) -> datetime:
    """When Gmail accepted the message: its Date plus up to two minutes of delivery, in whole ms."""
    delay = timedelta(milliseconds=int(draw(seed, email.message_id, "delivery") * 120_000))
    return email.sent_at + delay


@dataclass(frozen=True)
class MimeTruth:
    """What a faithful parser stores for the message."""

    variant: str
    text: str
    from_html: bool
    """True when the text comes from HTML (compare with whitespace collapsed)."""
    sent_at: datetime
    has_date: bool
    participants: tuple[tuple[str, str, str], ...]
    """(role, address as written, display name) for from, to, cc, bcc and reply_to."""
    attachments: tuple[tuple[str, str, int, bool], ...] = ()
    """(filename, MIME type, size in bytes, inline)."""


@dataclass(frozen=True)
class Rendered:
    raw: bytes
    payload: dict[str, Any]
    snippet: str
    truth: MimeTruth
    headers: list[tuple[str, str]] = field(default_factory=list)


def variant_of(seed: int, email: Email, newsletter: bool) -> str:
    roll = draw(seed, email.message_id, "variant")
    if email.attachments:
        return "mixed"
    if newsletter:
        return "html_only" if roll < 0.6 else "alternative"
    if email.has_html:
        return "html_only" if roll < 0.12 else "mixed" if roll < 0.2 else "alternative"
    if roll < 0.15:
        return "plain_latin1"
    if roll < 0.28:
        return "plain_cp1252"
    return "plain_bad_bytes" if roll < 0.33 else "plain"


def _address_header(seed: int, email: Email, address: Address, what: str) -> str:
    if address.name and draw(seed, email.message_id, f"encoded/{what}") < 0.1:
        return f"{Header(address.name, 'utf-8').encode()} <{address.email}>"
    return address.header()


def _participants(seed: int, email: Email, newsletter: bool) -> dict[str, list[Address]]:
    roles: dict[str, list[Address]] = {"from": [email.sender], "to": list(email.to), "cc": list(email.cc)}
    if email.sender.email == email.mailbox and draw(seed, email.message_id, "bcc") < 0.2:
        roles["bcc"] = [ARCHIVE]
    if newsletter and draw(seed, email.message_id, "reply-to") < 0.7:
        domain = email.sender.email.split("@", 1)[1]
        roles["reply_to"] = [Address(f"{email.sender.name} Support, Help Desk", f"support@{domain}")]
    return roles


def _html(text: str, newsletter: bool) -> str:
    paragraphs = "\n".join("<p>" + "<br>\n".join(html.escape(line, quote=False) for line in block.split("\n"))
                           + "</p>" for block in text.split("\n\n"))
    style = "<style>p { margin: 0 0 12px; font-family: Arial, sans-serif; }</style>"
    pixel = '<img src="https://t.example.invalid/open.gif" width="1" height="1" alt="">' if newsletter else ""
    return f"<html><head>{style}</head><body><div dir=\"ltr\">\n{paragraphs}\n</div>{pixel}</body></html>"


def _leaf(content_type: str, data: bytes, cte: str, extra: dict[str, str] | None = None) -> Message:
    part = Message(policy=_POLICY)
    part["Content-Type"] = content_type
    for name, value in (extra or {}).items():
        part[name] = value
    part["Content-Transfer-Encoding"] = cte
    if cte == "base64":
        payload = base64.encodebytes(data).decode("ascii")
    elif cte == "quoted-printable":
        payload = quopri.encodestring(data).decode("ascii")
    else:
        payload = data.decode("ascii", "surrogateescape")
    part.set_payload(payload.replace("\r\n", "\n").replace("\n", "\r\n"))
    return part


def _multipart(subtype: str, parts: list[Message], email: Email) -> Message:
    """A container with a Gmail-style boundary fixed by the message and subtype (raw bytes are stable)."""
    container = Message(policy=_POLICY)
    container["Content-Type"] = f"multipart/{subtype}"
    for part in parts:
        container.attach(part)
    token = hashlib.sha256(f"{email.message_id}/{subtype}".encode()).hexdigest()[:16]
    container.set_boundary(f"00000000{token}")
    return container


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _text_part(text: str, charset: str = "UTF-8", cte: str = "quoted-printable") -> Message:
    return _leaf(f'text/plain; charset="{charset}"', _crlf(text).encode(charset), cte)


def _html_part(text: str, newsletter: bool, cte: str = "quoted-printable") -> Message:
    return _leaf('text/html; charset="UTF-8"', _crlf(_html(text, newsletter)).encode(), cte)


def _attachment(email: Email, index: int, attachment: Attachment, inline: bool = False) -> Message:
    filler = random.Random(f"{email.message_id}/{index}").randbytes(attachment.size)
    disposition = "inline" if inline else "attachment"
    extra = {"Content-Disposition": f'{disposition}; filename="{attachment.filename}"'}
    if inline:
        extra["Content-ID"] = f"<logo-{email.message_id}@northwind>"
    return _leaf(f'{attachment.mime_type}; name="{attachment.filename}"', filler, "base64", extra)


def _body(seed: int, email: Email, variant: str, newsletter: bool) -> tuple[Message, str, list[Attachment]]:
    """The MIME body, the text a parser should extract, and the attachment parts in tree order."""
    text = email.body
    if variant == "plain":
        return _text_part(text, cte="7bit"), text, []
    if variant == "plain_latin1":
        full = f"{text}\n\n{LATIN1_PS}"
        return _text_part(full, "ISO-8859-1"), full, []
    if variant == "plain_cp1252":
        full = f"{text}\n\n{CP1252_PS}"
        return _text_part(full, "windows-1252", "8bit"), full, []
    if variant == "plain_bad_bytes":
        data = _crlf(text).encode() + b"\r\n\r\n" + BAD_BYTES_PS
        return _leaf('text/plain; charset="utf-8"', data, "8bit"), f"{text}\n\n{BAD_BYTES_TEXT}", []
    if variant == "html_only":
        return _html_part(text, newsletter, "base64"), text, []
    if variant == "alternative":
        return _multipart("alternative", [_text_part(text), _html_part(text, newsletter)], email), text, []
    return _mixed(seed, email, text, newsletter)


def _mixed(seed: int, email: Email, text: str, newsletter: bool) -> tuple[Message, str, list[Attachment]]:
    inline: list[Attachment] = []
    if not email.has_html:
        body = _text_part(text, cte="base64")
    elif draw(seed, email.message_id, "related") < 0.5:
        related = _multipart("related", [_html_part(text, newsletter), _attachment(email, 99, LOGO, inline=True)],
                             email)
        body = _multipart("alternative", [_text_part(text, cte="base64"), related], email)
        inline = [LOGO]
    else:
        body = _multipart("alternative", [_text_part(text, cte="base64"), _html_part(text, newsletter)], email)
    files = [_attachment(email, i, a) for i, a in enumerate(email.attachments)]
    return _multipart("mixed", [body, *files], email), text, [*inline, *email.attachments]


def _headers(seed: int, email: Email, roles: dict[str, list[Address]], has_date: bool) -> list[tuple[str, str]]:
    names = {"from": "From", "to": "To", "cc": "Cc", "bcc": "Bcc", "reply_to": "Reply-To"}
    headers = [("Delivered-To", email.mailbox), ("MIME-Version", "1.0")]
    if has_date:
        zone = _ZONES[int(draw(seed, email.message_id, "zone") * len(_ZONES))]
        headers.append(("Date", format_datetime(email.sent_at.astimezone(zone))))
    headers.append(("Message-ID", email.rfc822_id))
    if email.in_reply_to:
        headers.append(("In-Reply-To", email.in_reply_to))
    if email.references:
        headers.append(("References", " ".join(email.references)))
    subject = email.subject
    if draw(seed, email.message_id, "encoded/subject") < 0.1:
        subject = Header(subject, "utf-8").encode()
    headers.append(("Subject", subject))
    for role, addresses in roles.items():
        if addresses:
            value = ", ".join(_address_header(seed, email, a, f"{role}{i}") for i, a in enumerate(addresses))
            headers.append((names[role], value))
    return headers


_CACHE: OrderedDict[tuple[int, str, str, datetime, str], Rendered] = OrderedDict()
_CACHE_SIZE = 4096
_CACHE_LOCK = threading.Lock()


def render(seed: int, email: Email, internal_at: datetime) -> Rendered:
    """The message as Gmail stores it in `email.mailbox` (cached: tests and benchmarks fetch mail repeatedly)."""
    key = (seed, email.mailbox, email.message_id, internal_at, email.body)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    rendered = _render(seed, email, internal_at)
    with _CACHE_LOCK:
        _CACHE[key] = rendered
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rendered


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def _render(seed: int, email: Email, internal_at: datetime) -> Rendered:
    newsletter = any(label.startswith("CATEGORY_") for label in email.labels)
    variant = variant_of(seed, email, newsletter)
    roles = _participants(seed, email, newsletter)
    has_date = draw(seed, email.message_id, "date") >= 0.04
    body, text, attachments = _body(seed, email, variant, newsletter)
    headers = _headers(seed, email, roles, has_date)
    raw = "".join(_POLICY.fold(name, value) for name, value in headers).encode("ascii") + _flatten(body)
    parsed = message_from_bytes(raw, policy=_POLICY)
    passthrough = variant in ("plain_cp1252", "plain_bad_bytes")
    truth = MimeTruth(
        variant, text.strip(), variant == "html_only", email.sent_at if has_date else internal_at, has_date,
        tuple((role, a.email, a.name) for role, addresses in roles.items() for a in addresses),
        tuple((a.filename, a.mime_type, a.size, a is LOGO) for a in attachments),
    )
    return Rendered(raw, part_json(parsed, "", passthrough), snippet(text), truth, headers)


def _flatten(message: Message) -> bytes:
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=_POLICY).flatten(message)
    return buffer.getvalue()


def _unfold(value: Any) -> str:
    return str(value).replace("\r\n", "").replace("\n", "")


def part_json(part: Message, part_id: str, passthrough: bool) -> dict[str, Any]:
    """One node of Gmail's `payload` tree: headers as sent, bodies transfer-decoded, attachments by id."""
    node: dict[str, Any] = {
        "partId": part_id, "mimeType": part.get_content_type(), "filename": part.get_filename() or "",
        "headers": [{"name": name, "value": _unfold(value)} for name, value in part.items()],
    }
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)
        prefix = f"{part_id}." if part_id else ""
        node["body"] = {"size": 0}
        node["parts"] = [part_json(child, f"{prefix}{i}", passthrough) for i, child in enumerate(children)]
        return node
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    if node["filename"]:
        token = hashlib.sha256(f"{part_id}/{node['filename']}/{len(data)}".encode()).hexdigest()
        node["body"] = {"attachmentId": f"ANGjdJ{token}", "size": len(data)}
        return node
    if part.get_content_maintype() == "text" and not passthrough:
        data = data.decode(part.get_content_charset() or "us-ascii", "replace").encode()
    node["body"] = {"size": len(data), "data": base64.urlsafe_b64encode(data).decode("ascii")}
    return node


def snippet(text: str) -> str:
    """Gmail's snippet: the start of the text, whitespace collapsed, HTML-escaped."""
    short = " ".join(text.split())[:200]
    return html.escape(short, quote=True).replace("&#x27;", "&#39;")


def epoch_ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)
