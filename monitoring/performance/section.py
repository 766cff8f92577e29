"""Model performance per window against the reference baseline, from counts DuckDB computes.

DuckDB turns rows into confusion, per-score and error-sum counts per window; the metrics are the
pure functions of `metrics.py`. `performance_section` builds the report's `performance` and
`confusion_matrix` records, `business_value_section` its `business_value` records (value.py), both
from one computation per window. Estimated values for unlabelled windows come from `estimation.py`
(binary), `multiclass_estimation.py` and `loss_estimation.py` (regression).
"""

import numpy as np

from monitoring.performance import value
from monitoring.performance.classes import (
    class_score_columns,
    classes_of,
    positive_class,
    predicted_sql,
    score_column,
)
from monitoring.performance.estimation import estimate_binary, fit_calibration
from monitoring.performance.loss_estimation import regression_estimates
from monitoring.performance.metrics import (
    average_precision_from_counts,
    binary_intervals,
    binary_scores,
    log_loss_from_counts,
    multiclass_intervals,
    multiclass_scores,
    regression_intervals,
    regression_scores,
    roc_auc_from_counts,
    score_intervals,
)
from monitoring.performance.multiclass_estimation import (
    MAX_CLASSES,
    estimate_multiclass,
    fit_class_calibrations,
    macro_auc,
    realized_auc,
)
from monitoring.store import estimation_sql, metrics_sql
from monitoring.store.catalog import table_columns
from monitoring.store.window_sql import has_rows
from monitoring.window_cache import cache_key, for_reference, per_window


def classification_metrics(
    counts: dict, classes: list[str], positive: str | None
) -> tuple[dict, np.ndarray, int]:
    """(metrics, confusion matrix, labelled rows) for one slice of `classification_counts`."""
    metrics, _, matrix, labelled = classification_figures(counts, classes, positive)
    return metrics, matrix, labelled


def classification_figures(
    counts: dict, classes: list[str], positive: str | None
) -> tuple[dict, dict, np.ndarray, int]:
    """(metrics, {metric: (lower, upper)}, confusion matrix, labelled rows) for one slice."""
    labelled = counts["y"] != None  # noqa: E711 (elementwise over an object array)
    n = counts["n"].astype(float)
    index = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)))
    true_is = {c: counts["y"] == c for c in classes}
    for c, j in index.items():
        predicted = counts["p"] == c
        for t, i in index.items():
            matrix[i, j] = n[true_is[t] & predicted].sum()
    usable = labelled & np.isin(counts["p"], classes) & np.isin(counts["y"], classes)
    if not matrix.any() or (positive is not None and positive not in index):
        return {}, {}, matrix, int(n[labelled].sum())  # no row has both a prediction and a label
    if positive is None:
        return multiclass_scores(matrix), multiclass_intervals(matrix), matrix, int(n[labelled].sum())
    pos, neg = index[positive], [i for i in range(len(classes)) if i != index[positive]]
    tp, fn = matrix[pos, pos], matrix[pos, neg].sum()
    fp, tn = matrix[neg, pos].sum(), matrix[np.ix_(neg, neg)].sum()
    metrics, bands = binary_scores(tp, fp, fn, tn), binary_intervals(tp, fp, fn, tn)
    scored = usable & np.isfinite(counts["s"].astype(float))
    if scored.any():
        is_pos = counts["y"][scored] == positive
        s, rows = counts["s"][scored].astype(float), n[scored]
        positives, negatives = rows * is_pos, rows * ~is_pos
        metrics["roc_auc_score"] = roc_auc_from_counts(s, positives, negatives)
        metrics["average_precision_score"] = average_precision_from_counts(s, positives, negatives)
        metrics["log_loss"] = log_loss_from_counts(s, positives, negatives)
        bands |= score_intervals(s, positives, negatives, metrics["average_precision_score"])
    return metrics, bands, matrix, int(n[labelled].sum())


def _slice(counts: dict, mask) -> dict:
    return {name: values[mask] for name, values in counts.items()}


def _window_keys(values) -> list:
    if values.dtype.kind == "M":
        return list(values.astype("datetime64[us]").astype(object))
    return [v.item() if hasattr(v, "item") else v for v in values]


def _record(window, metric, value, baseline, kind, labelled, lower=None, upper=None) -> dict:
    change = value - baseline if value is not None and baseline is not None else None
    return {
        "window": window,
        "metric": metric,
        "value": value,
        "baseline": baseline,
        "change": change,
        "kind": kind,
        "lower": lower,
        "upper": upper,
        "labelled_rows": labelled,
    }


NO_BAND = (None, None)
BINARY_METRICS = ("accuracy_score", "precision_score", "recall_score", "f1_score")
SCORE_METRICS = ("roc_auc_score", "average_precision_score", "log_loss")
REGRESSION_METRICS = (
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_percentage_error",
    "r2_score",
    "mean_residual",
)


def _metric_names(task: str, has_score: bool) -> tuple[str, ...]:
    if task == "regression":
        return REGRESSION_METRICS
    if task == "binary":
        return BINARY_METRICS + (SCORE_METRICS if has_score else ())
    return tuple(multiclass_scores(np.zeros((1, 1)))) + (("roc_auc_macro_score",) if has_score else ())


