"""Calibrated drift thresholds: the statistic's spread across reference chunks sets the line.

The reference is cut into consecutive chunks of as many rows as a typical production window (the
median window size), in timestamp order when the model has a timestamp. Each full chunk is
compared with the whole reference using the column's method; the line is mean + 3 standard
deviations of those values, and a window drifts when its statistic reaches the line (for p-value
tests the line is drawn on the statistic, not the p-value). Lines are kept for as long as the reference batches and the chunk size are unchanged.

The same chunks give every drift record its `noise`, whatever the threshold: mean + 1.96 std of
the chunks' statistics, the level sampling noise alone stays under in about 97.5% of windows of that
size when nothing changed (normal approximation; a smaller window, e.g. a partial last week, is
noisier than its column's one line says). Where the baseline has fewer than MIN_CHUNKS full chunks
(a window as large as the reference), the spread comes from RESAMPLES pairs of samples drawn from
the baseline's own bin or category counts instead: one of the baseline's rows, one of a window's
(a parametric bootstrap of the statistic when nothing changed). The values of a grouping column
carry no noise in a grouped report (see noise_levels). The drift chart draws it so that a
reader sees what "no drift" looks like.
"""

import hashlib
import statistics

import numpy as np

from monitoring.context import WHOLE
from monitoring.drift.methods import METHODS, statistic_for
from monitoring.store import drift_sql, window_sql
from monitoring.store.connection import quote
from monitoring.store.segment_sql import SEGMENT
from monitoring.window_cache import cache_key, for_reference

MIN_CHUNKS = 3
SIGMAS = 3.0
NOISE_SIGMAS = 1.959963984540054
RESAMPLES = 200


def chunk_size(windows) -> int:
    """Rows per reference chunk: the median production window size to two significant digits
    (at most 5% off), so that a new day rarely changes it: every line cut from the chunks is
    computed again when it does, and the lines do not wobble from one day to the next."""
    median = max(1, int(statistics.median(w.rows for w in windows)))
    scale = 10 ** max(len(str(median)) - 2, 0)
    return round(median / scale) * scale


