"""Phone numbers to E.164, the one form every source is compared in.

CRMs hold numbers as people typed them ("(415) 555-0101 x12", "+44 (0)20 7946 0123", "020 7946 0123");
a national form only means something with a country, so callers pass the record's country (a code such as
"GB" or a name such as "United Kingdom") through `region_for_country`, falling back to a default region.
"""

from __future__ import annotations

import functools

import phonenumbers
from phonenumbers.geodata.locale import LOCALE_DATA

DEFAULT_REGION = "US"
_ALIASES = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "us": "US", "america": "US", "united states of america": "US",
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB",
}


@functools.cache
def _names() -> dict[str, str]:
    names = {region.lower(): region for region in phonenumbers.SUPPORTED_REGIONS}
    for region, by_language in LOCALE_DATA.items():
        english = by_language.get("en") or by_language.get("aa", "")
        english = by_language.get(english[1:], "") if english.startswith("*") else english
        if english:
            names.setdefault(english.lower(), region)
    names.update(_ALIASES)
    return names


def region_for_country(country: str | None, default: str = DEFAULT_REGION) -> str:
    """ISO region code for a country code or English country name; `default` when unknown or empty."""
    key = " ".join((country or "").split()).lower()
    return _names().get(key, default) if key else default


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """`raw` as E.164 ("+14155550101"), or None when it is empty or not a valid number.

    `region` (ISO code, or a country name) decides how a national form is read; an international form
    ("+44 …") carries its own country. Extensions ("x12", "ext. 12") are dropped.
    """
    if not raw or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw, region_for_country(region))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
