"""SQL for operations: per-window latency quantiles, throughput and error counts."""

import math

from monitoring.store.connection import memory_limit_bytes, quote
from monitoring.store.segment_sql import SEGMENT
from monitoring.store.window_sql import WINDOW, only_windows

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


QUANTILES = (0.5, 0.95, 0.99)
BYTES_PER_HELD_VALUE = 64  # DuckDB's quantile aggregate held 16M doubles in 244 MiB, not 24M: 4x margin


def operations_by_window(
    con, source: str, params: list, *, latency: str | None, status=None, segment: bool = False
) -> list[tuple]:
    """Per window: rows, rows with latency, [p50, p95, p99] (exact), max latency, error rows.

    With `segment` each row starts (window, value of the grouping column, whole): one row per
    window for all its rows (whole true) and one per value in it.
    """
    lat = quote(latency) if latency else "NULL::DOUBLE"
    errors, error_params = ("false", []) if status is None else error_condition(*status)
    figures = (
        f"count(*)::BIGINT, count({lat})::BIGINT, max({lat}), count_if(coalesce({errors}, false))::BIGINT"
    )
    found = []
    for grouping in [[WINDOW], [WINDOW, SEGMENT]] if segment else [[WINDOW]]:
        named, width = ", ".join(grouping), len(grouping)
        rows = con.execute(
            f"SELECT {named}, {figures} FROM ({source}) GROUP BY ALL ORDER BY {named}", error_params + params
        ).fetchall()
        held: dict = {}
        for row in rows:  # latencies per window (with a grouping column, over all its values)
            held[row[0]] = held.get(row[0], 0) + row[width + 1]
        quantiles = exact_quantiles(con, source, params, lat, grouping, held) if latency else {}
        for row in rows:
            key, (total, with_latency, largest, failed) = row[:width], row[width:]
            found.append(
                (*_row_start(key, segment), total, with_latency, quantiles.get(key), largest, failed)
            )
    return found


def _row_start(key: tuple, segment: bool) -> tuple:
    """(window,); with `segment` (window, value, whole): the whole window's row has no value."""
    if not segment:
        return key
    return (key[0], None, True) if len(key) == 1 else (*key, False)


def exact_quantiles(con, source: str, params: list, value: str, keys: list[str], held: dict) -> dict:
    """{key tuple: [the QUANTILES of `value`]} per group of `keys` (the window first), exact and
    interpolated as numpy's default percentile. `held`: {window key: its non-null values}.

    DuckDB's quantile aggregate holds every value of the groups it computes at once and cannot
    spill (a week of 12M latencies broke the 256MB limit): it computes windows in sets that fit in a
    quarter of the memory limit, one query each. A window larger than that alone has its quantiles
    read from the ranks of its sorted values, whose sort spills (about 8 times slower)."""
    budget = memory_limit_bytes(con) / BYTES_PER_HELD_VALUE
    found: dict = {}
    for windows, fits in _window_sets(held, budget):
        part, part_params = (
            (source, params) if len(windows) == len(held) else only_windows(source, params, windows)
        )
        quantiles = _aggregated_quantiles if fits else _ranked_quantiles
        found.update(quantiles(con, part, part_params, value, keys))
    return found


def _window_sets(held: dict, budget: float) -> list[tuple[tuple, bool]]:
    """[(window keys, whether their values fit in `budget` together)]: consecutive windows while
    they fit, and every window too large alone in one last set."""
    sets, current, size, large = [], [], 0, []
    for window, values in held.items():
        if values > budget:
            large.append(window)
            continue
        if current and size + values > budget:
            sets.append((tuple(current), True))
            current, size = [], 0
        current.append(window)
        size += values
    if current:
        sets.append((tuple(current), True))
    return sets + ([(tuple(large), False)] if large else [])


def _aggregated_quantiles(con, source: str, params: list, value: str, keys: list[str]) -> dict:
    named = ", ".join(keys)
    wanted = ", ".join(str(q) for q in QUANTILES)
    rows = con.execute(
        f"SELECT {named}, quantile_cont(CAST({value} AS DOUBLE), [{wanted}]) FROM ({source}) "
        f"WHERE {value} IS NOT NULL GROUP BY ALL",
        params,
    ).fetchall()
    return {tuple(row[:-1]): list(row[-1]) for row in rows}


def _ranked_quantiles(con, source: str, params: list, value: str, keys: list[str]) -> dict:
    named = ", ".join(f"{key} AS __k{i}" for i, key in enumerate(keys))
    parts = ", ".join(f"__k{i}" for i in range(len(keys)))
    wanted = ", ".join(f"floor({q} * (n - 1)), floor({q} * (n - 1)) + 1" for q in QUANTILES)
    rows = con.execute(
        f"SELECT {parts}, n, r, v FROM (SELECT {parts}, v, "
        f"row_number() OVER (PARTITION BY {parts} ORDER BY v) - 1 AS r, count(*) OVER (PARTITION BY {parts}) AS n "
        f"FROM (SELECT {named}, CAST({value} AS DOUBLE) AS v FROM ({source}) WHERE {value} IS NOT NULL)) "
        f"WHERE r IN ({wanted})",
        params,
    ).fetchall()
    width = len(keys)
    ranked: dict = {}
    for row in rows:
        key, (n, rank, found) = tuple(row[:width]), row[width:]
        ranked.setdefault(key, (n, {}))[1][rank] = found
    return {key: [_interpolated(values, n, q) for q in QUANTILES] for key, (n, values) in ranked.items()}


def _interpolated(values: dict, n: int, q: float) -> float:
    position = q * (n - 1)
    low = math.floor(position)
    if low + 1 >= n:
        return values[low]
    return values[low] + (position - low) * (values[low + 1] - values[low])
