"""`make schema`: apply sql/tables and sql/views to WAREHOUSE (create missing tables and columns, views)."""

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
    print(f"schema applied to {settings.warehouse}: {len(changes)} change(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
