"""Ingest one CSV or Parquet file as a batch: validate, infer roles, store, all or nothing."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from monitoring.errors import InputError, SchemaError
from monitoring.ingest import checks, one_pass
from monitoring.ingest.files import (
    FileFormat,
    check_column_names,
    detect_format,
    hash_in_background,
    read_failure,
)
from monitoring.ingest.label_columns import label_expressions  # attach.py imports it from here
from monitoring.ingest.limits import excerpt, first_long_line, long_line_error, out_of_memory_error
from monitoring.ingest.proposals import target_proposal
from monitoring.ingest.roles import RoleOverrides, build_columns, infer_task
from monitoring.ingest.values import cast_for as _cast  # attach.py imports it from here
from monitoring.ingest.values import check_values as _check_values  # attach.py imports it from here
from monitoring.ingest.values import type_changes
from monitoring.progress import Progress, silent
from monitoring.schema import BATCH_KINDS, Column, ColumnProfile, Model
from monitoring.settings import ModelSettings
from monitoring.store import attached_sql, batch_sql, catalog
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
    except AlreadyStored as found:  # raised inside the transaction, so what it had written is gone
        return found.result
    except FILE_ERRORS as error:
        raise explained(error, path, file_format, file_name) from None


class AlreadyStored(Exception):
    """The file's content hash (known only once the rows are in) matches a stored batch."""

    def __init__(self, result: IngestResult):
        super().__init__(result.summary())
        self.result = result


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
    sampled, profiles = stage_rows(con, path, file_format, file_name, one_pass.SAMPLE_ROWS)
    model = catalog.get_model(con, model_name) if catalog.model_exists(con, model_name) else None
    if model and attached_sql.attachments(con, model.id).get(kind):
        path = attached_sql.attachments(con, model.id)[kind]["path"]
        raise InputError(
            f"model {model_name!r} reads its {kind} rows from the attached dataset {path}; put "
            f"{file_name} there as Parquet (the next report reads it), or ingest into another model"
        )
    checks.check_overrides(overrides, [p.name for p in profiles], file_name)
    known = {c.name for c in model.columns} if model else set()
    profiles = one_pass.whole_file_where_needed(con, sampled, profiles, known, overrides)
    existed = model is not None
    if model is None:
        model = _create_model(con, model_name, kind, profiles, overrides)
    rows = sql.stage_row_count(con) if file_format.kind == "parquet" else None  # from the footer
    staged = Staged(path, file_format, digest, file_name, progress, existed, rows)
    if kind == "labels":
        return _store_labels(con, model, profiles, overrides, staged, keep_bad)
    return _store_rows(con, model, kind, profiles, overrides, staged, keep_bad)


@dataclass(frozen=True)
class Staged:
    """What the store needs of the staged file besides its profile."""

    path: str
    file_format: FileFormat
    digest: Callable[[], str]  # waits for the content hash, computed beside the insert
    file_name: str
    progress: Progress = silent
    model_existed: bool = True
    known_rows: int | None = None  # a Parquet file's rows, from its footer

    def stage(self, con) -> None:
        """The file as the view __stage on `con` (another connection, to explain a refusal)."""
        _stage(con, self.path, self.file_format)

    def raise_if_stored(self, con, model: Model, kind: str, batch_id: int | None = None) -> None:
        """Raise AlreadyStored if a stored batch has this file's content; else keep the hash."""
        content = self.digest()
        earlier = catalog.find_batch_by_hash(con, model.id, kind, content) if self.model_existed else None
        if earlier:
            raise AlreadyStored(
                IngestResult(model.name, kind, self.file_name, 0, None, duplicate_of=earlier[0])
            )
        if batch_id is not None:
            sql.set_batch_hash(con, batch_id, content)


def _stage(con, path: str, file_format: FileFormat) -> None:
    sql.stage_file(
        con,
        path,
        file_format.kind,
        file_format.delimiter,
        file_format.gzip,
        file_format.columns,
        file_format.skip,
    )


