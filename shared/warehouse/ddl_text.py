"""What ensure_schema reads from the project's own `sql/tables` and `sql/views` files, without a SQL parser.

Deployed bundles carry production dependencies only (no sqlglot), and these files have a fixed, simple shape:
`create table if not exists NAME (column type …, …) …` and `create or replace view NAME as <query>`. A small
tokenizer that knows comments, string literals and quoted identifiers is enough to read them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from typing import NamedTuple

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|\#[^\n]*|/\*.*?\*/)
  | (?P<string>[rRbB]{0,2}(?:'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"))
  | (?P<quoted>`[^`]*`)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_CLOSING = {"(": ")", "<": ">", "[": "]"}
_COLUMN_END = {"not", "default", "options", "collate", "primary", "references"}
_CONSTRAINTS = {"primary", "foreign", "constraint"}
_VIEW_HEAD = ("create", "or", "replace", "view")


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        """The lower-case name of a word or quoted identifier ('' for anything else)."""
        if self.kind == "word":
            return self.text.lower()
        return self.text[1:-1].lower() if self.kind == "quoted" else ""


def tokens(sql: str) -> Iterator[Token]:
    """Significant tokens: whitespace and comments are dropped."""
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            yield Token(kind, match.group(), match.start(), match.end())


def declared_columns(ddl: str) -> dict[str, str]:
    """Column name → BigQuery type as declared in a `create table` file (constraints such as NOT NULL left out:
    what `alter table … add column` may add)."""
    listed = list(tokens(ddl))
    opening = next((i for i, t in enumerate(listed) if t.text == "("), None)
    if opening is None or [t.word for t in listed[:3]] != ["create", "table", "if"]:
        raise ValueError("not a create table statement with columns")
    columns: dict[str, str] = {}
    for definition in _top_level_items(listed, opening):
        if definition and definition[0].word not in _CONSTRAINTS:
            name, kind = definition[0].text.strip("`"), _type_text(definition[1:])
            if not kind:
                raise ValueError(f"column {name} has no type")
            columns[name] = kind
    return columns


def _top_level_items(listed: list[Token], opening: int) -> Iterator[list[Token]]:
    """The comma-separated items inside the parenthesis at `opening`, each as its tokens."""
    depth: list[str] = [")"]
    item: list[Token] = []
    for token in listed[opening + 1:]:
        if token.text in _CLOSING:
            depth.append(_CLOSING[token.text])
        elif token.text == depth[-1]:
            depth.pop()
            if not depth:
                yield item
                return
        elif token.text == "," and len(depth) == 1:
            yield item
            item = []
            continue
        item.append(token)
    raise ValueError("unbalanced parentheses in create table")


def _type_text(rest: list[Token]) -> str:
    """The type at the start of a column definition, written as BigQuery prints it: `ARRAY<STRUCT<name STRING>>`
    (type names in upper case, struct field names as declared)."""
    pieces: list[str] = []
    enclosing: list[str] = []
    for token in rest:
        if token.text in _CLOSING:
            enclosing.append(pieces[-1] if pieces else "")
        elif token.text in _CLOSING.values():
            if not enclosing:
                break
            enclosing.pop()
        elif not enclosing and token.kind == "word" and token.word in _COLUMN_END:
            break
        field = token.kind in ("word", "quoted") and bool(pieces) and pieces[-1] in ("<", ", ") \
            and enclosing[-1:] == ["STRUCT"]
        text = ", " if token.text == "," else token.text if field or token.kind != "word" else token.text.upper()
        gap = " " if pieces and token.kind in ("word", "quoted") and pieces[-1] not in ("<", "(", ", ") else ""
        pieces.append(gap + text if gap else text)
    return "".join(pieces)


def view_name(ddl: str) -> str:
    """The name a `create or replace view [project.dataset.]NAME as …` statement creates."""
    return _view_head(ddl)[0]


def view_query(ddl: str) -> str:
    """The query after `as` of a `create or replace view` statement: what BigQuery stores as the definition."""
    return ddl[_view_head(ddl)[1]:].strip().rstrip(";").strip()


def _view_head(ddl: str) -> tuple[str, int]:
    """The view's (unqualified) name and where its `as` ends."""
    head: list[Token] = []
    for token in tokens(ddl):
        head.append(token)
        if len(head) > 4 and token.word == "as" and token.kind == "word":
            break
        if len(head) > 12:
            break
    path = head[4:-1]
    if ([t.word for t in head[:4]] != list(_VIEW_HEAD) or head[-1].word != "as" or not path
            or any(t.text != "." for t in path[1::2]) or not all(t.word for t in path[::2])):
        raise ValueError("not a 'create or replace view NAME as' statement")
    return path[-1].word, head[-1].end


def qualify_tables(sql: str, project: str, dataset: str, names: Collection[str]) -> str:
    """`sql` with every unqualified reference to one of `names` (the project's tables and views), after FROM or
    JOIN or as the name a CREATE makes, written `` `project`.dataset.name ``: a view's stored SQL has no default
    dataset to fall back on. Common table expressions of the same name are left alone. A table after a comma in
    FROM (`from a, b`) is not recognised: the view files join explicitly, and a test compares the result for every
    view file with what a SQL parser finds."""
    listed = list(tokens(sql))
    local = _cte_names(listed)
    wanted = {name.lower() for name in names} - local
    pieces, last = [], 0
    for i, token in enumerate(listed[1:], start=1):
        after = listed[i + 1] if i + 1 < len(listed) else None
        if not token.word or listed[i - 1].text == "." or (after is not None and after.text == "."):
            continue
        if _is_created(listed, i) or (token.word in wanted and listed[i - 1].word in ("from", "join")):
            pieces += [sql[last:token.start], f"`{project}`.{dataset}.{token.text.strip('`')}"]
            last = token.end
    return "".join(pieces) + sql[last:]


def _is_created(listed: list[Token], i: int) -> bool:
    """`NAME` of `create [or replace] view|table [if not exists] NAME`."""
    head = [t.word for t in listed[:i]]
    if head[0] != "create" or i > 7:
        return False
    return head[-1] == "view" or (head[-1] == "table" and listed[i].word != "if") \
        or head[-3:] == ["if", "not", "exists"]


def _cte_names(listed: list[Token]) -> set[str]:
    """Names defined by `with NAME as (` / `, NAME as (`."""
    found = set()
    for i in range(1, len(listed) - 2):
        if (listed[i - 1].word == "with" or listed[i - 1].text == ",") and listed[i].word \
                and listed[i + 1].word == "as" and listed[i + 2].text == "(":
            found.add(listed[i].word)
    return found
