"""`make sql Q="..."`: run BigQuery-dialect SQL on the configured warehouse and print a table."""

from __future__ import annotations

import argparse
import sys

from shared.settings import CommonSettings
from shared.warehouse import connect
from tools.table import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("query", help="one BigQuery Standard SQL statement")
    args = parser.parse_args(argv)
    settings = CommonSettings.load()
    warehouse = connect(settings.warehouse)
    try:
        if settings.schema_on_start:
            warehouse.ensure_schema()
        print(render(warehouse.query(args.query)))
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        warehouse.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
