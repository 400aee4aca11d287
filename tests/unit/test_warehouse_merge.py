"""merge(): stage then one MERGE on the key; idempotent; preserves columns it was not given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shared import sqlfiles
from shared.warehouse import Warehouse

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def account(account_id: str, name: str, **extra: object) -> dict[str, object]:
    return {"account_id": account_id, "account_name": name, "system_modstamp": T0, "is_deleted": False,
            "_synced_at": T0, "annual_revenue": Decimal("1250000.50"), **extra}


def test_merging_the_same_rows_twice_leaves_one_copy_and_changes_nothing(warehouse: Warehouse) -> None:
    rows = [account("001A", "Acme"), account("001B", "Globex")]
    assert warehouse.merge("sf_accounts", rows) == 2
    before = warehouse.query("select * from sf_accounts order by account_id")
    later = [{**r, "_synced_at": T0 + dt.timedelta(hours=1)} for r in rows]
    assert warehouse.merge("sf_accounts", later, volatile=("_synced_at",)) == 0
    assert warehouse.query("select * from sf_accounts order by account_id") == before
    assert before[0]["annual_revenue"] == Decimal("1250000.50")


def test_changed_rows_update_in_place(warehouse: Warehouse) -> None:
    warehouse.merge("sf_accounts", [account("001A", "Acme"), account("001B", "Globex")])
    assert warehouse.merge("sf_accounts", [account("001A", "Acme Corp"), account("001C", "Initech")]) == 2
    names = warehouse.query("select account_id, account_name from sf_accounts order by account_id")
    assert names == [{"account_id": "001A", "account_name": "Acme Corp"},
                     {"account_id": "001B", "account_name": "Globex"},
                     {"account_id": "001C", "account_name": "Initech"}]


def test_duplicate_keys_in_one_batch_keep_the_last(warehouse: Warehouse) -> None:
    warehouse.merge("sf_accounts", [account("001A", "old"), account("001A", "new")])
    assert warehouse.query("select account_name from sf_accounts") == [{"account_name": "new"}]


def test_columns_absent_from_the_rows_survive_a_resync(warehouse: Warehouse) -> None:
    message = {"mailbox": "rep@example.com", "message_id": "m1", "subject": "hi", "is_deleted": False,
               "ingested_at": T0, "labels": ["INBOX"]}
    warehouse.merge("gmail_messages", [message])
    warehouse.query("update gmail_messages set embedding = [0.1, 0.2], embedding_model = 'test'")
    warehouse.merge("gmail_messages", [{**message, "subject": "hi again", "labels": ["INBOX", "UNREAD"]}])
    row = warehouse.query("select subject, labels, embedding, embedding_model from gmail_messages")[0]
    assert row == {"subject": "hi again", "labels": ["INBOX", "UNREAD"], "embedding": [0.1, 0.2],
                   "embedding_model": "test"}


def test_array_columns_compare_by_value(warehouse: Warehouse) -> None:
    message = {"mailbox": "a@x.com", "message_id": "m1", "is_deleted": False, "ingested_at": T0,
               "labels": ["INBOX"], "references_ids": []}
    warehouse.merge("gmail_messages", [message])
    assert warehouse.merge("gmail_messages", [dict(message)]) == 0
    assert warehouse.merge("gmail_messages", [{**message, "labels": ["SENT"]}]) == 1


def test_unknown_columns_and_missing_keys_are_errors(warehouse: Warehouse) -> None:
    with pytest.raises(ValueError, match="no column"):
        warehouse.merge("sf_accounts", [account("001A", "Acme", colour="red")])
    with pytest.raises(ValueError, match="key column"):
        warehouse.merge("sf_accounts", [{"account_name": "no id"}])
    assert warehouse.query("select count(*) as n from sf_accounts") == [{"n": 0}]


def test_empty_batches_write_nothing(warehouse: Warehouse) -> None:
    assert warehouse.merge("sf_accounts", []) == 0


def test_ensure_schema_is_idempotent_and_adds_new_columns(warehouse: Warehouse) -> None:
    assert warehouse.ensure_schema() == []  # the fixture applied it already: nothing changes
    warehouse.query("alter table sf_users drop column phone_e164")
    assert "added sf_users.phone_e164" in warehouse.ensure_schema()
    assert "phone_e164" in warehouse.column_types("sf_users")


def test_every_table_file_declares_a_key_made_of_its_columns(warehouse: Warehouse) -> None:
    for name, spec in sqlfiles.table_files().items():
        columns = warehouse.column_types(name)
        assert set(spec.key) <= set(columns), name


def test_vector_search_leaves_out_rows_without_a_vector_and_ranks_by_cosine_distance(warehouse: Warehouse) -> None:
    base = {"thread_id": "t", "is_deleted": False, "ingested_at": T0, "sent_at": T0}
    warehouse.merge("gmail_messages", [
        {**base, "mailbox": "rep@example.com", "message_id": "near", "embedding": [1.0, 0.1]},
        {**base, "mailbox": "rep@example.com", "message_id": "far", "embedding": [0.0, 1.0]},
        {**base, "mailbox": "rep@example.com", "message_id": "empty", "embedding": []},
        {**base, "mailbox": "rep@example.com", "message_id": "never"},
    ])
    hits = warehouse.vector_search("gmail_messages", "embedding", [1.0, 0.0], 10, ["message_id"],
                                   "mailbox = @mailbox", {"mailbox": "rep@example.com"})
    assert [h["message_id"] for h in hits] == ["near", "far"]
    assert hits[0]["distance"] == pytest.approx(1 - 1 / (1.01 ** 0.5)) and hits[1]["distance"] == pytest.approx(1.0)


def test_given_a_lone_surrogate_in_a_string_then_merge_stores_it_as_the_replacement_character(
        warehouse: Warehouse) -> None:
    """A JSON `\\udc80` escape decodes to a str no UTF-8 STRING can hold; it used to fail the whole batch."""
    rows = [account("001A", "Bad \udc80 name", website="ok"), account("001B", "Globex")]
    assert warehouse.merge("sf_accounts", rows) == 2
    stored = warehouse.query("select account_id, account_name from sf_accounts order by account_id")
    assert stored == [{"account_id": "001A", "account_name": "Bad \ufffd name"},
                      {"account_id": "001B", "account_name": "Globex"}]
