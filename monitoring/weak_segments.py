"""Weak segments: where the model does worst, for each window and the whole period.

Every value of every segment column (categorical columns with role segment, sensitive or version)
and the largest MAX_PAIRS crossings of two such columns are ranked by how much worse the primary
metric (accuracy for classifiers, mean absolute error for regressors) is inside the slice than in
the rest of the window, with a 95% interval of the difference. All slices' counts come from one
pass (grouping sets); the rest is the window minus the slice.

The metric is realized where the window has at least `min_labels` labelled rows; otherwise, for a
binary classifier with scores, it is the expected accuracy under the baseline's calibration
(scores to 2 decimals), with the variance of a sum of Bernoulli outcomes. `drift_share` is the
slice's dataset drift share (the share of drifted inputs against the same slice of the baseline;
over the whole period, the mean over its windows), for single columns; crossings rank on
performance only. A slice with fewer than `min_segment_rows` rows is flagged small and ranked last.
"""

from itertools import combinations

import numpy as np

from monitoring.comparisons import Difference, normal_difference, two_proportions, welch
from monitoring.context import SMALL, grouped_by
from monitoring.drift.section import drift_section
from monitoring.performance.classes import classes_of, positive_class, predicted_sql, score_column
from monitoring.performance.estimation import calibrate, fit_calibration
from monitoring.segments import group_columns, value_segment
from monitoring.store import metrics_sql, slices_sql
from monitoring.window_cache import cache_key, for_reference

MAX_PAIRS = 20
ACCURACY, MAE = "accuracy_score", "mean_absolute_error"


def weak_segments_section(con, context) -> dict:
    """The report's `weak_segments` records (see the module docstring)."""
    model = context.model
    columns = group_columns(model)
    if not columns or not context.windows or model.column("prediction") is None and model.task != "binary":
        return {"weak_segments": []}
    regression = model.task == "regression"
    sets = [(i,) for i in range(len(columns))] + list(combinations(range(len(columns)), 2)) + [()]
    source, params = context.production(con)
    if regression:
        figures = {"kind": "regression", "prediction": model.column("prediction").name}
    else:
        classes = classes_of(con, context)
        figures = {"kind": "classification", "predicted": predicted_sql(context, classes)}
    rows = slices_sql.slice_counts(con, source, params, columns, sets, **figures)
    cells = _cells(rows, columns)
    estimated = {} if regression else _estimated(con, context, columns, sets, cells)
    shares = _drift_shares(con, context, columns)
    return {"weak_segments": _ranked(context, cells, estimated, shares, regression)}


def _cells(rows: list[tuple], columns: list[str]) -> dict:
    """{(window key, slice name or None for the whole window): (rows, labelled, a, b)}."""
    found = {}
    for key, values, grouped, *figures in rows:
        parts = [value_segment(c, v) for c, v, g in zip(columns, values, grouped, strict=True) if g]
        found[(key, "&".join(parts) or None)] = tuple(float(f or 0) for f in figures)
    return found


def _difference(seg: tuple, whole: tuple, regression: bool) -> tuple[float | None, float | None, Difference]:
    """(slice value, rest value, difference with its interval) from realized counts."""
    rest = tuple(w - s for w, s in zip(whole, seg, strict=True))
    (_, n1, a1, b1), (_, n2, a2, b2) = seg, rest
    if regression:
        found = welch(n1, a1, b1, n2, a2, b2)
    else:
        found = two_proportions(a1, n1, a2, n2)
    return (a1 / n1 if n1 else None), (a2 / n2 if n2 else None), found


def _ranked(context, cells: dict, estimated: dict, shares: dict, regression: bool) -> list[dict]:
    metric = MAE if regression else ACCURACY
    records = []
    windows = [(None, None)] + [(w.key, w.index) for w in context.windows]
    totals = _period_totals(cells)
    for key, index in windows:
        source = totals if key is None else {n: c for (k, n), c in cells.items() if k == key and n in totals}
        whole = source.get(None)
        if whole is None:
            continue
        labelled = whole[1] >= context.settings.min_labels or key is None
        found = []
        for name, counts in source.items():
            if name is None:
                continue
            if labelled:
                value, rest, diff = _difference(counts, whole, regression)
                kind = "realized"
            elif (key, name) in estimated:
                value, rest, diff = estimated[(key, name)]
                kind = "estimated"
            else:
                continue
            found.append(_record(context, index, name, metric, kind, value, rest, diff, counts[0], shares))
        records += _in_rank_order(found, regression)
    return records


def _period_totals(cells: dict) -> dict:
    totals: dict = {}
    for (_, name), counts in cells.items():
        before = totals.get(name, (0.0, 0.0, 0.0, 0.0))
        totals[name] = tuple(a + b for a, b in zip(before, counts, strict=True))
    pairs = sorted((n for n in totals if n and "&" in n), key=lambda n: -totals[n][0])
    return {n: c for n, c in totals.items() if not n or "&" not in n or n in pairs[:MAX_PAIRS]}


