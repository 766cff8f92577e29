"""Drift summaries computed in DuckDB: reference quantile edges, bin and category counts, samples.

Every query reads its table once and returns small summaries: one row per group (window or
reference chunk) holding, for each numeric column, a histogram over the reference edges (the
counts in bin order; the last is the bin above the last edge) and the excess sums beyond the
reference range, and for each categorical column a histogram of its values as text.
"""

import math

from monitoring.store.connection import quote

EDGE_BINS = 500
TAIL_RANKS = 32


EXACT_ROWS = 200_000
SAMPLE_ROWS = 50_000


def hash_sample(col: str, rows: int) -> str:
    """SQL condition keeping every value of up to EXACT_ROWS rows and about SAMPLE_ROWS of more,
    chosen by the value's hash: the same values every time."""
    step = rows // SAMPLE_ROWS if rows > EXACT_ROWS else 1
    return "TRUE" if step == 1 else f"hash({col}) % {step} = 0"


def _double(name: str) -> str:
    return f"CAST({quote(name)} AS DOUBLE)"


def _column_stats(con, source: str, params: list, columns: list[str]) -> list[dict]:
    """Count, mean, min, max and population std of each column, in one pass over `source`.

    The variance comes from the mean of squares where that is exact enough, and from a second
    pass around the mean for the columns whose mean dwarfs their spread (cancellation).
    """
    parts = [f"count({c}), avg({c}), min({c}), max({c}), avg({c} * {c})" for c in map(_double, columns)]
    row = con.execute(f"SELECT {', '.join(parts)} FROM ({source})", params).fetchall()[0]
    keys = ("rows", "mean", "low", "high", "squares")
    found = [dict(zip(keys, row[5 * i : 5 * i + 5], strict=True)) for i in range(len(columns))]
    unsure = []
    for name, stats in zip(columns, found, strict=True):
        mean, squares = stats["mean"] or 0.0, stats.pop("squares") or 0.0
        variance = squares - mean * mean
        stats["std"] = math.sqrt(variance) if variance > 1e-6 * squares else 0.0
        if 0 < squares and variance <= 1e-6 * squares:
            unsure.append((name, stats))
    if unsure:
        spread = [f"avg(power({_double(name)} - ?, 2))" for name, _ in unsure]
        means = [stats["mean"] for _, stats in unsure]
        row = con.execute(f"SELECT {', '.join(spread)} FROM ({source})", means + params).fetchall()[0]
        for (_, stats), variance in zip(unsure, row, strict=True):
            stats["std"] = math.sqrt(variance) if variance else 0.0
    return found


def _edges(con, source: str, params: list, stats: dict[str, dict], rows: int) -> dict[str, list[float]]:
    """{column: values at its edge ranks (of its hash-sampled values), plus its min and max}.

    Ranks: 1 + floor(i * (n - 1) / EDGE_BINS) for i = 0..EDGE_BINS (quantile_disc at i / EDGE_BINS;
    the WHERE clause asks "is some i * (n - 1) / EDGE_BINS in [rn - 1, rn)"), the TAIL_RANKS most
    extreme values at each end, and the power-of-two ranks from each end within the outer slice,
    so that the wide outer bins of a long-tailed column do not cost Wasserstein precision. One
    query for all columns (DuckDB runs the sorts side by side).
    """
    bins, tail, parts = EDGE_BINS, TAIL_RANKS, []
    for i, name in enumerate(stats):
        col = _double(name)
        parts.append(
            f"SELECT {i} AS k, x FROM (SELECT x, row_number() OVER (ORDER BY x) AS rn, "
            f"count(*) OVER () AS n FROM (SELECT {col} AS x FROM ({source}) "
            f"WHERE {col} IS NOT NULL AND {hash_sample(col, rows)})) "
            f"WHERE ((rn - 1) * {bins} + greatest(n - 1, 1) - 1) // greatest(n - 1, 1) * greatest(n - 1, 1) "
            f"< rn * {bins} OR rn <= {tail} OR rn > n - {tail} "
            f"OR (rn * {bins} < n AND (rn & (rn - 1)) = 0) "
            f"OR ((n - rn + 1) * {bins} < n AND ((n - rn + 1) & (n - rn)) = 0)"
        )
    found = {name: {float(s["low"]), float(s["high"])} for name, s in stats.items()}
    names = list(stats)
    for k, x in con.execute(" UNION ALL ".join(parts), params * len(parts)).fetchall():
        found[names[k]].add(float(x))
    return {name: sorted(values) for name, values in found.items()}


