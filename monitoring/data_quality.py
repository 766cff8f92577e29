"""Data quality per column per window, and schema changes per batch.

Shares (`value`) and the rows behind them (`count`):
- `missing_share`: rows where the column is empty, over the window's rows (rows of batches
  stored before a later file added the column do not count);
- `out_of_range_share` (numeric columns): values below the reference's `range_quantiles[0]`
  quantile or above its `range_quantiles[1]` quantile, over the window's non-missing values;
- `unparsable_share`: rows whose value failed to parse as the column's type (kept as empty by an
  ingest run with keep_bad_values and listed in the row's `__invalid`), over the window's rows;
- `unseen_category_share` (categorical columns): values never seen in the reference, over the
  window's non-missing values, with up to MAX_EXAMPLES of them (most frequent first);
- `duplicate_id_share` (the id column): rows whose id occurs more than once in the period (for
  the same version: another version scoring the same id is shadow traffic, not a duplicate).
"""

from monitoring.context import WHOLE
from monitoring.duplicates import duplicate_rows
from monitoring.store import catalog, quality_sql, window_sql
from monitoring.store.window_sql import has_rows
from monitoring.window_cache import cache_key, days_of, for_reference, in_days, per_window

MAX_EXAMPLES = 5


def share(count: int, total: int) -> float | None:
    return count / total if total else None


def quality_columns(model) -> list:
    """The columns checked: features, sensitive and segment columns, prediction and scores."""
    return model.features + model.columns_with("prediction", "score", "latency")


def _ranges(con, context, numeric: list[str]) -> dict:
    """{column: [low, high]}: the whole baseline's range quantiles (also for a segment); with
    baseline `previous` each window's range is the window before's (see quality_sql), so only
    which columns have one."""
    low, high = context.settings.range_quantiles
    model = context.model
    if context.previous:
        return {c: None for c in numeric}
    if context.baseline.kind == "reference":
        if not has_rows(con, model, "reference"):
            return {}
        numeric = [c for c in numeric if c in reference_columns(con, model)]

    def compute() -> dict:
        source, params = context.reference(con, sliced=False)
        return quality_sql.reference_ranges(con, source, params, numeric, low, high)

    key = cache_key("quality-ranges", context, low, high, ",".join(numeric), sliced=False)
    return for_reference(con, context, key, compute)


def reference_columns(con, model) -> set[str]:
    """Columns the reference table has (columns added by later production files are missing)."""
    return set(catalog.table_columns(con, model.table("reference")))


def _record(window, column, metric, value, count, examples=None) -> dict:
    return {
        "window": window,
        "column": column,
        "metric": metric,
        "value": value,
        "count": count,
        "examples": examples,
    }


def _cells(rows: list[tuple], grouped: bool) -> dict:
    """{(window key, WHOLE or value): counts} from a query keyed by quality_sql._keys; grouped,
    the whole window's counts are the sums of its values'."""
    if not grouped:
        return {(row[0], WHOLE): row[1:] for row in rows}
    found = {(row[0], row[1]): row[3:] for row in rows}
    whole: dict = {}
    for (key, _), counts in found.items():
        whole[key] = [a + (b or 0) for a, b in zip(whole.get(key, [0] * len(counts)), counts, strict=True)]
    return {**{(key, WHOLE): tuple(counts) for key, counts in whole.items()}, **found}


def _slices(context) -> list[tuple]:
    """(window, WHOLE or value) for every window and each value of the grouping column in it."""
    values = [WHOLE] + (context.segment_values if context.by else [])
    return [(w, v) for w in context.windows for v in values if v == WHOLE or context.holds(w.key, v)]


def _column_records(context, columns, cells: dict) -> tuple[list[tuple], dict]:
    """Missing, out-of-range and unparsable records as (window, value, record) from the `cells`
    of `_counted`; and non-missing counts per (window key, value) and column."""
    numeric = {c.name for c in columns if c.kind == "numeric"}
    names = [c.name for c in columns]
    records, present = [], {}
    for (key, value), (total, *counts) in cells.items():
        window = context.index_of(key)
        present[(key, value)] = {name: counts[4 * i + 1] for i, name in enumerate(names)}
        for i, name in enumerate(names):
            could, found, outside, invalid = counts[4 * i : 4 * i + 4]
            missing = _record(window, name, "missing_share", share(could - found, could), could - found)
            records.append((key, value, missing))
            if name in numeric:
                record = _record(window, name, "out_of_range_share", share(outside, found), outside)
                records.append((key, value, record))
            records.append(
                (key, value, _record(window, name, "unparsable_share", share(invalid, total), invalid))
            )
    return records, present