def line_from(values: list[float], sigmas: float = SIGMAS) -> float | None:
    """mean + 3 std (sample std) of finite values, or None with fewer than MIN_CHUNKS of them."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if len(finite) < MIN_CHUNKS:
        return None
    return float(np.mean(finite) + sigmas * np.std(finite, ddof=1))


def calibrated_lines(con, context, columns, plans: dict) -> dict:
    """{slice: {column: (line, how)}} for each column whose baseline slice has enough full chunks.

    `plans`: {slice (WHOLE or a value of the grouping column): (plan, edges with the slice's
    stats, the slice's baseline counts)}; each slice is chunked on its own rows.
    """
    size = chunk_size(context.windows)
    return {
        value: _described(lines, plans[value][0], size)
        for value, lines in _chunk_lines(con, context, columns, plans)
    }


def _methods(plans: dict) -> str:
    methods = repr([(v, sorted((n, m) for n, (m, _) in plan.items())) for v, (plan, _, _) in plans.items()])
    return hashlib.sha1(methods.encode()).hexdigest()[:16]


def _chunk_lines(con, context, columns, plans: dict) -> list:
    """[[slice, {column: [line, chunks, noise]}]], kept per reference, chunk size and methods."""
    size = chunk_size(context.windows)
    key = cache_key("drift-chunks", context, size, _methods(plans))

    def compute() -> list:
        by = any(value != WHOLE for value in plans)
        chunks = _chunk_summaries(con, context, columns, next(iter(plans.values()))[1], size, by)
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
                lines[column.name] = [line_from(values), len(values), line_from(values, NOISE_SIGMAS)]
            found.append([value, lines])
        return found

    return for_reference(con, context, key, compute)


def noise_levels(con, context, columns, plans: dict) -> dict:
    """{WHOLE: {column: noise}}: from the baseline's chunks, else from samples of its counts.

    Only for the whole population: a value of a grouping column has smaller windows than the
    chunks (cut at the whole's median window), so the line would understate its noise; a report
    filtered to the segment measures it at the segment's own window size."""
    if WHOLE not in plans:
        return {}
    whole = {WHOLE: plans[WHOLE]}
    noise = {n: found[2] for n, found in dict(_chunk_lines(con, context, columns, whole))[WHOLE].items()}
    short = [c for c in columns if noise.get(c.name) is None]
    if short:
        drawn = dict(_resampled_statistics(con, context, {WHOLE: short}, whole))[WHOLE]
        noise.update({n: line_from(v, NOISE_SIGMAS) for n, v in drawn.items()})
    return {WHOLE: noise}


def _resampled_statistics(con, context, short: dict, plans: dict) -> list:
    """[[slice, {column: the statistic between RESAMPLES pairs of samples drawn from the slice's
    baseline counts, one of its rows and one of a window's}]], kept per reference (fixed seed)."""
    size = chunk_size(context.windows)
    names = repr({v: [c.name for c in columns] for v, columns in short.items()})
    key = cache_key("drift-resampled", context, size, RESAMPLES, _methods(plans), names)

    def compute() -> list:
        rng = np.random.default_rng(0)
        found = []
        for value, columns in short.items():
            plan, edges, baseline = plans[value]
            drawn = {}
            for column in columns:
                info, ref = edges.get(column.sql_name), baseline.get(column.sql_name)
                drawn[column.name] = _resampled(rng, column, plan, info, ref, size) if ref else []
            found.append([value, drawn])
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
        if numeric:  # the baseline's edges span its values: nothing lies beyond them
            return {"counts": drawn.tolist(), "below": 0.0, "above": 0.0}
        return {n: int(c) for n, c in zip(names, drawn, strict=True) if c}

    method = plan[column.name][0]
    return [
        statistic_for(method, column.kind, info, summary(r), summary(w))[0]
        for r, w in zip(references, windows, strict=True)
    ]


def _described(found: dict, plan: dict, size: int) -> dict:
    lines = {}
    for name, (line, count, _) in found.items():
        if line is None:
            default = METHODS[plan[name][0]].threshold
            lines[name] = (
                default,
                f"fixed default: {count} full reference chunks of {size} rows are too few",
            )
        else:
            lines[name] = (line, f"calibrated on {count} reference chunks of {size} rows (mean + 3 std)")
    return lines


def _chunk_summaries(con, context, columns, edges, size: int, by: bool = True) -> dict:
    """{slice: [counts of each full chunk]}: the whole (filtered) baseline's chunks, and with a
    grouping column each value's own."""
    categorical = [c.sql_name for c in columns if c.kind == "categorical"]
    order = ", ".join(chunk_order(con, context)) or None
    source, params = context.reference(con, sliced=context.segment is not None)
    wrapped, group = drift_sql.chunked_source(source, order, size)
    found = {WHOLE: _full_chunks(con, wrapped, params, group, edges, categorical, size)}
    if by and context.baseline_by:
        source, params = context.reference(con)
        wrapped, group = drift_sql.chunked_source(source, order, size, partition=SEGMENT)
        by_value: dict = {}
        for (value, _), summary in _full_chunks(
            con, wrapped, params, [SEGMENT, group], edges, categorical, size, True
        ):
            by_value.setdefault(value, []).append(summary)
        found.update(by_value)
    return found


def chunk_order(con, context) -> tuple[str, ...]:
    """The order reference chunks are cut in: the timestamp, ties broken by the id where the
    baseline's rows have one (else by a hash of the whole row `__row`, which costs more); none
    without a timestamp."""
    timestamp, id_column = context.model.column("timestamp"), context.model.column("id")
    if timestamp is None:
        return ()
    kind = "reference" if context.baseline.kind == "reference" else "production"
    has_id = id_column is not None and id_column.name in window_sql.stored_columns(con, context.model, kind)
    return quote(timestamp.name), quote(id_column.name) if has_id else "hash(__row)"


def _full_chunks(con, source, params, group, edges, categorical, size, keyed=False) -> list:
    counts = drift_sql.chunk_rows(con, source, params, group)
    found = drift_sql.grouped_counts(con, source, params, group, edges, categorical)
    full = [(chunk, summary) for chunk, summary in found.items() if counts.get(chunk, 0) >= size]
    return full if keyed else [summary for _, summary in full]
