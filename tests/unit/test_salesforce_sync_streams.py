"""salesforce-sync's value typing, stream declarations, rows and settings, without a server."""

from __future__ import annotations

import datetime as dt
import decimal
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared import sqlfiles
from shared.entrypoint import RequestFieldError
from shared.warehouse.ddl_text import declared_columns

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "functions" / "salesforce_sync"))

from sfdc_job import SyncParams
from sfdc_settings import SalesforceSettings
from sfdc_streams import STREAM_BY_OBJECT, STREAMS, build_row
from sfdc_values import cursor_text, soql_datetime, typed

UTC = dt.UTC


@pytest.mark.parametrize(("rest", "csv", "sf_type", "expected"), [
    ("2024-05-01T12:34:56.789+0000", "2024-05-01T12:34:56.789Z", "datetime",
     dt.datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)),
    ("2024-05-01", "2024-05-01", "date", dt.date(2024, 5, 1)),
    (True, "true", "boolean", True),
    (False, "false", "boolean", False),
    (41000.0, "41000.0", "currency", decimal.Decimal("41000")),
    (1318240000.5, "1318240000.5", "currency", decimal.Decimal("1318240000.5")),
    (6715, "6715", "int", 6715),
    (30.0, "30.0", "int", 30),
    (25.0, "25.0", "percent", 25.0),
    ("Acme", "Acme", "string", "Acme"),
    ("001Dn000000T68BIAS", "001Dn000000T68BIAS", "reference", "001Dn000000T68BIAS"),
    (None, "", "string", None),
    (None, "", "datetime", None),
])
def test_given_rest_json_or_bulk_csv_when_typed_then_same_value(rest: Any, csv: str, sf_type: str,
                                                                 expected: Any) -> None:
    assert typed(rest, sf_type) == expected
    assert typed(csv, sf_type) == expected
    assert type(typed(rest, sf_type)) is type(typed(csv, sf_type))


