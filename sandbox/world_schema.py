"""The Salesforce objects the world holds: their fields (in API order), key prefixes and list names.

A compound custom field (a geolocation) is not a record field: records hold its components (`__s`), listed in
SF_FIELDS and typed in CUSTOM_FIELD_TYPES; COMPOUND_FIELDS names the compound that describe reports before them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

AUDIT_FIELDS = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp")
SYSTEM_FIELDS = (*AUDIT_FIELDS, "IsDeleted")
"""The system fields of a deletable object. User has no IsDeleted (users are deactivated, `IsActive`, never
deleted) and, like EmailMessage, no OwnerId; nor have the setup objects Profile and UserRole. Every object has the
audit fields."""
SYSTEM_USER_ID = "005SB0000000001AAA"
"""The integration user, who created and last changed the generated records (CreatedById, LastModifiedById)."""

SF_FIELDS: dict[str, tuple[str, ...]] = {
    "User": (
        "Id", "Username", "FirstName", "LastName", "Name", "Email", "Title", "Phone", "Department",
        "IsActive", "UserType", "ProfileId", "UserRoleId", *AUDIT_FIELDS,
    ),
    "Profile": ("Id", "Name", "Description", *AUDIT_FIELDS),
    "UserRole": ("Id", "Name", "DeveloperName", "ParentRoleId", *AUDIT_FIELDS),
    "Account": (
        "Id", "OwnerId", "Name", "Website", "Industry", "Type", "AnnualRevenue", "NumberOfEmployees",
        "BillingCountry", "ParentId", "LastActivityDate", *SYSTEM_FIELDS,
        "Segment__c", "Budget__c", "Renewal_Date__c", "Strategic__c", "HQ_Location__Latitude__s",
        "HQ_Location__Longitude__s",
    ),
    "Contact": (
        "Id", "OwnerId", "AccountId", "FirstName", "LastName", "Name", "Email", "Title", "Phone",
        "MailingCountry", "LeadSource", "LastActivityDate", *SYSTEM_FIELDS, "Preferred_Channel__c",
    ),
    "Lead": (
        "Id", "OwnerId", "FirstName", "LastName", "Name", "Email", "Company", "Title", "Phone", "Country",
        "Status", "LeadSource", "Industry", "IsConverted", "ConvertedDate", "ConvertedAccountId",
        "ConvertedContactId", "ConvertedOpportunityId", *SYSTEM_FIELDS,
    ),
    "Opportunity": (
        "Id", "OwnerId", "AccountId", "Name", "StageName", "Amount", "CloseDate", "Probability", "IsClosed",
        "IsWon", "ForecastCategoryName", "Type", "LeadSource", "NextStep", *SYSTEM_FIELDS,
        "Competitors__c", "Seats__c", "Win_Probability__c",
    ),
    "Task": (
        "Id", "OwnerId", "Subject", "Status", "Priority", "ActivityDate", "WhoId", "WhatId", "AccountId",
        "Type", "TaskSubtype", "CallDurationInSeconds", "CallDisposition", "CallType", "Description",
        "IsClosed", "CompletedDateTime", *SYSTEM_FIELDS,
    ),
    "Event": (
        "Id", "OwnerId", "Subject", "StartDateTime", "EndDateTime", "ActivityDateTime", "ActivityDate",
        "DurationInMinutes", "IsAllDayEvent", "WhoId", "WhatId", "AccountId", "Location", "Type",
        "EventSubtype", "Description", *SYSTEM_FIELDS,
    ),
    "EmailMessage": (
        "Id", "ActivityId", "ParentId", "RelatedToId", "Subject", "FromName", "FromAddress", "ToAddress",
        "CcAddress", "TextBody", "HtmlBody", "MessageDate", "Incoming", "Status", "MessageIdentifier",
        "ThreadIdentifier", *SYSTEM_FIELDS,
    ),
    "Competitor__c": ("Id", "OwnerId", "Name", *SYSTEM_FIELDS, "Website__c", "Threat__c", "Account__c"),
}
CUSTOM_FIELD_TYPES = {
    "Segment__c": "picklist", "Budget__c": "currency", "Renewal_Date__c": "date", "Strategic__c": "boolean",
    "Preferred_Channel__c": "picklist", "Competitors__c": "multipicklist", "Seats__c": "double",
    "Win_Probability__c": "percent", "Website__c": "url", "Threat__c": "picklist", "Account__c": "reference",
    "HQ_Location__Latitude__s": "double", "HQ_Location__Longitude__s": "double",
}
"""The Salesforce type of every custom field (`__c`) and compound component (`__s`) of SF_FIELDS; standard
fields' types follow their names."""
COMPOUND_FIELDS = {"HQ_Location__c": ("location", ("HQ_Location__Latitude__s", "HQ_Location__Longitude__s"))}
"""A compound custom field → its type and its components: describe-only, neither a record field nor queryable."""
PICKLISTS = {
    "Segment__c": ("Enterprise", "Mid-Market", "SMB"), "Preferred_Channel__c": ("Email", "Phone", "Video"),
    "Competitors__c": ("Acme Insights", "DataHive", "Looker", "Tableau"), "Threat__c": ("High", "Medium", "Low"),
}
CUSTOM_REFERENCES = {"Account__c": ("Account__r", ("Account",))}
"""A custom reference field → its relationship name and target objects."""
SF_PREFIXES = {
    "User": "005", "Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006", "Task": "00T",
    "Event": "00U", "EmailMessage": "02s", "Profile": "00e", "UserRole": "00E", "Competitor__c": "a01",
}
WORLD_LISTS = {
    "User": "users", "Account": "accounts", "Contact": "contacts", "Lead": "leads",
    "Opportunity": "opportunities", "Task": "tasks", "Event": "events", "EmailMessage": "email_messages",
    "Profile": "profiles", "UserRole": "user_roles", "Competitor__c": "competitors",
}
OBJECT_BY_PREFIX = {prefix: name for name, prefix in SF_PREFIXES.items()}

