"""Model performance per window against the reference baseline, from counts DuckDB computes.

DuckDB turns rows into confusion, per-score and error-sum counts per window; the metrics are the
pure functions of `metrics.py`. `performance_section` builds the report's `performance` and
`confusion_matrix` records; estimated values for unlabelled windows come from `estimation.py`.
"""

import numpy as np

from monitoring.performance.classes import classes_of, positive_class, predicted_sql, score_column
from monitoring.performance.estimation import estimate_scores, fit_calibration
from monitoring.performance.metrics import (
    average_precision_from_counts,
    binary_scores,
    log_loss_from_counts,
    multiclass_scores,
    regression_scores,
    roc_auc_from_counts,
)
from monitoring.store import metrics_sql
from monitoring.store.catalog import table_columns
from monitoring.store.window_sql import has_rows
from monitoring.window_cache import cache_key, for_reference, per_window


def classification_metrics(
    counts: dict, classes: list[str], positive: str | None
) -> tuple[dict, np.ndarray, int]:
    """(metrics, confusion matrix, labelled rows) for one slice of `classification_counts`."""
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
        return {}, matrix, int(n[labelled].sum())  # no row has both a prediction and a label
    if positive is None:
        return multiclass_scores(matrix), matrix, int(n[labelled].sum())
    pos, neg = index[positive], [i for i in range(len(classes)) if i != index[positive]]
    tp, fn = matrix[pos, pos], matrix[pos, neg].sum()
    fp, tn = matrix[neg, pos].sum(), matrix[np.ix_(neg, neg)].sum()
    metrics = binary_scores(tp, fp, fn, tn)
    scored = usable & np.isfinite(counts["s"].astype(float))
    if scored.any():
        is_pos = counts["y"][scored] == positive
        s, rows = counts["s"][scored].astype(float), n[scored]
        metrics["roc_auc_score"] = roc_auc_from_counts(s, rows * is_pos, rows * ~is_pos)
        metrics["average_precision_score"] = average_precision_from_counts(s, rows * is_pos, rows * ~is_pos)
        metrics["log_loss"] = log_loss_from_counts(s, rows * is_pos, rows * ~is_pos)
    return metrics, matrix, int(n[labelled].sum())


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


BINARY_METRICS = ("accuracy_score", "precision_score", "recall_score", "f1_score")
SCORE_METRICS = ("roc_auc_score", "average_precision_score", "log_loss")
REGRESSION_METRICS = (
    "mean_absolute_error",
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
    return tuple(multiclass_scores(np.zeros((1, 1))))


def _reference_summary(con, context, key: str, compute) -> dict:
    """Baseline metrics (and calibration) of the reference, kept while its batches are unchanged."""
    model = context.model
    needed = {c.name for c in model.columns_with("prediction", "score")}
    if not has_rows(con, model, "reference") or not needed <= set(
        table_columns(con, model.table("reference"))
    ):
        return {"baseline": {}, "calibration": [[], []]}
    return for_reference(con, context, cache_key("performance", context, key), compute)


def _classification_reference(con, context, classes, positive, predicted, score) -> dict:
    def compute():
        source, params = context.reference(con)
        counts = metrics_sql.classification_counts(
            con, source, params, window=False, predicted=predicted, score=score, classes=classes
        )
        baseline, _, _ = classification_metrics(counts, classes, positive)
        calibration = [[], []]
        if positive is not None and score is not None:
            usable = (counts["y"] != None) & np.isfinite(counts["s"].astype(float))  # noqa: E711
            is_pos = (counts["y"][usable] == positive).astype(bool)
            rows = counts["n"][usable].astype(float)
            calibration = list(fit_calibration(counts["s"][usable], rows * is_pos, rows * ~is_pos))
        return {"baseline": baseline, "calibration": calibration}

    return _reference_summary(con, context, f"{predicted}:{score}:{','.join(classes)}", compute)


def _by_window(values: np.ndarray) -> dict:
    """{window key: positions of its rows}, without a Python loop over the (many) rows."""
    if not len(values):
        return {}
    unique, inverse = np.unique(values, return_inverse=True)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.cumsum(np.bincount(inverse.ravel(), minlength=len(unique)))[:-1]
    return dict(zip(_window_keys(unique), np.split(order, bounds), strict=True))


def _classification_section(con, context, classes: list[str]) -> dict:
    binary = context.model.task == "binary"
    positive = positive_class(classes) if binary else None
    predicted = predicted_sql(context, classes)
    score = score_column(context, positive) if binary else None
    reference = _classification_reference(con, context, classes, positive, predicted, score)
    baseline, calibration = reference["baseline"], reference["calibration"]
    source, params = context.production(con)
    counts = metrics_sql.classification_counts(
        con, source, params, window=True, predicted=predicted, score=score, classes=classes
    )
    rows_of = _by_window(counts["w"])
    names = _metric_names(context.model.task, score is not None)
    records, cells = [], []
    for window in context.windows:
        part = _slice(counts, np.array(rows_of.get(window.key, []), dtype=int))
        metrics, matrix, labelled = classification_metrics(part, classes, positive)
        enough = labelled >= context.settings.min_labels
        for name in names:
            value = metrics.get(name) if enough else None
            records.append(_record(window.index, name, value, baseline.get(name), "realized", labelled))
        cells += _matrix_records(window.index, matrix, classes)
        if binary and score is not None and calibration[0]:
            is_pos = (part["p"] == positive).astype(bool)
            estimates = estimate_scores(part["s"], part["n"], is_pos, calibration)
            for name, (value, lower, upper) in estimates.items():
                records.append(
                    _record(
                        window.index, name, value, baseline.get(name), "estimated", labelled, lower, upper
                    )
                )
    return {"performance": records, "confusion_matrix": cells}


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
        return {"baseline": regression_scores(*rows[0][2:]) if rows else {}}

    baseline = _reference_summary(con, context, prediction, compute)["baseline"]
    source, params = context.production(con)
    by_key = {
        row[0]: row
        for row in metrics_sql.regression_sums(con, source, params, window=True, prediction=prediction)
    }
    records = []
    for window in context.windows:
        _, _, labelled, *sums = by_key.get(window.key, (None, 0, 0, 0, 0, 0, 0, 0, 0))
        metrics = regression_scores(labelled, *sums) if labelled >= context.settings.min_labels else {}
        for name in REGRESSION_METRICS:
            records.append(
                _record(window.index, name, metrics.get(name), baseline.get(name), "realized", labelled)
            )
        records.append(
            _record(window.index, "zero_target_rows", labelled - sums[-1], None, "realized", labelled)
        )
    return {"performance": records, "confusion_matrix": []}


def performance_section(con, context) -> dict:
    """The report's `performance` records (realized and estimated) and `confusion_matrix` cells."""
    model = context.model
    if model.column("prediction") is None and (model.task != "binary" or model.column("score") is None):
        return {"performance": [], "confusion_matrix": []}
    keys = ("performance", "confusion_matrix")
    if model.task == "regression":
        return per_window(con, context, "performance", _regression_section, keys)
    classes = classes_of(con, context)  # of the whole period: every window's matrix has them all

    def compute(con, part) -> dict:
        return _classification_section(con, part, classes)

    return per_window(con, context, "performance", compute, keys, classes)
