"""Refusals beyond a value's type: role choices naming absent columns, production rows without a
time or an id, implausible times, and labels that contradict each other within one file.

Each check raises a MonitoringError inside the ingest transaction, so a refused file stores
nothing. The checks on times and labels read the rows just stored (typed, one column), and only
when they find a problem do they scan the file again, to name its first bad row.
"""

from datetime import datetime

from monitoring.errors import InputError, SchemaError
from monitoring.store import batch_sql
from monitoring.store import ingest_sql as sql

EARLIEST = datetime(1970, 1, 1)  # timestamps must fall in the years 1970 to 2200
LATEST = datetime(2201, 1, 1)


def check_overrides(overrides, names: list[str], file_name: str) -> None:
    """Every column a role choice (--id, --score, --categorical ...) names must be in the file."""
    chosen = overrides.chosen_roles()
    options = {
        **{n: "categorical" for n in overrides.categorical},
        **{n: "numeric" for n in overrides.numeric},
    }
    options.update(chosen)
    unknown = [name for name in options if name not in names]
    if unknown:
        named = ", ".join(f"{n!r} (named by --{options[n].replace('_', '-')})" for n in unknown)
        raise InputError(
            f"{file_name}: the file has no column {named}; its columns are "
            f"{', '.join(map(repr, names))}; fix the name or leave the option out"
        )


def check_ids(column, profile, kind: str, file_name: str) -> None:
    """A production file whose ids are all empty could never be joined to its labels."""
    if kind == "production" and column is not None and profile is not None and profile.non_null == 0:
        raise SchemaError(
            f"{file_name}: the id column {column.name!r} is empty in every row; production rows "
            "need an id so that labels can join them; fill it in or name the id column with --id COL"
        )


MAX_LABEL_CHARS = 10_000  # a category or an id is a label; grouping megabyte values exhausts memory


def check_text_lengths(con, columns, by_name: dict, file_name: str) -> None:
    """Categories and ids are short labels: a value over MAX_LABEL_CHARS characters is refused,
    with its row named (grouping hundreds of megabyte-long values would exhaust DuckDB's memory)."""
    labels = [c for c in columns if c.kind in ("categorical", "id")]
    longest = {c.name: by_name[c.name].longest for c in labels}  # counted by the profile's pass
    for column in labels:
        if longest[column.name] > MAX_LABEL_CHARS:
            profile = by_name[column.name]
            row, _ = sql.first_row_where(
                con, column.name, column.kind, profile.sql_type, "length(value) > ?", [MAX_LABEL_CHARS]
            )
            raise InputError(
                f"{file_name}: column {column.name!r} holds a value of {longest[column.name]:,} characters in "
                f"row {row} (at most {MAX_LABEL_CHARS:,}); a category or an id is a short label: shorten "
                f"the values, or leave the column out with --ignore {column.name}"
            )


def check_times(con, table: str, column, profile, kind: str, batch_id: int, file_name: str) -> None:
    """Production rows need a time; every time must fall in the years 1970 to 2200."""
    empty, outside = batch_sql.time_problems(con, table, column.name, batch_id, EARLIEST, LATEST)
    if kind == "production" and empty:
        row, _ = sql.first_row_where(con, column.name, "timestamp", profile.sql_type, "value IS NULL")
        raise SchemaError(
            f"{file_name}: timestamp column {column.name!r} is empty in {empty:,} row(s), e.g. row "
            f"{row}; every production row needs the time of its prediction (ISO 8601, e.g. "
            "2024-05-01 12:00:00)"
        )
    if outside:
        where = "parsed < ? OR parsed >= ?"
        row, value = sql.first_row_where(
            con, column.name, "timestamp", profile.sql_type, where, [EARLIEST, LATEST]
        )
        raise SchemaError(
            f"{file_name}: timestamp column {column.name!r} has {outside:,} value(s) outside the years "
            f"1970 to 2200, e.g. {value!r} in row {row}; fix those dates (0001-01-01 or 9999-12-31 "
            "often stand for 'unknown': leave such rows out)"
        )


def check_label_conflicts(con, table: str, batch_id: int, id_name: str, file_name: str) -> None:
    """One labels file gives one label per id; different labels for the same id are refused."""
    found = batch_sql.conflicting_labels(con, table, batch_id)
    if found:
        count, example, values = found
        shown = " and ".join(repr(v) for v in values)
        raise SchemaError(
            f"{file_name}: {count:,} id(s) have different labels in this file, e.g. {id_name} "
            f"{example!r} is labelled {shown}; keep one label per id (a later labels file may "
            "correct an earlier one)"
        )
