"""SQL for performance and fairness: per-window counts and sums, never raw rows.

Every query reads a source from `monitoring.store.window_sql` (production rows with `__window` and
`__label`, or reference rows with `__label`) and returns a small summary grouped by window.
"""

import numpy as np

from monitoring.store.connection import quote
from monitoring.store.segment_sql import SEGMENT
from monitoring.store.window_sql import LABEL, WINDOW

MAX_CLASSES = 200


def distinct_values(con, sources: list[tuple[str, list]], expressions: list[str]) -> list[str]:
    """The distinct non-null text values of the expressions over the sources (at most MAX_CLASSES)."""
    parts, params = [], []
    for source, source_params in sources:
        for expression in expressions:
            parts.append(
                f"SELECT CAST({expression} AS VARCHAR) AS v FROM ({source}) WHERE {expression} IS NOT NULL"
            )
            params += source_params
    if not parts:
        return []
    rows = con.execute(
        f"SELECT DISTINCT v FROM ({' UNION ALL '.join(parts)}) ORDER BY v LIMIT {MAX_CLASSES}", params
    ).fetchall()
    return [r[0] for r in rows]


def prediction_expression(prediction: str | None, score: str | None, positive: str, negative: str) -> str:
    """The predicted class as text: the prediction column, else score >= 0.5 (binary)."""
    if prediction is not None:
        return f"CAST({quote(prediction)} AS VARCHAR)"
    return (
        f"CASE WHEN {quote(score)} IS NULL THEN NULL WHEN {quote(score)} >= 0.5 "
        f"THEN '{_text(positive)}' ELSE '{_text(negative)}' END"
    )


def _text(value: str) -> str:
    return str(value).replace("'", "''")


