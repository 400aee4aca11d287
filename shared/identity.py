"""Email addresses and web domains in the form people and companies are matched on.

`registrable_domain` uses the public-suffix list bundled with tldextract and never fetches a newer one, so it
works offline and answers the same everywhere ("www.acme.co.uk" → "acme.co.uk", not "co.uk").
"""

from __future__ import annotations

import functools
import re
from email.utils import parseaddr

import tldextract

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def normalize_email(raw: str | None) -> str | None:
    """Trimmed, lower-cased address: " Ann.Lee@Acme.COM" and "Ann Lee <ann.lee@acme.com>" both give
    "ann.lee@acme.com". None unless the value holds exactly one plausible address."""
    if not raw or raw.count("@") != 1:
        return None
    _, address = parseaddr(raw.strip().removeprefix("mailto:"))
    text = address.strip().lower()
    return text if _EMAIL.match(text) else None


def registrable_domain(url_or_host: str | None) -> str | None:
    """The domain a company registered, from a website URL or host name: "https://www.Acme.co.uk/about" →
    "acme.co.uk". None for empty values, IP addresses and hosts without a public suffix."""
    if not url_or_host or not url_or_host.strip():
        return None
    host = url_or_host.strip().lower().rstrip(".")
    parts = _extractor()(host)
    return parts.top_domain_under_public_suffix or None


def email_domain(addr: str | None) -> str | None:
    """The registrable domain of an address's host: "ann@mail.acme.co.uk" → "acme.co.uk"."""
    email = normalize_email(addr)
    return registrable_domain(email.rsplit("@", 1)[1]) if email else None
