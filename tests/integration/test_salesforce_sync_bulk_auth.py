"""salesforce-sync's Bulk API 2.0 path for large full syncs, and each OAuth flow it can log in with."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.apis import salesforce_org as org_constants
from tests.integration.salesforce_harness import BULK, TOKEN, Harness


@pytest.fixture
def sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    with Harness.start(tmp_path, monkeypatch) as harness:
        yield harness


def bulk_jobs(sf: Harness) -> dict[str, str]:
    """Object → the SOQL of the queryAll job created for it."""
    created = sf.sandbox.log.matching(method="POST", path_prefix=BULK)
    assert all(r.json()["operation"] == "queryAll" for r in created)
    return {r.json()["query"].rsplit(" FROM ", 1)[1]: r.json()["query"] for r in created}


def test_given_objects_over_the_bulk_threshold_when_full_sync_then_bulk_jobs_load_them(sf: Harness) -> None:
    sf.configure(salesforce_bulk_threshold=100, salesforce_batch_size=200)
    deleted = sf.delete("Task", 9, sf.latest_stamp("Task"))

    status, answer = sf.sync(sync_type="full")

    assert status == 200 and answer["status"] == "success"
    big = {name for name in ("Contact", "Task", "EmailMessage", "Event", "Lead", "Opportunity", "Account", "User")
           if len(sf.world.records(name)) > 100}
    assert set(bulk_jobs(sf)) == big == {"Contact", "Task", "EmailMessage"}
    assert "ORDER BY" not in bulk_jobs(sf)["Task"] and "WHERE" not in bulk_jobs(sf)["Task"]
    results = sf.sandbox.log.matching(path_prefix=BULK, where=lambda r: r.path.endswith("/results"))
    assert all(r.status == 200 and r.param("maxRecords") == "200" for r in results)
    assert len(results) == sum(-(-len(sf.world.records(name)) // 200) for name in big)
    second_sets = sum(1 for name in big if len(sf.world.records(name)) > 200)
    assert [r.param("locator") for r in results if r.param("locator")] == ["MjAw"] * second_sets == ["MjAw"]
    assert len(sf.rows("Task")) == len(sf.world.tasks) and sf.row("Task", deleted["Id"])["is_deleted"] is True
    assert sf.cursor("Task") == max(t["SystemModstamp"] for t in sf.world.tasks).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_given_a_bulk_load_when_the_rest_api_reads_the_same_records_then_nothing_changes(sf: Harness) -> None:
    sf.configure(salesforce_bulk_threshold=0)
    assert sf.sync(sync_type="full")[1]["status"] == "success"
    assert set(bulk_jobs(sf)) == {"Account", "Contact", "Lead", "Opportunity", "Task", "Event", "EmailMessage",
                                  "User", "Profile", "UserRole"}
    before = sf.snapshot()
    sf.configure(salesforce_bulk_threshold=1_000_000)
    sf.sandbox.log.clear()

    status, answer = sf.sync(sync_type="full")

    assert status == 200 and set(answer["counts"].values()) == {0}
    assert not bulk_jobs(sf)
    assert sf.snapshot() == before


def test_given_a_slow_bulk_job_then_results_are_read_only_after_job_complete(sf: Harness) -> None:
    sf.configure(salesforce_bulk_threshold=0)
    sf.org.polls_until_complete = 3

    status, _ = sf.sync(object_type="Opportunity", sync_type="full")

    assert status == 200 and len(sf.rows("Opportunity")) == len(sf.world.opportunities)
    calls = [(r.method, r.path.rsplit("/", 1)[-1]) for r in sf.sandbox.log.matching(path_prefix=BULK)]
    job_id = calls[1][1]
    assert calls == [("POST", "query")] + [("GET", job_id)] * 4 + [("GET", "results")]
    assert not sf.sandbox.log.matching(status=412)


def test_given_an_incremental_run_then_bulk_is_never_used(sf: Harness) -> None:
    sf.sync(object_type="Task", sync_type="full")
    sf.configure(salesforce_bulk_threshold=0)
    sf.sandbox.log.clear()

    sf.sync(object_type="Task")

    assert not bulk_jobs(sf) and all("COUNT()" not in q for q in sf.soql_sent("Task"))


def private_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def token_form(sf: Harness) -> dict[str, str]:
    [request] = sf.sandbox.log.matching(path_prefix=TOKEN)
    assert request.status == 200
    return {name: values[0] for name, values in parse_qs(request.body.decode()).items()}


def test_given_jwt_bearer_auth_then_a_signed_assertion_logs_in(sf: Harness) -> None:
    private, public = private_key()
    sf.org.trust_jwt_key(public)
    sf.configure(salesforce_auth="jwt", salesforce_username=org_constants.INTEGRATION_USER,
                 salesforce_private_key=private.replace("\n", "\\n"))

    status, answer = sf.sync(object_type="User")

    assert status == 200 and answer["status"] == "success"
    form = token_form(sf)
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" and form["assertion"].count(".") == 2
    assert private not in str(sf.sandbox.log.all()[0].body)


def test_given_a_my_domain_login_url_then_the_jwt_audience_is_still_login_salesforce_com(sf: Harness) -> None:
    private, public = private_key()
    sf.org.trust_jwt_key(public)
    sf.configure(salesforce_auth="jwt", salesforce_username=org_constants.INTEGRATION_USER,
                 salesforce_private_key=private, salesforce_login_url=sf.sandbox.https_url)

    status, answer = sf.sync(object_type="User")

    assert (status, answer["status"]) == (200, "success"), answer
    claims = jwt.decode(token_form(sf)["assertion"], options={"verify_signature": False})
    assert claims["aud"] == "https://login.salesforce.com"


def test_given_a_sandbox_org_audience_then_the_assertion_names_it(sf: Harness) -> None:
    private, public = private_key()
    sf.org.trust_jwt_key(public)
    sf.configure(salesforce_auth="jwt", salesforce_username=org_constants.INTEGRATION_USER,
                 salesforce_private_key=private, salesforce_jwt_audience="https://test.salesforce.com/")

    status, _ = sf.sync(object_type="User")

    assert status == 200
    claims = jwt.decode(token_form(sf)["assertion"], options={"verify_signature": False})
    assert claims["aud"] == "https://test.salesforce.com"



def test_given_an_untrusted_jwt_key_then_login_fails_with_invalid_grant(sf: Harness) -> None:
    private, _ = private_key()
    sf.configure(salesforce_auth="jwt", salesforce_username=org_constants.INTEGRATION_USER,
                 salesforce_private_key=private)

    status, answer = sf.sync(object_type="User")

    assert status == 500 and "invalid_grant (HTTP 400): invalid assertion" in answer["errors"]["User"]


def test_given_refresh_token_auth_then_the_refresh_grant_logs_in(sf: Harness) -> None:
    sf.configure(salesforce_auth="refresh_token", salesforce_refresh_token=org_constants.REFRESH_TOKEN)

    status, _ = sf.sync(object_type="User")

    assert status == 200
    assert token_form(sf) == {"grant_type": "refresh_token", "client_id": org_constants.CLIENT_ID,
                              "client_secret": org_constants.CLIENT_SECRET,
                              "refresh_token": org_constants.REFRESH_TOKEN}


def test_given_password_auth_then_password_and_security_token_are_sent_together(sf: Harness) -> None:
    sf.configure(salesforce_auth="password", salesforce_username=org_constants.INTEGRATION_USER,
                 salesforce_password=org_constants.PASSWORD, salesforce_security_token=org_constants.SECURITY_TOKEN)

    status, _ = sf.sync(object_type="User")

    assert status == 200
    form = token_form(sf)
    assert form["grant_type"] == "password"
    assert form["password"] == org_constants.PASSWORD + org_constants.SECURITY_TOKEN


def test_given_client_credentials_then_the_secret_goes_in_basic_auth(sf: Harness) -> None:
    status, _ = sf.sync(object_type="User")

    assert status == 200 and token_form(sf) == {"grant_type": "client_credentials"}
    [request] = sf.sandbox.log.matching(path_prefix=TOKEN)
    expected = base64.b64encode(f"{org_constants.CLIENT_ID}:{org_constants.CLIENT_SECRET}".encode()).decode()
    assert request.header("Authorization") == f"Basic {expected}"
