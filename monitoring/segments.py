"""Segments: slices of a model's rows, written as text, parsed and checked here before any SQL.

A slice is one to four conditions joined by `&`, each one of

    COLUMN = VALUE      COLUMN != VALUE     COLUMN in VALUE, VALUE, ...
    COLUMN < NUMBER     COLUMN <= NUMBER    COLUMN > NUMBER    COLUMN >= NUMBER
    COLUMN is missing

e.g. `region=north`, `region in north,south & age >= 30`, `employment_years is missing`. A column
or value holding one of `&,=!<>'"` or spaces at its ends is quoted ('a & b', "col=x"). `!=` keeps
rows where the column is missing (they are not equal to the value); the comparisons need a numeric
column. A saved slice has a name (letters, digits, spaces, `-_.:`) and is used by that name.

This module never builds SQL: monitoring/store/segment_sql.py turns a checked Slice into a WHERE
clause with every value bound as a parameter and every column quoted.
"""

import re
from dataclasses import dataclass

from monitoring.errors import InputError
from monitoring.schema import Model

OPERATORS = ("=", "!=", "in", "<", "<=", ">", ">=", "is missing")
COMPARISONS = ("<", "<=", ">", ">=")
MAX_CONDITIONS = 4
GROUP_ROLES = ("segment", "sensitive", "version")  # the columns --by and weak segments group on
MAX_GROUP_VALUES = 200
SPECIAL = set("&,=!<>'\"")
NAME = re.compile(r"^[\w][\w .:-]{0,63}$")
SYNTAX = "e.g. region=north, region in north,south, age >= 30 or income is missing; join up to 4 with &"


@dataclass(frozen=True)
class Condition:
    column: str
    operator: str
    values: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        column = _quoted(self.column, column=True)
        if self.operator == "is missing":
            return f"{column} is missing"
        if self.operator == "in":
            return f"{column} in {','.join(_quoted(v) for v in self.values)}"
        return f"{column}{self.operator}{_quoted(self.values[0])}"


@dataclass(frozen=True)
class Slice:
    """A checked slice of rows: its conditions and, when saved, its name."""

    conditions: tuple[Condition, ...]
    name: str | None = None

    @property
    def text(self) -> str:
        """The conditions as text that parses back to the same slice."""
        return "&".join(c.text for c in self.conditions)

    @property
    def label(self) -> str:
        """How reports and pages name the slice: its saved name, else its conditions."""
        return self.name or self.text

    @property
    def columns(self) -> list[str]:
        return [c.column for c in self.conditions]


def value_segment(column: str, value) -> str:
    """The name of one value of a grouping column: `region=north`, or `region is missing`."""
    if value is None:
        return Condition(column, "is missing").text
    return Condition(column, "=", (str(value),)).text


def _quoted(text: str, column: bool = False) -> str:
    needs = text != text.strip() or not text or any(ch in SPECIAL for ch in text)
    if column:
        needs = needs or bool(re.search(r"\s(in|is)(\s|$)", text, re.I))
    if not needs:
        return text
    mark = "'" if "'" not in text else '"'
    return mark + text.replace(mark, mark * 2) + mark


def _split(text: str, separator: str) -> list[str]:
    """`text` cut at `separator` where it is not inside quotes."""
    parts, current, quote = [], [], None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == separator:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if quote:
        raise InputError(f"segment {text!r} has a quote that is never closed; close it or remove it")
    return parts + ["".join(current)]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].replace(text[0] * 2, text[0])
    return text


def _leading_column(text: str) -> tuple[str, str]:
    """(column, rest) when `text` starts with a quoted column name, else ("", text)."""
    text = text.strip()
    if not text or text[0] not in "'\"":
        return "", text
    mark, i = text[0], 1
    while i < len(text):
        if text[i] == mark and text[i + 1 : i + 2] == mark:
            i += 2
            continue
        if text[i] == mark:
            return text[1:i].replace(mark * 2, mark), text[i + 1 :]
        i += 1
    raise InputError(f"segment condition {text!r} has a quote that is never closed")


