"""What is pulled from each Salesforce object and where it lands: explicit fields → `sf_*` columns.

A stream is data: the object, its table, (field, column) pairs with the record Id first, and an optional
`derive` step that adds normalised columns (registrable domain, lower-case email, E.164 phone). Every object
also has the system fields below; the cursor is SystemModstamp. User is not deletable: it has no IsDeleted
(users are deactivated, `IsActive`), so its rows hold `is_deleted = false` and it has no delete tracking; nor
are the setup objects Profile and UserRole (their rows name the profile and role a user's ids point at).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sfdc_fields import ExtraField

from shared.identity import email_domain, normalize_email, registrable_domain
from shared.phones import region_for_country, to_e164

Record = Mapping[str, Any]
Row = dict[str, Any]
Derive = Callable[[Record, Row, str], None]
"""(typed record, row being built, default phone region) → adds derived columns to the row."""

AUDIT_COLUMNS = (("CreatedDate", "created_date"), ("LastModifiedDate", "last_modified_date"),
                 ("SystemModstamp", "system_modstamp"))
SYSTEM_COLUMNS = (*AUDIT_COLUMNS, ("IsDeleted", "is_deleted"))
CURSOR_FIELD = "SystemModstamp"


def _no_derivation(record: Record, row: Row, region: str) -> None:
    return None


@dataclass(frozen=True)
class Stream:
    object_type: str
    table: str
    columns: tuple[tuple[str, str], ...]
    derive: Derive = _no_derivation
    deletable: bool = True
    """The object has IsDeleted and getDeleted (every synced object but User)."""
    custom: bool = False
    """A configured custom object: its table has no sql/tables file and is created at run time."""
    optional: frozenset[str] = frozenset()
    """Fields an org may lack without a warning (a custom object on a master-detail relation has no OwnerId)."""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Fields no sync of this object can do without."""
        return ("Id", CURSOR_FIELD, "IsDeleted") if self.deletable else ("Id", CURSOR_FIELD)

    @property
    def key(self) -> str:
        return self.columns[0][1]


def _stream(object_type: str, table: str, key: str, pairs: str, derive: Derive = _no_derivation,
            deletable: bool = True) -> Stream:
    """`pairs` is "Field:column Field:column …"; Id → key and the system fields are added."""
    own: list[tuple[str, str]] = []
    for pair in pairs.split():
        name, column = pair.split(":")
        own.append((name, column))
    system = SYSTEM_COLUMNS if deletable else AUDIT_COLUMNS
    return Stream(object_type, table, (("Id", key), *own, *system), derive, deletable)


def _email_columns(record: Record, row: Row, field: str = "Email") -> None:
    if field in record:
        row["email_normalized"] = normalize_email(record[field])
        row["email_domain"] = email_domain(record[field])


def _phone_column(record: Record, row: Row, region: str, country_field: str | None) -> None:
    if "Phone" in record:
        hint = region_for_country(record.get(country_field), region) if country_field else region
        row["phone_e164"] = to_e164(record["Phone"], hint)


def _account(record: Record, row: Row, region: str) -> None:
    if "Website" in record:
        row["domain"] = registrable_domain(record["Website"])


def _contact(record: Record, row: Row, region: str) -> None:
    _email_columns(record, row)
    _phone_column(record, row, region, "MailingCountry")


def _lead(record: Record, row: Row, region: str) -> None:
    _email_columns(record, row)
    _phone_column(record, row, region, "Country")


def _user(record: Record, row: Row, region: str) -> None:
    if "Email" in record:
        row["email_normalized"] = normalize_email(record["Email"])
    _phone_column(record, row, region, None)


