"""The Gmail fake: paging, formats, history, batch envelopes, quota, delegation, and deterministic MIME."""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import hmac
import json
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
import requests
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from sandbox import env
from sandbox.apis.gmail import FAKE_TOKEN, GmailFake, gmail_fake
from sandbox.gmail_oauth import GMAIL_READONLY, JWT_BEARER, TOKEN_AUDIENCE
from sandbox.gmail_render import clear_cache, render, variant_of
from sandbox.gmail_store import GmailStore
from sandbox.server import Sandbox
from sandbox.world import build_world
from shared.google_http import SessionHttp

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
AUTH = {"Authorization": f"Bearer {FAKE_TOKEN}"}


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox(build_world(seed=5, scale=1, anchor=ANCHOR)) as sandbox:
        yield sandbox


@pytest.fixture(name="gmail")
def gmail_fixture(running: Sandbox) -> Iterator[GmailFake]:
    fake = gmail_fake(running.app)
    fake.store.reset()
    fake.store.quota.enforce = False
    running.log.clear()
    yield fake
    running.faults.clear()


def api(sandbox: Sandbox, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{sandbox.http_url}/gmail/v1/users/{path}", params=params, headers=AUTH, timeout=10)


def service(sandbox: Sandbox) -> Any:
    session = requests.Session()
    session.headers.update(AUTH)
    return build("gmail", "v1", http=SessionHttp(session), static_discovery=True,
                 client_options={"api_endpoint": f"{sandbox.http_url}/"}), SessionHttp(session)


def test_given_the_static_token_and_fake_token_constants_then_they_agree() -> None:
    assert FAKE_TOKEN == env.FAKE_TOKEN


def test_given_a_mailbox_when_listing_in_pages_then_every_live_message_comes_once_newest_first(
        running: Sandbox, gmail: GmailFake) -> None:
    mailbox = running.world.mailboxes[0]
    ids, token, pages = [], None, 0
    while True:
        body = api(running, f"{mailbox}/messages", maxResults=40, **({"pageToken": token} if token else {})).json()
        ids += [m["id"] for m in body.get("messages", [])]
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
    expected = [m.email.message_id for m in gmail.store.messages_of(mailbox)]
    assert ids == expected and pages == -(-len(expected) // 40)
    assert body["resultSizeEstimate"] == len(expected)


def test_given_an_after_query_then_only_mail_received_since_is_listed(running: Sandbox, gmail: GmailFake) -> None:
    mailbox = running.world.mailboxes[1]
    since = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    body = api(running, f"{mailbox}/messages", q=f"after:{int(since.timestamp())}", maxResults=500).json()
    expected = {m.email.message_id for m in gmail.store.messages_of(mailbox) if m.internal_at >= since}
    assert {m["id"] for m in body["messages"]} == expected
    assert api(running, f"{mailbox}/messages", q="from:someone").status_code == 400


def test_given_excluded_labels_in_the_query_then_mail_with_any_of_them_is_not_listed(
        running: Sandbox, gmail: GmailFake) -> None:
    mailbox = running.world.mailboxes[2]
    personal = gmail.store.add_message(mailbox, labels=["INBOX", "CATEGORY_PERSONAL"])
    chat = gmail.store.add_message(mailbox, labels=["CHAT"])
    payroll = gmail.store.add_message(mailbox, labels=["INBOX", "Payroll"])
    every = {m["id"] for m in api(running, f"{mailbox}/messages", maxResults=500).json()["messages"]}

    body = api(running, f"{mailbox}/messages", maxResults=500,
               q="-category:personal -in:chats -label:Payroll").json()

    added = {personal.email.message_id, chat.email.message_id, payroll.email.message_id}
    assert added <= every

    def labelled(*names: str) -> set[str]:
        return {m.email.message_id for m in gmail.store.messages_of(mailbox) if set(names) & set(m.labels)}

    excluded = labelled("CATEGORY_PERSONAL", "CHAT", "Payroll")
    assert added < excluded, "the world's own personal and chat mail is excluded too"
    assert {m["id"] for m in body["messages"]} == every - excluded
    assert body["resultSizeEstimate"] == len(every) - len(excluded)
    only_chat = {m["id"] for m in api(running, f"{mailbox}/messages", maxResults=500, q="-in:chats").json()["messages"]}
    assert only_chat == every - labelled("CHAT") and chat.email.message_id in labelled("CHAT")
    for refused in ("in:chats", "-in:nowhere", "-category", "label:Payroll"):
        assert api(running, f"{mailbox}/messages", q=refused).status_code == 400, refused


def test_given_the_four_formats_then_each_carries_what_gmail_documents(running: Sandbox, gmail: GmailFake) -> None:
    mailbox = running.world.mailboxes[0]
    stored = gmail.store.messages_of(mailbox)[0]
    path = f"{mailbox}/messages/{stored.email.message_id}"
    full, raw, minimal, meta = (api(running, path, format=f).json() for f in ("full", "raw", "minimal", "metadata"))
    assert full["payload"]["headers"] and "payload" not in minimal and "raw" not in full
    assert int(full["internalDate"]) == int(stored.internal_at.timestamp() * 1000)
    assert isinstance(full["historyId"], str) and full["labelIds"] == stored.labels
    parsed = email.message_from_bytes(base64.urlsafe_b64decode(raw["raw"]), policy=policy.default)
    assert parsed["Message-ID"] == stored.email.rfc822_id and full["sizeEstimate"] == len(
        base64.urlsafe_b64decode(raw["raw"]))
    assert {h["name"] for h in api(running, path, format="metadata", metadataHeaders="Subject").json()[
        "payload"]["headers"]} == {"Subject"}
    assert len(meta["payload"]["headers"]) > 3
    missing = api(running, f"{mailbox}/messages/ffffffffffffffff")
    assert missing.status_code == 404 and missing.json()["error"]["errors"][0]["reason"] == "notFound"


def test_given_changes_then_history_lists_them_in_order_pages_them_and_404s_once_expired(
        running: Sandbox, gmail: GmailFake) -> None:
    mailbox = running.world.mailboxes[0]
    start = api(running, f"{mailbox}/profile").json()["historyId"]
    added = gmail.store.add_message(mailbox, labels=["INBOX", "UNREAD"])
    victim = gmail.store.messages_of(mailbox)[5].email.message_id
    gmail.store.change_labels(mailbox, added.email.message_id, add=("STARRED",), remove=("UNREAD",))
    gmail.store.delete_message(mailbox, victim)

    first = api(running, f"{mailbox}/history", startHistoryId=start, maxResults=2).json()
    rest = api(running, f"{mailbox}/history", startHistoryId=start, pageToken=first["nextPageToken"]).json()

    records = first["history"] + rest["history"]
    kinds = [next(k for k in r if k not in ("id", "messages")) for r in records]
    assert kinds == ["messagesAdded", "labelsAdded", "labelsRemoved", "messagesDeleted"]
    assert [int(r["id"]) for r in records] == sorted(int(r["id"]) for r in records)
    assert records[1]["labelsAdded"][0]["labelIds"] == ["STARRED"] and "nextPageToken" not in rest
    assert rest["historyId"] == api(running, f"{mailbox}/profile").json()["historyId"]
    only_deletes = api(running, f"{mailbox}/history", startHistoryId=start, historyTypes="messageDeleted").json()
    assert [r["messagesDeleted"][0]["message"]["id"] for r in only_deletes["history"]] == [victim]
    nothing = api(running, f"{mailbox}/history", startHistoryId=rest["historyId"]).json()
    assert "history" not in nothing and nothing["historyId"] == rest["historyId"]
    gmail.store.expire_history(mailbox)
    expired = api(running, f"{mailbox}/history", startHistoryId=start)
    assert expired.status_code == 404 and expired.json()["error"]["status"] == "NOT_FOUND"


@pytest.mark.parametrize("batch_path", ["/batch/gmail/v1", "/batch"])
def test_given_a_batch_from_the_google_client_then_each_part_gets_its_own_answer(
        running: Sandbox, gmail: GmailFake, batch_path: str) -> None:
    gmail_service, http = service(running)
    mailbox = running.world.mailboxes[0]
    ids = [m.email.message_id for m in gmail.store.messages_of(mailbox)[:3]] + ["ffffffffffffffff"]
    answers: dict[str, tuple[Any, Any]] = {}
    batch = BatchHttpRequest(callback=lambda i, r, e: answers.__setitem__(i, (r, e)),
                             batch_uri=running.http_url + batch_path)
    for message_id in ids:
        batch.add(gmail_service.users().messages().get(userId=mailbox, id=message_id), request_id=message_id)
    batch.add(gmail_service.users().messages().list(userId=mailbox, maxResults=2), request_id="list")

    batch.execute(http=http)

    assert [answers[i][0]["id"] for i in ids[:3]] == ids[:3]
    assert answers[ids[3]][1].resp.status == 404 and len(answers["list"][0]["messages"]) == 2
    posted = running.log.matching("POST", batch_path)
    assert len(posted) == 1 and len(running.log) == 1


def test_given_a_batch_over_100_calls_then_it_is_refused(running: Sandbox, gmail: GmailFake) -> None:
    boundary = "b"
    part = ("--b\r\nContent-Type: application/http\r\nContent-ID: <x + {n}>\r\n\r\n"
            "GET /gmail/v1/users/me/profile HTTP/1.1\r\n\r\n")
    body = "".join(part.format(n=n) for n in range(101)) + "--b--\r\n"
    answer = requests.post(f"{running.http_url}/batch/gmail/v1", data=body, timeout=10,
                           headers={**AUTH, "Content-Type": f"multipart/mixed; boundary={boundary}"})
    assert answer.status_code == 400


def _batch_of_gets(running: Sandbox, gets: list[tuple[str, str]]) -> dict[str, tuple[int, Any, dict[str, str]]]:
    """Post one batch of messages.get (mailbox, id) through the Google client: part key → (status, body,
    part headers of an error)."""
    gmail_service, http = service(running)
    answers: dict[str, tuple[int, Any, dict[str, str]]] = {}

    def reply(key: str, response: Any, error: Any) -> None:
        answers[key] = (error.resp.status, json.loads(error.content), dict(error.resp)) if error else (
            200, response, {})

    batch = BatchHttpRequest(callback=reply, batch_uri=running.http_url + "/batch/gmail/v1")
    for number, (mailbox, message_id) in enumerate(gets):
        batch.add(gmail_service.users().messages().get(userId=mailbox, id=message_id), request_id=str(number))
    batch.execute(http=http)
    return answers


def test_given_a_batch_over_the_per_user_concurrency_then_the_parts_beyond_it_answer_429_too_many_concurrent(
        running: Sandbox, gmail: GmailFake) -> None:
    first, second = running.world.mailboxes[:2]
    gets = [(first, m.email.message_id) for m in gmail.store.messages_of(first)[:60]]
    gets += [(second, m.email.message_id) for m in gmail.store.messages_of(second)[:5]]
    assert len(gets) == 65 and gmail.store.concurrent_per_user == 50

    answers = _batch_of_gets(running, gets)

    statuses = [answers[str(n)][0] for n in range(65)]
    assert statuses == [200] * 50 + [429] * 10 + [200] * 5, "the limit is per user"
    assert answers["50"][1] == {"error": {
        "code": 429, "message": "Too many concurrent requests for user", "status": "RESOURCE_EXHAUSTED",
        "errors": [{"message": "Too many concurrent requests for user", "domain": "global",
                    "reason": "rateLimitExceeded"}]}}
    assert "retry-after" not in answers["50"][2]
    assert gmail.store.concurrency_refused == {first: 10}
    assert gmail.store.quota.total_units(first) == 50 * 5, "refused parts are not charged"

    gmail.store.concurrent_per_user = None
    assert {status for status, _, _ in _batch_of_gets(running, gets).values()} == {200}
    gmail.store.reset()
    assert gmail.store.concurrent_per_user == 50 and gmail.store.concurrency_refused == {}


def test_given_a_user_over_the_quota_then_calls_get_429_with_retry_after_and_batches_refuse_parts(
        running: Sandbox, gmail: GmailFake) -> None:
    mailbox = running.world.mailboxes[0]
    quota = gmail.store.quota
    quota.enforce, quota.units_per_second, quota.window_s = True, 10 / 60, 60.0
    ids = [m.email.message_id for m in gmail.store.messages_of(mailbox)[:4]]
    statuses = [api(running, f"{mailbox}/messages/{i}").status_code for i in ids]
    assert statuses == [200, 200, 429, 429]
    gmail_service, http = service(running)
    parts: list[int] = []
    batch = BatchHttpRequest(callback=lambda i, r, e: parts.append(e.resp.status if e else 200),
                             batch_uri=running.http_url + "/batch")
    for message_id in ids[:2]:
        batch.add(gmail_service.users().messages().get(userId=mailbox, id=message_id))
    batch.execute(http=http)
    assert parts == [429, 429] and running.log.matching("POST", "/batch")[0].status == 200
    refused = api(running, f"{mailbox}/messages/{ids[0]}")
    assert refused.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    quota.reject_status = 403
    forbidden = api(running, f"{mailbox}/messages/{ids[0]}")
    assert forbidden.status_code == 403 and "userRateLimitExceeded" in forbidden.text
    assert quota.total_units(mailbox) == 10 and quota.peak_units_per_second(mailbox) == pytest.approx(10 / 60)
    assert api(running, f"{running.world.mailboxes[1]}/profile").status_code == 200, "quota is per user"


def test_given_peak_accounting_then_it_is_the_highest_moving_average() -> None:
    times = iter([0.0, 0.5, 0.9, 5.0])
    store = GmailStore(build_world(seed=5, scale=1, anchor=ANCHOR))
    store.quota.clock = lambda: next(times)
    for units in (5, 5, 2, 100):
        assert store.quota.charge("a@x.com", units) is None
    assert store.quota.peak_units_per_second("a@x.com", window_s=1.0) == 100
    assert store.quota.peak_units_per_second("a@x.com", window_s=10.0) == 11.2


def test_given_requests_without_valid_tokens_then_they_are_rejected(running: Sandbox, gmail: GmailFake) -> None:
    mailbox = running.world.mailboxes[0]
    url = f"{running.http_url}/gmail/v1/users/{mailbox}/profile"
    assert requests.get(url, timeout=10).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10).status_code == 401
    assert api(running, "stranger@elsewhere.com/profile").status_code == 400


def _assertion(gmail: GmailFake, claims: dict[str, Any], key: bytes | None = None) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(key or gmail.auth.key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def _claims(sub: str, scope: str = GMAIL_READONLY) -> dict[str, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    return {"iss": "sync@p.iam.gserviceaccount.com", "sub": sub, "scope": scope, "aud": TOKEN_AUDIENCE,
            "iat": now, "exp": now + 3600}


def test_given_a_delegation_jwt_then_the_token_endpoint_checks_it_and_binds_the_token_to_the_mailbox(
        running: Sandbox, gmail: GmailFake) -> None:
    first, second = running.world.mailboxes[:2]
    url = f"{running.http_url}/google-oauth2/token"

    def exchange(claims: dict[str, Any], key: bytes | None = None) -> requests.Response:
        return requests.post(url, data={"grant_type": JWT_BEARER, "assertion": _assertion(gmail, claims, key)},
                             timeout=10)

    granted = exchange(_claims(first))
    assert granted.status_code == 200 and granted.json()["token_type"] == "Bearer"
    bearer = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    base = f"{running.http_url}/gmail/v1/users"
    assert requests.get(f"{base}/me/profile", headers=bearer, timeout=10).json()["emailAddress"] == first
    assert requests.get(f"{base}/{second}/profile", headers=bearer, timeout=10).status_code == 403
    assert exchange(_claims(first, "https://mail.google.com/")).json()["error"] == "unauthorized_client"
    assert exchange(_claims("ghost@northwind-analytics.com")).json()["error"] == "invalid_grant"
    assert exchange(_claims(first), key=b"not the key").json()["error"] == "invalid_grant"
    assert exchange({**_claims(first), "aud": url}).json()["error"] == "invalid_grant"


def test_given_sign_blob_then_it_signs_with_the_sandbox_key_for_authorised_callers(
        running: Sandbox, gmail: GmailFake) -> None:
    url = f"{running.http_url}/google-iam/v1/projects/-/serviceAccounts/sync@p.iam.gserviceaccount.com:signBlob"
    payload = base64.b64encode(b"header.claims").decode()
    signed = requests.post(url, json={"payload": payload}, headers=AUTH, timeout=10).json()
    assert base64.b64decode(signed["signedBlob"]) == hmac.new(gmail.auth.key, b"header.claims",
                                                              hashlib.sha256).digest()
    assert requests.post(url, json={"payload": payload}, timeout=10).status_code == 401


def test_given_the_same_seed_then_mime_rendering_is_identical_and_independent_of_store_changes() -> None:
    world = build_world(seed=5, scale=1, anchor=ANCHOR)
    again = build_world(seed=5, scale=1, anchor=ANCHOR)
    for one, two in zip(world.emails[:80], again.emails[:80], strict=True):
        at = one.sent_at + dt.timedelta(seconds=30)
        first = render(5, one, at).raw
        clear_cache()
        assert render(5, two, at).raw == first
    store = GmailStore(world)
    mailbox = world.mailboxes[0]
    message = store.messages_of(mailbox)[0]
    before = message.render(5).raw
    store.change_labels(mailbox, message.email.message_id, add=("STARRED",), remove=tuple(message.labels))
    assert message.render(5).raw == before and message.email.labels == again.emails[
        [e.message_id for e in again.emails].index(message.email.message_id)].labels
    assert {variant_of(5, e, False) for e in world.emails} >= {"plain", "plain_latin1", "plain_cp1252",
                                                               "plain_bad_bytes", "alternative", "html_only",
                                                               "mixed"}


def test_given_legacy_charsets_then_payload_transcodes_latin1_and_passes_windows_1252_through() -> None:
    world = build_world(seed=5, scale=1, anchor=ANCHOR)
    seen = set()
    for mail in world.emails:
        rendered = render(5, mail, mail.sent_at)
        data = base64.urlsafe_b64decode(rendered.payload.get("body", {}).get("data", "") or "")
        if rendered.truth.variant == "plain_latin1":
            assert "Café".encode() in data
        elif rendered.truth.variant == "plain_cp1252":
            assert "\u20ac".encode("cp1252") in data and b"charset=\"windows-1252\"" in rendered.raw
        else:
            continue
        seen.add(rendered.truth.variant)
        parsed = email.message_from_bytes(rendered.raw, policy=policy.default)
        assert parsed.get_content().replace("\r\n", "\n").strip() == rendered.truth.text
    assert seen == {"plain_latin1", "plain_cp1252"}