SfRecord = dict[str, Any]


def sf_record(object_type: str, created: datetime, modified: datetime | None = None,
              **values: Any) -> SfRecord:
    """A record holding every field of the object (unset ones as None), with system fields filled in."""
    unknown = set(values) - set(SF_FIELDS[object_type])
    if unknown:
        raise KeyError(f"{object_type} has no field(s) {sorted(unknown)}")
    record: SfRecord = dict.fromkeys(SF_FIELDS[object_type])
    record.update(values)
    stamp = modified or created
    record.update(CreatedDate=created, CreatedById=SYSTEM_USER_ID, LastModifiedDate=stamp,
                  LastModifiedById=SYSTEM_USER_ID, SystemModstamp=stamp)
    if "IsDeleted" in record:
        record["IsDeleted"] = False
    return record


def is_deleted(record: SfRecord) -> bool:
    """In the recycle bin (soft-deleted); a User never is."""
    return bool(record.get("IsDeleted"))

RELATIONSHIP_TARGETS: dict[str, tuple[str, ...]] = {
    "Owner": ("User",), "Account": ("Account",), "Parent": ("Account",), "ConvertedAccount": ("Account",),
    "ConvertedContact": ("Contact",), "ConvertedOpportunity": ("Opportunity",), "Who": ("Contact", "Lead"),
    "What": ("Account", "Opportunity"), "RelatedTo": ("Account", "Opportunity"), "Activity": ("Task",),
    "CreatedBy": ("User",), "LastModifiedBy": ("User",), "Profile": ("Profile",), "UserRole": ("UserRole",),
    "ParentRole": ("UserRole",),
}
"""Relationship name → the objects its `<name>Id` field can point at (Who and What are polymorphic)."""