def _unseen_columns(con, context, columns) -> list:
    """The categorical columns whose unseen values can be looked up in the baseline."""
    if context.baseline.kind != "reference":
        return columns
    if not has_rows(con, context.model, "reference"):
        return []
    known = reference_columns(con, context.model)
    return [c for c in columns if c.name in known]


def _counted(con, context, columns, unseen_columns) -> tuple[dict, dict]:
    """({(window key, WHOLE or value): [rows, then per column: could hold it, non-missing, out of
    range, unparsable]}, {column: {(window key, value): [(unseen category, rows)]}}).

    Every figure is a count, so a week's or a month's are the sums of its days', kept per day: a new
    day in a week counts that day's rows only. Not with baseline `previous`, where a window's ranges
    and known categories are those of the window before."""
    if not in_days(context) or context.previous:
        return _queried(con, context, columns, unseen_columns)
    days = days_of(con, context, context.windows)
    names = ([c.name for c in columns], [c.name for c in unseen_columns])
    kept = per_window(
        con, days, "quality-days", _day_parts(columns, unseen_columns), ("cells", "unseen"), names
    )
    week_of = {
        d.index: next(w.key for w in context.windows if w.start <= d.key < w.end) for d in days.windows
    }
    return _summed_cells(kept["cells"], week_of), _summed_unseen(kept["unseen"], week_of, unseen_columns)


def _summed_cells(parts: list[dict], week_of: dict) -> dict:
    cells: dict = {}
    for part in parts:
        cell, counts = (week_of[part["window"]], part["value"]), part["counts"]
        cells[cell] = [a + b for a, b in zip(cells.get(cell, [0] * len(counts)), counts, strict=True)]
    return cells


def _summed_unseen(parts: list[dict], week_of: dict, columns) -> dict:
    unseen: dict = {c.name: {} for c in columns}
    for part in parts:
        found = unseen[part["column"]].setdefault((week_of[part["window"]], part["value"]), {})
        found[part["category"]] = found.get(part["category"], 0) + part["rows"]
    return {name: {cell: list(n.items()) for cell, n in by_cell.items()} for name, by_cell in unseen.items()}


def _day_parts(columns, unseen_columns):
    """compute() for per_window: each day's counts as records of that day."""

    def compute(con, days) -> dict:
        cells, unseen = _queried(con, days, columns, unseen_columns)
        return {
            "cells": [
                {"window": days.index_of(key), "value": value, "counts": list(counts)}
                for (key, value), counts in cells.items()
            ],
            "unseen": [
                {
                    "window": days.index_of(key),
                    "value": value,
                    "column": name,
                    "category": category,
                    "rows": n,
                }
                for name, by_cell in unseen.items()
                for (key, value), found in by_cell.items()
                for category, n in found
            ],
        }

    return compute


def _queried(con, context, columns, unseen_columns) -> tuple[dict, dict]:
    """What `_counted` gives, counted from the context's production rows."""
    numeric = [c.name for c in columns if c.kind == "numeric"]
    source, params = context.production(con)
    since = catalog.columns_added(con, context.model.id)  # older rows never had such a column
    previous = tuple(context.settings.range_quantiles) if context.previous else None
    rows = quality_sql.quality_counts(
        con,
        source,
        params,
        [c.name for c in columns],
        _ranges(con, context, numeric),
        since,
        segment=bool(context.by),
        previous=previous,
    )
    return _cells(rows, bool(context.by)), _unseen_counts(con, context, unseen_columns)