def _distinct(con, source: str, params: list, name: str) -> int:
    col = quote(name)
    return con.execute(f"SELECT count(DISTINCT {col}) FROM ({source})", params).fetchall()[0][0]


def reference_profile(con, source: str, params: list, numeric: list[str], categorical: list[str]) -> dict:
    """The reference's summary: bin edges per numeric column and exact counts for every column.

    Edges are reference quantiles (see `_edges`): above EXACT_ROWS rows they are taken over the
    values whose hash falls in one of `n // SAMPLE_ROWS` slots (a repeatable sample), and the
    exact minimum and maximum are always edges. The counts in those bins are exact (one pass over
    the reference, like a window). Returns {"edges": {column: info}, "counts": {column: summary}}
    where info holds the edges, count, mean, population std and number of distinct values
    (exact up to 5; above that, at least the number of distinct edges).
    """
    edges = {}
    if numeric:
        (rows,) = con.execute(f"SELECT count(*) FROM ({source})", params).fetchall()[0]
        stats = dict(zip(numeric, _column_stats(con, source, params, numeric), strict=True))
        valued = {name: found for name, found in stats.items() if found["rows"]}
        all_edges = _edges(con, source, params, valued, rows) if valued else {}
        for name, found in stats.items():
            edges[name] = _profile(con, source, params, name, found, all_edges.get(name, []))
    counts = grouped_counts(con, source, params, None, edges, categorical, excess=False)
    return {"edges": edges, "counts": counts.get(None, {})}


def _profile(con, source: str, params: list, name: str, stats: dict, edges: list[float]) -> dict:
    distinct = len(edges) if len(edges) > 5 else _distinct(con, source, params, name)
    return {
        "edges": edges,
        "rows": stats["rows"],
        "mean": stats["mean"],
        "std": stats["std"],
        "distinct": distinct,
    }


def _numeric_parts(edges: dict, excess: bool, stats: bool) -> tuple[list[str], list]:
    parts, bound = [], []
    for name, info in edges.items():
        col = f"CAST({quote(name)} AS DOUBLE)"
        parts.append(f"map_values(histogram({col}, ?::DOUBLE[]))")
        bound.append(info["edges"])
        if excess:
            parts += [
                f"coalesce(sum(greatest(? - {col}, 0)), 0)",
                f"coalesce(sum(greatest({col} - ?, 0)), 0)",
            ]
            bound += [info["edges"][0], info["edges"][-1]]
        if stats:
            parts += [f"count({col})", f"avg({col})", f"var_pop({col})"]
    return parts, bound


def _categorical_parts(columns: list[str]) -> list[str]:
    return [f"histogram(CAST({quote(name)} AS VARCHAR))" for name in columns]


