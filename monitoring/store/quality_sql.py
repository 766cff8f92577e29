"""SQL for data quality: reference ranges, per-window missing, out-of-range and unparsable counts,
unseen categories and duplicate ids."""

from monitoring.store.connection import quote
from monitoring.store.drift_sql import hash_sample
from monitoring.store.segment_sql import SEGMENT
from monitoring.store.window_sql import WINDOW


def _keys(segment: bool, extra: str = "") -> tuple[str, str]:
    """(keys, GROUP BY ... ORDER BY): per window, or with `segment` per window and value of the
    grouping column, keys (window, value, false): every figure here is a count, so the whole
    window is the sum of its values (monitoring/data_quality.py adds them up)."""
    if not segment:
        return WINDOW, f"GROUP BY {WINDOW}{extra} ORDER BY {WINDOW}"
    return f"{WINDOW}, {SEGMENT}, false", f"GROUP BY {WINDOW}, {SEGMENT}{extra} ORDER BY 1, 2"


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
    con,
    source: str,
    params: list,
    columns: list[str],
    ranges: dict,
    since: dict[str, int],
    *,
    segment: bool = False,
    previous: tuple[float, float] | None = None,
) -> list[tuple]:
    """Per window (keys of `_keys`): rows, then per column: rows that could hold it (those of the
    batch that added the column, `since`, and later ones), non-null values, values out of range,
    unparsable values. The range is `ranges[column]`, or with `previous` (low, high quantiles)
    the approximate quantiles of the window before (none for the first)."""
    parts, values, bounds = [], [], []
    for i, column in enumerate(columns):
        name = quote(column)
        parts.append("count_if(__batch >= ?)::BIGINT")
        values.append(since.get(column, 0))
        found = ranges.get(column)
        if previous is not None and column in ranges:
            outside = f"count_if(coalesce({name} < __b{i}[1] OR {name} > __b{i}[2], false))::BIGINT"
            bounds.append((i, name))
        elif found and None not in found:
            outside = f"count_if(coalesce({name} < ? OR {name} > ?, false))::BIGINT"
            values += list(found)
        else:
            outside = "0::BIGINT"
        parts += [
            f"count({name})::BIGINT",
            outside,
            "count_if(coalesce(list_contains(__invalid, ?), false))::BIGINT",
        ]
        values.append(column)
    keys, grouping = _keys(segment)
    rows = f"({source})"
    if bounds:
        rows, params = _with_previous_bounds(source, params, bounds, previous)
    return con.execute(
        f"SELECT {keys}, count(*)::BIGINT, {', '.join(parts)} FROM {rows} {grouping}", values + params
    ).fetchall()


def _with_previous_bounds(source: str, params: list, bounds: list, quantiles: tuple) -> tuple[str, list]:
    """`source` joined with each window's __b<i>: the (low, high) approximate quantiles of column i
    in the window before it."""
    low, high = float(quantiles[0]), float(quantiles[1])
    found = ", ".join(f"approx_quantile({name}, [{low!r}, {high!r}]) AS __q{i}" for i, name in bounds)
    lagged = ", ".join(f"lag(__q{i}) OVER (ORDER BY {WINDOW}) AS __b{i}" for i, _ in bounds)
    sql = (
        f"(SELECT * FROM ({source}) JOIN (SELECT {WINDOW}, {lagged} FROM (SELECT {WINDOW}, {found} "
        f"FROM ({source}) GROUP BY {WINDOW})) USING ({WINDOW}))"
    )
    return sql, params + params


