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
- `duplicate_id_share` (the id column): rows whose id occurs more than once in the period.
"""

from monitoring.store import catalog, quality_sql, window_sql
from monitoring.store.window_sql import has_rows
from monitoring.window_cache import cache_key, for_reference, per_window

MAX_EXAMPLES = 5


def share(count: int, total: int) -> float | None:
    return count / total if total else None


def quality_columns(model) -> list:
    """The columns checked: features, sensitive and segment columns, prediction and scores."""
    return model.features + model.columns_with("prediction", "score", "latency")


def _ranges(con, context, numeric: list[str]) -> dict:
    low, high = context.settings.range_quantiles
    if not has_rows(con, context.model, "reference"):
        return {}
    model = context.model
    numeric = [c for c in numeric if c in reference_columns(con, model)]

    def compute() -> dict:
        source, params = context.reference(con)
        return quality_sql.reference_ranges(con, source, params, numeric, low, high)

    key = cache_key("quality-ranges", context, low, high, ",".join(numeric))
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


def _column_records(con, context, columns) -> tuple[list[dict], dict]:
    """Missing, out-of-range and unparsable records; and non-missing counts per window and column."""
    numeric = [c.name for c in columns if c.kind == "numeric"]
    source, params = context.production(con)
    names = [c.name for c in columns]
    since = catalog.columns_added(con, context.model.id)  # older rows never had such a column
    ranges = _ranges(con, context, numeric)
    rows = quality_sql.quality_counts(con, source, params, names, ranges, since)
    records, present_by_window = [], {}
    for key, total, *counts in rows:
        window = context.index_of(key)
        present_by_window[key] = {name: counts[4 * i + 1] for i, name in enumerate(names)}
        for i, name in enumerate(names):
            could, present, outside, invalid = counts[4 * i : 4 * i + 4]
            records.append(
                _record(window, name, "missing_share", share(could - present, could), could - present)
            )
            if name in numeric:
                records.append(_record(window, name, "out_of_range_share", share(outside, present), outside))
            records.append(_record(window, name, "unparsable_share", share(invalid, total), invalid))
    return records, present_by_window


def _unseen_records(con, context, columns, present: dict) -> list[dict]:
    """Per categorical column and window: values never seen in the reference, with examples."""
    if not has_rows(con, context.model, "reference"):
        return []
    production, reference = context.production(con), context.reference(con)
    known = reference_columns(con, context.model)
    columns = [c for c in columns if c.name in known]
    records = []
    for column in columns:
        found: dict = {}
        for key, value, count in quality_sql.unseen_categories(con, production, reference, column.name):
            found.setdefault(key, []).append((value, count))
        for window in context.windows:
            values = found.get(window.key, [])
            unseen = sum(n for _, n in values)
            examples = [v for v, _ in values[:MAX_EXAMPLES]]
            total = present.get(window.key, {}).get(column.name, 0)
            records.append(
                _record(
                    window.index, column.name, "unseen_category_share", share(unseen, total), unseen, examples
                )
            )
    return records


def _duplicate_records(con, context) -> list[dict]:
    id_column = context.model.column("id")
    if id_column is None:
        return []
    source, params = context.production(con)
    counts = dict(quality_sql.duplicate_ids(con, source, params, id_column.name))
    return [
        _record(
            w.index,
            id_column.name,
            "duplicate_id_share",
            share(counts.get(w.key, 0), w.rows),
            counts.get(w.key, 0),
        )
        for w in context.windows
    ]


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
    records, present = _column_records(con, context, columns)
    records += _unseen_records(con, context, categorical, present)
    return {"data_quality": records}