def parse_condition(text: str) -> Condition:
    """One condition, e.g. `region=north`; InputError naming the problem and the syntax."""
    quoted, rest = _leading_column(text)
    head = "\x00" if quoted else ""  # stands for the quoted column, so its text cannot match an operator
    body = head + rest
    found = re.match(r"^(?P<col>.*?)\s+is\s+missing\s*$", body, re.I | re.S)
    if found:
        return _condition(quoted or found["col"], "is missing", (), text)
    found = re.match(r"^(?P<col>.*?)\s+in\s+(?P<values>.+)$", body, re.I | re.S)
    if found and (quoted or found["col"].strip()):
        values = tuple(_unquote(v) for v in _split(found["values"], ","))
        return _condition(quoted or found["col"], "in", values, text)
    found = re.match(r"^(?P<col>[^=!<>]*?)\s*(?P<op>!=|<=|>=|=|<|>)\s*(?P<value>.*)$", body, re.S)
    if found:
        return _condition(quoted or found["col"], found["op"], (_unquote(found["value"]),), text)
    raise InputError(f"segment condition {text.strip()!r} is not a condition; {SYNTAX}")


def _condition(column: str, operator: str, values: tuple, text: str) -> Condition:
    column = column.replace("\x00", "").strip()
    if not column:
        raise InputError(f"segment condition {text.strip()!r} names no column; {SYNTAX}")
    if operator != "is missing" and (not values or any(v == "" for v in values)):
        raise InputError(f"segment condition {text.strip()!r} has no value; {SYNTAX}")
    return Condition(column, operator, values)


def parse_slice(text: str, name: str | None = None) -> Slice:
    """Up to MAX_CONDITIONS conditions joined by `&`."""
    if not text or not text.strip():
        raise InputError(f"a segment needs at least one condition; {SYNTAX}")
    parts = _split(text, "&")
    if len(parts) > MAX_CONDITIONS:
        raise InputError(
            f"segment {text!r} has {len(parts)} conditions; a segment takes at most {MAX_CONDITIONS}"
        )
    if any(not part.strip() for part in parts):
        raise InputError(f"segment {text!r} has an empty condition; give a condition on each side of &")
    return Slice(tuple(parse_condition(part) for part in parts), name)


def is_condition_text(text: str) -> bool:
    """Whether `text` reads as conditions rather than the name of a saved slice."""
    return bool(re.search(r"[=<>]|\sin\s|\sis\s+missing", text, re.I)) or text.strip()[:1] in "'\""


def check_name(name: str) -> str:
    """A saved slice's name: letters, digits, spaces and -_.: (so it never reads as a condition)."""
    name = (name or "").strip()
    if not NAME.match(name) or is_condition_text(name):
        raise InputError(
            f"segment name {name!r} is not usable; use up to 64 letters, digits, spaces or -_.: "
            "and no operator words (in, is)"
        )
    return name


def check_slice(found: Slice, model: Model) -> Slice:
    """The slice if every condition fits the model's columns; InputError naming the first that does not."""
    for condition in found.conditions:
        column = next((c for c in model.columns if c.name == condition.column), None)
        if column is None or column.role == "ignore":
            names = ", ".join(c.name for c in model.columns if c.role != "ignore")
            raise InputError(
                f"segment {found.label!r}: model {model.name!r} has no column {condition.column!r}; "
                f"its columns are {names}"
            )
        if column.kind == "timestamp":
            raise InputError(
                f"segment {found.label!r}: {column.name!r} is the time column; choose the period "
                "with From/To (--start/--end) instead"
            )
        if condition.operator in COMPARISONS and column.kind != "numeric":
            raise InputError(
                f"segment {found.label!r}: {condition.operator} needs a numeric column and "
                f"{column.name!r} is {column.kind}; use = or in"
            )
        if column.kind == "numeric":
            for value in condition.values:
                _number(value, found.label, column.name)
    return found


def _number(value: str, label: str, column: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise InputError(
            f"segment {label!r}: {value!r} is not a number and {column!r} is numeric; give a number"
        ) from None


def group_column(model: Model, name: str) -> str:
    """The column a report groups by (`--by COL`): a categorical column of the model."""
    column = next((c for c in model.columns if c.name == name and c.role != "ignore"), None)
    if column is None:
        groups = ", ".join(c.name for c in model.columns_with(*GROUP_ROLES)) or "none yet"
        raise InputError(
            f"model {model.name!r} has no column {name!r} to group by; its segment, sensitive and "
            f"version columns are: {groups}"
        )
    if column.kind != "categorical":
        raise InputError(
            f"cannot group by {name!r}: it is {column.kind}; group by a categorical column, or save "
            "a slice with a condition on it (python -m monitoring segments add)"
        )
    return column.name


def group_columns(model: Model) -> list[str]:
    """The categorical segment, sensitive and version columns: what weak segments ranks."""
    return [c.name for c in model.columns_with(*GROUP_ROLES) if c.kind == "categorical"]
