"""`make schema`: apply sql/tables and sql/views to WAREHOUSE, printing only what changed: tables created,
columns added, views created or replaced because their SQL changed."""

from __future__ import annotations

import sys

from shared.settings import CommonSettings
from shared.warehouse import connect


def main() -> int:
    settings = CommonSettings.load()
    warehouse = connect(settings.warehouse)
    try:
        changes = warehouse.ensure_schema()
    finally:
        warehouse.close()
    for change in changes:
        print(change)
    if changes:
        print(f"schema of {settings.warehouse}: {len(changes)} change(s)")
    else:
        print(f"schema up to date: {settings.warehouse}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
