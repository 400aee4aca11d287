"""shared.identity: emails and registrable domains, offline."""

from __future__ import annotations

import pytest

from shared.identity import email_domain, normalize_email, registrable_domain


@pytest.mark.parametrize(("raw", "expected"), [
    ("Ann.Lee@Acme.COM", "ann.lee@acme.com"),
    ("  ann@acme.com \n", "ann@acme.com"),
    ("<Ann@Acme.com>", "ann@acme.com"),
    ("mailto:Bo@Example.io", "bo@example.io"),
    ("Ann Lee <Ann@Acme.com>", "ann@acme.com"),
    ('"Lee, Ann" <ann@acme.com>', "ann@acme.com"),
    ("ann@acme.com, bo@acme.com", None),
    (None, None), ("", None), ("not an email", None), ("a@b", None), ("a@@b.com", None), ("a b@c.com", None),
])
def test_given_raw_address_when_normalised_then_lower_trimmed_or_none(raw: str | None, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://www.Acme.co.uk/about", "acme.co.uk"),
    ("http://shop.example.com.au:8080/x?y=1", "example.com.au"),
    ("acme.com", "acme.com"),
    ("WWW.ACME.IO.", "acme.io"),
    ("www.acme.com", "acme.com"),
    (None, None), ("", None), ("  ", None), ("http://10.1.2.3/", None), ("localhost", None),
])
def test_given_website_when_domain_derived_then_registrable_domain(raw: str | None, expected: str | None) -> None:
    assert registrable_domain(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("ann@mail.acme.co.uk", "acme.co.uk"), ("Bo@Example.COM", "example.com"), ("bad", None), (None, None),
])
def test_given_address_when_domain_taken_then_registrable_domain(raw: str | None, expected: str | None) -> None:
    assert email_domain(raw) == expected
