"""Identifier formats of the faked sources: Salesforce, Gmail, Anthropic, Dialpad, Cursor."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def sf_checksum(id15: str) -> str:
    """Salesforce's 3-character suffix that makes a 15-character id case-insensitively unique."""
    suffix = ""
    for start in (0, 5, 10):
        chunk = id15[start:start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += _CHECKSUM_ALPHABET[bits]
    return suffix


def to_base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


class IdFactory:
    """Hands out unique ids; Salesforce ids are sequential per key prefix, as in a real org."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._pod = rng.choice(["5g", "8c", "Dn", "Hx", "Kq"])
        self._sf_next: dict[str, int] = {}
        self._issued: set[str] = set()

    def sf(self, prefix: str) -> str:
        counter = self._sf_next.get(prefix, self._rng.randrange(1_000_000, 9_000_000))
        self._sf_next[prefix] = counter + self._rng.randrange(1, 40)
        id15 = prefix + self._pod + "0000" + to_base62(counter, 6)
        return id15 + sf_checksum(id15)

    def gmail(self, sent_at: datetime) -> str:
        """Gmail message ids are the send time in ms shifted left by 20 bits plus noise, in hex."""
        millis = int(sent_at.timestamp() * 1000)
        return self._unique(lambda: format((millis << 20) | self._rng.getrandbits(20), "016x"))

    def anthropic(self, kind: str) -> str:
        return self._unique(lambda: f"{kind}_01" + "".join(self._rng.choices(BASE62, k=22)))

    def numeric(self, digits: int) -> str:
        return self._unique(lambda: str(self._rng.randrange(10 ** (digits - 1), 10**digits)))

    def token(self, length: int, alphabet: str = BASE62) -> str:
        return self._unique(lambda: "".join(self._rng.choices(alphabet, k=length)))

    def _unique(self, draw: Callable[[], str]) -> str:
        while True:
            value = draw()
            if value not in self._issued:
                self._issued.add(value)
                return value
