"""`make sql Q="..."`: run BigQuery-dialect SQL on the configured warehouse and print the rows.

Errors are one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import re
import sys

from shared.settings import CommonSettings
from shared.warehouse import connect
from tools.table import FORMATS, format_rows

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TOKEN = re.compile(r"<Token token_type: [^,]*, text: (.*?), line: \d+, col: \d+, start: .*?>")
_CREDENTIALS = ("no Google Cloud credentials for BigQuery: run `gcloud auth application-default login` "
                "(or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)")


def _syntax(exc: Exception) -> str | None:
    from sqlglot.errors import ParseError, TokenError

    if isinstance(exc, ParseError) and exc.errors:
        first = exc.errors[0]
        description = _TOKEN.sub(lambda m: repr(m.group(1)), str(first.get("description", "")))
        return f"syntax error at line {first.get('line')}, column {first.get('col')}: {description}"
    if isinstance(exc, TokenError):
        return f"syntax error: {_TOKEN.sub(lambda m: repr(m.group(1)), str(exc))} (an unclosed quote?)"
    return None


def _describe(exc: BaseException) -> str:
    from google.auth.exceptions import DefaultCredentialsError, RefreshError
    from pydantic import ValidationError

    if isinstance(exc, DefaultCredentialsError):
        return _CREDENTIALS
    if isinstance(exc, RefreshError):
        reason = exc.args[0] if exc.args else "expired"
        return f"Google Cloud credentials were refused ({reason}): run `gcloud auth application-default login`"
    if isinstance(exc, ValidationError):
        return "; ".join(f"setting {'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
    return (_syntax(exc) if isinstance(exc, Exception) else None) or str(exc) or type(exc).__name__


def one_line(exc: BaseException) -> str:
    """What went wrong, as one line without internal class names, positions in the transpiled text (DuckDB's
    `LINE n:` excerpt) or terminal escape codes."""
    text = _ANSI.sub("", _describe(exc)).split("\nLINE ", 1)[0]
    return " ".join(text.split())


def run(query: str, output: str, width: int) -> int:
    try:
        settings = CommonSettings.load()
        warehouse = connect(settings.warehouse)
    except Exception as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    try:
        if settings.schema_on_start:
            warehouse.ensure_schema()
        rows = warehouse.query(query)
    except Exception as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        warehouse.close()
    print(format_rows(rows, output, width))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("query", help="one BigQuery Standard SQL statement")
    parser.add_argument("--format", choices=FORMATS, default="table",
                        help="table (default), vertical (one block per row, values in full) or json")
    parser.add_argument("--width", type=int, default=40, help="longest cell in a table; 0: no limit")
    args = parser.parse_args(argv)
    if not args.query.strip():
        parser.error("the query is empty")
    return run(args.query, args.format, args.width)


if __name__ == "__main__":
    sys.exit(main())
