"""Ingest reads a file once: roles and kinds come from a sample, the checks ride on the insert.

The profile that infers roles and kinds reads the file's first SAMPLE_ROWS rows. A column whose
kind the sample cannot settle (few distinct values: codes, classes, the task) is counted over the
whole file, as before. Every rule a value must obey (it reads as its column's type, a label is
not over MAX_LABEL_CHARS characters) is checked by the INSERT itself, row by row (see
ingest_sql.guarded): a clean file is read once to store it. When a row breaks a rule, the insert
stops and the transaction is rolled back; only then is the whole file profiled, on a second
connection, and the same checks as before name the problem, its count and its first row.
"""

from monitoring.errors import InputError
from monitoring.ingest import checks
from monitoring.ingest.roles import MAX_CLASSES
from monitoring.store import ingest_sql as sql

SAMPLE_ROWS = 100_000
# Roles whose column kind is fixed whatever the values (ingest/roles.py kind_for_role).
FIXED_KIND_ROLES = ("id", "timestamp", "score", "latency", "status", "version", "observed_at", "ignore")


def whole_file_where_needed(con, sampled: int, profiles, known: set[str], overrides) -> list:
    """The sample's profiles, with those of new columns whose kind depends on how many distinct
    values they have (the sample may see fewer) counted over the whole file instead."""
    if sampled < SAMPLE_ROWS:
        return profiles  # the sample was the whole file
    unsettled = [
        p
        for p in profiles
        if p.name not in known and p.distinct <= MAX_CLASSES and not _user_settled(p.name, overrides)
    ]
    if not unsettled:
        return profiles
    _, exact = sql.profile_stage(con, [(p.name, p.sql_type) for p in unsettled])
    by_name = {p.name: p for p in exact}
    return [by_name.get(p.name, p) for p in profiles]


def _user_settled(name: str, overrides) -> bool:
    if name in overrides.categorical or name in overrides.numeric:
        return True
    role = overrides.chosen_roles().get(name)
    if role in FIXED_KIND_ROLES:
        return True
    return role in ("prediction", "target") and overrides.task is not None


def guarded_expressions(
    stored, by_name, expressions: dict[str, str], keep_bad: bool
) -> tuple[dict, dict, tuple]:
    """(the casts with their row checks, the __invalid checks of values kept as missing, the
    inner projections that parse text once).

    A value that does not fit its type stops the insert, except with `keep_bad` in a column that
    is not strict (features), where it is stored as missing and named in __invalid."""
    guarded, invalid, parsed = {}, {}, []
    for column in stored:
        profile = by_name[column.name]
        strict = column.kind == "timestamp" or column.role in ("prediction", "score", "target")
        keep = keep_bad and not strict and sql.can_be_bad(column.kind, profile.sql_type)
        if keep:
            cast = sql.parse_expression(column.name, column.kind, profile.sql_type)
            invalid[column.name] = f"{sql._as_text(column.name)} IS NOT NULL AND {cast} IS NULL"
        if sql.parsed_apart(column.kind, profile.sql_type):
            alias = f"__parsed{len(parsed)}"
            parsed.append(sql.parse_apart(column.name, column.kind, alias))
            guarded[column.name] = sql.checked_parse(column.name, column.kind, alias, not keep)
            continue
        guarded[column.name] = sql.guarded(
            column.name,
            column.kind,
            profile.sql_type,
            expressions[column.name],
            not keep,
            checks.MAX_LABEL_CHARS,
        )
    return guarded, invalid, tuple(parsed)


def explain_refusal(con, stage, refuse, file_name: str, column: str):
    """Raise the error that names why the insert stopped at `column`: the whole file is profiled
    on a second connection (the failed insert aborted this one's transaction) and `refuse(cursor,
    by_name)` runs the same checks that once ran before the insert."""
    cursor = con.cursor()
    try:
        stage(cursor)
        _, profiles = sql.profile_stage(cursor, sql.stage_columns(cursor))
        refuse(cursor, {p.name: p for p in profiles})
    finally:
        cursor.close()
    raise InputError(
        f"{file_name}: a value of column {column!r} broke a rule while it was stored; check that column"
    )
