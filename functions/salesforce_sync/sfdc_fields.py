"""Extra Salesforce fields an org configures (custom fields, a few more standard ones) and the columns they land in.

`SALESFORCE_EXTRA_FIELDS` names, per object, a list of fields or `*` (every custom field describe reports). Each
becomes a nullable column named after the field in lower case (`Budget__c` → `budget__c`), of the BigQuery type
`BIGQUERY_TYPES` maps its describe type to. A compound field (an address, a geolocation) is read through its
components (Bulk API 2.0 cannot select a compound) and stored as one JSON object in a STRING column, keyed as
Salesforce's REST API keys it (`{"latitude": 48.85, "longitude": 2.35}`, `{"street": …, "city": …}`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BIGQUERY_TYPES: dict[str, str] = {
    "id": "STRING", "reference": "STRING", "string": "STRING", "picklist": "STRING", "combobox": "STRING",
    "textarea": "STRING", "url": "STRING", "email": "STRING", "phone": "STRING", "encryptedstring": "STRING",
    "time": "STRING", "multipicklist": "ARRAY<STRING>", "currency": "NUMERIC", "percent": "FLOAT64",
    "double": "FLOAT64", "int": "INT64", "long": "INT64", "boolean": "BOOL", "date": "DATE",
    "datetime": "TIMESTAMP", "address": "STRING", "location": "STRING",
}
"""Salesforce field type → BigQuery column type. `address` and `location` are compounds: JSON text."""
COMPOUND_TYPES = ("address", "location")
WIDENINGS = {("INT64", "NUMERIC"), ("INT64", "FLOAT64"), ("NUMERIC", "FLOAT64")}
"""Column type changes BigQuery makes in place (`ALTER COLUMN … SET DATA TYPE`) without losing a value."""
ALL = "*"


@dataclass(frozen=True)
class ExtraField:
    """One configured field: `name` as describe names it, its column, and the SOQL fields that carry its value
    (the field itself, or a compound's components)."""

    name: str
    sf_type: str
    column: str
    components: tuple[str, ...]

    @property
    def bigquery_type(self) -> str:
        return BIGQUERY_TYPES[self.sf_type]

    @property
    def compound(self) -> bool:
        return self.sf_type in COMPOUND_TYPES

    def value(self, record: Mapping[str, Any]) -> Any:
        """The column value from a typed record: a list for a multipicklist, JSON text for a compound."""
        if not self.compound:
            found = record.get(self.name)
            return found.split(";") if self.sf_type == "multipicklist" and found is not None else found
        parts = {component_key(self.name, c): record.get(c) for c in self.components}
        if all(v is None for v in parts.values()):
            return None
        return json.dumps(parts, sort_keys=True, default=str)


def component_key(compound: str, component: str) -> str:
    """The REST key of a compound's component: `HQ__Latitude__s` of `HQ__c` → latitude, `BillingPostalCode` of
    `BillingAddress` → postalCode."""
    base = compound.removesuffix("__c").removesuffix("Address")
    key = component.removeprefix(base).removeprefix("__").removesuffix("__s")
    return key[:1].lower() + key[1:]


def column_name(field: str) -> str:
    return field.lower()


def select_extras(object_type: str, described: Sequence[Mapping[str, Any]], wanted: Sequence[str] | str,
                  taken: Mapping[str, str]) -> tuple[list[ExtraField], list[str]]:
    """The configured fields describe reports, and the names it lacks. `taken`: column → field of the columns
    the object's stream already fills; a configured field already synced there is not added twice, one whose
    column another field fills is refused (ValueError)."""
    by_name = {str(f["name"]): f for f in described}
    components: dict[str, list[str]] = {}
    for f in described:
        if f.get("compoundFieldName"):
            components.setdefault(str(f["compoundFieldName"]), []).append(str(f["name"]))
    if wanted == ALL:
        names = [name for name, f in by_name.items() if f.get("custom") and not _is_component(f, by_name)
                 and f.get("type") in BIGQUERY_TYPES]
    else:
        names = list(wanted)
    extras, missing = [], []
    for name in names:
        found = by_name.get(name)
        if found is None:
            missing.append(name)
            continue
        column = column_name(name)
        if taken.get(column) == name:
            continue
        if column in taken:
            raise ValueError(f"{object_type}.{name} would land in column {column}, which {taken[column]} fills")
        kind = str(found.get("type"))
        if kind not in BIGQUERY_TYPES:
            raise ValueError(f"{object_type}.{name} is a {kind} field, which cannot be synced")
        parts = tuple(components.get(name, ())) if kind in COMPOUND_TYPES else (name,)
        if not parts:
            raise ValueError(f"{object_type}.{name} is a compound field without components in describe")
        extras.append(ExtraField(name, kind, column, parts))
    return extras, missing


def _is_component(field: Mapping[str, Any], by_name: Mapping[str, Mapping[str, Any]]) -> bool:
    """A component of a compound that is itself synced (its value is inside the compound's JSON)."""
    return str(field.get("compoundFieldName") or "") in by_name


def soql_types(extras: Iterable[ExtraField], described: Mapping[str, str]) -> dict[str, str]:
    """SOQL field → describe type of every field the extras read."""
    return {c: described[c] for extra in extras for c in extra.components if c in described}
