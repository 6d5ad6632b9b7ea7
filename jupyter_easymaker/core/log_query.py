"""The log search language (the guide's Log & Crash Search style) and its
translation to SQL.

    category:"easymaker.training" AND logLevel:ERROR
    trainingId:3f2a* (timeout OR "out of memory") -debug
    time:>=2026-01-01T00:00:00Z   time:[2026-01-01 TO 2026-01-31T12:00:00Z]

``field:value`` and ``field:"quoted value"`` match a field (``*`` in a value is
a wildcard); bare words and quoted phrases match words of the body; terms
next to each other are joined by AND; ``OR``, ``NOT`` / ``-term`` and
parentheses as usual (NOT binds tightest, then AND, then OR). Parsed by lark
into a small AST; :func:`compile_query` turns the AST into a SQLAlchemy
condition whose values are all bound parameters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Union

from jupyter_easymaker.core.errors import DomainError

MAX_QUERY_TERMS = 64  # conditions in one query: the store refuses a statement of thousands
FTS_TABLE = "log_records_fts"
FIELDS_TABLE = "log_record_fields"  # SQLite: the searched fields' values (name, value, time, record_id), core/log_index.py

# the guide's field names -> what they are stored as
COLUMN_FIELDS = {"category": "category", "logLevel": "log_level", "logType": "log_type"}
# ids a record is about: its own resource id, or one of its fields (inference logs carry the endpointId)
RESOURCE_FIELDS = ("trainingId", "hyperparameterTuningId", "endpointId", "endpointStageId", "inferenceId", "batchInferenceId")
DETAIL_FIELDS = ("action", "modelName")  # only in the record's fields
KNOWN_FIELDS = ("body", "time", *COLUMN_FIELDS, *RESOURCE_FIELDS, *DETAIL_FIELDS)

GRAMMAR = r"""
start: expr?

?expr: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: unary (_AND? unary)*
?unary: _NOT unary     -> negation
      | _MINUS unary   -> negation
      | primary
?primary: "(" expr ")"
        | FIELD value                         -> field
        | FIELD CMP bound                     -> compare
        | FIELD "[" bound _TO bound "]"       -> between
        | value                               -> text

value: WORD | STRING
bound: WORD | STRING

_OR.3: /OR(?=[\s()]|$)/
_AND.3: /AND(?=[\s()]|$)/
_NOT.3: /NOT(?=[\s(]|$)/
_TO.3: /TO(?=\s)/
_MINUS.2: /-(?=[^\s-])/
FIELD.4: /[A-Za-z_][A-Za-z0-9_]*:/
CMP.2: />=|<=|>|</
STRING: /"(?:[^"\\]|\\.)*"/
WORD: /[^\s()"\[\]<>=\-][^\s()"\[\]]*/

%ignore /\s+/
"""


class QuerySyntaxError(DomainError):
    """The query is not in the search language (HTTP 400, field ``query``)."""

    def __init__(self, message: str, position: int | None = None):
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"query: {message}{where}", field="query")
        self.position = position


# --- the AST ---------------------------------------------------------------

@dataclass(frozen=True)
class Match:
    """``field:value`` (field None: a word or phrase of the body)."""
    field: str | None
    value: str
    quoted: bool = False


@dataclass(frozen=True)
class Compare:
    field: str
    op: str  # >=, <=, >, <
    value: datetime


@dataclass(frozen=True)
class Between:
    field: str
    low: datetime | None  # None: open end (*)
    high: datetime | None


@dataclass(frozen=True)
class Not:
    item: "Node"


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


Node = Union[Match, Compare, Between, Not, And, Or]


@lru_cache(maxsize=1)
def _parser():
    from lark import Lark  # lazy: only a log search needs it

    return Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)


def parse_time(text: str, *, end_of_day: bool = False) -> datetime:
    """ISO 8601 (``2026-01-01``, ``2026-01-01T09:00:00+09:00``, ``...Z``); without a zone: UTC.
    A date alone as an upper bound means the end of that day."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time (e.g. 2026-01-01T00:00:00Z)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:  # in UTC, as the store compares times
        value = value.astimezone(timezone.utc)
    except OverflowError:  # a time at the ends of the calendar has none
        raise ValueError(f"{text!r} has no UTC time (it lies outside years 1 to 9999)") from None
    if end_of_day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        value += timedelta(days=1) - timedelta(microseconds=1)
    return value


def _unquote(token) -> tuple[str, bool]:
    text = str(token)
    if token.type == "STRING":
        return re.sub(r"\\(.)", r"\1", text[1:-1]), True
    return text, False


