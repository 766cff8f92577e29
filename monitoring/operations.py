"""Operations per window: volume, throughput, latency quantiles, error rate, missing latency.

Latency quantiles are exact (the sorted values' ranks, with the same linear interpolation as
numpy's default percentile: operations_sql.exact_quantiles). Throughput is predictions per second over the window's duration: the window's length
for time windows (hour/day/week/month, so a partly filled last window reads low), or the span from
first to last prediction for batch and rows:N windows. What counts as an error is defined once,
in `monitoring.store.operations_sql.error_condition`.
"""

from monitoring.context import WHOLE
from monitoring.store import operations_sql
from monitoring.window_cache import per_window

ROWS_PER_PASS = 5_000_000  # windows computed together; the sort behind the percentiles spills

OPERATIONS_METRICS = (
    "prediction_count",
    "throughput_per_second",
    "latency_p50",
    "latency_p95",
    "latency_p99",
    "latency_max",
    "error_rate",
    "missing_latency_share",
)


def throughput(rows: int, window) -> float | None:
    """Predictions per second over the window (None when it has no duration)."""
    if window.start is None or window.end is None:
        return None
    seconds = (window.end - window.start).total_seconds()
    return rows / seconds if seconds > 0 else None


def window_operations(rows, with_latency, quantiles, latency_max, errors, window, has_status: bool) -> dict:
    """The operations metrics of one window from its counts and quantiles."""
    p50, p95, p99 = quantiles if quantiles else (None, None, None)
    return {
        "prediction_count": rows,
        "throughput_per_second": throughput(rows, window),
        "latency_p50": p50,
        "latency_p95": p95,
        "latency_p99": p99,
        "latency_max": latency_max,
        "error_rate": errors / rows if has_status and rows else None,
        "missing_latency_share": (rows - with_latency) / rows if rows else None,
    }


def operations_section(con, context) -> dict:
    """The report's `operations` records: one per (window, metric), and when grouped per value of
    the grouping column too; each window's are kept until its rows change."""
    return per_window(con, context, "operations", _operations, ("operations",), rows_per_pass=ROWS_PER_PASS)


def _operations(con, context) -> dict:
    model = context.model
    latency, status = model.column("latency"), model.column("status")
    grouped = bool(context.by)
    source, params = context.production(con)
    found = operations_sql.operations_by_window(
        con,
        source,
        params,
        latency=latency.name if latency else None,
        status=(status.name, status.kind) if status else None,
        segment=grouped,
    )
    cells = (
        {(r[0], WHOLE): r[1:] for r in found}
        if not grouped
        else {(r[0], WHOLE if r[2] else r[1]): r[3:] for r in found}
    )
    records = []
    for window in context.windows:
        for value in [WHOLE] + (context.segment_values if grouped else []):
            if (window.key, value) not in cells:
                continue
            metrics = window_operations(*cells[(window.key, value)], window, status is not None)
            if latency is None:
                metrics = {
                    k: v for k, v in metrics.items() if not k.startswith(("latency", "missing_latency"))
                }
            found_records = [{"window": window.index, "metric": k, "value": v} for k, v in metrics.items()]
            if grouped:
                found_records = [
                    context.tag(r, window.key, value, whole=value == WHOLE) for r in found_records
                ]
            records += found_records
    return {"operations": records}