def stage_rows(
    con, path: str, file_format: FileFormat, file_name: str, sample_rows: int | None = None
) -> tuple[int, list[ColumnProfile]]:
    """Stage the file and profile it in one pass: (its rows, a profile per column); with
    `sample_rows`, only the file's first rows are profiled (and counted)."""
    _stage(con, path, file_format)
    columns = sql.stage_columns(con)
    if file_format.kind == "jsonl":  # the keys are known only once DuckDB has read the lines
        check_column_names([name for name, _ in columns], file_name)
    rows, profiles = sql.profile_stage(con, columns, sample_rows)
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
    changes += type_changes(stored, by_name)
    id_column = next((c for c in stored if c.role == "id"), None)
    table = model.table(kind)
    sql.ensure_row_table(con, table, [c for c in columns if c.role != "ignore"])
    batch_id = catalog.insert_batch(con, model.id, kind, file_name, "", 0, None, None)
    casts = {c.name: _cast(c, by_name[c.name], model.task) for c in stored}
    expressions, invalid, parsed = one_pass.guarded_expressions(stored, by_name, casts, keep_bad)

    def refuse(cursor, exact: dict) -> None:  # the checks that once ran before the insert
        staged.raise_if_stored(cursor, model, kind)
        _check_values(cursor, stored, exact, file_name, keep_bad, model)
        checks.check_ids(id_column, exact.get(id_column.name) if id_column else None, kind, file_name)
        checks.check_text_lengths(cursor, stored, exact, file_name)

    invalid = sql.invalid_list_expression(invalid)
    rows = _insert(con, table, expressions, batch_id, invalid, staged, refuse, parsed)
    staged.raise_if_stored(con, model, kind, batch_id)
    if id_column is not None and by_name[id_column.name].non_null == 0:  # none in the sample: count them all
        exact = replace(
            by_name[id_column.name], non_null=batch_sql.non_null_count(con, table, id_column.name, batch_id)
        )
        checks.check_ids(id_column, exact, kind, file_name)
    staged.progress(f"checking the times of {file_name}", 0.8)
    timestamp = next((c for c in stored if c.role == "timestamp"), None)
    if timestamp is not None:
        checks.check_times(con, table, timestamp, by_name[timestamp.name], kind, batch_id, file_name)
    start, end = batch_sql.batch_time_span(con, table, timestamp.name if timestamp else None, batch_id)
    catalog.update_batch(con, batch_id, rows, start, end)
    proposal = target_proposal(con, model, kind, present)
    warnings = [f"{proposal.reason} ({proposal.command(model.name)})"] if proposal else []
    return _finish(con, model, columns, changes, kind, file_name, rows, batch_id, warnings)


def _insert(con, table, expressions, batch_id, invalid, staged, refuse, parsed=()) -> int:
    """Store the staged rows (their count); if a row breaks a rule, raise what `refuse` finds."""
    rows = f"{staged.known_rows:,} rows" if staged.known_rows is not None else "the rows"
    staged.progress(f"storing {rows} of {staged.file_name}", 0.3)
    try:
        return sql.insert_rows(con, table, expressions, batch_id, invalid, parsed, staged.known_rows)
    except sql.RowCheckFailed as failed:
        one_pass.explain_refusal(con, staged.stage, refuse, staged.file_name, str(failed))


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


def _store_labels(con, model, profiles, overrides, staged, keep_bad) -> IngestResult:
    file_name = staged.file_name
    id_column, columns, expressions = label_expressions(
        con, model, profiles, overrides, file_name, guard=True
    )
    target_kind = "numeric" if model.task == "regression" else "categorical"
    label_columns = [Column("id", "id", "id"), Column("target", "target", target_kind)]
    if "observed_at" in expressions:
        label_columns.append(Column("observed_at", "observed_at", "timestamp"))
    table = model.table("labels")
    sql.ensure_row_table(con, table, label_columns)
    batch_id = catalog.insert_batch(con, model.id, "labels", file_name, "", 0, None, None)

    def refuse(cursor, exact: dict) -> None:
        staged.raise_if_stored(cursor, model, "labels")
        label_expressions(cursor, model, list(exact.values()), overrides, file_name)

    rows = _insert(con, table, expressions, batch_id, "NULL", staged, refuse)
    staged.raise_if_stored(con, model, "labels", batch_id)
    checks.check_label_conflicts(con, table, batch_id, id_column.name, file_name)
    catalog.update_batch(con, batch_id, rows, None, None)
    unmatched = batch_sql.unmatched_label_count(
        con, table, model.table("production"), id_column.name, batch_id
    )
    warnings = []
    if unmatched:
        warnings.append(
            f"{unmatched:,} of {rows:,} labels match no stored prediction by {id_column.name!r}; "
            "they are kept and will join when those predictions arrive"
        )
    return _finish(con, model, columns, [], "labels", file_name, rows, batch_id, warnings)
