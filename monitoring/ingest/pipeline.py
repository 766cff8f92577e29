"""Ingest one CSV or Parquet file as a batch: validate, infer roles, store, all or nothing."""

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from monitoring.errors import InputError, SchemaError
from monitoring.ingest import checks
from monitoring.ingest.files import (
    FileFormat,
    check_column_names,
    detect_format,
    hash_in_background,
    read_failure,
)
from monitoring.ingest.limits import excerpt, first_long_line, long_line_error, out_of_memory_error
from monitoring.ingest.proposals import target_proposal
from monitoring.ingest.roles import RoleOverrides, build_columns, infer_task, kind_from_values
from monitoring.progress import Progress, silent
from monitoring.schema import BATCH_KINDS, Column, ColumnProfile, Model
from monitoring.settings import ModelSettings
from monitoring.store import attached_sql, catalog
from monitoring.store import ingest_sql as sql

REQUIRED_ROLES = {
    "production": ("id", "timestamp", "prediction"),
    "reference": ("prediction",),
    "labels": ("id", "target"),
}
LABEL_COLUMNS = ("id", "target", "observed_at")


@dataclass(frozen=True)
class IngestResult:
    model: str
    kind: str
    file_name: str
    rows: int
    batch_id: int | None
    duplicate_of: int | None = None
    columns: tuple[Column, ...] = ()
    schema_changes: tuple[tuple[str, str, str], ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        if self.duplicate_of is not None:
            return (
                f"{self.file_name}: already stored as batch {self.duplicate_of} of model "
                f"{self.model!r}; nothing was added"
            )
        text = f"{self.file_name}: stored {self.rows:,} {self.kind} rows as batch {self.batch_id} of {self.model!r}"
        if self.schema_changes:
            text += f"; {len(self.schema_changes)} schema change(s)"
        return text


def ingest_file(
    store,
    path: str,
    *,
    model: str,
    kind: str,
    overrides: RoleOverrides | None = None,
    file_name: str | None = None,
    keep_bad_values: bool = False,
    progress: Progress = silent,
) -> IngestResult:
    """Store `path` as one batch of `model`, or raise a MonitoringError and store nothing.

    `progress(step, fraction)` hears each step as it starts (see monitoring.progress)."""
    if kind not in BATCH_KINDS:
        raise InputError(f"unknown kind {kind!r}; use one of {', '.join(BATCH_KINDS)}")
    if not model or not model.strip():
        raise InputError("a model name is needed; pass --model NAME")
    overrides = overrides or RoleOverrides()
    file_name = file_name or Path(path).name
    file_format = detect_format(path, file_name)
    digest = hash_in_background(path)
    try:
        with store.transaction() as con:
            if not store.in_memory:
                sql.use_ingest_memory(con)
            progress(f"reading and checking {file_name}", 0.0)
            result = _ingest(
                con, path, file_format, digest, model, kind, overrides, file_name, keep_bad_values, progress
            )
            progress(f"saving {file_name}", 0.9)
        progress(f"stored {file_name}", 1.0)
        return result
    except FILE_ERRORS as error:
        raise explained(error, path, file_format, file_name) from None


# What DuckDB's readers raise for a malformed file; other DuckDB errors are our bugs and surface.
READER_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)
# ... plus what a file too long in one line, or too wide for the memory limit, makes DuckDB raise
FILE_ERRORS = READER_ERRORS + (duckdb.NotImplementedException, duckdb.OutOfMemoryException)


def explained(error: Exception, path: str, file_format: FileFormat, file_name: str) -> Exception:
    """A clear InputError for a FILE_ERRORS error (told after the rollback), or the error itself."""
    if isinstance(error, duckdb.OutOfMemoryException):
        return out_of_memory_error(file_name, len(file_format.columns))
    if isinstance(error, duckdb.NotImplementedException) and "CSV Reader" not in str(error):
        return error  # not the reader: our bug
    return read_failure(str(error), path, file_format, file_name)


