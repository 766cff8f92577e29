"""SQL sources every area reads: production rows with labels joined and a window key, reference rows."""

from datetime import timedelta

from monitoring.errors import InputError
from monitoring.schema import Model
from monitoring.store.catalog import table_columns, table_exists
from monitoring.store.connection import quote
from monitoring.store.ingest_sql import SQL_TYPES
from monitoring.windows import TIME_UNITS, WHOLE_PERIOD, Period, Window, WindowSpec

LABEL = "__label"
WINDOW = "__window"
# a group's batch ids as text, from rows grouped by (group, __batch) first: twice as fast as DISTINCT
BATCHES = "string_agg(__batch::VARCHAR, ',' ORDER BY __batch::VARCHAR)"
TIME_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def stored_columns(con, model: Model, kind: str) -> set[str]:
    """The columns the model's reference or production table holds. A column that a later file
    added to the model is in the table of that file's kind only."""
    return set(table_columns(con, model.table(kind)))


def _absent_columns(model: Model, stored: set[str]) -> str:
    """`, NULL::TYPE AS "name"` for each model column the table lacks, so that every source
    exposes every model column (missing where its table never had it)."""
    absent = [c for c in model.columns if c.role != "ignore" and c.name not in stored]
    return "".join(f", NULL::{SQL_TYPES.get(c.kind, 'VARCHAR')} AS {quote(c.name)}" for c in absent)


def _label_expression(model: Model, stored: set[str], alias: str, has_labels: bool) -> tuple[str, str]:
    """The effective target: a label that arrived later wins over one in the prediction log."""
    target, id_column = model.column("target"), model.column("id")
    logged = "NULL"
    if target and target.name in stored:
        logged = f"{alias}.{quote(target.name)}"
    labels = model.table("labels")
    if id_column is None or id_column.name not in stored or not has_labels:
        return logged, ""
    join = (
        f" LEFT JOIN (SELECT id, arg_max(target, __batch) AS target FROM {labels} GROUP BY id) l "
        f"ON l.id = {alias}.{quote(id_column.name)}"
    )
    return f"coalesce(l.target, {logged})", join


def has_rows(con, model: Model, kind: str) -> bool:
    return table_exists(con, model.table(kind))


def reference_source(con, model: Model, reference_batch: int | None = None) -> tuple[str, list]:
    """SQL (and its parameters) for the reference rows, with the target as __label."""
    if not has_rows(con, model, "reference"):
        raise InputError(
            f"model {model.name!r} has no reference data yet; ingest a reference file "
            "(--kind reference), e.g. the training or validation set"
        )
    stored = stored_columns(con, model, "reference")
    target = model.column("target")
    label = f"r.{quote(target.name)}" if target and target.name in stored else "NULL"
    where, params = "", []
    if reference_batch is not None:
        where, params = " WHERE r.__batch = ?", [reference_batch]
    absent = _absent_columns(model, stored)
    return f"SELECT r.*{absent}, {label} AS {LABEL} FROM {model.table('reference')} r{where}", params


def _window_key(model: Model, spec: WindowSpec) -> str:
    timestamp = model.column("timestamp")
    if spec.unit == "batch":
        return "p.__batch"
    if timestamp is None:
        raise InputError(
            f"model {model.name!r} has no timestamp column, so windows must be 'batch' or 'rows:N'"
        )
    ts = f"p.{quote(timestamp.name)}"
    if spec.unit == "rows":
        return f"(row_number() OVER (ORDER BY {ts}, p.__batch) - 1) // {int(spec.size)}"
    return f"date_trunc('{spec.unit}', {ts})"


def production_source(
    con, model: Model, spec: WindowSpec, period: Period = WHOLE_PERIOD, span: Period | None = None
) -> tuple[str, list]:
    """SQL for production rows in the period, with __label (joined labels) and __window (key).

    `span` narrows the rows further by time (the windows a part of a report is about), as a
    condition on the stored timestamp that DuckDB can answer from its row-group statistics."""
    if not has_rows(con, model, "production"):
        raise InputError(f"model {model.name!r} has no production data yet; ingest a production file")
    stored = stored_columns(con, model, "production")
    label, join = _label_expression(model, stored, "p", table_exists(con, model.table("labels")))
    conditions, params = [], []
    timestamp = model.column("timestamp")
    if timestamp is not None:
        ts = f"p.{quote(timestamp.name)}"
        if spec.unit in TIME_UNITS:  # a row without a time is in no time window
            conditions.append(f"{ts} IS NOT NULL")
        if period.start is not None:
            conditions.append(f"{ts} >= ?")
            params.append(period.start)
        if period.end is not None:
            conditions.append(f"{ts} < ?")
            params.append(period.end)
        for bound, operator in ((span and span.start, ">="), (span and span.end, "<")):
            if bound is not None:
                conditions.append(f"{ts} {operator} ?")
                params.append(bound)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    absent = _absent_columns(model, stored)
    rows = f"SELECT p.*{absent}, {label} AS {LABEL} FROM {model.table('production')} p{join}"
    keyed = f"SELECT p.*, {_window_key(model, spec)} AS {WINDOW} FROM ({rows}) p{where}"
    return keyed, params


