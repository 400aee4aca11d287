"""The match methods with their default confidences, and the shipped free-mail domain list."""

from __future__ import annotations

import functools
from pathlib import Path

import shared

FREE_MAIL_FILE = Path(shared.__file__).resolve().parent / "data" / "free_mail_domains.txt"
"""Shipped with shared/ (in the repository and in every bundle)."""
CONFIDENCE: dict[str, float] = {
    "manual": 1.0,
    "contact_email": 0.99,
    "lead_email": 0.95,
    "normalized_email": 0.9,
    "contact_phone": 0.9,
    "lead_phone": 0.85,
    "display_name_thread": 0.7,
    "account_domain": 0.6,
}
"""match_method → match_confidence (see README.md for why each value)."""


@functools.cache
def free_mail_domains() -> tuple[str, ...]:
    lines = (line.split("#", 1)[0].strip().lower() for line in FREE_MAIL_FILE.read_text().splitlines())
    return tuple(sorted({line for line in lines if line}))


def confidence_params() -> dict[str, float]:
    return {f"confidence_{method}": value for method, value in CONFIDENCE.items()}
