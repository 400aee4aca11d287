"""GET /services/data/vXX.X/sobjects/{Object}/describe/: an object's fields with their Salesforce types.

Types follow the standard objects (SystemModstamp is a datetime, AnnualRevenue a currency, WhoId a reference to
Contact or Lead…), and each object has the system fields its real counterpart has: Id, CreatedDate, CreatedById,
LastModifiedDate, LastModifiedById, SystemModstamp everywhere, IsDeleted everywhere but on User (users are
deactivated, never deleted), OwnerId except on User and EmailMessage. Custom fields (`__c`) carry their declared
type (world_schema.CUSTOM_FIELD_TYPES, or the one `SalesforceOrg.add_field` gave), `custom: true` and their
picklist values; the custom object Competitor__c is `custom: true` too. Fields the org was told to lack
(`SalesforceOrg.hide_field`) are left out, as in an org where that field does not exist or the integration user
cannot see it.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.apis.salesforce_org import SalesforceOrg
from sandbox.world_schema import (
    CUSTOM_FIELD_TYPES,
    CUSTOM_REFERENCES,
    PICKLISTS,
    RELATIONSHIP_TARGETS,
    SF_FIELDS,
    SF_PREFIXES,
)

_EXPLICIT = {
    "Id": "id", "AnnualRevenue": "currency", "Amount": "currency", "Probability": "percent",
    "NumberOfEmployees": "int", "CallDurationInSeconds": "int", "DurationInMinutes": "int",
    "Email": "email", "FromAddress": "email", "Phone": "phone", "Website": "url", "Description": "textarea",
    "TextBody": "textarea", "HtmlBody": "textarea", "ToAddress": "textarea", "CcAddress": "textarea",
    "NextStep": "string", "Incoming": "boolean", "MessageDate": "datetime", "SystemModstamp": "datetime",
    "CreatedDate": "datetime", "LastModifiedDate": "datetime", "CompletedDateTime": "datetime",
    "Status": "picklist", "StageName": "picklist", "Industry": "picklist", "Type": "picklist",
    "LeadSource": "picklist", "ForecastCategoryName": "picklist", "Priority": "picklist",
    "TaskSubtype": "picklist", "EventSubtype": "picklist", "CallType": "picklist", "UserType": "picklist",
}
_SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "currency": "xsd:double",
    "percent": "xsd:double", "double": "xsd:double", "int": "xsd:int", "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
_LENGTHS = {"id": 18, "reference": 18, "textarea": 32000, "url": 255, "email": 80, "phone": 40, "picklist": 255,
            "multipicklist": 4099}
_NOT_NILLABLE = ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                 "SystemModstamp")
_SPLIT_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")


def field_type(name: str) -> str:
    """The Salesforce field type of a world field: a custom field's declared one, a standard field's by the
    platform's naming conventions."""
    if name in CUSTOM_FIELD_TYPES:
        return CUSTOM_FIELD_TYPES[name]
    if name in _EXPLICIT:
        return _EXPLICIT[name]
    if name.endswith("DateTime"):
        return "datetime"
    if name.endswith("Date"):
        return "date"
    if name.startswith("Is"):
        return "boolean"
    if name.endswith("Id"):
        return "reference"
    return "string"


def _field(name: str, kind: str) -> dict[str, Any]:
    custom = name.endswith("__c")
    relation: str | None = None
    targets: tuple[str, ...] = ()
    if kind == "reference":
        relation, targets = CUSTOM_REFERENCES.get(name) or (name[:-2], RELATIONSHIP_TARGETS.get(name[:-2], ()))
    numeric = kind in ("currency", "percent", "double", "int")
    label = name.removesuffix("__c").replace("_", " ") if custom else _SPLIT_WORDS.sub(" ", name).replace(" Id", " ID")
    return {
        "name": name, "label": label, "type": kind,
        "soapType": _SOAP_TYPES.get(kind, "xsd:string"), "length": 0 if numeric else _LENGTHS.get(kind, 255),
        "precision": 18 if numeric and kind != "int" else 0, "scale": 2 if kind in ("currency", "percent") else 0,
        "digits": 9 if kind == "int" else 0, "nillable": name not in _NOT_NILLABLE,
        "custom": custom, "filterable": True, "sortable": kind not in ("textarea", "multipicklist"),
        "updateable": False, "referenceTo": list(targets) if relation else [],
        "relationshipName": relation if targets else None,
        "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": False}
                           for v in PICKLISTS.get(name, ())],
    }


def describe(org: SalesforceOrg, object_type: str, version: str) -> dict[str, Any]:
    base = f"/services/data/{version}/sobjects/{object_type}"
    return {
        "name": object_type, "label": _SPLIT_WORDS.sub(" ", object_type),
        "labelPlural": _SPLIT_WORDS.sub(" ", object_type) + "s", "keyPrefix": SF_PREFIXES[object_type],
        "custom": object_type.endswith("__c"), "queryable": True, "retrieveable": True, "replicateable": True,
        "searchable": True, "deletable": "IsDeleted" in SF_FIELDS[object_type], "createable": True,
        "updateable": True, "fields": [_field(name, org.added_type(object_type, name) or field_type(name))
                                       for name in org.fields(object_type)],
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }
