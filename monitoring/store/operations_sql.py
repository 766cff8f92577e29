"""SQL for operations and data quality: per-window latency quantiles, error counts, missing and
out-of-range counts, unparsable values, unseen categories and duplicate ids."""

from monitoring.store.connection import quote
from monitoring.store.drift_sql import hash_sample

WINDOW = "__window"
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


def operations_by_window(con, source: str, params: list, *, latency: str | None, status=None) -> list[tuple]:
    """Per window: rows, rows with latency, p50, p95, p99, max latency (exact), error rows."""
    lat = quote(latency) if latency else "NULL::DOUBLE"
    errors, error_params = ("false", []) if status is None else error_condition(*status)
    return con.execute(
        f"SELECT {WINDOW}, count(*)::BIGINT, count({lat})::BIGINT, "
        f"quantile_cont({lat}, [0.5, 0.95, 0.99]), max({lat}), count_if(coalesce({errors}, false))::BIGINT "
        f"FROM ({source}) GROUP BY {WINDOW} ORDER BY {WINDOW}",
        error_params + params,
    ).fetchall()


def reference_ranges(con, source: str, params: list, columns: list[str], low: float, high: float) -> dict:
    """{column: [low quantile, high quantile]} of numeric columns over the reference.

    Above 200,000 rows the quantiles are those of a repeatable hash sample of about 50,000 values
    (drift_sql.hash_sample): close enough for a plausibility range, and memory stays small.
    """
    if not columns:
        return {}
    (rows,) = con.execute(f"SELECT count(*) FROM ({source})", params).fetchall()[0]
    parts = [
        f"quantile_cont({quote(c)}, [{float(low)!r}, {float(high)!r}]) "
        f"FILTER (WHERE {hash_sample(quote(c), rows)})"
        for c in columns
    ]
    row = con.execute(f"SELECT {', '.join(parts)} FROM ({source})", params).fetchall()[0]
    return dict(zip(columns, [list(v) if v is not None else None for v in row], strict=True))


def quality_counts(
    con, source: str, params: list, columns: list[str], ranges: dict, since: dict[str, int]
) -> list[tuple]:
    """Per window: rows, then per column: rows that could hold it (those of the batch that added
    the column, `since`, and later ones), non-null values, values out of range, unparsable values."""
    parts, values = [], []
    for column in columns:
        name = quote(column)
        parts.append("count_if(__batch >= ?)::BIGINT")
        values.append(since.get(column, 0))
        bounds = ranges.get(column)
        if bounds and None not in bounds:
            outside = f"count_if(coalesce({name} < ? OR {name} > ?, false))::BIGINT"
            values += list(bounds)
        else:
            outside = "0::BIGINT"
        parts += [
            f"count({name})::BIGINT",
            outside,
            "count_if(coalesce(list_contains(__invalid, ?), false))::BIGINT",
        ]
        values.append(column)
    return con.execute(
        f"SELECT {WINDOW}, count(*)::BIGINT, {', '.join(parts)} FROM ({source}) GROUP BY {WINDOW} ORDER BY {WINDOW}",
        values + params,
    ).fetchall()


def unseen_categories(
    con, production: tuple[str, list], reference: tuple[str, list], column: str
) -> list[tuple]:
    """Per window, the values of `column` never seen in the reference, with their row counts."""
    name = quote(column)
    (source, params), (ref, ref_params) = production, reference
    return con.execute(
        f"SELECT {WINDOW}, CAST({name} AS VARCHAR) AS v, count(*)::BIGINT FROM ({source}) p "
        f"WHERE {name} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({ref}) r WHERE r.{name} = p.{name}) "
        f"GROUP BY ALL ORDER BY {WINDOW}, 3 DESC, v",
        params + ref_params,
    ).fetchall()


def duplicate_ids(con, source: str, params: list, id_column: str) -> list[tuple]:
    """Per window: rows whose id occurs more than once in the period's production rows."""
    name = quote(id_column)
    return con.execute(
        f"SELECT {WINDOW}, count_if(n > 1)::BIGINT FROM (SELECT {WINDOW}, "
        f"count(*) OVER (PARTITION BY {name}) AS n FROM ({source}) WHERE {name} IS NOT NULL) "
        f"GROUP BY {WINDOW} ORDER BY {WINDOW}",
        params,
    ).fetchall()
