"""Names, titles and companies for the synthetic world."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

FIRST_NAMES = (
    "Aaliyah Aarav Abigail Adebayo Aiko Alejandro Alice Amara Amelia Ana Andre Anika Arjun Ava "
    "Beatriz Ben Bianca Bilal Camila Carlos Chen Chloe Chidi Clara Daniel Daniela Dmitri Elena Elif "
    "Emeka Emily Emma Ethan Fatima Felipe Fiona Gabriel Grace Hana Hannah Harper Hassan Ines Isaac "
    "Isabella Ivan Jack Jamal James Jana Javier Jin Joao Jonas Jose Julia Kai Kavya Kenji Kofi Laila "
    "Lars Layla Leo Liam Lucas Lucia Luis Maya Mateo Mei Mia Mohammed Nadia Naomi Nia Noah Nora "
    "Olivia Omar Oscar Priya Rafael Ravi Rosa Ryan Sakura Samuel Sara Sebastian Sofia Sophie Tariq "
    "Thomas Valentina Victor Wei Yara Yusuf Zara Zoe Ingrid Tomas"
).split()
LAST_NAMES = tuple(name.replace("_", " ") for name in (
    "Abe Adeyemi Alvarez Andersen Bakker Banerjee Becker Brown Campbell Chen Cohen Costa Dang "
    "Davies Diaz Dubois Edwards Eriksson Evans Fernandez Fischer Garcia Gomez Gupta Hansen Harris "
    "Hoang Hughes Ibrahim Ito Jackson Jensen Johnson Kaur Khan Kim Kowalski Kumar Larsen Lee Lopez "
    "Martin Martinez Mendes Meyer Miller Moreau Murphy Nakamura Nguyen Novak Nunez Okafor Olsen Ortiz "
    "Park Patel Perez Petrov Quinn Ramirez Reyes Rossi Santos Schmidt Shah Silva Singh Smith Sokolov "
    "Suzuki Tanaka Taylor Thompson Torres Tran Walker Wang Weber Williams Wilson Wong Yamamoto Young "
    "Zhang Zimmerman O'Brien Van_Dijk McAllister Lindqvist Haddad"
).split())
CUSTOMER_TITLES = (
    "VP of Engineering", "Director of IT", "CTO", "Head of Data", "Procurement Manager", "CFO",
    "Senior Buyer", "Data Engineering Manager", "IT Security Lead", "COO", "Head of Operations",
    "Analytics Lead", "Finance Director", "Platform Architect", "Chief Data Officer", "Software Engineer",
)
_PREFIXES = (
    "Acme Apex Arbor Atlas Aurora Beacon Birch Bluefin Boreal Brightline Cadence Canopy Cascade Cedar "
    "Cobalt Comet Copper Crescent Crown Delta Drift Echo Ember Evergreen Falcon Fathom Fern Fjord "
    "Flint Forge Garnet Glacier Granite Harbor Hawthorn Helix Horizon Indigo Iron Juniper Keystone "
    "Kestrel Lantern Linden Lumen Maple Meridian Mesa Monarch Nimbus Northstar Oak Onyx Orbit Osprey "
    "Pacific Pinnacle Polaris Prairie Quarry Quartz Radiant Redwood Ridge River Sable Sage Sierra "
    "Silverline Solstice Spruce Summit Tandem Terra Tidal Timber Trident Tundra Union Vector Verde "
    "Vertex Willow Zenith Alder Basalt Cirrus Dune Everest Gale"
).split()
SECTORS = {
    "Robotics": "Manufacturing", "Logistics": "Transportation", "Health": "Healthcare",
    "Foods": "Food & Beverage", "Capital": "Financial Services", "Energy": "Energy", "Labs": "Biotechnology",
    "Systems": "Technology", "Analytics": "Technology", "Manufacturing": "Manufacturing", "Media": "Media",
    "Bank": "Banking", "Insurance": "Insurance", "Retail": "Retail", "Telecom": "Telecommunications",
    "Pharma": "Pharmaceuticals", "Software": "Technology", "Motors": "Automotive", "Aerospace": "Aerospace",
    "Foundry": "Manufacturing", "Freight": "Transportation", "Clinics": "Healthcare", "Markets": "Retail",
    "Studios": "Media",
}
_SUFFIXES = ("", "", "", "Group", "Partners", "Holdings", "International", "Works", "Co")


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    domain: str
    industry: str | None


class Names:
    """Draws people and companies; company names and domains never repeat within one world."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._taken: set[str] = set()

    def person(self) -> tuple[str, str]:
        return self._rng.choice(FIRST_NAMES), self._rng.choice(LAST_NAMES)

    def company(self, tld: str) -> Company:
        rng = self._rng
        for attempt in range(1000):
            sector = rng.choice(list(SECTORS))
            words = [rng.choice(_PREFIXES), sector, rng.choice(_SUFFIXES)]
            core = " ".join(w for w in words if w) + (f" {attempt // 50 + 1}" if attempt >= 50 else "")
            slug = slugify(core)
            domain = (slug if rng.random() < 0.6 else slug.replace("-", "")) + "." + tld
            if core not in self._taken and domain not in self._taken:
                self._taken.update((core, domain))
                return Company(core, domain, SECTORS[sector])
        raise RuntimeError("company names exhausted")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def local_part(rng: random.Random, first: str, last: str) -> str:
    """An email local part in one of the common corporate patterns."""
    f, l_ = slugify(first).replace("-", ""), slugify(last).replace("-", "")
    return rng.choice((f"{f}.{l_}", f"{f}.{l_}", f"{f[0]}{l_}", f, f"{f}_{l_}", f"{f}{l_[0]}"))


_LEGAL = (", Inc.", " Inc.", " Inc", " LLC", " Pty Ltd", " Ltd", " plc")


def short_company(name: str) -> str:
    """`Acme Robotics, Inc.` → `Acme Robotics`: how people write the name in conversation."""
    for suffix in _LEGAL:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
