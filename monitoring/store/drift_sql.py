"""Drift summaries computed in DuckDB: reference quantile edges, bin and category counts, samples.

Every query reads its table once and returns small summaries: one row per group (window or
reference chunk) holding, for each numeric column, a histogram over the reference edges (a MAP
from edge to count; the key `inf` is the bin above the last edge) and the excess sums beyond the
reference range, and for each categorical column a histogram of its values as text.
"""

import math

import numpy as np

from monitoring.store.cache import cached
from monitoring.store.connection import quote

EDGE_BINS = 1000
TAIL_RANKS = 32


def _column_stats(con, source: str, params: list, columns: list[str]) -> list:
    parts = []
    for name in columns:
        col = f"CAST({quote(name)} AS DOUBLE)"
        parts += [f"count({col})", f"avg({col})", f"stddev_pop({col})"]
    return list(con.execute(f"SELECT {', '.join(parts)} FROM ({source})", params).fetchall()[0])


def edge_ranks(rows: int) -> list[int]:
    """1-based ranks of the edges: every 1/EDGE_BINS of the reference, plus denser tails.

    The tails get the TAIL_RANKS most extreme values and ranks at 1/(2^k * EDGE_BINS) from each
    end, so that the wide outer bins of a long-tailed column do not cost Wasserstein precision.
    """
    ranks = {1 + int(i * (rows - 1) // EDGE_BINS) for i in range(EDGE_BINS + 1)}
    ranks |= {r for r in range(1, TAIL_RANKS + 1)} | {rows - r for r in range(TAIL_RANKS)}
    step = rows / EDGE_BINS / 2
    while step >= 1:
        ranks |= {1 + int(step), rows - int(step)}
        step /= 2
    return sorted(r for r in ranks if 1 <= r <= rows)


def _edges_and_counts(con, source: str, params: list, name: str, rows: int) -> tuple[list, list]:
    """Quantiles at ranks 1 + floor(p * (rows - 1)) and the exact count of values <= each one."""
    ranks = edge_ranks(rows)
    col = quote(name)
    found = con.execute(
        "SELECT x, max(cume) FROM (SELECT x, row_number() OVER (ORDER BY x) AS rn, "
        "count(*) OVER (ORDER BY x) AS cume "
        f"FROM (SELECT CAST({col} AS DOUBLE) AS x FROM ({source}) WHERE {col} IS NOT NULL)) "
        "WHERE list_contains(?::BIGINT[], rn) GROUP BY x ORDER BY x",
        params + [ranks],
    ).fetchall()
    edges = [float(x) for x, _ in found]
    cumulative = [int(c) for _, c in found]
    counts = [cumulative[0]] + [b - a for a, b in zip(cumulative, cumulative[1:], strict=False)] + [0]
    return edges, counts


def _distinct(con, source: str, params: list, name: str) -> int:
    col = quote(name)
    return con.execute(f"SELECT count(DISTINCT {col}) FROM ({source})", params).fetchall()[0][0]


def reference_edges(con, model, source: str, params: list, columns: list[str], key: str) -> dict:
    """Per numeric column of the reference, cached per data version: quantile bin edges and counts.

    Edges are the distinct values at ranks 1 + floor(i * (n - 1) / EDGE_BINS), i = 0..EDGE_BINS
    (quantile_disc at i / EDGE_BINS); `counts` are the exact reference counts in the bins those
    edges define (one sort per column gives both). Also the count, mean, population std and number
    of distinct values (exact up to 5; above that, at least the number of distinct edges).
    """

    def compute() -> dict:
        if not columns:
            return {}
        row = _column_stats(con, source, params, columns)
        found = {}
        for i, name in enumerate(columns):
            rows, mean, std = row[3 * i : 3 * i + 3]
            edges, counts = _edges_and_counts(con, source, params, name, rows) if rows else ([], [])
            distinct = len(edges) if len(edges) > 5 else _distinct(con, source, params, name)
            found[name] = {
                "edges": edges,
                "counts": counts,
                "rows": rows,
                "mean": mean,
                "std": std or 0.0,
                "distinct": distinct,
            }
        return found

    return cached(con, model.id, model.data_version, f"drift:edges:{EDGE_BINS}:{key}", compute)


def _numeric_parts(edges: dict) -> tuple[list[str], list]:
    parts, bound = [], []
    for name, info in edges.items():
        col = f"CAST({quote(name)} AS DOUBLE)"
        low, high = info["edges"][0], info["edges"][-1]
        parts += [
            f"histogram({col}, ?::DOUBLE[])",
            f"coalesce(sum(greatest(? - {col}, 0)), 0)",
            f"coalesce(sum(greatest({col} - ?, 0)), 0)",
        ]
        bound += [info["edges"], low, high]
    return parts, bound


def _categorical_parts(columns: list[str]) -> list[str]:
    return [f"histogram(CAST({quote(name)} AS VARCHAR))" for name in columns]


def grouped_counts(con, source: str, params: list, group: str, edges: dict, categorical: list[str]) -> dict:
    """Bin counts for numeric columns and category counts, per group, in one pass over `source`.

    Returns {group_key: {column: summary}} where a numeric summary is
    {"counts": [len(edges) + 1 ints], "below": float, "above": float} and a categorical one is
    {category: count}. NULLs are left out (missing values belong to data quality).
    """
    edges = {n: e for n, e in edges.items() if e["edges"]}
    numeric, bound = _numeric_parts(edges)
    select = [f"{group} AS __group"] + numeric + _categorical_parts(categorical)
    rows = con.execute(
        f"SELECT {', '.join(select)} FROM ({source}) GROUP BY ALL ORDER BY 1", bound + params
    ).fetchall()
    result = {}
    for row in rows:
        summary, values = {}, iter(row[1:])
        for name, info in edges.items():
            histogram, below, above = next(values), next(values), next(values)
            summary[name] = {
                "counts": _to_counts(histogram, info["edges"]),
                "below": float(below),
                "above": float(above),
            }
        for name in categorical:
            summary[name] = {str(k): int(v) for k, v in (next(values) or {}).items()}
        result[row[0]] = summary
    return result


def _to_counts(histogram, edges: list[float]) -> list[int]:
    counts = np.zeros(len(edges) + 1, dtype=np.int64)
    if histogram:
        keys = np.array([math.inf if k is None else float(k) for k in histogram], dtype=float)
        slots = np.searchsorted(np.asarray(edges, dtype=float), keys, side="left")
        np.add.at(counts, slots, np.array(list(histogram.values()), dtype=np.int64))
    return counts.tolist()


def chunked_source(source: str, order: str | None, size: int) -> tuple[str, str]:
    """Wrap a reference source so rows are numbered (in `order`) and cut into chunks of `size`."""
    over = f"ORDER BY {order}" if order else ""
    wrapped = f"SELECT *, (row_number() OVER ({over}) - 1) // {int(size)} AS __chunk FROM ({source})"
    return wrapped, "__chunk"


def bounded_sample(con, source: str, params: list, group: str, columns: list[str], per_group: int):
    """At most `per_group` rows per group, picked by a hash of the row (repeatable), as a DataFrame."""
    cols = ", ".join(quote(c) for c in columns)
    query = (
        f"SELECT {group} AS __group, {cols} FROM ({source}) "
        f"QUALIFY row_number() OVER (PARTITION BY {group} ORDER BY hash({cols})) <= {int(per_group)}"
    )
    return con.execute(query, params).df()


def chunk_rows(con, source: str, params: list, group: str) -> dict:
    """Rows per group of `source`."""
    rows = con.execute(f"SELECT {group}, count(*) FROM ({source}) GROUP BY ALL", params).fetchall()
    return dict(rows)