def test_given_a_cursor_when_formatted_then_iso_milliseconds_and_soql_seconds_rounded_down() -> None:
    stamp = dt.datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)
    assert cursor_text(stamp) == "2024-05-01T12:34:56.789Z"
    assert soql_datetime(stamp) == "2024-05-01T12:34:56Z"
    assert soql_datetime(dt.datetime(2024, 5, 1, 14, 34, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == \
        "2024-05-01T12:34:00Z"


@pytest.mark.parametrize("stream", STREAMS, ids=lambda s: s.object_type)
def test_given_each_stream_then_its_columns_exist_in_its_table_file(stream: Any) -> None:
    table = sqlfiles.table_files()[stream.table]
    columns = declared_columns(table.ddl)
    assert table.key == (stream.key,)
    assert {column for _, column in stream.columns} <= set(columns)
    assert {"_synced_at", "_run_id", "system_modstamp", "is_deleted", "deleted_at"} <= set(columns)
    assert stream.fields[0] == "Id" and set(stream.required) <= set(stream.fields)
    undeletable = ("User", "Profile", "UserRole")
    assert ("IsDeleted" in stream.fields) == stream.deletable == (stream.object_type not in undeletable)


def test_given_a_user_when_row_built_then_it_is_never_deleted_and_asks_no_is_deleted() -> None:
    stream = STREAM_BY_OBJECT["User"]
    record = {"Id": "005A", "IsActive": False, "SystemModstamp": dt.datetime(2024, 1, 1, tzinfo=UTC)}

    row = build_row(stream, record, "US")

    assert stream.required == ("Id", "SystemModstamp") and "IsDeleted" not in stream.fields
    assert row == {"user_id": "005A", "is_active": False, "system_modstamp": record["SystemModstamp"],
                   "is_deleted": False}


def test_given_a_record_in_the_recycle_bin_when_row_built_then_deleted_at_is_its_modstamp() -> None:
    stamp = dt.datetime(2024, 1, 1, tzinfo=UTC)
    gone = build_row(STREAM_BY_OBJECT["Task"], {"Id": "00TA", "SystemModstamp": stamp, "IsDeleted": True}, "US")
    back = build_row(STREAM_BY_OBJECT["Task"], {"Id": "00TA", "SystemModstamp": stamp, "IsDeleted": False}, "US")

    assert (gone["is_deleted"], gone["deleted_at"]) == (True, stamp)
    assert (back["is_deleted"], back["deleted_at"]) == (False, None)


def test_given_a_contact_when_row_built_then_email_and_phone_are_normalised_with_its_country() -> None:
    record = {"Id": "003A", "Email": " Ann.Lee@Acme.CO.UK ", "Phone": "020 7946 0123", "MailingCountry": "UK",
              "SystemModstamp": dt.datetime(2024, 1, 1, tzinfo=UTC), "IsDeleted": False}

    row = build_row(STREAM_BY_OBJECT["Contact"], record, "US")

    assert row == {"contact_id": "003A", "email": " Ann.Lee@Acme.CO.UK ", "email_normalized": "ann.lee@acme.co.uk",
                   "email_domain": "acme.co.uk", "phone": "020 7946 0123", "phone_e164": "+442079460123",
                   "mailing_country": "UK", "system_modstamp": record["SystemModstamp"], "is_deleted": False,
                   "deleted_at": None}


def test_given_a_lead_without_country_when_row_built_then_the_default_region_reads_its_phone() -> None:
    record = {"Id": "00QA", "Phone": "(02) 5550 1234", "Country": None}
    assert build_row(STREAM_BY_OBJECT["Lead"], record, "AU")["phone_e164"] == "+61255501234"


def test_given_fields_left_out_when_row_built_then_their_columns_and_derivations_are_absent() -> None:
    row = build_row(STREAM_BY_OBJECT["Account"], {"Id": "001A", "Name": "Acme"}, "US")
    assert row == {"account_id": "001A", "account_name": "Acme"}
    with_site = build_row(STREAM_BY_OBJECT["Account"], {"Id": "001A", "Website": "HTTPS://WWW.ACME.IO/x"}, "US")
    assert with_site["domain"] == "acme.io"


@pytest.mark.parametrize(("body", "field"), [
    ({"object_type": "Case; DROP"}, "object_type"), ({"sync_type": "delta"}, "sync_type"), ({"other": 1}, "other"),
])
def test_given_bad_params_then_validation_names_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as failure:
        SyncParams.model_validate(body)
    assert failure.value.errors()[0]["loc"] == (field,)


def _settings(**given: Any) -> SalesforceSettings:
    return SalesforceSettings(salesforce_auth="client_credentials", salesforce_client_id="fake-id",
                              salesforce_client_secret="fake-secret", **given)


def test_given_defaults_then_every_object_incrementally() -> None:
    params = SyncParams()
    assert (params.object_type, params.sync_type) == ("all", "incremental")
    assert [s.object_type for s in params.streams(_settings())] == [
        "Account", "Contact", "Lead", "Opportunity", "Task", "Event", "EmailMessage", "User", "Profile", "UserRole"]


def test_given_custom_objects_then_all_takes_them_after_the_standard_ones_and_one_can_be_asked_for() -> None:
    settings = _settings(salesforce_custom_objects="Competitor__c, Sales_Play__c")
    streams = SyncParams().streams(settings)
    assert [(s.object_type, s.table, s.key) for s in streams[-2:]] == [
        ("Competitor__c", "sf_competitor", "competitor_id"), ("Sales_Play__c", "sf_sales_play", "sales_play_id")]
    assert streams[-1].custom and streams[-1].fields == (
        "Id", "OwnerId", "Name", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")
    assert [s.table for s in SyncParams(object_type="Competitor__c").streams(settings)] == ["sf_competitor"]
    assert settings.extra_fields("Competitor__c") == "*" and settings.extra_fields("Account") == []


def test_given_an_object_not_synced_then_the_request_names_object_type() -> None:
    with pytest.raises(RequestFieldError) as failure:
        SyncParams(object_type="Case__c").streams(_settings())
    assert failure.value.field == "object_type" and "Case__c is not synced" in str(failure.value)


def test_given_extra_fields_then_lists_star_and_commas_are_read() -> None:
    settings = _settings(salesforce_extra_fields='{"Account": ["Budget__c", "Segment__c"], "Opportunity": "*", '
                                                 '"Contact": "Preferred_Channel__c, Title2__c"}')
    assert settings.extra_fields("Account") == ["Budget__c", "Segment__c"]
    assert settings.extra_fields("Opportunity") == "*"
    assert settings.extra_fields("Contact") == ["Preferred_Channel__c", "Title2__c"]


@pytest.mark.parametrize(("given", "problem"), [
    ({"salesforce_extra_fields": '{"Case": ["X__c"]}'}, "names objects that are not synced: ['Case']"),
    ({"salesforce_extra_fields": '{"Account": ["Budget__c; --"]}'}, "must be Salesforce API names"),
    ({"salesforce_extra_fields": '["Budget__c"]'}, "salesforce_extra_fields"),
    ({"salesforce_custom_objects": "Competitor"}, "custom object names end in __c"),
    ({"salesforce_custom_objects": "Accounts__c"}, "would be one the suite already has"),
])
def test_given_bad_custom_field_settings_then_they_do_not_load(given: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError) as failure:
        _settings(**given)
    assert problem in str(failure.value)


@pytest.mark.parametrize(("auth", "given", "missing"), [
    ("jwt", {"salesforce_client_id": "id"}, "SALESFORCE_USERNAME, SALESFORCE_PRIVATE_KEY"),
    ("client_credentials", {"salesforce_client_id": "id"}, "SALESFORCE_CLIENT_SECRET"),
    ("refresh_token", {"salesforce_client_id": "id"}, "SALESFORCE_REFRESH_TOKEN"),
    ("password", {"salesforce_client_id": "id", "salesforce_client_secret": "s", "salesforce_username": "u"},
     "SALESFORCE_PASSWORD"),
])
def test_given_an_auth_mode_without_its_credentials_then_settings_refuse(
        monkeypatch: pytest.MonkeyPatch, auth: str, given: dict[str, str], missing: str) -> None:
    for name in list(SalesforceSettings.model_fields):
        monkeypatch.delenv(name.upper(), raising=False)
    with pytest.raises(ValidationError) as failure:
        SalesforceSettings(salesforce_auth=auth, **given)  # type: ignore[arg-type]
    assert f"SALESFORCE_AUTH={auth} needs {missing}" in str(failure.value)


def test_given_settings_then_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SalesforceSettings(salesforce_auth="client_credentials", salesforce_client_id="id-1234",
                                  salesforce_client_secret="very-secret-value")  # type: ignore[arg-type]
    assert "very-secret-value" not in repr(settings) and "very-secret-value" not in str(settings.masked())
    assert settings.query_page_size == 2000


@pytest.mark.parametrize(("given", "kept"), [
    (None, "https://login.salesforce.com"),
    ("https://test.salesforce.com/", "https://test.salesforce.com"),
    ("https://acme.my.site.com/partners", "https://acme.my.site.com/partners"),
])
def test_given_a_jwt_audience_setting_then_login_test_or_a_site_url_is_kept(given: str | None, kept: str) -> None:
    extra = {} if given is None else {"salesforce_jwt_audience": given}
    settings = SalesforceSettings(salesforce_auth="client_credentials", salesforce_client_id="fake-id",
                                  salesforce_client_secret="fake-secret", **extra)
    assert settings.salesforce_jwt_audience == kept


@pytest.mark.parametrize("audience", ["http://login.salesforce.com", "https://acme.my.salesforce.com",
                                      "https://login.salesforce.com?x=1", "login.salesforce.com"])
def test_given_an_audience_salesforce_refuses_then_the_settings_do_not_load(audience: str) -> None:
    with pytest.raises(ValidationError, match="salesforce_jwt_audience"):
        SalesforceSettings(salesforce_auth="client_credentials", salesforce_client_id="fake-id",
                           salesforce_client_secret="fake-secret", salesforce_jwt_audience=audience)
