"""SQL for performance estimated before labels arrive (regression and multiclass).

- Direct loss estimation reads a bounded, repeatable sample of labelled reference rows to fit on,
  then streams production rows in record batches (features encoded as numbers by DuckDB) to be
  scored batch by batch: never all rows in memory.
- Multiclass confidence-based estimation calibrates each class probability on a grid of
  1/GRID steps: the reference's counts per (class, score step), and per window the sums of the
  calibrated, normalised probabilities grouped two ways (per class and score step, for ROC AUC;
  per predicted class, probability band and class, for the expected confusion matrix).
"""

import numpy as np

from monitoring.store.connection import quote
from monitoring.store.window_sql import LABEL, WINDOW

GRID = 1000  # class probabilities are read in steps of 0.001
BANDS = 20  # rows of one predicted class are grouped by their calibrated probability in 20 bands


def _text(column: str) -> str:
    return f"CAST({quote(column)} AS VARCHAR)"


def _number(column: str) -> str:
    return f"CAST({quote(column)} AS DOUBLE)"


def reference_sample(
    con, source: str, params: list, *, numeric: list[str], categorical: list[str], prediction: str, rows: int
):
    """At most `rows` labelled reference rows, picked by the hash of their values (the same rows
    every time), as a DataFrame: the features (numbers as DOUBLE, categories as text), then
    `__prediction`, `__target` and `__holdout` (about one row in four, also picked by the hash)."""
    raw = [quote(c) for c in [*numeric, *categorical, prediction]] + [LABEL]
    picked = f"hash({', '.join(raw)})"
    columns = [f"{_number(c)} AS {quote(c)}" for c in numeric] + [
        f"{_text(c)} AS {quote(c)}" for c in categorical
    ]
    query = (
        f"SELECT {''.join(c + ', ' for c in columns)}{_number(prediction)} AS __prediction, "
        f"CAST({LABEL} AS DOUBLE) AS __target, {picked} % 4 = 0 AS __holdout "
        f"FROM ({source}) WHERE {LABEL} IS NOT NULL AND {quote(prediction)} IS NOT NULL "
        f"ORDER BY {picked} LIMIT {int(rows)}"
    )
    return con.execute(query, params).df()


def scoring_batches(
    con,
    source: str,
    params: list,
    *,
    numeric: list[str],
    categories: dict[str, list[str]],
    prediction: str,
    rows: int = 100_000,
):
    """Yield (window keys, matrix) per record batch of at most `rows` production rows that have a
    prediction. The matrix's columns: the numeric features, the categorical features as the
    position of their value in `categories[column]` (NaN when missing or not listed), the prediction."""
    encoded = [_number(c) for c in numeric]
    encoded += [
        f"CAST(list_position(?::VARCHAR[], {_text(c)}) - 1 AS DOUBLE)" for c in categories
    ]  # list_position is NULL for a value not listed
    query = (
        f"SELECT {WINDOW}, {''.join(e + ', ' for e in encoded)}{_number(prediction)} "
        f"FROM ({source}) WHERE {quote(prediction)} IS NOT NULL"
    )
    # con.sql streams (execute() would hold every row before the first batch)
    reader = con.sql(query, params=[*categories.values(), *params]).to_arrow_reader(rows)
    for batch in reader:
        columns = [column.to_numpy(zero_copy_only=False) for column in batch.columns]
        matrix = np.column_stack([np.asarray(c, dtype=float) for c in columns[1:]])
        yield columns[0], matrix


def _score_steps(scores: list[str]) -> list[str]:
    """Each class probability as its step on the grid, 0..GRID (clipped to [0, 1])."""
    return [f"CAST(round(least(greatest({_number(s)}, 0.0), 1.0) * {GRID}) AS INTEGER)" for s in scores]


def _complete(scores: list[str]) -> str:
    return " AND ".join(f"{quote(s)} IS NOT NULL" for s in scores)