def _to_ast(tree) -> Node:
    from lark import Token

    kind = tree.data
    if kind == "start":
        return _to_ast(tree.children[0]) if tree.children else And(())
    if kind in ("or_expr", "and_expr"):
        items = tuple(_to_ast(child) for child in tree.children)
        return Or(items) if kind == "or_expr" else And(items)
    if kind == "negation":
        return Not(_to_ast(tree.children[0]))
    if kind == "text":
        value, quoted = _unquote(tree.children[0].children[0])
        return Match(None, value, quoted)
    field_token: Token = tree.children[0]
    name = str(field_token)[:-1]
    if name not in KNOWN_FIELDS:
        raise QuerySyntaxError(f"unknown field {name!r}; known fields: {', '.join(KNOWN_FIELDS)}", field_token.column - 1)
    if kind == "field":
        value, quoted = _unquote(tree.children[1].children[0])
        if name == "time":
            return _day(value, field_token.column - 1)
        return Match(name, value, quoted)
    if name != "time":
        raise QuerySyntaxError(f"{name}: comparisons and ranges are only for time", field_token.column - 1)
    try:
        if kind == "compare":
            return Compare(name, str(tree.children[1]), parse_time(_unquote(tree.children[2].children[0])[0]))
        low, high = (_unquote(b.children[0])[0] for b in tree.children[1:3])
        return Between(name, None if low == "*" else parse_time(low), None if high == "*" else parse_time(high, end_of_day=True))
    except ValueError as exc:
        raise QuerySyntaxError(f"time: {exc}", field_token.column - 1) from None


def _day(value: str, position: int) -> Between:
    """``time:2026-01-01``: that whole day (UTC)."""
    try:
        return Between("time", parse_time(value), parse_time(value, end_of_day=True))
    except ValueError as exc:
        raise QuerySyntaxError(f"time: {exc}", position) from None


def _count(node: Node) -> int:
    if isinstance(node, (And, Or)):
        return sum(_count(i) for i in node.items)
    if isinstance(node, Not):
        return _count(node.item)
    return 1


def parse_query(query: str | None) -> Node:
    """The AST of ``query`` (an empty query: ``And(())``, every record)."""
    if not query or not query.strip():
        return And(())
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    try:
        tree = _parser().parse(query)
    except UnexpectedEOF as exc:
        raise QuerySyntaxError(f"ends too early, expected {_expected(exc.expected)}", len(query)) from None
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise QuerySyntaxError(f"ends too early, expected {_expected(exc.expected)}", len(query)) from None
        raise QuerySyntaxError(f"unexpected {str(exc.token)!r}, expected {_expected(exc.expected)}", exc.column - 1) from None
    except UnexpectedCharacters as exc:
        raise QuerySyntaxError(f"unexpected character {query[exc.pos_in_stream]!r}", exc.pos_in_stream) from None
    except UnexpectedInput as exc:  # pragma: no cover - lark's other kinds
        raise QuerySyntaxError(str(exc).splitlines()[0], getattr(exc, "pos_in_stream", None)) from None
    node = _to_ast(tree)
    terms = _count(node)
    if terms > MAX_QUERY_TERMS:
        raise QuerySyntaxError(f"at most {MAX_QUERY_TERMS} terms (this one has {terms})")
    return node


_TERMINAL_NAMES = {
    "WORD": "a word", "STRING": "a quoted value", "FIELD": "field:", "LPAR": "'('", "RPAR": "')'", "_OR": "OR",
    "_AND": "AND", "_NOT": "NOT", "_MINUS": "'-'", "CMP": "a comparison", "_TO": "TO", "LSQB": "'['", "RSQB": "']'", "$END": "the end",
}


def _expected(names) -> str:
    words = sorted({_TERMINAL_NAMES.get(n, n) for n in names})
    return " or ".join(words) if words else "more"


# --- SQL -------------------------------------------------------------------

def _like_pattern(value: str, *, anywhere: bool, wildcard: bool = True) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if wildcard:
        escaped = escaped.replace("*", "%")
    return f"%{escaped}%" if anywhere else escaped


def _fts_match(value: str, quoted: bool) -> str | None:
    """An FTS5 query for a body word or phrase, or None when FTS cannot say it
    (a wildcard inside the word, no word character at all): then LIKE decides."""
    prefix = value.endswith("*") and not quoted
    core = value[:-1] if prefix else value
    if "*" in core and not quoted or not re.search(r"\w", core):
        return None
    return '"' + core.replace('"', '""') + '"' + ("*" if prefix else "")