def grouped_counts(
    con,
    source: str,
    params: list,
    group: str | list[str] | None,
    edges: dict,
    categorical: list[str],
    excess: bool = True,
    stats: bool = False,
) -> dict:
    """Bin counts for numeric columns and category counts, per group, in one pass over `source`.

    `group` None makes one group, keyed None; a list of expressions makes groups keyed by tuples.
    `excess` False skips the sums beyond the edges (0 when the edges span the values); `stats`
    adds each numeric column's count, mean and population std ("rows", "mean", "std").
    Returns {group_key: {column: summary}} where a numeric summary is
    {"counts": [len(edges) + 1 ints], "below": float, "above": float} and a categorical one is
    {category: count}. NULLs are left out (missing values belong to data quality).
    """
    edges = {n: e for n, e in edges.items() if e["edges"]}
    if getattr(con, "engine", "duckdb") == "spark" and con.runs_on_spark(source):  # no histogram() there
        return portable_grouped_counts(con, source, params, group, edges, categorical, excess, stats)
    numeric, bound = _numeric_parts(edges, excess, stats)
    keys = [] if group is None else [group] if isinstance(group, str) else list(group)
    named = [f"{key} AS __group{i}" for i, key in enumerate(keys)] or ["NULL AS __group0"]
    select = named + numeric + _categorical_parts(categorical)
    order = ", ".join(str(i + 1) for i in range(len(keys)))
    grouping = f" GROUP BY ALL ORDER BY {order}" if keys else ""  # one group: the faster plain aggregate
    rows = con.execute(f"SELECT {', '.join(select)} FROM ({source}){grouping}", bound + params).fetchall()
    width = max(1, len(keys))
    result = {}
    for row in rows:
        summary, values = {}, iter(row[width:])
        for name, info in edges.items():
            histogram = next(values)
            below, above = (next(values), next(values)) if excess else (0.0, 0.0)
            summary[name] = {
                "counts": _to_counts(histogram, info["edges"]),
                "below": float(below),
                "above": float(above),
            }
            if stats:
                count, mean, variance = next(values), next(values), next(values)
                summary[name].update(rows=int(count), mean=mean, std=math.sqrt(max(variance or 0.0, 0.0)))
        for name in categorical:
            summary[name] = {str(k): int(v) for k, v in (next(values) or {}).items()}
        result[row[0] if width == 1 else tuple(row[:width])] = summary
    return result


def portable_grouped_counts(con, source, params, group, edges, categorical, excess, stats=False) -> dict:
    """grouped_counts as GROUP BY counts of (group, column, bin or category): one unpivoted pass,
    plus one for the sums beyond the edges and the stats. The engine puts each numeric value in
    its bin (`con.binned`: edges[i-1] < x <= edges[i] is bin i, above the last edge bin len(edges))."""
    keys = [] if group is None else [group] if isinstance(group, str) else list(group)
    named = [f"{key} AS __group{i}" for i, key in enumerate(keys)] or ["NULL AS __group0"]
    groups = ", ".join(f"__group{i}" for i in range(max(1, len(keys))))
    names = list(edges) + list(categorical)
    result: dict = {}
    if names:
        binned = con.binned(
            source, params, named, {n: info["edges"] for n, info in edges.items()}, categorical
        )
        cells = ", ".join(f"c{i}" for i in range(len(names)))
        query = (
            f"SELECT {groups}, k, v, count(*) AS n FROM {binned} UNPIVOT (v FOR k IN ({cells})) GROUP BY ALL"
        )
        for *key, column, value, count in con.execute(query).fetchall():
            found = result.setdefault(key[0] if len(key) == 1 else tuple(key), {})
            found.setdefault(names[int(column[1:])], {})[value] = int(count)
    sums = _sums(con, source, params, named, edges, excess, stats) if (excess or stats) and edges else {}
    ordered = sorted(
        set(result) | set(sums),
        key=lambda k: tuple((v is None, v) for v in (k if isinstance(k, tuple) else (k,))),
    )
    return {
        key: _as_summary(result.get(key, {}), edges, categorical, sums.get(key), excess, stats)
        for key in ordered
    }


def binned_select(named: list[str], numeric: list[str], categorical: list[str]) -> str:
    """The columns `con.binned` starts from: the groups, the numeric columns as x0.. (DOUBLE) and
    the categorical ones as c<n>.. (text)."""
    parts = list(named)
    parts += [f"CAST({quote(name)} AS DOUBLE) AS x{i}" for i, name in enumerate(numeric)]
    parts += [f"CAST({quote(name)} AS VARCHAR) AS c{len(numeric) + j}" for j, name in enumerate(categorical)]
    return ", ".join(parts)


