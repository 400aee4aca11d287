"""gmail-sync's message parser on hand-built Gmail resources: MIME trees, charsets, addresses, dates."""

from __future__ import annotations

import base64
import datetime as dt
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from sandbox.gmail_render import part_json

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "gmail_sync"))

from gmail_mime import addresses, decode_body, html_to_text, parse_message, sent_time

INTERNAL_MS = 1_777_000_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def resource(payload: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "18f2a3b4c5d6e7f8", "threadId": "18f2a3b4c5d6e7f8", "labelIds": ["INBOX"], "historyId": "99",
            "internalDate": str(INTERNAL_MS), "snippet": "Hi Bob, it&#39;s me", "sizeEstimate": 512,
            "payload": payload, **extra}


def from_stdlib(headers: list[tuple[str, str]], body: EmailMessage) -> dict[str, Any]:
    """The Gmail payload of `headers` (verbatim) over a body built with the standard library."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
    parsed = message_from_bytes(head + body.as_bytes(policy=policy.SMTP), policy=policy.compat32)
    return part_json(parsed, "", False)


def leaf(mime_type: str, data: bytes, headers: list[tuple[str, str]] | None = None, part_id: str = "",
         filename: str = "") -> dict[str, Any]:
    return {"partId": part_id, "mimeType": mime_type, "filename": filename,
            "headers": [{"name": n, "value": v} for n, v in headers or []],
            "body": {"size": len(data), "data": b64(data)}}


def test_given_nested_multipart_with_attachments_then_plain_text_wins_and_attachments_are_metadata() -> None:
    headers = [("From", '"Doe, Jane" <Jane.Doe@Acme.com>'),
               ("To", "bob@example.com, =?utf-8?q?Lee=2C_Ann?= <ann@example.com>"),
               ("Subject", "=?utf-8?q?Quote_for_Acme?="), ("Date", "Wed, 29 May 2024 09:26:40 -0700"),
               ("Message-ID", "<abc@mail.acme.com>"), ("References", "<r1@x> <r2@x>"), ("In-Reply-To", "<r2@x>")]
    body = EmailMessage()
    body.set_content("Hi Bob,\n\nThe quote is attached.\n")
    body.add_alternative("<p>Hi Bob,</p><p>The <b>quote</b> is attached.</p>", subtype="html")
    body.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="Quote.pdf")

    parsed = parse_message(resource(from_stdlib(headers, body)), 10_000)

    assert parsed.body_text == "Hi Bob,\n\nThe quote is attached." and parsed.body_source == "text/plain"
    assert parsed.participants == [("from", "Jane.Doe@Acme.com", "Doe, Jane"), ("to", "bob@example.com", None),
                                   ("to", "ann@example.com", "Lee, Ann")]
    assert parsed.subject == "Quote for Acme" and parsed.snippet == "Hi Bob, it's me"
    assert parsed.sent_at == dt.datetime(2024, 5, 29, 16, 26, 40, tzinfo=dt.UTC)
    assert (parsed.rfc822_message_id, parsed.in_reply_to, parsed.references) == ("<abc@mail.acme.com>", "<r2@x>",
                                                                                  ["<r1@x>", "<r2@x>"])
    [attachment] = parsed.attachments
    assert (attachment.filename, attachment.mime_type, attachment.size_bytes, attachment.is_inline) == (
        "Quote.pdf", "application/pdf", 13, False)
    assert attachment.part_id == "1"


def test_given_html_only_then_it_becomes_readable_text_without_markup_or_markdown_escapes() -> None:
    markup = ("<html><head><style>p {color: red}</style></head><body><p>Hi Bob,</p>"
              "<p>1. Price is $5 &amp; more<br>- onboarding<br>&gt; quoted</p>"
              "<p><a href='https://x.example'>Book a call</a> <img src='https://t.example/p.gif'></p></body></html>")
    parsed = parse_message(resource(leaf("text/html", markup.encode(), [("Content-Type", "text/html")])), 10_000)

    assert parsed.body_text == "Hi Bob,\n\n1. Price is $5 & more\n- onboarding\n> quoted\n\nBook a call"
    assert parsed.body_source == "text/html"


@pytest.mark.parametrize(("data", "content_type", "expected"), [
    ("Café".encode(), 'text/plain; charset="iso-8859-1"', "Café"),
    ("“final” €".encode("cp1252"), "text/plain; charset=windows-1252", "“final” €"),
    ("Grüße".encode("latin-1"), 'text/plain; charset="ISO-8859-1"', "Grüße"),
    (b"ok \xff\xfe", "text/plain; charset=utf-8", "ok \ufffd\ufffd"),
    (b"caf\xe9", "text/plain; charset=x-unknown-charset", "caf\ufffd"),
    (b"line one\r\nline two\r\n", "text/plain", "line one\nline two\n"),
])
def test_given_body_bytes_then_utf8_is_used_when_valid_else_the_declared_charset_with_replacement(
        data: bytes, content_type: str, expected: str) -> None:
    assert decode_body(b64(data).rstrip("="), content_type) == expected


@pytest.mark.parametrize(("header", "expected"), [
    ('"Santos, Clara" <clara@x.com>, bob@y.com', [("clara@x.com", "Santos, Clara"), ("bob@y.com", None)]),
    ("=?iso-8859-1?q?Jos=E9_P=E9rez?= <jose@x.com>", [("jose@x.com", "José Pérez")]),
    ("undisclosed-recipients:;", []),
    ("Team: a@x.com, b@x.com;", [("a@x.com", None), ("b@x.com", None)]),
    ('"broken <a@x.com>', [("a@x.com", None)]),
])
def test_given_address_headers_then_names_with_commas_encoded_words_and_groups_are_handled(
        header: str, expected: list[tuple[str, str | None]]) -> None:
    assert addresses(header) == expected


def test_given_no_usable_date_header_then_sent_at_is_internal_date_never_now() -> None:
    body = leaf("text/plain", b"hello", [("Content-Type", "text/plain")])
    for headers in ([], [{"name": "Date", "value": "not a date"}]):
        parsed = parse_message(resource({**body, "headers": headers + body["headers"]}), 10_000)
        assert parsed.sent_at == dt.datetime.fromtimestamp(INTERNAL_MS / 1000, dt.UTC)
    assert sent_time("Mon, 4 May 2026 10:00:00 -0000") == dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC)


def test_given_a_long_body_then_it_is_cut_and_flagged() -> None:
    parsed = parse_message(resource(leaf("text/plain", b"x" * 5000, [("Content-Type", "text/plain")])), 1000)
    assert (len(parsed.body_text), parsed.body_truncated) == (1000, True)
    short = parse_message(resource(leaf("text/plain", b"x" * 10, [("Content-Type", "text/plain")])), 1000)
    assert short.body_truncated is False


def test_given_a_text_file_attachment_then_it_is_not_mistaken_for_the_body() -> None:
    payload = {"partId": "", "mimeType": "multipart/mixed", "filename": "", "headers": [], "body": {"size": 0},
               "parts": [leaf("text/plain", b"See attached.", [("Content-Type", "text/plain")], "0"),
                         {**leaf("text/plain", b"secret notes", [("Content-Disposition", "attachment")], "1",
                                 "notes.txt"), "body": {"attachmentId": "ANGj", "size": 12}}]}
    parsed = parse_message(resource(payload), 10_000)
    assert parsed.body_text == "See attached."
    assert [(a.filename, a.size_bytes) for a in parsed.attachments] == [("notes.txt", 12)]


def test_given_no_text_part_at_all_then_the_body_is_empty_and_the_source_unknown() -> None:
    payload = {**leaf("image/png", b"png", [("Content-Disposition", "inline"), ("Content-ID", "<i@x>")], "",
                      "x.png"), "body": {"attachmentId": "A", "size": 3}}
    parsed = parse_message(resource(payload), 10_000)
    assert (parsed.body_text, parsed.body_source) == ("", None)
    assert parsed.attachments[0].is_inline is True


def test_given_html_with_lists_then_items_keep_their_words() -> None:
    assert html_to_text("<ul><li>One</li><li>Two</li></ul>").split() == ["*", "One", "*", "Two"]