Window = tuple[Union[datetime, None], Union[datetime, None]]  # the times a record must lie between (None: open)


def _narrowed(window: Window, items: tuple[Node, ...]) -> Window:
    """``window`` with the time terms among ``items`` (an AND's) applied."""
    low, high = window
    for item in items:
        if isinstance(item, Compare):
            lower, upper = (item.value, None) if item.op in (">=", ">") else (None, item.value)
        elif isinstance(item, Between):
            lower, upper = item.low, item.high
        else:
            continue
        if lower is not None and (low is None or lower > low):
            low = lower
        if upper is not None and (high is None or upper < high):
            high = upper
    return low, high


class QueryCompiler:
    """The AST -> a SQLAlchemy condition on ``log_records`` (every value bound).

    A field's term on SQLite looks the value up in the table of the searched fields' values, keyed by
    (name, value, time): the time terms ANDed around it (and the search's since/until) are put into
    that lookup too, so that it reads only the window's entries. That is the same condition: a record
    those terms let through lies in the window anyway, also under a NOT or an OR."""

    def __init__(self, *, fts: bool, dialect: str = "sqlite"):
        self.fts = fts
        self.dialect = dialect

    def condition(self, node: Node, window: Window = (None, None)):
        from sqlalchemy import and_, not_, or_, true

        if isinstance(node, And):
            window = _narrowed(window, node.items)
            return and_(*(self.condition(i, window) for i in node.items)) if node.items else true()
        if isinstance(node, Or):
            return or_(*(self.condition(i, window) for i in node.items))
        if isinstance(node, Not):
            return not_(self.condition(node.item, window))
        if isinstance(node, Compare):
            column = self._table().time
            return {">=": column >= node.value, "<=": column <= node.value, ">": column > node.value, "<": column < node.value}[node.op]
        if isinstance(node, Between):
            column = self._table().time
            parts = ([column >= node.low] if node.low else []) + ([column <= node.high] if node.high else [])
            return and_(*parts) if parts else true()
        return self._match(node, window)

    @staticmethod
    def _table():
        from jupyter_easymaker.core.tables import LogRecord

        return LogRecord

    def _equals(self, column, value: str, quoted: bool):
        if "*" in value and not quoted:
            return column.like(_like_pattern(value, anywhere=False), escape="\\")
        return column == value

    def _field(self, name: str, value: str, quoted: bool, window: Window):
        """Records whose field ``name`` of ``fields`` is ``value``: on SQLite, found in the table of the
        searched fields' values (core/log_index.py), within the time window."""
        from sqlalchemy import column, select, table

        from jupyter_easymaker.core.tables import UTCDateTime

        record = self._table()
        if self.dialect != "sqlite":
            return self._equals(record.fields[name].as_string(), value, quoted)
        fields = table(FIELDS_TABLE, column("name"), column("value"), column("time", UTCDateTime()), column("record_id"))
        low, high = window
        within = ([fields.c.time >= low] if low else []) + ([fields.c.time <= high] if high else [])
        return record.id.in_(select(fields.c.record_id).where(fields.c.name == name, self._equals(fields.c.value, value, quoted),
                                                              *within))

    def _match(self, node: Match, window: Window):
        from sqlalchemy import or_

        record = self._table()
        if node.field is None or node.field == "body":
            return self._body(node.value, node.quoted)
        if node.field in COLUMN_FIELDS:
            value = node.value.upper() if node.field == "logLevel" else node.value
            return self._equals(getattr(record, COLUMN_FIELDS[node.field]), value, node.quoted)
        if node.field in RESOURCE_FIELDS:
            return or_(self._equals(record.resource_id, node.value, node.quoted), self._field(node.field, node.value, node.quoted, window))
        return self._field(node.field, node.value, node.quoted, window)

    def _body(self, value: str, quoted: bool):
        from sqlalchemy import column, literal_column, select, table

        record = self._table()
        match = _fts_match(value, quoted) if self.fts else None
        if match is None:
            return record.body.like(_like_pattern(value, anywhere=True, wildcard=not quoted), escape="\\")
        fts = table(FTS_TABLE, column("rowid"))
        return record.id.in_(select(fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(match)))


def compile_query(query: str | None, *, fts: bool, dialect: str = "sqlite", since: datetime | None = None,
                  until: datetime | None = None):
    """``query`` as a SQLAlchemy condition (raises :class:`QuerySyntaxError`); ``since`` / ``until``:
    the window the caller keeps the records to (it applies them itself; here they narrow lookups)."""
    return QueryCompiler(fts=fts, dialect=dialect).condition(parse_query(query), (since, until))