def only_windows(source: str, params: list, keys: tuple) -> tuple[str, list]:
    """`source` (with its __window) reduced to the rows of the windows in `keys`."""
    return f"SELECT * FROM ({source}) WHERE {WINDOW} IN (SELECT unnest(?))", [*params, list(keys)]


def list_windows(con, model: Model, spec: WindowSpec, source: str, params: list) -> list[Window]:
    """The windows that hold rows of `source` (production rows keyed by window), oldest first,
    indexed from 0."""
    return windows_and_batches(con, model, spec, source, params)[0]


def windows_and_batches(con, model: Model, spec: WindowSpec, source: str, params: list) -> tuple:
    """(`list_windows`, {window key: its batches as `group_batches` gives them}) in one pass."""
    return windows_of_batches(spec, batch_windows(con, model, source, params))


def batch_windows(con, model: Model, source: str, params: list, batches: list[int] | None = None) -> list:
    """[(batch, window key, first and last timestamp, rows)] of `source`, for every batch or only
    `batches` (a condition DuckDB answers from row-group statistics: batches are stored in turn)."""
    timestamp = model.column("timestamp")
    ts = quote(timestamp.name) if timestamp else "NULL"
    where, bound = ("", []) if batches is None else (" WHERE __batch IN (SELECT unnest(?))", [batches])
    return con.execute(
        f"SELECT __batch, {WINDOW}, min({ts}), max({ts}), count(*) FROM ({source}){where} GROUP BY ALL",
        params + bound,
    ).fetchall()


def windows_of_batches(spec: WindowSpec, rows: list) -> tuple:
    """`windows_and_batches`' result from the `batch_windows` rows of every batch."""
    by_window: dict = {}
    for batch, key, first, last, count in rows:
        by_window.setdefault(key, []).append((str(batch), first, last, count))
    windows, batches = [], {}
    for index, key in enumerate(sorted(by_window)):
        parts = by_window[key]
        first = min((p[1] for p in parts if p[1] is not None), default=None)
        last = max((p[2] for p in parts if p[2] is not None), default=None)
        windows.append(Window(index, key, *_bounds(spec, key, first, last), sum(p[3] for p in parts)))
        batches[key] = ",".join(sorted(p[0] for p in parts))  # as BATCHES orders them: as text
    return windows, batches


def group_rows(con, source: str, params: list, keys: list[str]) -> dict:
    """{(key values): rows} of `source` grouped by the `keys` expressions."""
    found = con.execute(f"SELECT {', '.join(keys)}, count(*) FROM ({source}) GROUP BY ALL", params).fetchall()
    return {tuple(row[:-1]): row[-1] for row in found}


def _bounds(spec: WindowSpec, key, first, last):
    if spec.unit in TIME_STEPS:
        return key, key + TIME_STEPS[spec.unit]
    if spec.unit == "month":
        year, month = (key.year + 1, 1) if key.month == 12 else (key.year, key.month + 1)
        return key, key.replace(year=year, month=month)
    return first, last


def data_span(con, model: Model):
    """First and last production timestamp, or (None, None)."""
    timestamp = model.column("timestamp")
    if timestamp is None or timestamp.name not in stored_columns(con, model, "production"):
        return None, None
    ts = quote(timestamp.name)
    return con.execute(f"SELECT min({ts}), max({ts}) FROM {model.table('production')}").fetchall()[0]


def reference_span(con, model: Model, source: str, params: list) -> tuple:
    """(rows, first timestamp, last timestamp, batch ids) of the reference rows in `source`.

    A reference ingested before production may have no timestamp column at all: then None, None.
    """
    timestamp = model.column("timestamp")
    present = timestamp and timestamp.name in table_columns(con, model.table("reference"))
    ts = quote(timestamp.name) if present else "NULL"
    return con.execute(
        f"SELECT count(*), min({ts}), max({ts}), list(DISTINCT __batch ORDER BY __batch) FROM ({source})",
        params,
    ).fetchall()[0]


def group_batches(con, source: str, params: list, group: str) -> dict:
    """{group key: the ids of the batches its rows come from, as text}."""
    rows = con.execute(
        f"SELECT {group}, {BATCHES} FROM (SELECT DISTINCT {group}, __batch FROM ({source})) GROUP BY ALL",
        params,
    ).fetchall()
    return dict(rows)
