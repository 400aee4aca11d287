"""The intent prototypes shipped with shared/ (data/intent_prototypes.tsv): embedded by generate-embeddings,
compared with every message and call by account-scoring."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import NamedTuple

import shared

PROTOTYPES_FILE = Path(shared.__file__).resolve().parent / "data" / "intent_prototypes.tsv"
TOPICS = ("budget", "pricing", "procurement", "contract")


class Prototype(NamedTuple):
    topic: str
    phrase: str


@functools.cache
def prototypes() -> tuple[Prototype, ...]:
    """Every (topic, phrase) of the file, in file order; a bad line is an error naming it."""
    found: list[Prototype] = []
    for number, line in enumerate(PROTOTYPES_FILE.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        topic, _, phrase = line.partition("\t")
        if topic not in TOPICS or not phrase.strip():
            raise ValueError(f"{PROTOTYPES_FILE.name} line {number}: expected <topic>\\t<phrase>, topic in {TOPICS}")
        found.append(Prototype(topic, phrase.strip()))
    return tuple(found)


def fingerprint() -> str:
    """sha256 of the prototypes (part of account-scoring's model_version)."""
    return hashlib.sha256("\n".join(f"{p.topic}\t{p.phrase}" for p in prototypes()).encode()).hexdigest()