def unseen_categories(
    con,
    production: tuple[str, list],
    reference: tuple[str, list],
    column: str,
    *,
    segment: bool = False,
    previous: list[tuple] | None = None,
) -> list[tuple]:
    """Per window (keys of `_keys`) and value of `column` never seen in the reference: its rows.
    With `previous` [(window key, key of the window before)], values never seen in the window
    before instead (windows without one are left out)."""
    name = quote(column)
    (source, params), (ref, ref_params) = production, reference
    keys = f"{WINDOW}, {SEGMENT}, false" if segment else WINDOW
    grouped = f"p.{WINDOW}" + (f", p.{SEGMENT}" if segment else "")
    if previous is None:
        known = f"NOT EXISTS (SELECT 1 FROM ({ref}) r WHERE CAST(r.{name} AS VARCHAR) = q.v)"
        rows, bound = f"({source}) p", params + ref_params
    else:
        known = (
            f"NOT EXISTS (SELECT 1 FROM ({source}) r "
            f"WHERE r.{WINDOW} = q.__before AND CAST(r.{name} AS VARCHAR) = q.v)"
        )
        rows = (
            f"({source}) p JOIN (SELECT unnest(?) AS __key, unnest(?) AS __before) b ON b.__key = p.{WINDOW}"
        )
        grouped += ", b.__before"
        bound = params + [[k for k, _ in previous], [b for _, b in previous]] + params
    # count each window's values first, then look the few distinct ones up in the baseline
    counted = (
        f"SELECT {grouped}, CAST(p.{name} AS VARCHAR) AS v, count(*)::BIGINT AS n FROM {rows} "
        f"WHERE p.{name} IS NOT NULL GROUP BY ALL"
    )
    order = "1, 2" if segment else "1"
    return con.execute(
        f"SELECT {keys}, v, n FROM ({counted}) q WHERE {known} ORDER BY {order}", bound
    ).fetchall()


def duplicate_ids(
    con, source: str, params: list, id_column: str, *, version: str | None = None, segment: bool = False
) -> list[tuple]:
    """Per window (keys of `_keys`): rows whose id occurs more than once in the period's production
    rows; with a `version` column, more than once for the same version (another version scoring
    the same id, shadow traffic, is not a duplicate). Windows without any are left out.

    The ids seen more than once are found by one hash aggregate, and the rows holding them by a
    semi-join: over millions of rows several times faster than counting every id's rows in a
    window function (which sorts them all)."""
    name = quote(id_column)
    keys, grouping = _keys(segment)
    parts = [name] if version is None else [name, quote(version)]
    matched = " AND ".join(f"p.{part} IS NOT DISTINCT FROM d.{part}" for part in parts)
    repeated = (
        f"SELECT {', '.join(parts)} FROM ({source}) WHERE {name} IS NOT NULL GROUP BY ALL HAVING count(*) > 1"
    )
    return con.execute(
        f"SELECT {keys}, count(*)::BIGINT FROM ({source}) p SEMI JOIN ({repeated}) d ON {matched} "
        f"WHERE p.{name} IS NOT NULL {grouping}",
        params + params,
    ).fetchall()


def duplicate_ids_joining(
    con,
    source: str,
    params: list,
    id_column: str,
    new_batches: list[int],
    *,
    version: str | None = None,
    segment: bool = False,
) -> list[tuple]:
    """What `duplicate_ids` adds per window when the production batches `new_batches` join the
    period's other rows: their rows whose id now occurs more than once, and the older rows whose
    id occurred once before them and now again (rows counted before stay counted).

    Only the new batches' ids are looked up (a semi-join of the period's rows against them), so
    the cost is one scan of the id column, not a hash aggregate over every id of the period."""
    name = quote(id_column)
    keys, grouping = _keys(segment)
    parts = [name] if version is None else [name, quote(version)]
    fresh = f"__batch IN ({', '.join(str(int(b)) for b in new_batches)})"
    # the id by equality (new ids are never NULL): DuckDB then skips the row groups whose ids
    # lie outside the new ones' range, as it does not for IS NOT DISTINCT FROM
    matched = " AND ".join(
        f"c.{part} = n.{part}" if part == name else f"c.{part} IS NOT DISTINCT FROM n.{part}"
        for part in parts
    )
    kept = [WINDOW] + ([SEGMENT] if segment else []) + parts
    return con.execute(
        f"WITH new_ids AS (SELECT DISTINCT {', '.join(parts)} FROM ({source}) WHERE {name} IS NOT NULL AND {fresh}), "
        f"candidates AS MATERIALIZED (SELECT {', '.join('c.' + k for k in kept)}, c.{fresh} AS __fresh "
        f"FROM ({source}) c SEMI JOIN new_ids n ON {matched}), "
        f"ids AS (SELECT {', '.join(parts)}, count(*) AS __total, count_if(NOT __fresh) AS __before "
        f"FROM candidates GROUP BY {', '.join(parts)}) "
        f"SELECT {keys}, count(*)::BIGINT FROM candidates c JOIN ids n ON {matched} "
        f"WHERE n.__total > 1 AND (c.__fresh OR n.__before = 1) {grouping}",
        params + params,
    ).fetchall()