def _sums(con, source, params, named, edges, excess, stats) -> dict:
    """Per group: the sums beyond the first and last edge, and count, mean and variance."""
    parts, bound = [], []
    for name, info in edges.items():
        col = _double(name)
        if excess:
            parts += [
                f"coalesce(sum(greatest(? - {col}, 0)), 0)",
                f"coalesce(sum(greatest({col} - ?, 0)), 0)",
            ]
            bound += [info["edges"][0], info["edges"][-1]]
        if stats:
            parts += [f"count({col})", f"avg({col})", f"var_pop({col})"]
    width = len(named)
    grouping = (
        f" GROUP BY {', '.join(str(i + 1) for i in range(width))}" if named[0] != "NULL AS __group0" else ""
    )
    rows = con.execute(
        f"SELECT {', '.join(named + parts)} FROM ({source}){grouping}", bound + params
    ).fetchall()
    return {(row[0] if width == 1 else tuple(row[:width])): row[width:] for row in rows}


def _as_summary(found: dict, edges: dict, categorical: list[str], sums, excess: bool, stats: bool) -> dict:
    summary, values = {}, iter(sums or ())
    for name, info in edges.items():
        counts = [0] * (len(info["edges"]) + 1)
        for position, count in found.get(name, {}).items():
            counts[int(position)] = count
        below, above = (next(values), next(values)) if excess and sums else (0.0, 0.0)
        summary[name] = {"counts": counts, "below": float(below), "above": float(above)}
        if stats and sums:
            count, mean, variance = next(values), next(values), next(values)
            summary[name].update(rows=int(count), mean=mean, std=math.sqrt(max(variance or 0.0, 0.0)))
    for name in categorical:
        summary[name] = dict(sorted(found.get(name, {}).items()))
    return summary


def _to_counts(values, edges: list[float]) -> list[int]:
    """A histogram's counts in bin order; DuckDB lists every bin but the one above the last edge
    only when it is not empty."""
    counts = list(values or [])
    return counts + [0] * (len(edges) + 1 - len(counts))


def chunked_source(
    source: str, order: str | None, size: int, partition: str | None = None
) -> tuple[str, str]:
    """Wrap a reference source so rows are numbered (in `order`, within each `partition` group)
    and cut into chunks of `size`. `order` should leave no ties (e.g. the timestamp, then the id):
    a tie falls in either chunk, and calibrated lines change from run to run. `__row` names the
    whole row there (`hash(__row)` breaks ties where nothing cheaper does)."""
    over = f"ORDER BY {order}" if order else ""
    if partition:
        over = f"PARTITION BY {partition} {over}"
    wrapped = f"SELECT *, (row_number() OVER ({over}) - 1) // {int(size)} AS __chunk FROM ({source}) __row"
    return wrapped, "__chunk"


def bounded_sample(con, source: str, params: list, group: str, columns: list[str], per_group: int):
    """At most `per_group` rows per group, picked by a hash of the row (repeatable), as a DataFrame."""
    cols = ", ".join(quote(c) for c in columns)
    query = (
        f"SELECT {group} AS __group, {cols} FROM ({source}) "
        f"QUALIFY row_number() OVER (PARTITION BY {group} ORDER BY hash({cols})) <= {int(per_group)}"
    )
    return con.execute(query, params).df()


def chunk_rows(con, source: str, params: list, group: str | list[str]) -> dict:
    """Rows per group of `source` (keyed by tuples when `group` is a list of expressions)."""
    keys = [group] if isinstance(group, str) else list(group)
    rows = con.execute(f"SELECT {', '.join(keys)}, count(*) FROM ({source}) GROUP BY ALL", params).fetchall()
    return {row[0] if len(keys) == 1 else tuple(row[:-1]): row[-1] for row in rows}
