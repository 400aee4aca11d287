"""A Gmail message resource (format=full) → the fields we store, with the standard library's email tools.

- The whole MIME tree is walked (Gmail nests multipart/* in `parts`). Body text is every inline text/plain
  part in order; when there is none, the inline text/html parts converted to text with html2text.
- Body bytes are base64url in `body.data`, already transfer-decoded by Gmail and normally transcoded to UTF-8;
  bytes that are not valid UTF-8 are decoded with the part's declared charset, bad bytes replaced.
- Addresses come from From, To, Cc, Bcc and Reply-To through `email.headerregistry` (quoted display names
  with commas, RFC 2047 encoded words), falling back to `email.utils.getaddresses` on malformed headers.
- `sent_at` is the Date header, else Gmail's internalDate — never the time of the sync.
- Attachments are metadata only: part id, file name, MIME type, size, inline or not.
"""

from __future__ import annotations

import base64
import codecs
import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import html2text

ROLES = (("from", "from"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"), ("reply-to", "reply_to"))
_MSG_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class AttachmentMeta:
    part_id: str
    filename: str
    mime_type: str
    size_bytes: int
    is_inline: bool


@dataclass
class ParsedMessage:
    message_id: str
    thread_id: str
    history_id: str | None
    labels: list[str]
    internal_at: dt.datetime | None
    sent_at: dt.datetime | None
    subject: str | None
    snippet: str | None
    body_text: str
    body_truncated: bool
    body_source: str | None
    rfc822_message_id: str | None
    in_reply_to: str | None
    references: list[str]
    size_estimate: int | None
    participants: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(role, address as written, display name or None)."""
    attachments: list[AttachmentMeta] = field(default_factory=list)


class Headers:
    """Case-insensitive access to a part's `headers` list; repeated headers keep every value."""

    def __init__(self, items: list[dict[str, str]] | None) -> None:
        self._items = [(h.get("name", "").lower(), h.get("value", "")) for h in items or []]

    def all(self, name: str) -> list[str]:
        return [value for key, value in self._items if key == name]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None


def decode_words(value: str | None) -> str | None:
    """An unstructured header with RFC 2047 encoded words decoded (as it is, when they are broken)."""
    if value is None:
        return None
    try:
        return str(policy.default.header_factory("subject", value))
    except Exception:  # the registry is strict about some malformed input; the older API is not
        try:
            return str(make_header(decode_header(value)))
        except Exception:
            return value


def addresses(value: str) -> list[tuple[str, str | None]]:
    """(address, display name) pairs from an address-list header. When part of it is malformed (an unclosed
    quote, say), the addresses are still picked out of the text, without names."""
    found: list[tuple[str, str | None]]
    try:
        header: Any = policy.default.header_factory("to", value)
        found = [(a.addr_spec, a.display_name or None) for a in header.addresses]
    except Exception:  # malformed beyond what the registry accepts
        found = [(addr, decode_words(name) or None) for name, addr in getaddresses([value])]
    good = [(addr, name) for addr, name in found if _ADDRESS.fullmatch(addr)]
    if len(good) < len(found):
        known = {addr for addr, _ in good}
        good += [(addr, None) for addr in dict.fromkeys(_ADDRESS.findall(value)) if addr not in known]
    return good


def sent_time(date_header: str | None) -> dt.datetime | None:
    if not date_header:
        return None
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def from_epoch_ms(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def walk(part: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield part
    for child in part.get("parts") or []:
        yield from walk(child)


def _is_attachment(part: dict[str, Any], headers: Headers) -> bool:
    disposition = (headers.first("content-disposition") or "").strip().lower()
    return bool(part.get("filename")) or bool((part.get("body") or {}).get("attachmentId")) \
        or disposition.startswith("attachment")


def decode_body(data: str, content_type: str | None) -> str:
    """Text from base64url bytes: UTF-8 when valid, else the declared charset with replacement."""
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode(_charset(content_type), errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _charset(content_type: str | None) -> str:
    try:
        params: Any = policy.default.header_factory("content-type", content_type or "text/plain").params
        charset = str(params.get("charset") or "utf-8")
        codecs.lookup(charset)
        return charset
    except Exception:  # unknown charset name or an unparseable header
        return "utf-8"


def html_to_text(markup: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.unicode_snob = True
    converter.ignore_images = True
    converter.ignore_links = True
    converter.ignore_emphasis = True
    text = _MD_ESCAPE.sub(r"\1", converter.handle(markup))
    return "\n".join(line.rstrip() for line in text.split("\n"))


def body_text(payload: dict[str, Any]) -> tuple[str, str | None, list[AttachmentMeta]]:
    """(text, the MIME type it came from, attachments) for a whole payload tree."""
    plain: list[str] = []
    markup: list[str] = []
    attachments = []
    for part in walk(payload):
        if part.get("parts"):
            continue
        headers = Headers(part.get("headers"))
        body = part.get("body") or {}
        if _is_attachment(part, headers):
            attachments.append(AttachmentMeta(
                str(part.get("partId", "")), part.get("filename") or "", part.get("mimeType") or "",
                int(body.get("size") or 0), _is_inline(headers)))
        elif part.get("mimeType") in ("text/plain", "text/html") and body.get("data"):
            text = decode_body(body["data"], headers.first("content-type"))
            (plain if part["mimeType"] == "text/plain" else markup).append(text)
    if plain:
        return _tidy("\n\n".join(plain)), "text/plain", attachments
    if markup:
        return _tidy("\n\n".join(html_to_text(m) for m in markup)), "text/html", attachments
    return "", None, attachments


def _is_inline(headers: Headers) -> bool:
    disposition = (headers.first("content-disposition") or "").strip().lower()
    return disposition.startswith("inline") or (not disposition and headers.first("content-id") is not None)


def _tidy(text: str) -> str:
    return _BLANK_RUNS.sub("\n\n", text).strip()


def message_ids(value: str | None) -> list[str]:
    return _MSG_ID.findall(value or "")


def parse_message(resource: dict[str, Any], body_max_chars: int) -> ParsedMessage:
    payload = resource.get("payload") or {}
    headers = Headers(payload.get("headers"))
    text, source, attachments = body_text(payload)
    internal_at = from_epoch_ms(resource.get("internalDate"))
    own_id = message_ids(headers.first("message-id"))
    participants = [(role, address, display) for header, role in ROLES for value in headers.all(header)
                    for address, display in addresses(value)]
    return ParsedMessage(
        message_id=resource["id"], thread_id=resource.get("threadId", resource["id"]),
        history_id=resource.get("historyId"), labels=list(resource.get("labelIds") or []),
        internal_at=internal_at, sent_at=sent_time(headers.first("date")) or internal_at,
        subject=decode_words(headers.first("subject")),
        snippet=html.unescape(resource["snippet"]) if resource.get("snippet") else None,
        body_text=text[:body_max_chars], body_truncated=len(text) > body_max_chars, body_source=source,
        rfc822_message_id=own_id[0] if own_id else (headers.first("message-id") or "").strip() or None,
        in_reply_to=next(iter(message_ids(headers.first("in-reply-to"))), None),
        references=message_ids(" ".join(headers.all("references"))),
        size_estimate=resource.get("sizeEstimate"), participants=participants, attachments=attachments,
    )