def _unseen_counts(con, context, columns) -> dict:
    """{column: {(window key, value): [(category never seen in the baseline, rows)]}}; with
    `previous`, never seen in the window before."""
    if not columns:  # e.g. no reference stored yet: nothing to look values up in
        return {}
    production, reference = context.production(con), context.reference(con, sliced=False)
    windows = context.windows
    before = [(w.key, windows[i - 1].key) for i, w in enumerate(windows) if i] if context.previous else None
    found: dict = {}
    for column in columns:
        rows = quality_sql.unseen_categories(
            con, production, reference, column.name, segment=bool(context.by), previous=before
        )
        by_cell = found.setdefault(column.name, {})
        for cell, (category, count) in _cells_of_values(rows, bool(context.by)):
            by_cell.setdefault(cell, []).append((category, count))
    return found


def _unseen_records(context, columns, present: dict, unseen: dict) -> list[tuple]:
    """Per categorical column and window: the share of values never seen in the baseline (with
    `previous`, in the window before), with examples, as (window key, value, record)."""
    records = []
    for column in columns:
        found = unseen.get(column.name, {})
        for window, value in _slices(context):
            if context.previous and window.index == 0:
                continue
            values = sorted(found.get((window.key, value), []), key=lambda item: (-item[1], item[0]))
            count = sum(n for _, n in values)
            examples = [v for v, _ in values[:MAX_EXAMPLES]]
            total = present.get((window.key, value), {}).get(column.name, 0)
            record = _record(
                window.index, column.name, "unseen_category_share", share(count, total), count, examples
            )
            records.append((window.key, value, record))
    return records


def _cells_of_values(rows: list[tuple], grouped: bool) -> list[tuple]:
    """((window key, WHOLE or value), (category, rows)) from `unseen_categories`; grouped, the
    whole window's rows per category are the sums over its values."""
    if not grouped:
        return [((row[0], WHOLE), row[1:]) for row in rows]
    whole: dict = {}
    for row in rows:
        whole[(row[0], row[3])] = whole.get((row[0], row[3]), 0) + row[4]
    found = [((key, WHOLE), (category, count)) for (key, category), count in whole.items()]
    return found + [((row[0], row[1]), row[3:]) for row in rows]


def _duplicate_records(con, context) -> list[dict]:
    id_column = context.model.column("id")
    if id_column is None:
        return []
    version = context.model.column("version")
    rows = duplicate_rows(con, context, id_column.name, version.name if version else None)
    counts = {cell: found[0] for cell, found in _cells(rows, bool(context.by)).items()}
    records = []
    for window, value in _slices(context):
        count = counts.get((window.key, value), 0)
        rows_in = window.rows if value == WHOLE else context.segment_rows.get((window.key, value), 0)
        record = _record(window.index, id_column.name, "duplicate_id_share", share(count, rows_in), count)
        records.append(_tag(context, window.key, value, record))
    return records


def _tag(context, key, value, record: dict) -> dict:
    return context.tag(record, key, value, whole=value == WHOLE) if context.by else record


def schema_change_records(con, context) -> list[dict]:
    """One record per schema change a batch brought: column added, removed or type changed."""
    frame = catalog.list_schema_changes(con, context.model.id)
    return [
        {
            "batch": int(r.batch_id),
            "file_name": r.file_name,
            "column": r.column_name,
            "change": r.change,
            "detail": r.detail,
        }
        for r in frame.itertuples()
    ]


def data_quality_section(con, context) -> dict:
    """The report's `data_quality` records and `schema_changes` records."""
    kept = per_window(con, context, "quality", _window_records, ("data_quality",))
    records = kept["data_quality"] + _duplicate_records(con, context)  # duplicates span windows
    return {"data_quality": records, "schema_changes": schema_change_records(con, context)}


def _window_records(con, context) -> dict:
    """The records each window's own rows decide: missing, out of range, unparsable, unseen."""
    stored = window_sql.stored_columns(con, context.model, "production")
    columns = [c for c in quality_columns(context.model) if c.name in stored]  # not reference-only ones
    categorical = [c for c in columns if c.kind == "categorical" and c.role != "prediction"]
    unseen_columns = _unseen_columns(con, context, categorical)
    cells, unseen = _counted(con, context, columns, unseen_columns)
    records, present = _column_records(context, columns, cells)
    records += _unseen_records(context, unseen_columns, present, unseen)
    return {"data_quality": [_tag(context, key, value, r) for key, value, r in records]}
