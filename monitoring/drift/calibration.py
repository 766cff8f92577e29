"""Calibrated drift thresholds: the statistic's spread across reference chunks sets the line.

The reference is cut into consecutive chunks of as many rows as a typical production window (the
median window size), in timestamp order when the model has a timestamp. Each full chunk is
compared with the whole reference using the column's method; the line is mean + 3 standard
deviations of those values, and a window drifts when its statistic reaches the line (for p-value
tests the line is drawn on the statistic, not the p-value). Lines are kept for as long as the reference batches and the chunk size are unchanged.
"""

import hashlib
import statistics

import numpy as np

from monitoring.context import WHOLE
from monitoring.drift.methods import METHODS, statistic_for
from monitoring.store import drift_sql
from monitoring.store.connection import quote
from monitoring.store.segment_sql import SEGMENT
from monitoring.window_cache import cache_key, for_reference

MIN_CHUNKS = 3
SIGMAS = 3.0


def chunk_size(windows) -> int:
    """Rows per reference chunk: the median production window size."""
    return max(1, int(statistics.median(w.rows for w in windows)))


def line_from(values: list[float]) -> float | None:
    """mean + 3 std (sample std) of finite values, or None with fewer than MIN_CHUNKS of them."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if len(finite) < MIN_CHUNKS:
        return None
    return float(np.mean(finite) + SIGMAS * np.std(finite, ddof=1))


def calibrated_lines(con, context, columns, plans: dict) -> dict:
    """{slice: {column: (line, how)}} for each column whose baseline slice has enough full chunks.

    `plans`: {slice (WHOLE or a value of the grouping column): (plan, edges with the slice's
    stats, the slice's baseline counts)}; each slice is chunked on its own rows.
    """
    size = chunk_size(context.windows)
    methods = repr([(v, sorted((n, m) for n, (m, _) in plan.items())) for v, (plan, _, _) in plans.items()])
    key = cache_key("drift-calibration", context, size, hashlib.sha1(methods.encode()).hexdigest()[:16])

    def compute() -> list:
        chunks = _chunk_summaries(con, context, columns, next(iter(plans.values()))[1], size)
        found = []
        for value, (plan, edges, ref_summary) in plans.items():
            lines = {}
            for column in columns:
                info, ref = edges.get(column.sql_name), ref_summary.get(column.sql_name)
                values = [
                    statistic_for(plan[column.name][0], column.kind, info, ref, chunk[column.sql_name])[0]
                    for chunk in chunks.get(context.baseline_key(value), [])
                    if ref and chunk.get(column.sql_name)
                ]
                lines[column.name] = [line_from(values), len(values)]
            found.append([value, lines])
        return found

    return {
        value: _described(lines, plans[value][0], size)
        for value, lines in for_reference(con, context, key, compute)
    }


def _described(found: dict, plan: dict, size: int) -> dict:
    lines = {}
    for name, (line, count) in found.items():
        if line is None:
            default = METHODS[plan[name][0]].threshold
            lines[name] = (
                default,
                f"fixed default: {count} full reference chunks of {size} rows are too few",
            )
        else:
            lines[name] = (line, f"calibrated on {count} reference chunks of {size} rows (mean + 3 std)")
    return lines


def _chunk_summaries(con, context, columns, edges, size: int) -> dict:
    """{slice: [counts of each full chunk]}: the whole (filtered) baseline's chunks, and with a
    grouping column each value's own."""
    categorical = [c.sql_name for c in columns if c.kind == "categorical"]
    timestamp = context.model.column("timestamp")
    order = quote(timestamp.name) if timestamp else None
    source, params = context.reference(con, sliced=context.segment is not None)
    wrapped, group = drift_sql.chunked_source(source, order, size)
    found = {WHOLE: _full_chunks(con, wrapped, params, group, edges, categorical, size)}
    if context.baseline_by:
        source, params = context.reference(con)
        wrapped, group = drift_sql.chunked_source(source, order, size, partition=SEGMENT)
        by_value: dict = {}
        for (value, _), summary in _full_chunks(
            con, wrapped, params, [SEGMENT, group], edges, categorical, size, True
        ):
            by_value.setdefault(value, []).append(summary)
        found.update(by_value)
    return found


def _full_chunks(con, source, params, group, edges, categorical, size, keyed=False) -> list:
    counts = drift_sql.chunk_rows(con, source, params, group)
    found = drift_sql.grouped_counts(con, source, params, group, edges, categorical)
    full = [(chunk, summary) for chunk, summary in found.items() if counts.get(chunk, 0) >= size]
    return full if keyed else [summary for _, summary in full]
