"""generate-embeddings: embeds each message and call once, re-embeds only what changed, and answers semantic search.

A body without `query` embeds: per kind (emails: gmail_messages, calls: dialpad_calls) one SQL statement selects
the rows that need a vector, newest first, at most `limit`; they are embedded in batches of
EMBEDDING_MERGE_ROWS, and each batch is written by one MERGE of the key and the embedding columns only. A batch
the embedder fails on is tried once more, then left un-embedded (selected again next run) and reported in the
kind's error; no zero or partial vector is ever written. A text that is empty once prepared is marked (empty
vector, dim 0, its content hash) so it is not selected again until it changes. The time budget is checked
between batches; a kind cut short is pending and simply continues next run (the selection is the checkpoint).

A body with `query` searches (emb_search) and writes nothing but the ledger row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from emb_embedder import Embedder, EmbeddingError
from emb_search import search
from emb_settings import EmbeddingParams, EmbeddingSettings
from emb_text import call_text, email_text

from shared import intent_prototypes
from shared.entrypoint import JobContext, JobSpec
from shared.ledger import JobResult
from shared.log import get_logger
from shared.warehouse import Typed, Warehouse
from shared.warehouse.bigquery_backend import BigQueryWarehouse

log = get_logger(__name__)
JOB = "generate-embeddings"
SKIPPED, FAILED, RESULTS = "skipped_empty", "failed_rows", "results"
PROTOTYPES = "intent_prototypes"


@dataclass(frozen=True)
class Kind:
    table: str
    key: tuple[str, ...]
    select: str
    index: str
    text: Callable[[dict[str, Any]], str]


KINDS = {
    "emails": Kind("gmail_messages", ("mailbox", "message_id"), "jobs/emb_select_emails.sql",
                   "jobs/emb_vector_index_emails.sql", lambda row: email_text(row["subject"], row["body_text"])),
    "calls": Kind("dialpad_calls", ("call_id",), "jobs/emb_select_calls.sql",
                  "jobs/emb_vector_index_calls.sql", lambda row: call_text(row["transcript_text"])),
}


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    if settings.embedder == "vertex":
        from emb_vertex import VertexEmbedder

        return VertexEmbedder(settings)
    from emb_local import LocalEmbedder

    return LocalEmbedder.from_settings(settings)


def _vectors(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """The batch's vectors, one retry after an EmbeddingError; a second failure propagates."""
    try:
        return embedder.embed_documents(texts)
    except EmbeddingError as exc:
        log.warning("embedding batch of %d texts failed (%s); retrying once", len(texts), exc)
        return embedder.embed_documents(texts)


def _written(kind: Kind, row: dict[str, Any], vector: list[float], model: str, now: dt.datetime) -> dict[str, Any]:
    return {**{k: row[k] for k in kind.key}, "embedding": vector, "embedding_model": model,
            "embedding_dim": len(vector), "content_hash": row["content_hash"], "embedded_at": now}


def embed_kind(name: str, kind: Kind, params: EmbeddingParams, ctx: JobContext[EmbeddingSettings],
               result: JobResult) -> None:
    embedder: Embedder = ctx.clients
    now = ctx.run.started_at
    rows = ctx.warehouse.query(kind.select, {"model": embedder.model, "limit": params.limit})
    size = ctx.settings.embedding_merge_rows
    failures: list[str] = []
    for start in range(0, len(rows), size):
        if start:
            ctx.budget.checkpoint(f"{name} batch at row {start} of {len(rows)}")
        batch = rows[start:start + size]
        texts = [kind.text(row) for row in batch]
        full = [(row, text) for row, text in zip(batch, texts, strict=True) if text]
        empty = [row for row, text in zip(batch, texts, strict=True) if not text]
        try:
            vectors = _vectors(embedder, [text for _, text in full]) if full else []
        except EmbeddingError as exc:
            failures.append(f"rows {start + 1}-{start + len(batch)}: {exc}")
            result.add(FAILED, len(batch))
            continue
        written = [_written(kind, row, vector, embedder.model, now)
                   for (row, _), vector in zip(full, vectors, strict=True)]
        written += [_written(kind, row, [], embedder.model, now) for row in empty]
        ctx.warehouse.merge(kind.table, written, key=kind.key)
        result.add(kind.table, len(full))
        result.add(SKIPPED, len(empty))
        log.info("%s: embedded %d rows, %d empty", kind.table, len(full), len(empty), extra={"scope": name})
    if failures:
        raise EmbeddingError(f"{len(failures)} batch(es) failed twice and stay un-embedded: {'; '.join(failures)}")


def ensure_vector_index(warehouse: Warehouse, settings: EmbeddingSettings, model: str, kind: Kind) -> None:
    """BigQuery only: the kind's vector index DDL once its table holds EMBEDDING_INDEX_MIN_ROWS embedded rows
    (`if not exists`: a no-op once made). DuckDB searches by scanning; it has no vector index."""
    if not isinstance(warehouse, BigQueryWarehouse):
        return
    counts = warehouse.query("jobs/emb_embedded_count.sql", {"model": model})[0]
    if int(counts[kind.table]) >= settings.embedding_index_min_rows:
        warehouse.query(kind.index)


def embed_prototypes(ctx: JobContext[EmbeddingSettings], result: JobResult) -> int:
    """account-scoring's intent prototypes (shared/data/intent_prototypes.tsv) embedded by this run's model, as
    queries: only phrases the model has not embedded yet; phrases no longer shipped are dropped."""
    embedder: Embedder = ctx.clients
    shipped = intent_prototypes.prototypes()
    present = {r["phrase"] for r in ctx.warehouse.query("jobs/emb_prototypes_present.sql", {"model": embedder.model})}
    if present - {p.phrase for p in shipped}:
        ctx.warehouse.query("jobs/emb_prototypes_prune.sql",
                            {"model": embedder.model, "phrases": Typed([p.phrase for p in shipped], "ARRAY<STRING>")})
    missing = [p for p in shipped if p.phrase not in present]
    now = ctx.run.started_at
    rows = []
    for prototype in missing:
        vector = embedder.embed_query(prototype.phrase)
        rows.append({"embedding_model": embedder.model, "phrase": prototype.phrase, "topic": prototype.topic,
                     "embedding": vector, "embedding_dim": len(vector), "embedded_at": now})
    ctx.warehouse.merge(PROTOTYPES, rows)
    result.add(PROTOTYPES, len(rows))
    return len(rows)


def run(params: EmbeddingParams, ctx: JobContext[EmbeddingSettings]) -> JobResult:
    result = JobResult()
    if params.query is not None:
        with result.scope("search") as outcome:
            found = search(params, ctx.warehouse, ctx.clients)
            outcome.rows = len(found)
            result.add(RESULTS, len(found))
            result.answer["results"] = found
        return result
    for name in params.kinds:
        with result.scope(name):
            embed_kind(name, KINDS[name], params, ctx, result)
            ensure_vector_index(ctx.warehouse, ctx.settings, ctx.clients.model, KINDS[name])
    with result.scope("prototypes") as outcome:
        outcome.rows = embed_prototypes(ctx, result)
    return result


def writes(params: EmbeddingParams) -> bool:
    """Embedding runs hold the function; a search only reads, so it neither waits for one nor blocks one."""
    return params.query is None


SPEC = JobSpec(JOB, "warehouse", EmbeddingParams, EmbeddingSettings, run, make_clients=make_embedder,
               count_keys=("gmail_messages", "dialpad_calls", SKIPPED, FAILED, RESULTS, PROTOTYPES), exclusive=writes)
