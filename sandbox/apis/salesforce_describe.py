"""GET /services/data/vXX.X/sobjects/{Object}/describe/: an object's fields with their Salesforce types.

Types follow the standard objects (SystemModstamp is a datetime, AnnualRevenue a currency, WhoId a reference to
Contact or Lead…), and each object has the system fields its real counterpart has: Id, CreatedDate, CreatedById,
LastModifiedDate, LastModifiedById, SystemModstamp everywhere, IsDeleted everywhere but on User (users are
deactivated, never deleted), OwnerId except on User and EmailMessage. Fields the org was told to lack
(`SalesforceOrg.hide_field`) are left out, as in an org where that field does not exist or the integration user
cannot see it.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.apis.salesforce_org import SalesforceOrg
from sandbox.world_schema import RELATIONSHIP_TARGETS, SF_FIELDS, SF_PREFIXES

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
_LENGTHS = {"id": 18, "reference": 18, "textarea": 32000, "url": 255, "email": 80, "phone": 40, "picklist": 255}
_NOT_NILLABLE = ("Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById",
                 "SystemModstamp")
_SPLIT_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")


def field_type(name: str) -> str:
    """The Salesforce field type of a standard field, by the platform's naming conventions."""
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


def _field(name: str) -> dict[str, Any]:
    kind = field_type(name)
    relation = name[:-2] if kind == "reference" else None
    numeric = kind in ("currency", "percent", "double", "int")
    return {
        "name": name, "label": _SPLIT_WORDS.sub(" ", name).replace(" Id", " ID"), "type": kind,
        "soapType": _SOAP_TYPES.get(kind, "xsd:string"), "length": 0 if numeric else _LENGTHS.get(kind, 255),
        "precision": 18 if numeric and kind != "int" else 0, "scale": 2 if kind == "currency" else 0,
        "digits": 9 if kind == "int" else 0, "nillable": name not in _NOT_NILLABLE,
        "custom": False, "filterable": True, "sortable": kind != "textarea", "updateable": False,
        "referenceTo": list(RELATIONSHIP_TARGETS.get(relation or "", ())) if relation else [],
        "relationshipName": relation if relation in RELATIONSHIP_TARGETS else None,
    }


def describe(org: SalesforceOrg, object_type: str, version: str) -> dict[str, Any]:
    base = f"/services/data/{version}/sobjects/{object_type}"
    return {
        "name": object_type, "label": _SPLIT_WORDS.sub(" ", object_type),
        "labelPlural": _SPLIT_WORDS.sub(" ", object_type) + "s", "keyPrefix": SF_PREFIXES[object_type],
        "custom": False, "queryable": True, "retrieveable": True, "replicateable": True, "searchable": True,
        "deletable": "IsDeleted" in SF_FIELDS[object_type], "createable": True, "updateable": True,
        "fields": [_field(name) for name in org.fields(object_type)],
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }
