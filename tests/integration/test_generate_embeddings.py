"""generate-embeddings end to end: the syncs and entity resolution load a sandbox world, then the function runs
through its HTTP entry point on that warehouse (the Vertex embedder against the sandbox's fake, the local model in
one test); each test starts from a copy of the synced warehouse."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import build_world
from shared import entrypoint, intent_prototypes
from shared.warehouse import Warehouse, connect
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
ENTRY = by_cloud_name("generate-embeddings")
VERTEX = {"EMBEDDER": "vertex", "GOOGLE_CLOUD_PROJECT": "sandbox-project", "EMBEDDING_MERGE_ROWS": "100"}
RESULT_KEYS = {"id", "kind", "date", "title", "account_id", "similarity"}
ANSWER_KEYS = {"run_id", "status", "counts", "errors", "pending", "results"}


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path, Sandbox]]:
    base = tmp_path_factory.mktemp("emb") / "synced.duckdb"
    with Sandbox(build_world(seed=11, scale=1, anchor=ANCHOR)) as sandbox, pytest.MonkeyPatch.context() as patch:
        env = {**settings_env(sandbox), "WAREHOUSE": f"duckdb:///{base}", "HTTP_BACKOFF_BASE": "0"}
        for name, value in env.items():
            patch.setenv(name, value)
        for name in ("salesforce-sync", "dialpad-sync", "gmail-sync", "entity-resolution"):
            status, answer = invoke(by_cloud_name(name))
            assert status == 200 and answer["status"] == "success", answer
        entrypoint.reset_runtimes()
        yield env, base, sandbox


@pytest.fixture(name="wh")
def wh_fixture(synced: tuple[dict[str, str], Path, Sandbox], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    env, base, sandbox = synced
    copy = tmp_path / "wh.duckdb"
    shutil.copy(base, copy)
    for name, value in {**env, **VERTEX, "WAREHOUSE": f"duckdb:///{copy}"}.items():
        monkeypatch.setenv(name, value)
    warehouse = connect(f"duckdb:///{copy}")
    yield warehouse
    sandbox.faults.clear()
    entrypoint.reset_runtimes()
    warehouse.close()


def call(body: dict[str, Any] | None = None, status: str = "success") -> dict[str, Any]:
    code, answer = invoke(ENTRY, body or {})
    assert code == 200 and answer["status"] == status, answer
    return answer


def embedded(wh: Warehouse, table: str, key: str) -> dict[Any, dict[str, Any]]:
    rows = wh.query(f"select {key} as k, embedding, embedding_model, embedding_dim, content_hash, embedded_at "
                    f"from {table} where embedded_at is not null")
    return {r["k"]: r for r in rows}


def nonempty_counts(wh: Warehouse) -> tuple[int, int]:
    import sys

    sys.path.insert(0, str(ENTRY.source.parent))
    from emb_text import call_text, email_text

    mails = wh.query("select subject, body_text from gmail_messages where not is_deleted")
    calls = wh.query("select transcript_text from dialpad_calls")
    return (sum(1 for m in mails if email_text(m["subject"], m["body_text"])),
            sum(1 for c in calls if call_text(c["transcript_text"])))


@pytest.mark.parametrize(("body", "field"), [
    ({"type": "mail"}, "type"), ({"limit": 0}, "limit"), ({"limit": 200_001}, "limit"), ({"colour": 1}, "colour"),
    ({"k": 5}, "k"), ({"query": "budget", "limit": 5}, "limit"), ({"query": ""}, "query"),
    ({"query": "budget", "since": "May 1"}, "since"), ({"query": "budget", "k": 101}, "k"),
])
def test_given_a_bad_body_then_400_names_the_field_and_nothing_is_written(
        wh: Warehouse, body: dict[str, Any], field: str) -> None:
    code, answer = invoke(ENTRY, body)
    assert (code, answer["field"]) == (400, field), answer
    assert wh.query("select count(*) as n from etl_runs where function_name = 'generate-embeddings'")[0]["n"] == 0
    assert wh.query("select count(*) as n from gmail_messages where embedded_at is not null")[0]["n"] == 0


def test_first_run_embeds_every_nonempty_row_and_a_second_run_embeds_nothing(wh: Warehouse) -> None:
    mails, calls = nonempty_counts(wh)
    total_mails = wh.query("select count(*) as n from gmail_messages where not is_deleted")[0]["n"]
    total_calls = wh.query("select count(*) as n from dialpad_calls")[0]["n"]
    first = call()
    assert first["counts"] == {"gmail_messages": mails, "dialpad_calls": calls, "results": 0, "failed_rows": 0,
                               "skipped_empty": total_mails - mails + total_calls - calls,
                               "intent_prototypes": len(intent_prototypes.prototypes())}
    stored = wh.query("select phrase, topic, embedding_model, embedding_dim from intent_prototypes order by phrase")
    assert [(r["phrase"], r["topic"]) for r in stored] == sorted(
        (p.phrase, p.topic) for p in intent_prototypes.prototypes())
    assert {(r["embedding_model"], r["embedding_dim"]) for r in stored} == {("text-embedding-005", 768)}
    rows = embedded(wh, "gmail_messages", "message_id")
    vectors = [r for r in rows.values() if r["embedding_dim"]]
    assert len(vectors) == mails and all(len(r["embedding"]) == 768 == r["embedding_dim"] for r in vectors)
    assert all(r["embedding_model"] == "text-embedding-005" and len(r["content_hash"]) == 64 for r in rows.values())
    assert all(abs(sum(x * x for x in r["embedding"]) - 1) < 1e-6 for r in vectors)
    assert all(list(r["embedding"]) == [] for r in rows.values() if not r["embedding_dim"])
    second = call()
    assert second["counts"] == dict.fromkeys(first["counts"], 0)


def test_given_a_spent_time_budget_then_every_kind_and_the_prototypes_still_get_one_batch_a_run(
        wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scope makes progress each run however small the budget (shared/budget.py): a budget check before
    a kind's first batch once starved the calls and the prototypes while the emails were pending."""
    monkeypatch.setenv("TIME_BUDGET_SECONDS", "0")
    monkeypatch.setenv("EMBEDDING_MERGE_ROWS", "100")
    mails, calls = nonempty_counts(wh)
    first = call()
    assert first["pending"] == ["emails", "calls"]
    assert first["counts"]["gmail_messages"] == 100 and first["counts"]["dialpad_calls"] > 0
    assert first["counts"]["intent_prototypes"] == len(intent_prototypes.prototypes())
    runs = [first]
    while runs[-1]["pending"] and len(runs) < 50:
        runs.append(call())
    assert sum(r["counts"]["gmail_messages"] for r in runs) == mails
    assert sum(r["counts"]["dialpad_calls"] for r in runs) == calls
    assert [r["counts"]["intent_prototypes"] for r in runs[1:]] == [0] * (len(runs) - 1)


def test_editing_one_message_body_re_embeds_exactly_that_one(wh: Warehouse) -> None:
    call()
    before = embedded(wh, "gmail_messages", "message_id")
    target = next(k for k, r in before.items() if r["embedding_dim"])
    wh.query("update gmail_messages set body_text = 'A completely new text about the procurement timeline.' "
             "where message_id = @m", {"m": target})
    answer = call()
    assert (answer["counts"]["gmail_messages"], answer["counts"]["dialpad_calls"]) == (1, 0)
    after = embedded(wh, "gmail_messages", "message_id")
    assert {k for k in before if after[k] != before[k]} == {target}
    assert after[target]["embedding"] != before[target]["embedding"]


def test_switching_the_model_re_embeds_everything(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    first = call()
    entrypoint.reset_runtimes()
    monkeypatch.setenv("EMBEDDING_MODEL", "text-embedding-004")
    second = call()
    assert second["counts"] == first["counts"]
    models = wh.query("select distinct embedding_model from gmail_messages where embedded_at is not null "
                      "union all select distinct embedding_model from dialpad_calls where embedded_at is not null")
    assert {r["embedding_model"] for r in models} == {"text-embedding-004"}


def test_a_batch_failing_twice_stays_unembedded_and_the_run_is_partial(
        wh: Warehouse, synced: tuple[dict[str, str], Path, Sandbox]) -> None:
    sandbox = synced[2]
    # the first batch's request is refused with 400, its two halves too (one attempt), and again on the retry
    sandbox.faults.add("/v1/projects/", status=400, retry_after=None, times=4)
    mails, calls = nonempty_counts(wh)
    answer = call(status="partial")
    assert set(answer["errors"]) == {"emails"} and "failed twice" in answer["errors"]["emails"]
    assert answer["counts"]["failed_rows"] == 100
    assert answer["counts"]["dialpad_calls"] == calls
    newest = wh.query("select message_id, embedded_at from gmail_messages where not is_deleted "
                      "order by sent_at desc, mailbox, message_id limit 100")
    assert all(r["embedded_at"] is None for r in newest)
    done = wh.query("select count(*) as n from gmail_messages where embedded_at is not null")[0]["n"]
    assert 0 < done < mails + 100
    rerun = call()
    assert rerun["counts"]["failed_rows"] == 0 and rerun["counts"]["gmail_messages"] > 0


def check_results(answer: dict[str, Any], k: int) -> list[dict[str, Any]]:
    assert set(answer) == ANSWER_KEYS
    results = answer["results"]
    assert 0 < len(results) <= k and answer["counts"]["results"] == len(results)
    assert all(set(r) == RESULT_KEYS for r in results)
    sims = [r["similarity"] for r in results]
    assert sims == sorted(sims, reverse=True) and all(-1 <= s <= 1.000001 for s in sims)
    return results


def test_search_answers_the_top_k_with_filters_and_writes_only_the_ledger_row(wh: Warehouse) -> None:
    call()
    snapshot = wh.query("select message_id, embedded_at from gmail_messages order by message_id")
    results = check_results(call({"query": "pricing and budget approval", "k": 10}), 10)
    assert {r["kind"] for r in results} <= {"email", "call"}
    for kind, name in (("emails", "email"), ("calls", "call")):
        only = check_results(call({"query": "pricing and budget approval", "k": 5, "type": kind}), 5)
        assert {r["kind"] for r in only} == {name}
    account = wh.query("select sf_account_id from dialpad_calls where sf_account_id is not null "
                       "group by 1 order by count(*) desc limit 1")[0]["sf_account_id"]
    for r in check_results(call({"query": "schedule a call", "k": 20, "account_id": account}), 20):
        assert r["account_id"] == account
        if r["kind"] == "email":
            assert wh.query("select count(*) as n from gmail_participants where message_id = @m and "
                            "sf_account_id = @a", {"m": r["id"], "a": account})[0]["n"] > 0
    since = wh.query("select max(sent_at) as t from gmail_messages")[0]["t"].date() - dt.timedelta(days=10)
    for r in check_results(call({"query": "timeline", "k": 50, "since": since.isoformat()}), 50):
        assert dt.datetime.fromisoformat(r["date"]).date() >= since
    nothing = call({"query": "timeline", "account_id": "001NOSUCHACCOUNT"})
    assert nothing["results"] == [] and nothing["counts"]["results"] == 0
    assert wh.query("select message_id, embedded_at from gmail_messages order by message_id") == snapshot


def test_a_mail_synced_in_two_mailboxes_is_one_search_hit(wh: Warehouse) -> None:
    call()
    copies = wh.query("select rfc822_message_id, count(*) as n from gmail_messages where embedding_dim > 0 "
                      "group by 1 having count(*) > 1")
    assert len(copies) >= 10
    results = check_results(call({"query": "pricing and budget approval", "k": 100, "type": "emails"}), 100)
    ids = [wh.query("select rfc822_message_id from gmail_messages where message_id = @m", {"m": r["id"]})[0]
           ["rfc822_message_id"] for r in results]
    assert len(results) == 100 and len(set(ids)) == 100


def test_the_local_model_embeds_and_finds_end_to_end(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDER", "local")
    answer = call({"type": "calls", "limit": 24})
    assert answer["counts"]["dialpad_calls"] + answer["counts"]["skipped_empty"] == 24
    rows = [r for r in embedded(wh, "dialpad_calls", "call_id").values() if r["embedding_dim"]]
    assert len(rows) == answer["counts"]["dialpad_calls"] > 0
    assert all(r["embedding_dim"] == 384 and r["embedding_model"] == "all-MiniLM-L6-v2-int8" for r in rows)
    results = check_results(call({"query": "pricing", "k": 5}), 5)
    assert {r["kind"] for r in results} == {"call"} and {r["id"] for r in results} <= {
        r["call_id"] for r in wh.query("select call_id from dialpad_calls where embedding_dim > 0")}


def test_the_bigquery_backend_sends_one_vector_search_per_kind_with_every_filter() -> None:
    import sys

    sys.path.insert(0, str(ENTRY.source.parent))
    from emb_search import search
    from emb_settings import EmbeddingParams

    from tests.unit.fake_bigquery import FakeClient

    class Fixed:
        model, dim = "text-embedding-005", 3

        def embed_query(self, text: str) -> list[float]:
            return [0.6, 0.8, 0.0]

    fake = FakeClient()
    warehouse = connect("bigquery://proj-1/sales_intel", client=fake)
    params = EmbeddingParams(query="budget", k=7, account_id="001A", since=dt.date(2026, 1, 2))
    assert search(params, warehouse, Fixed()) == []
    sent = [(sql, {p.name: p for p in config.query_parameters}) for kind, (sql, config) in fake.calls
            if kind == "query" and "vector_search" in sql]
    assert len(sent) == 2
    for sql, values in sent:
        assert "top_k => 7, distance_type => 'COSINE'" in sql
        assert "array_length(embedding) > 0" in sql and "embedding_model = @model" in sql
        assert values["model"].value == "text-embedding-005" and values["account_id"].value == "001A"
        assert values["since_at"].value == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
        assert values["_query_vector"].values == [0.6, 0.8, 0.0]
    assert "from gmail_participants where sf_account_id = @account_id" in sent[0][0]
    assert "sf_account_id = @account_id" in sent[1][0] and "call_time >= @since_at" in sent[1][0]


@pytest.mark.parametrize(("embedded_rows", "issued"), [(4999, False), (5000, True)])
def test_the_vector_index_ddl_is_issued_on_bigquery_once_the_table_reaches_the_threshold(
        embedded_rows: int, issued: bool) -> None:
    import sys

    sys.path.insert(0, str(ENTRY.source.parent))
    from emb_job import KINDS, ensure_vector_index
    from emb_settings import EmbeddingSettings

    from tests.unit.fake_bigquery import FakeClient, FakeJob

    class Counting(FakeClient):
        def query(self, sql: str, job_config: Any) -> FakeJob:
            job = super().query(sql, job_config)
            if "count(*)" in sql:
                job.rows = [{"gmail_messages": embedded_rows, "dialpad_calls": 0}]
            return job

    fake = Counting()
    warehouse = connect("bigquery://proj-1/sales_intel", client=fake)
    ensure_vector_index(warehouse, EmbeddingSettings(), "text-embedding-005", KINDS["emails"])
    ensure_vector_index(warehouse, EmbeddingSettings(), "text-embedding-005", KINDS["calls"])
    ddl = [sql for sql in fake.queries() if "create vector index" in sql]
    assert len(ddl) == int(issued)
    if issued:
        assert "create vector index if not exists gmail_messages_embedding on gmail_messages(embedding)" in ddl[0]
        assert "index_type = 'IVF', distance_type = 'COSINE'" in ddl[0]


def test_a_prototype_phrase_no_longer_shipped_is_dropped_and_only_missing_ones_are_embedded(wh: Warehouse) -> None:
    call()
    shipped = intent_prototypes.prototypes()
    wh.query("delete from intent_prototypes where phrase = @p", {"p": shipped[0].phrase})
    wh.merge("intent_prototypes", [{"embedding_model": "text-embedding-005", "phrase": "an old phrase",
                                    "topic": "budget", "embedding": [1.0], "embedding_dim": 1,
                                    "embedded_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}])
    assert call()["counts"]["intent_prototypes"] == 1
    phrases = {r["phrase"] for r in wh.query("select phrase from intent_prototypes")}
    assert phrases == {p.phrase for p in shipped}
