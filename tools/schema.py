"""`make schema`: apply sql/tables and sql/views to WAREHOUSE, printing only what changed: tables created,
columns added, views created or replaced because their SQL changed."""

from __future__ import annotations

import sys

from shared.settings import CommonSettings
from shared.warehouse import connect
from tools.sql import one_line


def main() -> int:
    try:
        settings = CommonSettings.load()
        warehouse = connect(settings.warehouse)
    except Exception as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    try:
        changes = warehouse.ensure_schema()
    except Exception as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
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
