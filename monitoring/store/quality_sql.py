"""SQL for data quality: reference ranges, per-window missing, out-of-range and unparsable counts,
unseen categories and duplicate ids."""

from monitoring.store.connection import quote
from monitoring.store.drift_sql import hash_sample
from monitoring.store.window_sql import WINDOW


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
