"""Shared state while a world is generated: the clock, id and phone factories, per-section random streams."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.world_ids import IdFactory
from sandbox.world_people import Names
from sandbox.world_phones import PhoneBook

SELLER_NAME = "Northwind Analytics"
SELLER_DOMAIN = "northwind-analytics.com"


@dataclass
class GenContext:
    """Each section draws from its own stream, so growing one section does not reshuffle the others."""

    seed: int
    scale: int
    anchor: datetime
    ids: IdFactory = field(init=False)
    phones: PhoneBook = field(init=False)
    names: Names = field(init=False)
    emails_taken: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.ids = IdFactory(self.rng("ids"))
        self.phones = PhoneBook(self.rng("phones"))
        self.names = Names(self.rng("names"))

    def rng(self, section: str) -> random.Random:
        return random.Random(f"{self.seed}/{section}")

    def unique_email(self, local: str, domain: str) -> str:
        """`local@domain`, numbered when that address already belongs to someone else."""
        address, n = f"{local}@{domain}", 1
        while address.lower() in self.emails_taken:
            n += 1
            address = f"{local}{n}@{domain}"
        self.emails_taken.add(address.lower())
        return address


def moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A uniformly drawn instant in [start, end), whole seconds (Salesforce stores no fractions)."""
    span = max(int((end - start).total_seconds()), 1)
    return start + timedelta(seconds=rng.randrange(span))


def days_before(rng: random.Random, anchor: datetime, most: float, least: float = 0.0) -> datetime:
    return moment(rng, anchor - timedelta(days=most), anchor - timedelta(days=least))
