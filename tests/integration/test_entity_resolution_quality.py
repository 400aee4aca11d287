"""Entity-resolution quality against the sandbox world's ground truth (issue 11).

The world is generated with every identity case real CRMs hold (case and whitespace variants, +tags, dotted
Gmail, personal addresses, role aliases, switchboard numbers, number formats, look-alike domains, websites with
`www.` and paths, converted leads, deleted contacts), each recorded in `world.truth` with its case type. The three
syncs and then entity-resolution run through their HTTP entry points against the sandbox, and the warehouse's
match columns are judged by `er_quality.measure` (its docstring defines precision and recall).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.apis.dialpad import dialpad_fake
from sandbox.apis.gmail import gmail_fake
from sandbox.env import settings_env
from sandbox.server import Sandbox
from sandbox.world import World, build_world
from shared import entrypoint
from shared.warehouse import connect
from tests.integration.er_quality import Quality, measure
from tools.invoke import invoke
from tools.pipeline import by_cloud_name

ANCHOR = dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
PRECISION_FLOOR, RECALL_FLOOR = 0.99, 0.95
MIN_PER_CASE = 10
DESIGNED_CASES = ("case_variant", "plus_tag", "dotted_gmail", "personal_named", "personal_unnamed", "domain_alias",
                  "website_variant", "lookalike_domain", "converted_lead", "deleted_contact", "switchboard",
                  "phone_format")
SYNCS = (("salesforce-sync", {"object_type": "all", "sync_type": "full"}),
         ("dialpad-sync", {"sync_type": "full", "started_after": (ANCHOR - dt.timedelta(days=120)).isoformat()}),
         ("gmail-sync", {"sync_type": "full"}))


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(seed=11, scale=1, anchor=ANCHOR)


@pytest.fixture(scope="module")
def quality(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quality]:
    url = f"duckdb:///{Path(tmp_path_factory.mktemp('er')) / 'wh.duckdb'}"
    with pytest.MonkeyPatch.context() as monkeypatch, Sandbox(world) as sandbox:
        dialpad_fake(sandbox.app).limits.enabled = False
        gmail_fake(sandbox.app).store.quota.enforce = False
        env = {**settings_env(sandbox), "WAREHOUSE": url, "HTTP_BACKOFF_BASE": "0",
               "DIALPAD_LIST_RATE_PER_SECOND": "1000", "DIALPAD_TRANSCRIPT_RATE_PER_SECOND": "1000",
               "GMAIL_QUOTA_UNITS_PER_SECOND": "1000000", "GMAIL_PROJECT_QUOTA_UNITS_PER_SECOND": "100000000"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        warehouse = connect(url)
        warehouse.ensure_schema()
        try:
            for name, body in (*SYNCS, ("entity-resolution", {"scope": "all", "full": True})):
                status, answer = invoke(by_cloud_name(name), body)
                assert status == 200 and answer["status"] == "success", (name, answer)
            yield measure(world, warehouse)
        finally:
            entrypoint.reset_runtimes()
            warehouse.close()


def test_the_world_has_enough_of_every_identity_case(world: World) -> None:
    cases = Counter(i.case for i in (*world.truth.address_identity.values(), *world.truth.call_identity.values()))

    assert {case: cases[case] for case in DESIGNED_CASES if cases[case] < MIN_PER_CASE} == {}


def test_every_external_participant_and_call_has_a_truth_label(quality: Quality) -> None:
    print("\n" + quality.report())

    assert quality.unlabelled == 0
    assert all(quality.rows_by_case[case] >= MIN_PER_CASE for case in DESIGNED_CASES), quality.report()


def test_precision_of_contact_and_account_matches_is_at_least_99_percent(quality: Quality) -> None:
    assert quality.contact_precision.value >= PRECISION_FLOOR, quality.report()
    assert quality.account_precision.value >= PRECISION_FLOOR, quality.report()


def test_recall_over_what_salesforce_holds_in_some_form_is_at_least_95_percent(quality: Quality) -> None:
    assert quality.recall.value >= RECALL_FLOOR, quality.report()


class _Rows:
    """Stands in for the warehouse: `measure` only reads the two tables."""

    def __init__(self, participants: list[dict[str, object]], calls: list[dict[str, object]]) -> None:
        self.tables = {"gmail_participants": participants, "dialpad_calls": calls}

    def query(self, sql: str) -> list[dict[str, object]]:
        return self.tables[sql.split()[-1]]


def test_the_measure_counts_wrong_ids_missed_rows_and_unflagged_switchboard_picks(world: World) -> None:
    truth = world.truth
    exact = next(a for a, i in truth.address_identity.items() if i.case == "exact")
    alias = next(a for a, i in truth.address_identity.items() if i.case == "domain_alias")
    board = next(c for c, i in truth.call_identity.items() if i.case == "switchboard")
    other = next(i.contact_id for i in truth.call_identity.values() if i.contact_id and i.case == "exact")
    identity = truth.address_identity[exact]
    participants = [
        {"email_address": exact, "role": "from", "sf_contact_id": identity.contact_id,
         "sf_account_id": identity.account_id, "match_method": "contact_email"},
        {"email_address": alias, "role": "to", "sf_contact_id": other, "match_method": "contact_email"},
        {"email_address": "rep@northwind-analytics.com", "role": "to", "is_internal": True},
    ]
    calls = [{"call_id": board, "sf_contact_id": truth.call_identity[board].contact_id,
              "sf_account_id": truth.call_identity[board].account_id, "is_ambiguous": False,
              "match_method": "contact_phone"}]

    quality = measure(world, _Rows(participants, calls))  # type: ignore[arg-type]

    assert (quality.contact_precision.hits, quality.contact_precision.total) == (1, 3)
    assert (quality.recall.hits, quality.recall.total) == (1, 3)
    assert quality.precision_by_method["contact_email"].value == 0.5 and quality.unlabelled == 0
    assert (quality.contact_recall.hits, quality.contact_recall.total) == (1, 1)

    mail_only = measure(world, _Rows(participants, calls), calls=False)  # type: ignore[arg-type]

    assert (mail_only.contact_precision.hits, mail_only.contact_precision.total) == (1, 2)