def _reference_summary(con, context, key: str, compute) -> dict:
    """Baseline metrics (and calibration) of the reference, kept while its batches are unchanged."""
    model = context.model
    needed = {c.name for c in model.columns_with("prediction", "score")}
    if not has_rows(con, model, "reference") or not needed <= set(
        table_columns(con, model.table("reference"))
    ):
        return {"baseline": {}, "calibration": [[], []]}
    return for_reference(con, context, cache_key("performance", context, key), compute)


def _classification_reference(con, context, classes, positive, predicted, score, class_scores) -> dict:
    def compute():
        source, params = context.reference(con)
        counts = metrics_sql.classification_counts(
            con, source, params, window=False, predicted=predicted, score=score, classes=classes
        )
        baseline, matrix, _ = classification_metrics(counts, classes, positive)
        calibration = [[], []]
        if positive is not None and score is not None:
            usable = (counts["y"] != None) & np.isfinite(counts["s"].astype(float))  # noqa: E711
            is_pos = (counts["y"][usable] == positive).astype(bool)
            rows = counts["n"][usable].astype(float)
            calibration = list(fit_calibration(counts["s"][usable], rows * is_pos, rows * ~is_pos))
        calibrated, class_rows = [], 0.0
        if class_scores:
            found = estimation_sql.class_score_counts(
                con, source, params, scores=class_scores, classes=classes
            )
            calibrated = fit_class_calibrations(found, classes)
            class_rows = float(found["labelled"][found["k"] == 1].sum())
            positives = found["positives"].astype(float)
            baseline["roc_auc_macro_score"] = macro_auc(
                found["k"], found["step"], positives, found["labelled"] - positives
            )
        return {
            "baseline": baseline,
            "calibration": calibration,
            "class_calibrations": calibrated,
            "class_rows": class_rows,
            "matrix": matrix.tolist(),
        }

    key = f"v3:{predicted}:{score}:{class_scores}:{','.join(classes)}"
    return _reference_summary(con, context, key, compute)


def _by_window(values: np.ndarray) -> dict:
    """{window key: positions of its rows}, without a Python loop over the (many) rows."""
    if not len(values):
        return {}
    unique, inverse = np.unique(values, return_inverse=True)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.cumsum(np.bincount(inverse.ravel(), minlength=len(unique)))[:-1]
    return dict(zip(_window_keys(unique), np.split(order, bounds), strict=True))


def _multiclass_sums(con, context, classes, predicted, class_scores, calibrated) -> dict:
    """{window key: (part-0 sums, part-1 sums)} of estimation_sql.calibrated_class_sums. Without a
    calibration the raw probabilities stand in (part 0 still gives the realized ROC AUC)."""
    grid = calibrated or [list(np.arange(estimation_sql.GRID + 1) / estimation_sql.GRID)] * len(classes)
    source, params = context.production(con)
    found = estimation_sql.calibrated_class_sums(
        con, source, params, scores=class_scores, classes=classes, predicted=predicted, calibrated=grid
    )
    parts = {}
    for part in (0, 1):
        mine = _slice(found, found["part"] == part)
        for key, rows in _by_window(mine["w"]).items():
            parts.setdefault(key, [None, None])[part] = _slice(mine, rows)
    return parts


def _estimated_records(window, estimates: dict, baseline: dict, labelled: int) -> list[dict]:
    return [
        _record(window, name, v, baseline.get(name), "estimated", labelled, lower, upper)
        for name, (v, lower, upper) in estimates.items()
    ]


def _estimate(part: dict, sums, reference: dict, classes, positive, score) -> tuple | None:
    """(estimates, expected confusion, simulated confusions, band widening) of one window, or None:
    binary from its per-score counts, multiclass from its calibrated sums (`sums`)."""
    calibration = reference["calibration"]
    if positive is not None and score is not None and calibration[0]:
        found = estimate_binary(part["s"], part["n"], (part["p"] == positive).astype(bool), calibration)
        return found and (*found, 1.0)
    if sums is not None and None not in sums and reference.get("class_calibrations"):
        return estimate_multiclass(*sums, len(classes), reference["class_rows"])
    return None