def classification_counts(
    con,
    source: str,
    params: list,
    *,
    window: bool,
    predicted: str,
    score: str | None,
    classes: list[str],
    segments: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """Row counts grouped by (window, score, predicted class, label); label None = not labelled yet.
    With `segments` (the values of the grouping column) also by that value: `g` is its position in
    `segments` from 1, 0 where missing, -1 for a value not in `segments` (all 0 without).

    Grouping by each distinct score value keeps ROC AUC, average precision and log loss exact.
    Rows come sorted by window, then grouping value: each slice is a contiguous run, read as a view
    (a window of millions of rows is not copied again per slice). Classes travel as their position
    in `classes` and come back as shared strings: with one row per distinct score, per-row text
    would cost more memory than everything else.
    """
    key = WINDOW if window else "0"
    score_sql = quote(score) if score else "NULL::DOUBLE"
    group, bound = "0", []
    if segments is not None:  # a position, not the text: one row per distinct score makes text costly
        position = f"coalesce(list_position(?::VARCHAR[], {SEGMENT}), -1)"
        group, bound = f"CASE WHEN {SEGMENT} IS NULL THEN 0 ELSE {position} END", [list(segments)]
    result = con.execute(
        f"SELECT {key} AS w, {group}::INTEGER AS g, {score_sql} AS s, "
        f"coalesce(list_position(?::VARCHAR[], {predicted}), 0)::INTEGER AS p, "
        f"coalesce(list_position(?::VARCHAR[], CAST({LABEL} AS VARCHAR)), 0)::INTEGER AS y, "
        f"count(*) AS n FROM ({source}) GROUP BY ALL ORDER BY w, g",
        [*bound, list(classes), list(classes), *params],
    ).fetchnumpy()
    names = np.array([None, *classes], dtype=object)
    found = {name: _unmask(result[name]) for name in ("w", "g", "s", "n")}
    found["p"], found["y"] = names[np.asarray(result["p"])], names[np.asarray(result["y"])]
    return found


def _unmask(values) -> np.ndarray:
    """A fetched column as a plain array: NULL becomes NaN (numbers) or None (text)."""
    if not isinstance(values, np.ma.MaskedArray):
        return np.asarray(values)
    mask = np.ma.getmaskarray(values)
    data = np.array(values.data, dtype=float if values.dtype.kind in "fiu" else object)
    data[mask] = np.nan if data.dtype.kind == "f" else None
    return data


def regression_sums(
    con, source: str, params: list, *, window: bool, prediction: str, segment: bool = False
) -> list[tuple]:
    """Per window: rows, labelled rows, sums of errors, SST, the MAPE terms (zero targets skipped),
    and for the intervals the sums of errors^4 and of squared percentage errors.

    With `segment` each row is (window, value of the grouping column, whole, sums...): one row per
    window for all its rows (whole true) and one per value in it, in one pass (grouping sets).
    """
    key = WINDOW if window else "0"
    y, p = f"CAST({LABEL} AS DOUBLE)", quote(prediction)
    labelled = f"{y} IS NOT NULL AND {p} IS NOT NULL"
    keys, grouping = f"{key} AS w", "GROUP BY ALL ORDER BY 1"
    if segment:
        keys = f"{key} AS w, {SEGMENT} AS g, grouping({SEGMENT}) = 1 AS whole"
        by = f"({WINDOW}), ({WINDOW}, {SEGMENT})" if window else f"(), ({SEGMENT})"
        grouping = f"GROUP BY GROUPING SETS ({by}) ORDER BY 1, 3 DESC, 2"
    return con.execute(
        f"SELECT {keys}, count(*), count_if({labelled})::BIGINT, "
        f"sum(CASE WHEN {labelled} THEN abs({p} - {y}) END), "
        f"sum(CASE WHEN {labelled} THEN ({p} - {y}) * ({p} - {y}) END), "
        f"sum(CASE WHEN {labelled} THEN {p} - {y} END), "
        f"var_pop(CASE WHEN {labelled} THEN {y} END), "
        f"sum(CASE WHEN {labelled} AND {y} <> 0 THEN abs({p} - {y}) / abs({y}) END), "
        f"count_if({labelled} AND {y} <> 0)::BIGINT, "
        f"sum(CASE WHEN {labelled} THEN pow({p} - {y}, 4) END), "
        f"sum(CASE WHEN {labelled} AND {y} <> 0 THEN pow(abs({p} - {y}) / abs({y}), 2) END) "
        f"FROM ({source}) {grouping}",
        params,
    ).fetchall()


def group_expression(attributes: list[str]) -> str:
    """One attribute's value, or the crossing of two as 'a | b'; NULL becomes '(missing)'."""
    parts = [f"coalesce(CAST({quote(a)} AS VARCHAR), '(missing)')" for a in attributes]
    return " || ' | ' || ".join(parts)


def _fairness_grouping(segment: bool) -> tuple[str, str]:
    """(keys, GROUP BY) of the fairness counts: per (window, group) and per group over the whole
    period (window NULL); with `segment` the same again per value of the grouping column, keys
    (window, value, whole, group)."""
    if not segment:
        return f"{WINDOW}, g", f"GROUPING SETS (({WINDOW}, g), (g)) ORDER BY {WINDOW} NULLS FIRST, g"
    sets = f"({WINDOW}, g), (g), ({WINDOW}, {SEGMENT}, g), ({SEGMENT}, g)"
    keys = f"{WINDOW}, {SEGMENT}, grouping({SEGMENT}) = 1 AS whole, g"
    return keys, f"GROUPING SETS ({sets}) ORDER BY {WINDOW} NULLS FIRST, 3 DESC, {SEGMENT}, g"


def fairness_classification_counts(
    con,
    source: str,
    params: list,
    *,
    attributes: list[str],
    predicted: str,
    positive: str,
    segment: bool = False,
) -> list[tuple]:
    """Per (window, group), and per group over the whole period (window NULL):
    rows, selected, labelled, TP, FP, FN, TN, correct (after the keys of `_fairness_grouping`)."""
    y, pos = f"CAST({LABEL} AS VARCHAR)", f"'{_text(positive)}'"
    sel = f"({predicted}) = {pos}"
    has = f"{y} IS NOT NULL AND ({predicted}) IS NOT NULL"
    keys, grouping = _fairness_grouping(segment)
    return con.execute(
        f"SELECT {keys}, count(*)::BIGINT, count_if(coalesce({sel}, false))::BIGINT, count_if({has})::BIGINT, "
        f"count_if({has} AND {sel} AND {y} = {pos})::BIGINT, "
        f"count_if({has} AND {sel} AND {y} <> {pos})::BIGINT, "
        f"count_if({has} AND NOT {sel} AND {y} = {pos})::BIGINT, "
        f"count_if({has} AND NOT {sel} AND {y} <> {pos})::BIGINT, "
        f"count_if({has} AND ({predicted}) = {y})::BIGINT "
        f"FROM (SELECT *, {group_expression(attributes)} AS g FROM ({source})) "
        f"GROUP BY {grouping}",
        params,
    ).fetchall()


def fairness_regression_sums(
    con, source: str, params: list, *, attributes: list[str], prediction: str, segment: bool = False
) -> list[tuple]:
    """Per (window, group) and per group (window NULL), after the keys of `_fairness_grouping`: rows,
    labelled rows, sum |error|, sum error², and rows with a prediction, sum and sum of squares of
    the predictions."""
    y, p = f"CAST({LABEL} AS DOUBLE)", quote(prediction)
    has = f"{y} IS NOT NULL AND {p} IS NOT NULL"
    keys, grouping = _fairness_grouping(segment)
    return con.execute(
        f"SELECT {keys}, count(*)::BIGINT, count_if({has})::BIGINT, "
        f"sum(CASE WHEN {has} THEN abs({p} - {y}) END), sum(CASE WHEN {has} THEN ({p} - {y}) * ({p} - {y}) END), "
        f"count({p})::BIGINT, sum({p}), sum({p} * {p}) "
        f"FROM (SELECT *, {group_expression(attributes)} AS g FROM ({source})) "
        f"GROUP BY {grouping}",
        params,
    ).fetchall()
