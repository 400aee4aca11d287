"""Where the SQL lives and what its table files declare.

`sql/` sits beside `shared/` both in the repository and in every deployed bundle. Each file in
`sql/tables/` creates one table and declares its key in a header comment (`-- key: a, b`), which
`merge` uses by default and the tests use to assert key uniqueness.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_KEY_RE = re.compile(r"^--\s*key:\s*(.+)$", re.MULTILINE | re.IGNORECASE)
_TABLE_RE = re.compile(r"create\s+table\s+if\s+not\s+exists\s+`?(\w+)`?", re.IGNORECASE)


@dataclass(frozen=True)
class TableFile:
    name: str
    key: tuple[str, ...]
    path: Path

    @property
    def ddl(self) -> str:
        return self.path.read_text()


def sql_path(relative: str | Path) -> Path:
    path = SQL_DIR / relative
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {relative} under {SQL_DIR}")
    return path


@functools.cache
def read_sql(relative: str) -> str:
    return sql_path(relative).read_text()


def _parse_table_file(path: Path) -> TableFile:
    text = path.read_text()
    table = _TABLE_RE.search(text)
    key = _KEY_RE.search(text)
    if not table or not key:
        raise ValueError(f"{path.name}: needs 'create table if not exists NAME' and a '-- key:' header")
    return TableFile(table.group(1), tuple(k.strip() for k in key.group(1).split(",")), path)


@functools.cache
def table_files() -> dict[str, TableFile]:
    files = sorted((SQL_DIR / "tables").glob("*.sql"))
    return {spec.name: spec for spec in map(_parse_table_file, files)}


def view_files() -> list[Path]:
    return sorted((SQL_DIR / "views").glob("*.sql"))


def table_key(table: str) -> tuple[str, ...]:
    try:
        return table_files()[table].key
    except KeyError:
        raise KeyError(f"no sql/tables file declares table {table!r}") from None