STREAMS: tuple[Stream, ...] = (
    _stream("Account", "sf_accounts", "account_id",
            "OwnerId:owner_id Name:account_name Website:website Industry:industry Type:account_type "
            "AnnualRevenue:annual_revenue NumberOfEmployees:number_of_employees BillingCountry:billing_country "
            "ParentId:parent_id LastActivityDate:last_activity_date", _account),
    _stream("Contact", "sf_contacts", "contact_id",
            "OwnerId:owner_id AccountId:account_id FirstName:first_name LastName:last_name Name:contact_name "
            "Email:email Title:title Phone:phone MailingCountry:mailing_country LeadSource:lead_source "
            "LastActivityDate:last_activity_date", _contact),
    _stream("Lead", "sf_leads", "lead_id",
            "OwnerId:owner_id FirstName:first_name LastName:last_name Name:lead_name Email:email Company:company "
            "Title:title Phone:phone Country:country Status:status LeadSource:lead_source Industry:industry "
            "IsConverted:is_converted ConvertedDate:converted_date ConvertedAccountId:converted_account_id "
            "ConvertedContactId:converted_contact_id ConvertedOpportunityId:converted_opportunity_id", _lead),
    _stream("Opportunity", "sf_opportunities", "opportunity_id",
            "OwnerId:owner_id AccountId:account_id Name:opportunity_name StageName:stage_name Amount:amount "
            "CloseDate:close_date Probability:probability IsClosed:is_closed IsWon:is_won "
            "ForecastCategoryName:forecast_category_name Type:opportunity_type LeadSource:lead_source "
            "NextStep:next_step"),
    _stream("Task", "sf_tasks", "task_id",
            "OwnerId:owner_id Subject:subject Status:status Priority:priority ActivityDate:activity_date "
            "WhoId:who_id WhatId:what_id AccountId:account_id Type:task_type TaskSubtype:task_subtype "
            "CallDurationInSeconds:call_duration_seconds CallDisposition:call_disposition CallType:call_type "
            "Description:description IsClosed:is_closed CompletedDateTime:completed_at"),
    _stream("Event", "sf_events", "event_id",
            "OwnerId:owner_id Subject:subject StartDateTime:start_at EndDateTime:end_at "
            "ActivityDateTime:activity_at ActivityDate:activity_date DurationInMinutes:duration_minutes "
            "IsAllDayEvent:is_all_day_event WhoId:who_id WhatId:what_id AccountId:account_id Location:location "
            "Type:event_type EventSubtype:event_subtype Description:description"),
    _stream("EmailMessage", "sf_email_messages", "email_message_id",
            "ActivityId:activity_id ParentId:parent_id RelatedToId:related_to_id Subject:subject "
            "FromName:from_name FromAddress:from_address ToAddress:to_address CcAddress:cc_address "
            "TextBody:text_body MessageDate:message_at Incoming:is_incoming Status:status "
            "MessageIdentifier:message_identifier ThreadIdentifier:thread_identifier"),
    _stream("User", "sf_users", "user_id",
            "Username:username FirstName:first_name LastName:last_name Name:user_name Email:email Title:title "
            "Phone:phone Department:department IsActive:is_active UserType:user_type ProfileId:profile_id "
            "UserRoleId:role_id", _user, deletable=False),
    _stream("Profile", "sf_profiles", "profile_id", "Name:profile_name Description:description", deletable=False),
    _stream("UserRole", "sf_user_roles", "role_id",
            "Name:role_name DeveloperName:developer_name ParentRoleId:parent_role_id", deletable=False),
)
STREAM_BY_OBJECT = {stream.object_type: stream for stream in STREAMS}
OBJECT_TYPES = tuple(STREAM_BY_OBJECT)
CUSTOM_STANDARD_COLUMNS = {"OwnerId": "owner_id", "Name": "name"}
RUNTIME_COLUMNS = {"deleted_at": "TIMESTAMP", "_synced_at": "TIMESTAMP NOT NULL", "_run_id": "STRING"}
"""The columns of a run-time table that no Salesforce field fills."""


def custom_base(object_type: str) -> str:
    """`Competitor__c` → competitor, `Sales_Play__c` → sales_play."""
    return object_type.removesuffix("__c").lower()


def custom_table_name(object_type: str) -> str:
    return f"sf_{custom_base(object_type)}"


def custom_stream(object_type: str) -> Stream:
    """A configured custom object: Id, OwnerId, Name and the system fields; its custom fields come from
    SALESFORCE_EXTRA_FIELDS (every one by default)."""
    own = " ".join(f"{name}:{column}" for name, column in CUSTOM_STANDARD_COLUMNS.items())
    stream = _stream(object_type, custom_table_name(object_type), f"{custom_base(object_type)}_id", own)
    return Stream(stream.object_type, stream.table, stream.columns, custom=True, optional=frozenset({"OwnerId"}))


def build_row(stream: Stream, record: Record, region: str, extras: Iterable[ExtraField] = ()) -> Row:
    """The table row for one typed record: only the columns whose fields were fetched, plus derivations and the
    configured extra fields. `deleted_at` is the SystemModstamp of a record in the recycle bin (Salesforce stamps
    the delete), null for a live one; a User row is never deleted."""
    row = {column: record[name] for name, column in stream.columns if name in record}
    for extra in extras:
        if all(component in record for component in extra.components):
            row[extra.column] = extra.value(record)
    if not stream.deletable:
        row["is_deleted"] = False
    elif "IsDeleted" in record:
        row["deleted_at"] = record.get(CURSOR_FIELD) if record["IsDeleted"] else None
    stream.derive(record, row, region)
    return row
