"""SQL of weak segments and versions: counts per window for many slices in one pass (grouping
sets), and the pairs of rows two versions scored for the same id."""

from monitoring.store.connection import quote
from monitoring.store.window_sql import LABEL, WINDOW


def _columns_as_text(source: str, columns: list[str]) -> str:
    texts = ", ".join(f"CAST({quote(c)} AS VARCHAR) AS __g{i}" for i, c in enumerate(columns))
    return f"SELECT *, {texts} FROM ({source})"


def _figures(kind: str, predicted: str | None, prediction: str | None) -> tuple[str, str]:
    """(the row's label is known, SQL of the figures summed per slice) for a task's kind."""
    if kind == "regression":
        y, p = f"CAST({LABEL} AS DOUBLE)", quote(prediction)
        known = f"{y} IS NOT NULL AND {p} IS NOT NULL"
        error = f"abs({p} - {y})"
        return known, (
            f"count_if({known})::BIGINT, coalesce(sum(CASE WHEN {known} THEN {error} END), 0), "
            f"coalesce(sum(CASE WHEN {known} THEN {error} * {error} END), 0)"
        )
    y = f"CAST({LABEL} AS VARCHAR)"
    known = f"{y} IS NOT NULL AND ({predicted}) IS NOT NULL"
    return known, f"count_if({known})::BIGINT, count_if({known} AND ({predicted}) = {y})::BIGINT, 0"


def slice_counts(
    con,
    source: str,
    params: list,
    columns: list[str],
    sets: list[tuple[int, ...]],
    *,
    kind: str,
    predicted: str | None = None,
    prediction: str | None = None,
) -> list[tuple]:
    """Per window and slice: (window, values of `columns` (None where the set does not group by
    it), which columns the set groups by (tuple of bools), rows, labelled rows, then correct rows
    for a classifier or the sums of |error| and error² for a regressor).

    `sets` are tuples of column positions; () is the whole window. One pass over `source`.
    """
    _, figures = _figures(kind, predicted, prediction)
    groups = ", ".join("(" + ", ".join([WINDOW, *(f"__g{i}" for i in s)]) + ")" for s in sets)
    names = ", ".join(f"__g{i}" for i in range(len(columns)))
    grouped = ", ".join(f"grouping(__g{i}) = 0" for i in range(len(columns)))
    rows = con.execute(
        f"SELECT {WINDOW}, {names}, {grouped}, count(*)::BIGINT, {figures} "
        f"FROM ({_columns_as_text(source, columns)}) GROUP BY GROUPING SETS ({groups})",
        params,
    ).fetchall()
    width = len(columns)
    return [
        (row[0], row[1 : 1 + width], row[1 + width : 1 + 2 * width], *row[1 + 2 * width :]) for row in rows
    ]


def scored_slice_counts(
    con,
    source: str,
    params: list,
    columns: list[str],
    sets: list[tuple[int, ...]],
    *,
    predicted: str,
    score: str,
    positive: str,
) -> list[tuple]:
    """Per window, slice, score (to 2 decimals) and whether the positive class was predicted:
    (window, values, grouped, score, predicted positive, rows); for the expected accuracy of
    unlabelled windows."""
    groups = ", ".join("(" + ", ".join([WINDOW, "__s", "__yes", *(f"__g{i}" for i in s)]) + ")" for s in sets)
    names = ", ".join(f"__g{i}" for i in range(len(columns)))
    grouped = ", ".join(f"grouping(__g{i}) = 0" for i in range(len(columns)))
    inner = (
        f"SELECT *, round(CAST({quote(score)} AS DOUBLE), 2) AS __s, coalesce(({predicted}) = ?, false) AS __yes "
        f"FROM ({_columns_as_text(source, columns)}) WHERE {quote(score)} IS NOT NULL"
    )
    rows = con.execute(
        f"SELECT {WINDOW}, {names}, {grouped}, __s, __yes, count(*)::BIGINT FROM ({inner}) "
        f"GROUP BY GROUPING SETS ({groups})",
        [positive, *params],
    ).fetchall()
    width = len(columns)
    return [
        (row[0], row[1 : 1 + width], row[1 + width : 1 + 2 * width], *row[1 + 2 * width :]) for row in rows
    ]