def class_score_counts(con, source: str, params: list, *, scores: list[str], classes: list[str]) -> dict:
    """Per (class k, score step of class k's probability): rows, rows whose label is class k, and
    labelled rows (a label among `classes`), over the rows with every class probability.
    Returns arrays k (1-based position in `classes`), step, rows, positives, labelled."""
    steps = _score_steps(scores)
    query = (
        f"SELECT k, step, count(*) AS rows, count_if(y = k) AS positives, count_if(y > 0) AS labelled "
        f"FROM (SELECT unnest(range(1, {len(scores) + 1})) AS k, unnest([{', '.join(steps)}]) AS step, "
        f"coalesce(list_position(?::VARCHAR[], CAST({LABEL} AS VARCHAR)), 0) AS y "
        f"FROM ({source}) WHERE {_complete(scores)}) GROUP BY ALL ORDER BY k, step"
    )
    found = con.execute(query, [list(classes), *params]).fetchnumpy()
    return {name: np.asarray(values) for name, values in found.items()}


def calibrated_class_sums(
    con,
    source: str,
    params: list,
    *,
    scores: list[str],
    classes: list[str],
    predicted: str,
    calibrated: list[list[float]],
) -> dict:
    """Per window, sums of each row's calibrated class probabilities c_k.

    `calibrated[k]` holds class k's calibrated probability at each grid step (GRID + 1 values).
    Two groupings in one pass over the rows with every class probability (`part` tells them apart):
    - part 0, per (window, class k, step of class k's score): rows, sum of c_k (`p`), rows labelled
      k, labelled rows (for ROC AUC, estimated and realized);
    - part 1, per (window, predicted class j, band of c_j, class k): rows, sum of p_k (`p`), where
      a row's p is c made to sum to 1: the predicted class keeps c_j and the other classes share
      1 - c_j in proportion to their c (the expected confusion matrix, and groups of alike rows
      for simulating labels).
    """
    count = len(scores)
    steps = _score_steps(scores)
    lookups = [f"list_extract(?::DOUBLE[], {step} + 1)" for step in steps]
    rows = (
        f"SELECT {WINDOW} AS w, "
        f"coalesce(list_position(?::VARCHAR[], {predicted}), 0) AS j, "
        f"coalesce(list_position(?::VARCHAR[], CAST({LABEL} AS VARCHAR)), 0) AS y, "
        f"[{', '.join(steps)}] AS s, [{', '.join(lookups)}] AS c FROM ({source}) WHERE {_complete(scores)}"
    )
    top = (
        f"SELECT w, j, y, s, c, coalesce(list_extract(c, j), 0) AS top, "
        f"list_sum(c) - coalesce(list_extract(c, j), 0) AS rest FROM ({rows})"
    )
    long = (
        f"SELECT w, j, y, top, rest, unnest(range(1, {count + 1})) AS k, unnest(s) AS step, "
        f"unnest(c) AS ck FROM ({top})"
    )
    shared = f"coalesce(ck * (1 - top) / nullif(rest, 0), (1 - top) / {max(count - 1, 1)})"
    long = (
        f"SELECT *, CASE WHEN k = j THEN top ELSE {shared} END AS pk, "
        f"least(floor(top * {BANDS}), {BANDS - 1})::INTEGER AS band FROM ({long})"
    )
    query = (
        f"SELECT w, GROUPING(step) AS part, k, step, j, band, count(*) AS rows, "
        f"CASE WHEN GROUPING(step) = 0 THEN sum(ck) ELSE sum(pk) END AS p, "
        f"count_if(y = k) AS positives, count_if(y > 0) AS labelled FROM ({long}) "
        f"GROUP BY GROUPING SETS ((w, k, step), (w, j, band, k)) ORDER BY part, w, k, step, j, band"
    )
    found = con.execute(
        query, [list(classes), list(classes), *[list(map(float, c)) for c in calibrated], *params]
    ).fetchnumpy()
    return {name: _plain(values) for name, values in found.items()}


def _plain(values) -> np.ndarray:
    """A fetched column as a plain array: NULL (a grouping set's unused key) becomes -1."""
    if isinstance(values, np.ma.MaskedArray):
        return values.filled(-1) if values.dtype.kind in "iuf" else np.asarray(values.filled(None))
    return np.asarray(values)
