"""Retrieval quality of generate-embeddings' semantic search against the sandbox world's ground truth.

Corpus. Every message and call the function gave a vector (`embedding_dim > 0`); a mail synced in two mailboxes
counts once (by `rfc822_message_id`), as search answers it once. Each document's topic is the intent the world
generated its text from (`world.truth.message_intent`, `world.truth.call_intent`).

Queries. A few questions per topic, phrased as a rep or analyst would type them, written without reading the
world's text templates. Each runs through the function's HTTP entry point (`{"query": …, "k": 10}`, both kinds).

Metrics, per query and then averaged per topic (and over topics):
- capped recall@10: on-topic documents in the top 10 over min(10, on-topic documents in the corpus) — the BEIR
  `R_cap@k` form, so a topic with more than 10 documents can still reach 1.0;
- reciprocal rank: 1 / rank of the first on-topic document in the top 10 (0 when none), averaged as MRR@10;
- chance: the share of the corpus on that topic (the expected precision of a random top 10), for scale.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from sandbox.apis.dialpad import dialpad_fake
from sandbox.apis.gmail import gmail_fake
from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import World
from shared import entrypoint
from shared.warehouse import Warehouse, connect
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

K = 10
TOPICS: dict[str, tuple[str, ...]] = {
    "budget": ("has the customer set aside budget for this purchase",
               "budget approval for the next fiscal year",
               "how much money do they have allocated for a tool like ours"),
    "pricing": ("what does it cost per user",
                "customer asking for a price quote and a discount",
                "pricing tiers and license fees"),
    "procurement": ("purchase order and vendor registration",
                    "legal review of the contract and the security questionnaire",
                    "their procurement process before they can sign"),
    "timeline": ("when do they want to go live",
                 "implementation timeline and decision date",
                 "rollout plan for next quarter"),
    "objection": ("concerns about switching from their current tool",
                  "they are not convinced it is worth it",
                  "pushback and reasons not to buy"),
    "scheduling": ("find a time to meet next week",
                   "reschedule our meeting",
                   "send a calendar invite for the demo"),
}


@contextmanager
def embedded_world(world: World, url: str) -> Iterator[Warehouse]:
    """The world synced (Salesforce, Dialpad, Gmail), resolved and embedded with the local model through the
    functions' entry points into the warehouse at `url`; the environment is set for the block (search and
    scoring call their functions) and restored."""
    started_after = (world.anchor - dt.timedelta(days=120)).isoformat()
    loads: tuple[tuple[str, dict[str, object]], ...] = (
        ("salesforce-sync", {"object_type": "all", "sync_type": "full"}),
        ("dialpad-sync", {"sync_type": "full", "started_after": started_after}),
        ("gmail-sync", {"sync_type": "full"}), ("entity-resolution", {}),
        ("generate-embeddings", {"limit": 200000}))
    with Sandbox(world) as sandbox:
        dialpad_fake(sandbox.app).limits.enabled = False
        gmail_fake(sandbox.app).store.quota.enforce = False
        env = {**settings_env(sandbox), "WAREHOUSE": url, "HTTP_BACKOFF_BASE": "0", "EMBEDDER": "local",
               "DIALPAD_LIST_RATE_PER_SECOND": "1000", "DIALPAD_TRANSCRIPT_RATE_PER_SECOND": "1000",
               "GMAIL_QUOTA_UNITS_PER_SECOND": "1000000", "GMAIL_PROJECT_QUOTA_UNITS_PER_SECOND": "100000000"}
        with mock.patch.dict(os.environ, env):
            warehouse = connect(url)
            warehouse.ensure_schema()
            try:
                for name, body in loads:
                    status, answer = invoke(by_cloud_name(name), body)
                    assert status == 200 and answer["status"] == "success", (name, answer)
                yield warehouse
            finally:
                entrypoint.reset_runtimes()
                warehouse.close()


@dataclass
class TopicScore:
    relevant: int = 0
    corpus: int = 0
    recalls: list[float] = field(default_factory=list)
    reciprocal_ranks: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return sum(self.recalls) / len(self.recalls)

    @property
    def mrr(self) -> float:
        return sum(self.reciprocal_ranks) / len(self.reciprocal_ranks)

    @property
    def chance(self) -> float:
        return self.relevant / self.corpus if self.corpus else 0.0


@dataclass
class Retrieval:
    topics: dict[str, TopicScore]

    @property
    def recall(self) -> float:
        return sum(t.recall for t in self.topics.values()) / len(self.topics)

    @property
    def mrr(self) -> float:
        return sum(t.mrr for t in self.topics.values()) / len(self.topics)

    def report(self) -> str:
        lines = [f"{'topic':<12} {'on topic':>8} {'corpus':>6} {'chance':>6} {'recall@10':>9} {'MRR@10':>6}"]
        for name, t in self.topics.items():
            lines.append(f"{name:<12} {t.relevant:>8} {t.corpus:>6} {t.chance:>6.3f} {t.recall:>9.3f} {t.mrr:>6.3f}")
        lines.append(f"{'all topics':<12} {'':>8} {'':>6} {'':>6} {self.recall:>9.3f} {self.mrr:>6.3f}")
        return "\n".join(lines)


def corpus(world: World, warehouse: Warehouse) -> tuple[dict[tuple[str, str], str], dict[str, int], int]:
    """(kind, id) → topic for every embedded row (each mailbox's copy of a mail too, as search may answer any),
    documents per topic and in all, a mail counted once."""
    mails = warehouse.query("select rfc822_message_id, message_id from gmail_messages "
                            "where embedding_dim > 0 and not is_deleted")
    calls = warehouse.query("select call_id from dialpad_calls where embedding_dim > 0")
    topics = {("email", m["message_id"]): world.truth.message_intent[m["message_id"]] for m in mails}
    topics.update({("call", c["call_id"]): world.truth.call_intent[c["call_id"]] for c in calls})
    documents = {m["rfc822_message_id"] or m["message_id"]: topics[("email", m["message_id"])] for m in mails}
    documents.update({f"call/{c['call_id']}": topics[("call", c["call_id"])] for c in calls})
    per_topic: dict[str, int] = defaultdict(int)
    for topic in documents.values():
        per_topic[topic] += 1
    return topics, per_topic, len(documents)


def measure(world: World, warehouse: Warehouse) -> Retrieval:
    """Run every topic's queries through the function and score the answers against the world's truth."""
    topics, by_topic, documents = corpus(world, warehouse)
    entry = by_cloud_name("generate-embeddings")
    scores: dict[str, TopicScore] = {}
    for topic, queries in TOPICS.items():
        score = scores[topic] = TopicScore(relevant=by_topic[topic], corpus=documents)
        for query in queries:
            status, answer = invoke(entry, {"query": query, "k": K})
            assert status == 200 and answer["status"] == "success", answer
            score.recalls.append(_capped_recall(answer["results"], topics, topic, score.relevant))
            score.reciprocal_ranks.append(_reciprocal_rank(answer["results"], topics, topic))
    return Retrieval(scores)


def _on_topic(result: dict[str, Any], topics: dict[tuple[str, str], str], topic: str) -> bool:
    return _topic_of(result, topics) == topic


def _topic_of(result: dict[str, Any], topics: dict[tuple[str, str], str]) -> str | None:
    return topics.get((result["kind"], result["id"]))


def _capped_recall(results: list[dict[str, Any]], topics: dict[tuple[str, str], str], topic: str,
                   relevant: int) -> float:
    hits = sum(_on_topic(r, topics, topic) for r in results[:K])
    return hits / min(K, relevant) if relevant else 1.0


def _reciprocal_rank(results: list[dict[str, Any]], topics: dict[tuple[str, str], str], topic: str) -> float:
    return next((1 / rank for rank, r in enumerate(results[:K], 1) if _on_topic(r, topics, topic)), 0.0)