def version_counts(
    con,
    source: str,
    params: list,
    version: str,
    *,
    kind: str,
    predicted: str | None = None,
    prediction: str | None = None,
    positive: str | None = None,
) -> list[tuple]:
    """Per (window, version) and per version over the period (window NULL): rows, labelled rows,
    then correct rows, true positives, predicted positives, actual positives (classifier; the
    last three for `positive`) or the sums of |error| and error² (regressor)."""
    known, figures = _figures(kind, predicted, prediction)
    extra, bound = ", 0, 0, 0", []
    if kind != "regression" and positive is not None:
        y, pos = f"CAST({LABEL} AS VARCHAR)", "?"
        extra = (
            f", count_if({known} AND ({predicted}) = {pos} AND {y} = {pos})::BIGINT, "
            f"count_if({known} AND ({predicted}) = {pos})::BIGINT, count_if({known} AND {y} = {pos})::BIGINT"
        )
        bound = [positive] * 4
    name = f"CAST({quote(version)} AS VARCHAR)"
    return con.execute(
        f"SELECT {WINDOW}, {name} AS v, count(*)::BIGINT, {figures}{extra} FROM ({source}) "
        f"WHERE {quote(version)} IS NOT NULL GROUP BY GROUPING SETS (({WINDOW}, v), (v)) "
        f"ORDER BY {WINDOW} NULLS FIRST, v",
        bound + params,
    ).fetchall()


def version_order(con, source: str, params: list, version: str, timestamp: str | None) -> list[str]:
    """The versions in the order they first served (by time, else by name)."""
    first = f"min({quote(timestamp)})" if timestamp else "NULL"
    rows = con.execute(
        f"SELECT CAST({quote(version)} AS VARCHAR) AS v, {first} AS f FROM ({source}) "
        f"WHERE {quote(version)} IS NOT NULL GROUP BY 1 ORDER BY f NULLS LAST, v",
        params,
    ).fetchall()
    return [row[0] for row in rows]


def paired_counts(
    con,
    source: str,
    params: list,
    *,
    version: str,
    id_column: str,
    kind: str,
    predicted: str | None = None,
    prediction: str | None = None,
) -> list[tuple]:
    """For each pair of versions (a < b as text) that scored the same ids, per window of a's row
    and over the period (window NULL): (window, a, b, pairs, agreeing predictions, labelled pairs,
    then rows only a got right and rows only b got right (classifier) or the sum and sum of
    squares of |error of b| - |error of a| (regressor))."""
    if kind == "regression":
        y, p = f"CAST({LABEL} AS DOUBLE)", quote(prediction)
        row = f"{p} AS __p, {y} AS __y, abs({p} - {y}) AS __e"
        labelled = "a.__y IS NOT NULL AND a.__p IS NOT NULL AND b.__p IS NOT NULL"
        diff = "b.__e - a.__e"
        figures = (
            f"coalesce(sum(CASE WHEN {labelled} THEN {diff} END), 0), "
            f"coalesce(sum(CASE WHEN {labelled} THEN ({diff}) * ({diff}) END), 0)"
        )
    else:
        row = f"({predicted}) AS __p, CAST({LABEL} AS VARCHAR) AS __y, NULL AS __e"
        labelled = "a.__y IS NOT NULL AND a.__p IS NOT NULL AND b.__p IS NOT NULL"
        figures = (
            f"count_if({labelled} AND a.__p = a.__y AND b.__p <> a.__y)::BIGINT, "
            f"count_if({labelled} AND b.__p = a.__y AND a.__p <> a.__y)::BIGINT"
        )
    rows = (
        f"SELECT {WINDOW}, CAST({quote(id_column)} AS VARCHAR) AS __id, CAST({quote(version)} AS VARCHAR) AS __v, "
        f"{row} FROM ({source}) WHERE {quote(id_column)} IS NOT NULL AND {quote(version)} IS NOT NULL"
    )
    return con.execute(
        f"WITH r AS ({rows}) SELECT a.{WINDOW} AS w, a.__v AS va, b.__v AS vb, count(*)::BIGINT, "
        f"count_if(a.__p IS NOT DISTINCT FROM b.__p)::BIGINT, count_if({labelled})::BIGINT, {figures} "
        f"FROM r a JOIN r b ON a.__id = b.__id AND a.__v < b.__v "
        f"GROUP BY GROUPING SETS ((a.{WINDOW}, va, vb), (va, vb)) ORDER BY w NULLS FIRST, va, vb",
        params,
    ).fetchall()
