"""GET /services/data/vXX.X/sobjects/{Object}/describe/: an object's fields with their Salesforce types.

Types follow the standard objects (SystemModstamp is a datetime, AnnualRevenue a currency, WhoId a reference to
Contact or Lead…), and each object has the system fields its real counterpart has: Id, CreatedDate, CreatedById,
LastModifiedDate, LastModifiedById, SystemModstamp everywhere, IsDeleted everywhere but on User (users are
deactivated, never deleted), OwnerId except on User and EmailMessage. Custom fields (`__c`) carry their declared
type (the one `SalesforceOrg.change_field_type` gave, else `SalesforceOrg.add_field`'s, else
world_schema.CUSTOM_FIELD_TYPES), `custom: true` and their picklist values; the custom object Competitor__c is
`custom: true` too. A compound custom field (world_schema.COMPOUND_FIELDS: Account's geolocation HQ_Location__c) is
listed right before its components, which are custom too and name it in `compoundFieldName` (null on every other
field); only the components are record fields, for SOQL and Bulk. Fields the org was told to lack
(`SalesforceOrg.hide_field`) are left out, as in an org where that field does not exist or the integration user
cannot see it.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.apis.salesforce_org import SalesforceOrg
from sandbox.world_schema import (
    COMPOUND_FIELDS,
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
    "datetime": "xsd:dateTime", "location": "urn:location",
}
_LENGTHS = {"id": 18, "reference": 18, "textarea": 32000, "url": 255, "email": 80, "phone": 40, "picklist": 255,
            "multipicklist": 4099, "location": 0}
_NOT_NILLABLE = ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                 "SystemModstamp")
_SPLIT_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")
_COMPOUND_OF = {part: compound for compound, (_, parts) in COMPOUND_FIELDS.items() for part in parts}


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


def _label(name: str) -> str:
    if name.endswith("__s"):
        compound, _, part = name.removesuffix("__s").rpartition("__")
        return f"{compound.replace('_', ' ')} ({part})"
    if name.endswith("__c"):
        return name.removesuffix("__c").replace("_", " ")
    return _SPLIT_WORDS.sub(" ", name).replace(" Id", " ID")


def _field(name: str, kind: str, compound: str | None = None) -> dict[str, Any]:
    custom = name.endswith(("__c", "__s"))
    relation: str | None = None
    targets: tuple[str, ...] = ()
    if kind == "reference":
        relation, targets = CUSTOM_REFERENCES.get(name) or (name[:-2], RELATIONSHIP_TARGETS.get(name[:-2], ()))
    numeric = kind in ("currency", "percent", "double", "int")
    return {
        "name": name, "label": _label(name), "type": kind,
        "soapType": _SOAP_TYPES.get(kind, "xsd:string"), "length": 0 if numeric else _LENGTHS.get(kind, 255),
        "precision": 18 if numeric and kind != "int" else 0, "scale": 2 if kind in ("currency", "percent") else 0,
        "digits": 9 if kind == "int" else 0, "nillable": name not in _NOT_NILLABLE,
        "custom": custom, "filterable": True, "sortable": kind not in ("textarea", "multipicklist", "location"),
        "updateable": False, "referenceTo": list(targets) if relation else [],
        "relationshipName": relation if targets else None, "compoundFieldName": compound,
        "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": False}
                           for v in PICKLISTS.get(name, ())],
    }


def _fields(org: SalesforceOrg, object_type: str) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    listed: set[str] = set()
    for name in org.fields(object_type):
        compound = _COMPOUND_OF.get(name)
        if compound and compound not in listed:
            listed.add(compound)
            fields.append(_field(compound, COMPOUND_FIELDS[compound][0]))
        kind = org.retyped_type(object_type, name) or org.added_type(object_type, name) or field_type(name)
        fields.append(_field(name, kind, compound))
    return fields


def describe(org: SalesforceOrg, object_type: str, version: str) -> dict[str, Any]:
    base = f"/services/data/{version}/sobjects/{object_type}"
    return {
        "name": object_type, "label": _SPLIT_WORDS.sub(" ", object_type),
        "labelPlural": _SPLIT_WORDS.sub(" ", object_type) + "s", "keyPrefix": SF_PREFIXES[object_type],
        "custom": object_type.endswith("__c"), "queryable": True, "retrieveable": True, "replicateable": True,
        "searchable": True, "deletable": "IsDeleted" in SF_FIELDS[object_type], "createable": True,
        "updateable": True, "fields": _fields(org, object_type),
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }
