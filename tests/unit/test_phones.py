"""shared.phones: the ways people type numbers into a CRM all come out as one E.164 form."""

from __future__ import annotations

import random

import pytest

from sandbox.world_phones import PhoneBook, display
from shared.phones import region_for_country, to_e164


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("(415) 555-0101", "US", "+14155550101"),
    ("415.555.0101", "US", "+14155550101"),
    ("1-415-555-0101", "US", "+14155550101"),
    ("+1 (415) 555-0101", "GB", "+14155550101"),
    ("(415) 555-0101 x123", "US", "+14155550101"),
    ("+1 415 555 0101 ext. 9", "US", "+14155550101"),
    ("020 7946 0123", "GB", "+442079460123"),
    ("020 7946 0123", "United Kingdom", "+442079460123"),
    ("020 7946 0123", "UK", "+442079460123"),
    ("+44 (0)20 7946 0123", "US", "+442079460123"),
    ("(02) 5550 1234", "Australia", "+61255501234"),
    ("416-555-0199", "Canada", "+14165550199"),
])
def test_given_typed_number_when_normalised_then_e164(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "n/a", "555", "+44 12"])
def test_given_empty_or_invalid_when_normalised_then_none(raw: str | None) -> None:
    assert to_e164(raw) is None


def test_given_default_region_when_national_us_form_then_read_as_us() -> None:
    assert to_e164("212-555-0101") == "+12125550101"


@pytest.mark.parametrize(("country", "expected"), [
    ("United States", "US"), ("USA", "US"), ("us", "US"), ("United Kingdom", "GB"), ("UK", "GB"),
    ("  united   kingdom ", "GB"), ("Australia", "AU"), ("Canada", "CA"), ("Germany", "DE"), ("DE", "DE"),
    ("Narnia", "US"), (None, "US"), ("", "US"),
])
def test_given_country_code_or_name_when_resolved_then_region(country: str | None, expected: str) -> None:
    assert region_for_country(country) == expected


def test_given_unknown_country_when_resolved_then_caller_default() -> None:
    assert region_for_country("Atlantis", default="GB") == "GB"


def test_given_world_display_forms_when_normalised_with_country_then_original_number() -> None:
    rng = random.Random(3)
    book = PhoneBook(rng)
    for country in ("US", "CA", "GB", "AU") * 25:
        phone = book.new(country)
        assert to_e164(display(rng, phone), phone.country) == phone.e164
