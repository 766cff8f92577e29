"""SQL for operations: per-window latency quantiles, throughput and error counts."""

from monitoring.store.connection import quote
from monitoring.store.segment_sql import SEGMENT
from monitoring.store.window_sql import WINDOW

ERROR_STATUSES = [
    "error",
    "errors",
    "failed",
    "failure",
    "fail",
    "exception",
    "timeout",
    "timed_out",
    "fatal",
]
ERROR_FLAG_NAMES = {"error", "errors", "is_error", "failed", "is_failed", "failure", "has_error"}


def error_condition(column: str, kind: str) -> tuple[str, list]:
    """SQL that is true when a row's status means the prediction failed, and its parameters.

    The one rule for errors: a text status that, trimmed and lowercased, is one of ERROR_STATUSES
    or is an HTTP code >= 500; a numeric status >= 500 (HTTP code); and, when the column is a flag
    named like 'is_error' (ERROR_FLAG_NAMES), a true value (1, 'true', 'yes').
    """
    value = quote(column)
    flag = column.strip().lower() in ERROR_FLAG_NAMES
    if kind == "numeric":
        return (f"({value} >= 500" + (f" OR {value} = 1)" if flag else ")")), []
    text = f"lower(trim(CAST({value} AS VARCHAR)))"
    words = ERROR_STATUSES + (["1", "true", "yes", "t", "y"] if flag else [])
    return f"(list_contains(?, {text}) OR coalesce(TRY_CAST({text} AS DOUBLE) >= 500, false))", [words]


def operations_by_window(
    con, source: str, params: list, *, latency: str | None, status=None, segment: bool = False
) -> list[tuple]:
    """Per window: rows, rows with latency, p50, p95, p99, max latency (exact), error rows.

    With `segment` each row starts (window, value of the grouping column, whole): one row per
    window for all its rows (whole true) and one per value in it. Two passes, not grouping sets:
    exact quantiles hold every value of their group, and two groupings at once would hold them twice.
    """
    lat = quote(latency) if latency else "NULL::DOUBLE"
    errors, error_params = ("false", []) if status is None else error_condition(*status)
    figures = (
        f"count(*)::BIGINT, count({lat})::BIGINT, quantile_cont({lat}, [0.5, 0.95, 0.99]), max({lat}), "
        f"count_if(coalesce({errors}, false))::BIGINT"
    )
    whole = con.execute(
        f"SELECT {WINDOW}, {figures} FROM ({source}) GROUP BY {WINDOW} ORDER BY {WINDOW}",
        error_params + params,
    ).fetchall()
    if not segment:
        return whole
    parts = con.execute(
        f"SELECT {WINDOW}, {SEGMENT}, false, {figures} FROM ({source}) GROUP BY ALL ORDER BY 1, 2",
        error_params + params,
    ).fetchall()
    return [(row[0], None, True, *row[1:]) for row in whole] + parts