def _classification_section(con, context, classes: list[str]) -> dict:
    task = context.model.task
    binary = task == "binary"
    positive = positive_class(classes) if binary else None
    predicted = predicted_sql(context, classes)
    score = score_column(context, positive) if binary else None
    class_scores = None if binary or len(classes) > MAX_CLASSES else class_score_columns(context, classes)
    reference = _classification_reference(con, context, classes, positive, predicted, score, class_scores)
    baseline = reference["baseline"]
    cells = value.cell_values(context.settings.value_matrix, classes, positive)
    unit = None
    if cells is not None and reference.get("matrix"):
        unit = value.per_row(np.array(reference["matrix"]), cells)
    source, params = context.production(con)
    counts = metrics_sql.classification_counts(
        con, source, params, window=True, predicted=predicted, score=score, classes=classes
    )
    rows_of = _by_window(counts["w"])
    sums = {}
    if class_scores:
        calibrated = reference.get("class_calibrations") or []
        sums = _multiclass_sums(con, context, classes, predicted, class_scores, calibrated)
    names = _metric_names(task, score is not None or class_scores is not None)
    records, matrices, worth = [], [], []
    for window in context.windows:
        part = _slice(counts, np.array(rows_of.get(window.key, []), dtype=int))
        metrics, bands, matrix, labelled = classification_figures(part, classes, positive)
        enough = labelled >= context.settings.min_labels
        auc_part, confusion_part = sums.get(window.key, (None, None))
        if auc_part is not None and metrics:
            metrics["roc_auc_macro_score"] = realized_auc(auc_part)
        for name in names:
            metric = metrics.get(name) if enough else None
            band = bands.get(name, NO_BAND) if metric is not None else NO_BAND
            records.append(
                _record(window.index, name, metric, baseline.get(name), "realized", labelled, *band)
            )
        matrices += _matrix_records(window.index, matrix, classes)
        if cells is not None:
            worth.append(value.realized(window.index, matrix, cells, unit, enough))
        found = _estimate(part, sums.get(window.key), reference, classes, positive, score)
        if not found:
            continue
        estimates, expected, simulated, widen = found
        records += _estimated_records(window.index, estimates, baseline, labelled)
        if cells is not None:
            table = value.binary_cells(cells, classes, positive) if binary else cells
            worth.append(value.estimated(window.index, expected, simulated, table, unit, widen))
    return {"performance": records, "confusion_matrix": matrices, "business_value": worth}


def _matrix_records(window, matrix: np.ndarray, classes: list[str]) -> list[dict]:
    return [
        {"window": window, "true": t, "predicted": p, "count": int(matrix[i, j])}
        for i, t in enumerate(classes)
        for j, p in enumerate(classes)
        if matrix.sum() > 0
    ]


def _regression_section(con, context) -> dict:
    prediction = context.model.column("prediction").name

    def compute():
        source, params = context.reference(con)
        rows = metrics_sql.regression_sums(con, source, params, window=False, prediction=prediction)
        return {"baseline": regression_scores(*rows[0][2:9]) if rows else {}}

    baseline = _reference_summary(con, context, prediction, compute)["baseline"]
    cost = context.settings.value_matrix.get(value.REGRESSION_COST)
    unit = (
        None
        if cost is None or baseline.get("mean_absolute_error") is None
        else -cost * baseline["mean_absolute_error"]
    )
    source, params = context.production(con)
    by_key = {
        row[0]: row
        for row in metrics_sql.regression_sums(con, source, params, window=True, prediction=prediction)
    }
    estimates = regression_estimates(con, context)
    records, worth = [], []
    for window in context.windows:
        _, _, labelled, *sums = by_key.get(window.key, (None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        sums, higher = sums[:6], sums[6:]  # higher: sums of errors^4 and of squared percentage errors
        enough = labelled >= context.settings.min_labels
        metrics = regression_scores(labelled, *sums) if enough else {}
        bands = regression_intervals(labelled, *sums, *higher) if enough else {}
        for name in REGRESSION_METRICS:
            band = bands.get(name, NO_BAND)
            records.append(
                _record(
                    window.index, name, metrics.get(name), baseline.get(name), "realized", labelled, *band
                )
            )
        records.append(
            _record(window.index, "zero_target_rows", labelled - sums[-1], None, "realized", labelled)
        )
        if cost is not None:
            worth.append(value.regression_realized(window.index, labelled, sums[0], cost, unit, enough))
        rows, found = estimates.get(window.key, (0, {}))
        records += _estimated_records(window.index, found, baseline, labelled)
        if cost is not None and "mean_absolute_error" in found:
            worth.append(
                value.regression_estimated(window.index, rows, found["mean_absolute_error"], cost, unit)
            )
    return {"performance": records, "confusion_matrix": [], "business_value": worth}


KEYS = ("performance", "confusion_matrix", "business_value")
BANDS = "bands1"  # kept windows from before realized values had intervals are computed again


def _performance(con, context) -> dict:
    """Every record of the performance area, computed once per report (and kept per window)."""
    if "performance" in context.memo:
        return context.memo["performance"]
    model = context.model
    if model.column("prediction") is None and (model.task != "binary" or model.column("score") is None):
        found = {key: [] for key in KEYS}
    elif model.task == "regression":
        found = per_window(con, context, "performance", _regression_section, KEYS, BANDS)
    else:
        classes = classes_of(con, context)  # of the whole period: every window's matrix has them all

        def compute(con, part) -> dict:
            return _classification_section(con, part, classes)

        found = per_window(con, context, "performance", compute, KEYS, classes, BANDS)
    context.memo["performance"] = found
    return found


def performance_section(con, context) -> dict:
    """The report's `performance` records (realized and estimated) and `confusion_matrix` cells."""
    found = _performance(con, context)
    return {"performance": found["performance"], "confusion_matrix": found["confusion_matrix"]}


def business_value_section(con, context) -> dict:
    """The report's `business_value` records (none without the model's value matrix)."""
    return {"business_value": _performance(con, context)["business_value"]}