def _ingest(con, path, file_format, digest, model_name, kind, overrides, file_name, keep_bad, progress):
    rows, profiles = stage_rows(con, path, file_format, file_name)
    model = catalog.get_model(con, model_name) if catalog.model_exists(con, model_name) else None
    if model and attached_sql.attachments(con, model.id).get(kind):
        path = attached_sql.attachments(con, model.id)[kind]["path"]
        raise InputError(
            f"model {model_name!r} reads its {kind} rows from the attached dataset {path}; put "
            f"{file_name} there as Parquet (the next report reads it), or ingest into another model"
        )
    if model:
        earlier = catalog.find_batch_by_hash(con, model.id, kind, digest())
        if earlier:
            return IngestResult(model_name, kind, file_name, 0, None, duplicate_of=earlier[0])
    checks.check_overrides(overrides, [p.name for p in profiles], file_name)
    if model is None:
        model = _create_model(con, model_name, kind, profiles, overrides)
    staged = Staged(rows, digest(), file_name, progress)
    if kind == "labels":
        return _store_labels(con, model, profiles, overrides, staged, keep_bad)
    return _store_rows(con, model, kind, profiles, overrides, staged, keep_bad)


@dataclass(frozen=True)
class Staged:
    """What the store needs of the staged file besides its profile."""

    rows: int
    digest: str
    file_name: str
    progress: Progress = silent


def stage_rows(con, path: str, file_format: FileFormat, file_name: str) -> tuple[int, list[ColumnProfile]]:
    """Stage the file and profile it in one pass: (its rows, a profile per column)."""
    sql.stage_file(
        con,
        path,
        file_format.kind,
        file_format.delimiter,
        file_format.gzip,
        file_format.columns,
        file_format.skip,
    )
    columns = sql.stage_columns(con)
    if file_format.kind == "jsonl":  # the keys are known only once DuckDB has read the lines
        check_column_names([name for name, _ in columns], file_name)
    rows, profiles = sql.profile_stage(con, columns)
    if rows == 0:
        # DuckDB's reader skips a line longer than its buffer without a word
        long = first_long_line(path, file_format.gzip) if file_format.kind == "csv" else None
        if long is not None:
            raise long_line_error(file_name, long)
        names = excerpt(", ".join(name for name, _ in columns))
        raise InputError(f"{file_name} has a header ({names}) but no rows; add data rows")
    return rows, profiles


def _create_model(con, name, kind, profiles, overrides) -> Model:
    if kind == "labels":
        raise InputError(
            f"model {name!r} does not exist yet; ingest its reference or production "
            "predictions before its labels"
        )
    by_name = {p.name: p for p in profiles}
    columns = build_columns(profiles, overrides, None)
    task = overrides.task or infer_task(by_name, {c.name: c.role for c in columns})
    columns = build_columns(profiles, overrides, task)
    model_id = catalog.create_model(con, name, task, ModelSettings())
    catalog.save_columns(con, model_id, columns)
    return catalog.get_model(con, name)


OPTIONAL_IN_REFERENCE = ("id", "timestamp", "latency", "status", "version")


def merge_columns(model: Model, kind, profiles, overrides) -> tuple[list[Column], list[tuple[str, str, str]]]:
    """The model's columns plus any new ones in this file, and the schema changes seen."""
    known = {c.name: c for c in model.columns}
    new_profiles = [p for p in profiles if p.name not in known]
    taken = frozenset(c.role for c in model.columns)
    fitting = overrides.only({p.name for p in new_profiles})
    added = build_columns(new_profiles, fitting, model.task, taken) if new_profiles else []
    changes = [(c.name, "added", f"new {c.kind} column, role {c.role}") for c in added]
    present = {p.name for p in profiles}
    optional = ("target", "observed_at") + (OPTIONAL_IN_REFERENCE if kind == "reference" else ())
    changes += [
        (c.name, "removed", f"{c.kind} column missing from this file")
        for c in model.columns
        if c.name not in present and c.role not in optional
    ]
    return list(model.columns) + added, changes


def _require(model: Model, kind: str, present: set[str], file_name: str) -> None:
    missing = [c.name for c in model.columns if c.role in REQUIRED_ROLES[kind] and c.name not in present]
    if missing:
        roles = {c.name: c.role for c in model.columns}
        named = ", ".join(f"{n!r} ({roles[n]})" for n in missing)
        raise SchemaError(
            f"{file_name} lacks required column {named} of model {model.name!r}; "
            f"{kind} files must carry it under the same name"
        )


