"""Semantic search over the embedded messages and calls: read-only, one result contract on both engines.

Each kind is searched through `Warehouse.vector_search` (BigQuery VECTOR_SEARCH, DuckDB list_cosine_similarity;
cosine distance) over its rows embedded by the configured model; un-embedded rows are excluded by `embedded_at`
and `array_length(embedding) > 0` (BigQuery never stores a REPEATED column as NULL). Filters: kind, account
(emails: any participant entity resolution linked to it; calls: the call's own link), and a date floor. The
kinds' hits are merged by similarity (1 - cosine distance) and cut to k; a mail synced in two mailboxes (two rows,
one `rfc822_message_id`) is one hit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from emb_embedder import Embedder
from emb_settings import EmbeddingParams

from shared.warehouse import Typed, Warehouse

TITLE_WORDS = 12
_EMBEDDED = ("embedded_at is not null and array_length(embedding) > 0 and embedding_model = @model")
EMAIL_WHERE = {
    "base": f"not is_deleted and {_EMBEDDED}",
    "account": "concat(mailbox, '/', message_id) in (select concat(mailbox, '/', message_id) "
               "from gmail_participants where sf_account_id = @account_id)",
    "since": "sent_at >= @since_at",
}
CALL_WHERE = {"base": _EMBEDDED, "account": "sf_account_id = @account_id", "since": "call_time >= @since_at"}


def _where(parts: dict[str, str], params: EmbeddingParams) -> str:
    chosen = [parts["base"]]
    chosen += [parts["account"]] if params.account_id is not None else []
    chosen += [parts["since"]] if params.since is not None else []
    return " and ".join(f"({p})" for p in chosen)


def _first_words(text: str | None) -> str:
    words = (text or "").split()
    return " ".join(words[:TITLE_WORDS]) + (" …" if len(words) > TITLE_WORDS else "")


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _distinct_messages(warehouse: Warehouse, vector: list[float], params: EmbeddingParams,
                       values: dict[str, Any]) -> list[dict[str, Any]]:
    """The k nearest messages, one row per mail: the same mail synced in two mailboxes is two rows with one
    `rfc822_message_id` (and the same vector), so the search asks for more rows until k distinct remain or the
    table has no more."""
    asked = params.k
    while True:
        hits = warehouse.vector_search("gmail_messages", "embedding", vector, asked,
                                       ["mailbox", "message_id", "rfc822_message_id", "subject", "sent_at"],
                                       _where(EMAIL_WHERE, params), values)
        distinct: dict[str, dict[str, Any]] = {}
        for hit in hits:
            distinct.setdefault(hit["rfc822_message_id"] or f"{hit['mailbox']}/{hit['message_id']}", hit)
        if len(distinct) >= params.k or len(hits) < asked:
            return list(distinct.values())[:params.k]
        asked *= 2


def _emails(warehouse: Warehouse, vector: list[float], params: EmbeddingParams,
            values: dict[str, Any]) -> list[dict[str, Any]]:
    hits = _distinct_messages(warehouse, vector, params, values)
    keys = [f"{h['mailbox']}/{h['message_id']}" for h in hits]
    accounts = {(r["mailbox"], r["message_id"]): r["account_id"]
                for r in warehouse.query("jobs/emb_message_accounts.sql",
                                         {"keys": Typed(keys, "ARRAY<STRING>")})} if keys else {}
    return [{"id": h["message_id"], "kind": "email", "date": _iso(h["sent_at"]),
             "title": h["subject"] or "", "account_id": params.account_id or accounts.get(
                 (h["mailbox"], h["message_id"])), "similarity": round(1 - float(h["distance"]), 6)}
            for h in hits]


def _calls(warehouse: Warehouse, vector: list[float], params: EmbeddingParams,
           values: dict[str, Any]) -> list[dict[str, Any]]:
    hits = warehouse.vector_search("dialpad_calls", "embedding", vector, params.k,
                                   ["call_id", "call_time", "transcript_text", "sf_account_id"],
                                   _where(CALL_WHERE, params), values)
    return [{"id": h["call_id"], "kind": "call", "date": _iso(h["call_time"]),
             "title": _first_words(h["transcript_text"]), "account_id": h["sf_account_id"],
             "similarity": round(1 - float(h["distance"]), 6)} for h in hits]


def search(params: EmbeddingParams, warehouse: Warehouse, embedder: Embedder) -> list[dict[str, Any]]:
    """The top `params.k` messages and calls for `params.query`, most similar first."""
    assert params.query is not None
    vector = embedder.embed_query(params.query)
    values: dict[str, Any] = {"model": embedder.model}
    if params.account_id is not None:
        values["account_id"] = params.account_id
    if params.since is not None:
        values["since_at"] = dt.datetime.combine(params.since, dt.time(), dt.UTC)
    found: list[dict[str, Any]] = []
    if "emails" in params.kinds:
        found += _emails(warehouse, vector, params, values)
    if "calls" in params.kinds:
        found += _calls(warehouse, vector, params, values)
    found.sort(key=lambda r: (-r["similarity"], r["kind"], r["id"]))
    return found[:params.k]
