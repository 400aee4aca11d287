"""The one interface both embedders (local ONNX, Vertex AI) implement, and the pooling they share.

A text longer than the model's token window is split into windows that each fit; the text's vector is the mean
of its windows' vectors, L2-normalised again, so a long transcript is one vector of the same dimension and scale
as a short email.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

Vector = list[float]


class EmbeddingError(RuntimeError):
    """The embedder could not produce vectors for a batch (after its retries); nothing of the batch is stored."""


class Embedder(Protocol):
    model: str
    """What `embedding_model` records on the rows it embeds (a different value means re-embed)."""
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        """One unit-length vector per text, in order (texts to be stored and searched)."""
        ...

    def embed_query(self, text: str) -> Vector:
        """The unit-length vector of a search query (Vertex embeds queries with their own task type)."""
        ...


def mean_pool(vectors: Sequence[Sequence[float]]) -> Vector:
    """The L2-normalised mean of window vectors (one text's windows)."""
    if not vectors:
        raise ValueError("no vectors to pool")
    size = len(vectors[0])
    mean = [sum(v[i] for v in vectors) / len(vectors) for i in range(size)]
    return normalised(mean)


def normalised(vector: Sequence[float]) -> Vector:
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0 or not math.isfinite(norm):
        raise EmbeddingError("the model returned a zero or non-finite vector")
    return [x / norm for x in vector]