def _check_case(model: Model, present: set[str], file_name: str) -> None:
    """A file column that differs from a model column only in case would clash in DuckDB."""
    known = {c.name.lower(): c.name for c in model.columns}
    for name in sorted(present):
        if name not in known.values() and name.lower() in known:
            raise SchemaError(
                f"{file_name}: column {name!r} differs from model {model.name!r}'s column "
                f"{known[name.lower()]!r} only in upper/lower case; rename it to {known[name.lower()]!r}"
            )


def _store_rows(con, model, kind, profiles, overrides, staged, keep_bad) -> IngestResult:
    file_name = staged.file_name
    present = {p.name for p in profiles}
    _check_case(model, present, file_name)
    _require(model, kind, present, file_name)
    columns, changes = merge_columns(model, kind, profiles, overrides)
    by_name = {p.name: p for p in profiles}
    stored = [c for c in columns if c.name in present and c.role != "ignore"]
    changes += _type_changes(stored, by_name)
    invalid = _check_values(con, stored, by_name, file_name, keep_bad, model)
    id_column = next((c for c in stored if c.role == "id"), None)
    checks.check_ids(id_column, by_name.get(id_column.name) if id_column else None, kind, file_name)
    checks.check_text_lengths(con, stored, by_name, file_name)
    table = model.table(kind)
    sql.ensure_row_table(con, table, [c for c in columns if c.role != "ignore"])
    batch_id = catalog.insert_batch(con, model.id, kind, file_name, staged.digest, 0, None, None)
    expressions = {c.name: _cast(c, by_name[c.name], model.task) for c in stored}
    staged.progress(f"storing {staged.rows:,} rows of {file_name}", 0.3)
    sql.insert_rows(con, table, expressions, batch_id, sql.invalid_list_expression(invalid))
    staged.progress(f"checking the times of {file_name}", 0.8)
    timestamp = next((c for c in stored if c.role == "timestamp"), None)
    if timestamp is not None:
        checks.check_times(con, table, timestamp, by_name[timestamp.name], kind, batch_id, file_name)
    start, end = sql.batch_time_span(con, table, timestamp.name if timestamp else None, batch_id)
    rows = staged.rows
    catalog.update_batch(con, batch_id, rows, start, end)
    proposal = target_proposal(con, model, kind, present)
    warnings = [f"{proposal.reason} ({proposal.command(model.name)})"] if proposal else []
    return _finish(con, model, columns, changes, kind, file_name, rows, batch_id, warnings)


def _finish(con, model, columns, changes, kind, file_name, rows, batch_id, warnings) -> IngestResult:
    catalog.save_columns(con, model.id, columns)
    catalog.insert_schema_changes(con, batch_id, changes)
    catalog.bump_data_version(con, model.id)
    return IngestResult(
        model.name,
        kind,
        file_name,
        rows,
        batch_id,
        columns=tuple(columns),
        schema_changes=tuple(changes),
        warnings=tuple(warnings),
    )


def _cast(column: Column, profile: ColumnProfile, task: str) -> str:
    is_label = column.role in ("prediction", "target") and task != "regression"
    return sql.cast_expression(column.name, column.kind, profile.sql_type, is_label)


def _type_changes(stored: list[Column], by_name: dict) -> list[tuple[str, str, str]]:
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


def _bad_count(column: Column, profile: ColumnProfile) -> int:
    """Values the stored cast will refuse, from the profile's counts (no extra scan)."""
    if column.kind == "numeric":
        return profile.non_null - profile.numeric
    if column.kind == "timestamp":
        return profile.non_null - profile.timestamps
    return 0


