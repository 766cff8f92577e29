"""Calibrated drift thresholds: the statistic's spread across reference chunks sets the line.

The reference is cut into consecutive chunks of as many rows as a typical production window (the
median window size), in timestamp order when the model has a timestamp. Each full chunk is
compared with the whole reference using the column's method; the line is mean + 3 standard
deviations of those values, and a window drifts when its statistic reaches the line (for p-value
tests the line is drawn on the statistic, not the p-value). Lines are kept for as long as the reference batches and the chunk size are unchanged.

The same spread gives every drift record its `noise`, whatever the threshold: mean + 1.96 std of
the chunks' statistics, the level sampling noise alone stays under in about 97.5% of windows of that
size when nothing changed (normal approximation; a smaller window, e.g. a partial last week, is
noisier than its column's one line says). Where the reference has fewer than MIN_CHUNKS
full chunks (a window as large as the reference), the spread comes from RESAMPLES pairs of samples
drawn from the reference's own bin or category counts instead: one of the reference's rows, one
of a window's (a parametric bootstrap of the statistic when nothing changed). The drift chart
draws it so that a reader sees what "no drift" looks like.
"""

import statistics

import numpy as np

from monitoring.drift.methods import METHODS, statistic_for
from monitoring.store import drift_sql
from monitoring.store.connection import quote
from monitoring.window_cache import cache_key, for_reference

MIN_CHUNKS = 3
SIGMAS = 3.0
NOISE_SIGMAS = 1.959963984540054
RESAMPLES = 200


def chunk_size(windows) -> int:
    """Rows per reference chunk: the median production window size."""
    return max(1, int(statistics.median(w.rows for w in windows)))


def line_from(values: list[float], sigmas: float = SIGMAS) -> float | None:
    """mean + 3 std (sample std) of finite values, or None with fewer than MIN_CHUNKS of them."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if len(finite) < MIN_CHUNKS:
        return None
    return float(np.mean(finite) + sigmas * np.std(finite, ddof=1))


def chunk_statistics(con, context, columns, plan, edges, ref_summary) -> tuple[dict, int]:
    """({column: the statistic of each full reference chunk against the reference}, chunk rows),
    kept for as long as the reference batches, the chunk size and the methods are unchanged."""
    size = chunk_size(context.windows)
    methods = ",".join(f"{c.name}={plan[c.name][0]}" for c in columns)
    key = cache_key("drift-chunks", context, size, methods)

    def compute() -> dict:
        chunks = _chunk_summaries(con, context, columns, edges, size)
        found = {}
        for column in columns:
            info, ref = edges.get(column.sql_name), ref_summary.get(column.sql_name)
            found[column.name] = [
                statistic_for(plan[column.name][0], column.kind, info, ref, chunk[column.sql_name])[0]
                for chunk in chunks
                if ref and chunk.get(column.sql_name)
            ]
        return found

    return for_reference(con, context, key, compute), size


def noise_levels(statistics: dict) -> dict:
    """{column: mean + 1.96 std of its chunk statistics, or None with too few chunks}."""
    return {name: line_from(values, NOISE_SIGMAS) for name, values in statistics.items()}


def resampled_statistics(con, context, columns, plan, edges, ref_summary, size: int) -> dict:
    """{column: the statistic between RESAMPLES pairs of samples drawn from the reference's counts,
    one of the reference's rows and one of `size` rows}, kept per reference (fixed seed)."""
    methods = ",".join(f"{c.name}={plan[c.name][0]}" for c in columns)
    key = cache_key("drift-resampled", context, size, RESAMPLES, methods)

    def compute() -> dict:
        rng = np.random.default_rng(0)
        found = {}
        for column in columns:
            info, ref = edges.get(column.sql_name), ref_summary.get(column.sql_name)
            found[column.name] = [] if not ref else _resampled(rng, column, plan, info, ref, size)
        return found

    return for_reference(con, context, key, compute)


def _resampled(rng, column, plan, info, ref: dict, size: int) -> list[float]:
    numeric = column.kind == "numeric"
    names = None if numeric else list(ref)
    counts = np.asarray(ref["counts"] if numeric else [ref[n] for n in names], dtype=float)
    if counts.sum() <= 0:
        return []
    share = counts / counts.sum()
    references = rng.multinomial(int(counts.sum()), share, size=RESAMPLES)
    windows = rng.multinomial(size, share, size=RESAMPLES)

    def summary(drawn):
        if numeric:  # the reference's edges span its values: nothing lies beyond them
            return {"counts": drawn.tolist(), "below": 0.0, "above": 0.0}
        return {n: int(c) for n, c in zip(names, drawn, strict=True) if c}

    method = plan[column.name][0]
    return [
        statistic_for(method, column.kind, info, summary(r), summary(w))[0]
        for r, w in zip(references, windows, strict=True)
    ]


def calibrated_lines(statistics: dict, size: int, plan: dict) -> dict:
    """{column: (line, how)} from the chunk statistics: mean + 3 std, or the method's default line
    where the reference has too few full chunks."""
    lines = {}
    for name, values in statistics.items():
        line = line_from(values)
        count = sum(1 for v in values if v is not None and np.isfinite(v))
        if line is None:
            default = METHODS[plan[name][0]].threshold
            lines[name] = (
                default,
                f"fixed default: {count} full reference chunks of {size} rows are too few",
            )
        else:
            lines[name] = (line, f"calibrated on {count} reference chunks of {size} rows (mean + 3 std)")
    return lines


def _chunk_summaries(con, context, columns, edges, size: int) -> list[dict]:
    source, params = context.reference(con)
    timestamp = context.model.column("timestamp")
    order = quote(timestamp.name) if timestamp else None
    wrapped, group = drift_sql.chunked_source(source, order, size)
    categorical = [c.sql_name for c in columns if c.kind == "categorical"]
    counts = drift_sql.chunk_rows(con, wrapped, params, group)
    found = drift_sql.grouped_counts(con, wrapped, params, group, edges, categorical)
    return [summary for chunk, summary in found.items() if counts.get(chunk, 0) >= size]
