"""Attach a Parquet dataset (a file, a glob or a Hive-partitioned folder) to a model, read in place.

Roles are inferred and checked as for an ingest, from the files' schema and a sample of their
first rows; nothing is copied. The model's table of that kind becomes a view over the files
(store/attached_sql.py), so reports, alerts and the app read it like stored batches, and files
that arrive later are in the next report. A model keeps each kind either stored or attached.
"""

from dataclasses import dataclass, replace

import duckdb

from monitoring.errors import InputError
from monitoring.ingest import checks
from monitoring.ingest.pipeline import (
    _cast,
    _check_case,
    _check_values,
    _create_model,
    _require,
    label_expressions,
    merge_columns,
)
from monitoring.ingest.roles import RoleOverrides
from monitoring.schema import BATCH_KINDS, Column
from monitoring.store import attached_sql, batch_sql, catalog
from monitoring.store import ingest_sql as sql


@dataclass(frozen=True)
class AttachResult:
    model: str
    kind: str
    path: str
    files: int
    rows: int
    batch_id: int
    partitioned: bool
    columns: tuple[Column, ...] = ()

    def summary(self) -> str:
        parts = "Hive-partitioned " if self.partitioned else ""
        return (
            f"{self.path}: attached {self.rows:,} {self.kind} rows in {self.files} {parts}Parquet "
            f"file(s) as batch {self.batch_id} of {self.model!r}; read in place, new files are in the next report"
        )


def attach_dataset(store, path: str, *, model: str, kind: str, overrides: RoleOverrides | None = None):
    """Register `path` as the model's rows of `kind`, or raise a MonitoringError and register nothing."""
    if kind not in BATCH_KINDS:
        raise InputError(f"unknown kind {kind!r}; use one of {', '.join(BATCH_KINDS)}")
    if not model or not model.strip():
        raise InputError("a model name is needed; pass --model NAME")
    files = attached_sql.parquet_files(path)
    try:
        with store.transaction() as con:
            return _attach(con, path, files, model, kind, overrides or RoleOverrides())
    except (duckdb.InvalidInputException, duckdb.IOException) as error:
        first = str(error).splitlines()[0]
        raise InputError(
            f"{path} could not be read as Parquet ({first}); check that its files are Parquet"
        ) from None


def _attach(con, path, files, model_name, kind, overrides) -> AttachResult:
    model = catalog.get_model(con, model_name) if catalog.model_exists(con, model_name) else None
    if model is not None:
        _refuse_taken(con, model, kind)
    attached_sql.check_same_schema(con, files, path)
    hive = attached_sql.is_partitioned(files)
    attached_sql.stage_sample(con, files, hive)
    staged = sql.stage_columns(con)
    sampled, profiles = sql.profile_stage(con, staged)
    if sampled == 0:
        raise InputError(f"{path} has no rows; attach a dataset with data")
    checks.check_overrides(overrides, [name for name, _ in staged], path)
    overrides = _partitions_ignored(overrides, attached_sql.partition_columns(files) if hive else [])
    if model is None:
        model = _create_model(con, model_name, kind, profiles, overrides)
    pattern = attached_sql.reader_pattern(path)
    rows = attached_sql.dataset_rows(con, pattern, hive)
    batch_id = catalog.insert_batch(con, model.id, kind, f"attached: {path}", "attached", rows, None, None)
    by_name = {p.name: p for p in profiles}
    if kind == "labels":
        columns, expressions = _label_view(con, model, profiles, overrides, path)
    else:
        columns, expressions = _row_view(con, model, kind, profiles, overrides, path)
    attached_sql.create_view(con, model.table(kind), pattern, hive, expressions, batch_id)
    attached_sql.save_attachment(con, model.id, kind, path, pattern, hive, batch_id)
    timestamp = next((c for c in columns if c.role == "timestamp" and c.name in by_name), None)
    if timestamp is not None and kind != "labels":
        start, end = batch_sql.batch_time_span(con, model.table(kind), timestamp.name, batch_id)
        catalog.update_batch(con, batch_id, rows, start, end)
    catalog.save_columns(con, model.id, columns)
    catalog.bump_data_version(con, model.id)
    return AttachResult(model.name, kind, path, len(files), rows, batch_id, hive, tuple(columns))


def _partitions_ignored(overrides: RoleOverrides, partitions: list[str]) -> RoleOverrides:
    """Partition folders (day=...) are how the files are laid out, not a feature: ignored unless a
    role flag names them."""
    named = overrides.named_columns()
    extra = [name for name in partitions if name not in named]
    return replace(overrides, ignore=[*overrides.ignore, *extra]) if extra else overrides


def _refuse_taken(con, model, kind: str) -> None:
    if attached_sql.attachments(con, model.id).get(kind):
        raise InputError(
            f"model {model.name!r} already has an attached {kind} dataset; add files to it (the next "
            f"report reads them) or delete its batch (`batches --model {model.name}`) before attaching another"
        )
    if catalog.has_batches(con, model.id, kind):
        raise InputError(
            f"model {model.name!r} stores {kind} batches already; attach the dataset to a new model, "
            f"or delete the stored {kind} batches first"
        )


def _row_view(con, model, kind, profiles, overrides, path):
    present = {p.name for p in profiles}
    _check_case(model, present, path)
    _require(model, kind, present, path)
    columns, _ = merge_columns(model, kind, profiles, overrides)
    by_name = {p.name: p for p in profiles}
    stored = [c for c in columns if c.name in present and c.role != "ignore"]
    _check_values(con, stored, by_name, path, False, model)  # on the sample
    id_column = next((c for c in stored if c.role == "id"), None)
    checks.check_ids(id_column, by_name.get(id_column.name) if id_column else None, kind, path)
    return columns, {c.name: _cast(c, by_name[c.name], model.task) for c in stored}


def _label_view(con, model, profiles, overrides, path):
    _, columns, expressions = label_expressions(con, model, profiles, overrides, path)
    return columns, expressions
