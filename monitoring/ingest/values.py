"""Whether a file's values fit the model's columns: the values the stored casts would refuse
(counted by a whole-file profile), and columns whose values now look like another kind."""

from monitoring.errors import SchemaError
from monitoring.ingest.limits import excerpt
from monitoring.ingest.roles import kind_from_values
from monitoring.schema import Column, ColumnProfile
from monitoring.store import ingest_sql as sql


def type_changes(stored: list[Column], by_name: dict) -> list[tuple[str, str, str]]:
    """Columns whose values in this file look like another kind than the model keeps."""
    changes = []
    for column in stored:
        profile = by_name[column.name]
        if column.role not in ("feature", "sensitive", "segment") or not profile.non_null:
            continue
        looks = kind_from_values(profile)
        if column.kind == "categorical" and looks == "numeric":
            changes.append((column.name, "type changed", "values now look numeric, model keeps categorical"))
        if column.kind == "numeric" and not profile.mostly_numeric:
            changes.append((column.name, "type changed", "values are mostly text, model keeps numeric"))
    return changes


def bad_count(column: Column, profile: ColumnProfile) -> int:
    """Values the stored cast will refuse, from the profile's counts (no extra scan)."""
    if column.kind == "numeric":
        return profile.non_null - profile.numeric
    if column.kind == "timestamp":
        return profile.non_null - profile.timestamps
    return 0


def check_values(con, stored, by_name, file_name, keep_bad, model) -> dict[str, str]:
    """Refuse values that do not fit the column's type (or, if asked, keep them as missing)."""
    checks = {}
    for column in stored:
        profile = by_name[column.name]
        count = bad_count(column, profile)
        if count == 0:
            continue
        strict = column.kind == "timestamp" or column.role in ("prediction", "score", "target")
        if keep_bad and not strict:
            cast = sql.parse_expression(column.name, column.kind, profile.sql_type)
            checks[column.name] = f"{sql._as_text(column.name)} IS NOT NULL AND {cast} IS NULL"
            continue
        row, value = sql.first_bad_value(con, column.name, column.kind, profile.sql_type) or ("?", "?")
        raise SchemaError(bad_value_message(file_name, column, count, row, value, model))
    return checks


def bad_value_message(file_name, column, count, row, value, model) -> str:
    if column.kind == "timestamp":
        return (
            f"{file_name}: timestamp column {column.name!r} has {count:,} value(s) that are not "
            f"dates, e.g. {excerpt(repr(value), 80)} in row {row}; write them as ISO 8601 (2024-05-01 12:00:00)"
        )
    fix = "fix the file"
    if column.role in ("feature", "sensitive", "segment"):
        first_file = model.data_version == 0 or column.name not in {c.name for c in model.columns}
        categorical = f", mark the column categorical (--categorical {column.name})" if first_file else ""
        fix += f"{categorical}, or keep such values as missing (--keep-bad-values)"
    return (
        f"{file_name}: column {column.name!r} is numeric in model {model.name!r} but has "
        f"{count:,} non-numeric value(s), e.g. {excerpt(repr(value), 80)} in row {row}; {fix}"
    )


def cast_for(column: Column, profile: ColumnProfile, task: str) -> str:
    is_label = column.role in ("prediction", "target") and task != "regression"
    return sql.cast_expression(column.name, column.kind, profile.sql_type, is_label)