def _check_values(con, stored, by_name, file_name, keep_bad, model) -> dict[str, str]:
    """Refuse values that do not fit the column's type (or, if asked, keep them as missing)."""
    checks = {}
    for column in stored:
        profile = by_name[column.name]
        count = _bad_count(column, profile)
        if count == 0:
            continue
        strict = column.kind == "timestamp" or column.role in ("prediction", "score", "target")
        if keep_bad and not strict:
            cast = sql.parse_expression(column.name, column.kind, profile.sql_type)
            checks[column.name] = f"{sql._as_text(column.name)} IS NOT NULL AND {cast} IS NULL"
            continue
        row, value = sql.first_bad_value(con, column.name, column.kind, profile.sql_type) or ("?", "?")
        raise SchemaError(_bad_value_message(file_name, column, count, row, value, model))
    return checks


def _bad_value_message(file_name, column, count, row, value, model) -> str:
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


def _label_sources(model, profiles, overrides, file_name) -> tuple[Column, str, str | None]:
    """(the model's id column, the file's target column, its observed_at column or None)."""
    id_column, target = model.column("id"), model.column("target")
    if id_column is None:
        raise SchemaError(
            f"model {model.name!r} has no id column, so labels cannot be joined to predictions; "
            "ingest production files with --id COL"
        )
    names = [p.name for p in profiles]
    target_name = overrides.target or (target.name if target else None)
    if target_name is None:
        target_name = next((n for n in names if n.lower() in ("target", "label", "y_true", "actual")), None)
    if any(n is None or n not in names for n in (id_column.name, target_name)):
        raise SchemaError(
            f"{file_name} needs the id column {id_column.name!r} and a target column "
            f"({target_name or 'none found'}); it has {excerpt(', '.join(map(repr, names)))}; rename the "
            "columns or name the target with --target COL"
        )
    observed = overrides.observed_at or next(
        (n for n in names if n.lower() in ("observed_at", "label_time", "labelled_at")), None
    )
    return id_column, target_name, observed


def label_expressions(con, model, profiles, overrides, source: str) -> tuple[Column, list[Column], dict]:
    """The labels' id column, the model's columns (the target added when it is new) and the casts
    of id, target and observed_at from the file's columns, after checking the file's values."""
    id_column, target_name, observed = _label_sources(model, profiles, overrides, source)
    by_name = {p.name: p for p in profiles}
    target_kind = "numeric" if model.task == "regression" else "categorical"
    columns = list(model.columns)
    if model.column("target") is None:
        columns.append(Column(target_name, "target", target_kind, inferred=overrides.target is None))
    target_column = Column(target_name, "target", target_kind)
    checked = [target_column] + ([Column(observed, "observed_at", "timestamp")] if observed else [])
    _check_values(con, checked, by_name, source, False, model)
    expressions = {
        "id": sql.cast_expression(id_column.name, "id", by_name[id_column.name].sql_type),
        "target": _cast(target_column, by_name[target_name], model.task),
    }
    if observed:
        expressions["observed_at"] = sql.cast_expression(observed, "timestamp", by_name[observed].sql_type)
    return id_column, columns, expressions


def _store_labels(con, model, profiles, overrides, staged, keep_bad) -> IngestResult:
    file_name = staged.file_name
    id_column, columns, expressions = label_expressions(con, model, profiles, overrides, file_name)
    target_kind = "numeric" if model.task == "regression" else "categorical"
    label_columns = [Column("id", "id", "id"), Column("target", "target", target_kind)]
    if "observed_at" in expressions:
        label_columns.append(Column("observed_at", "observed_at", "timestamp"))
    table = model.table("labels")
    sql.ensure_row_table(con, table, label_columns)
    batch_id = catalog.insert_batch(con, model.id, "labels", file_name, staged.digest, 0, None, None)
    sql.insert_rows(con, table, expressions, batch_id, "NULL")
    checks.check_label_conflicts(con, table, batch_id, id_column.name, file_name)
    rows = staged.rows
    catalog.update_batch(con, batch_id, rows, None, None)
    unmatched = sql.unmatched_label_count(con, table, model.table("production"), id_column.name, batch_id)
    warnings = []
    if unmatched:
        warnings.append(
            f"{unmatched:,} of {rows:,} labels match no stored prediction by {id_column.name!r}; "
            "they are kept and will join when those predictions arrive"
        )
    return _finish(con, model, columns, [], "labels", file_name, rows, batch_id, warnings)
