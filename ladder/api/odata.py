"""The OData subset Action Network's ``filter`` takes: ``field op value`` joined by ``and`` /
``or`` (``and`` binds tighter), with parentheses; ops ``eq ne gt ge lt le``; values quoted
with single quotes (``''`` is a quote inside one) or bare numbers.

    modified_date gt '2014-03-25' and email_address eq 'maria@example.org'

Each resource says which fields it filters on and how (`Field`), so a filter can only ever
narrow a queryset that is already scoped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

OPS = {"eq": "exact", "ne": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
_TOKEN = re.compile(r"\s*(?:(\()|(\))|'((?:[^']|'')*)'|([A-Za-z_][\w:.]*)|(-?\d+(?:\.\d+)?))")


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Field:
    """How one filter field becomes a condition: ``build(op, value)`` for an op in ``ops``."""

    build: Callable[[str, str], Q]
    ops: tuple[str, ...] = tuple(OPS)


def _compare(column: str, op: str, value: object) -> Q:
    q = Q(**{f"{column}__{OPS[op]}": value})
    return ~q if op == "ne" else q


def when(text: str) -> dt.datetime:
    """A date or date-time as clients send them: ``2014-03-25``, ``2014-03-25 10:00:00``,
    ``2014-03-25T10:00:00Z``, with or without an offset (none means the site's time zone)."""
    raw = text.strip()
    moment = parse_datetime(raw.replace(" ", "T", 1)) if len(raw) > 10 else None
    if moment is None:
        day = parse_date(raw) if len(raw) == 10 else None
        if day is None:
            raise FilterError(f"“{text}” is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ).")
        moment = dt.datetime.combine(day, dt.time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def date_field(column: str) -> Field:
    return Field(lambda op, value: _compare(column, op, when(value)))


def text_field(column: str, *, fold: bool = True) -> Field:
    def build(op: str, value: str) -> Q:
        if op in ("eq", "ne") and fold:
            q = Q(**{f"{column}__iexact": value})
            return ~q if op == "ne" else q
        return _compare(column, op, value)

    return Field(build)


def parse(text: str, fields: dict[str, Field]) -> Q:
    """The condition ``text`` says, or FilterError with what is wrong and where."""
    tokens = _tokens(text)
    position = 0

    def peek() -> tuple[str, str] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal position
        if position >= len(tokens):
            raise FilterError("The filter ends too soon.")
        position += 1
        return tokens[position - 1]

    def keyword(expected: str) -> bool:
        token = peek()
        return token is not None and token[0] == "name" and token[1].lower() == expected

    def expression() -> Q:
        condition = term()
        while keyword("or"):
            take()
            condition = condition | term()
        return condition

    def term() -> Q:
        condition = factor()
        while keyword("and"):
            take()
            condition = condition & factor()
        return condition

    def factor() -> Q:
        kind, value = take()
        if kind == "(":
            inner = expression()
            if take()[0] != ")":
                raise FilterError("A parenthesis is not closed.")
            return inner
        if kind != "name":
            raise FilterError(f"Expected a field name, found “{value}”.")
        field = fields.get(value.lower())
        if field is None:
            known = ", ".join(sorted(fields)) or "nothing"
            raise FilterError(f"Cannot filter on “{value}”; this collection filters on {known}.")
        op_kind, op = take()
        op = op.lower()
        if op_kind != "name" or op not in OPS:
            raise FilterError(f"“{op}” after {value} is not one of eq, ne, gt, ge, lt, le.")
        if op not in field.ops:
            raise FilterError(f"{value} takes {', '.join(field.ops)}, not {op}.")
        value_kind, operand = take()
        if value_kind not in ("string", "number"):
            raise FilterError(f"{value} {op} needs a value in single quotes.")
        try:
            return field.build(op, operand)
        except ValueError as problem:
            raise FilterError(str(problem)) from None

    condition = expression()
    if position != len(tokens):
        raise FilterError(f"Unexpected “{tokens[position][1]}” in the filter.")
    return condition


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FilterError(f"Cannot read the filter at character {position + 1}.")
        opening, closing, string, name, number = match.groups()
        if opening:
            found.append(("(", "("))
        elif closing:
            found.append((")", ")"))
        elif string is not None:
            found.append(("string", string.replace("''", "'")))
        elif name:
            found.append(("name", name))
        else:
            found.append(("number", number))
        position = match.end()
    if not found:
        raise FilterError("The filter is empty.")
    return found