def _record(context, index, name, metric, kind, value, rest, diff: Difference, rows, shares) -> dict:
    small = rows < context.settings.min_segment_rows
    return {
        "window": index,
        "segment": name,
        "metric": metric,
        "kind": kind,
        "value": value,
        "rest_value": rest,
        "difference": diff.difference,
        "lower": diff.lower,
        "upper": diff.upper,
        "p_value": diff.p_value,
        "rows": int(rows),
        "drift_share": shares.get((index, name)),
        "flag": SMALL if small else None,
    }


def _in_rank_order(records: list[dict], regression: bool) -> list[dict]:
    """Worst first (lowest accuracy or highest error against the rest); small slices last."""

    def worse(record):
        d = record["difference"]
        if d is None:
            return -np.inf
        # to 12 decimals of the figures compared: slices with the same rows tie whatever order
        # their sums were added in (DuckDB and Spark differ in the last bits), and the tie goes by
        # name. Relative to the difference itself would not do: near zero it is all last bits.
        scale = max(abs(record["value"] or 0.0), abs(record["rest_value"] or 0.0)) or 1.0
        return round((d if regression else -d) / scale, 12)

    ordered = sorted(records, key=lambda r: (r["flag"] == SMALL, -worse(r), r["segment"]))
    for rank, record in enumerate(ordered, 1):
        record["rank"] = rank
    return ordered


def _estimated(con, context, columns, sets, cells) -> dict:
    """{(window key, slice): (value, rest value, difference)} of the expected accuracy in windows
    with too few labels, for a binary classifier with scores."""
    model = context.model
    wanting = [
        w for w in context.windows if cells.get((w.key, None), (0, 0))[1] < context.settings.min_labels
    ]
    if model.task != "binary" or not wanting:
        return {}
    classes = classes_of(con, context)
    positive = positive_class(classes)
    score = score_column(context, positive)
    calibration = _calibration(con, context, classes, positive, score) if score else [[], []]
    if not calibration[0]:
        return {}
    source, params = context.restricted(wanting).production(con)
    predicted = predicted_sql(context, classes)
    rows = slices_sql.scored_slice_counts(
        con, source, params, columns, sets, predicted=predicted, score=score, positive=positive
    )
    expected: dict = {}
    for key, values, grouped, s, yes, n in rows:
        parts = [value_segment(c, v) for c, v, g in zip(columns, values, grouped, strict=True) if g]
        p = float(calibrate([s], calibration)[0])
        right = p if yes else 1 - p
        total = expected.setdefault((key, "&".join(parts) or None), [0.0, 0.0, 0.0])
        total[0] += n
        total[1] += n * right
        total[2] += n * right * (1 - right)
    return _expected_differences(expected)


def _expected_differences(expected: dict) -> dict:
    found = {}
    for (key, name), (n, right, variance) in expected.items():
        whole = expected.get((key, None))
        if name is None or whole is None or not n or whole[0] <= n:
            continue
        rest_n, rest_right, rest_variance = (w - s for w, s in zip(whole, (n, right, variance), strict=True))
        d = right / n - rest_right / rest_n
        diff = normal_difference(d, variance / n**2 + rest_variance / rest_n**2)
        found[(key, name)] = (right / n, rest_right / rest_n, diff)
    return found


def _calibration(con, context, classes, positive, score) -> list:
    """The isotonic calibration of the score on the whole baseline's labelled rows (kept)."""

    def compute() -> list:
        source, params = context.reference(con, sliced=context.segment is not None)
        counts = metrics_sql.classification_counts(
            con,
            source,
            params,
            window=False,
            predicted=predicted_sql(context, classes),
            score=score,
            classes=classes,
        )
        usable = (counts["y"] != None) & np.isfinite(counts["s"].astype(float))  # noqa: E711
        is_pos = (counts["y"][usable] == positive).astype(bool)
        rows = counts["n"][usable].astype(float)
        return list(fit_calibration(counts["s"][usable], rows * is_pos, rows * ~is_pos))

    if context.previous or not context.has_baseline(con):
        return [[], []]
    key = cache_key("weak-calibration", context, score, positive, ",".join(classes))
    return for_reference(con, context, key, compute)


def _drift_shares(con, context, columns) -> dict:
    """{(window index or None, slice): share of drifted inputs} for each single-column slice."""
    shares: dict = {}
    for column in columns:
        grouped = context if context.by == column else grouped_by(con, context, column)
        for record in drift_section(con, grouped, shares_only=True)["dataset_drift"]:
            if record.get("segment") is not None:
                shares[(record["window"], record["segment"])] = record["share_drifted"]
    whole: dict = {}
    for (_, name), share in shares.items():
        whole.setdefault(name, []).append(share)
    shares.update({(None, name): float(np.mean(values)) for name, values in whole.items()})
    return shares
