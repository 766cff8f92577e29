"""Model performance per window against the reference baseline, from counts DuckDB computes.

The metric functions are pure and take small summaries: confusion matrices, per-score counts of
positives and negatives (which keep ROC AUC, average precision and log loss exact, ties included)
or sums of errors. `performance_section` builds the report's `performance` and
`confusion_matrix` records; estimated values for unlabelled windows come from
`monitoring.performance.estimation`.
"""

import numpy as np

from monitoring.store import metrics_sql
from monitoring.store.catalog import table_columns
from monitoring.store.window_sql import has_rows
from monitoring.window_cache import for_reference, per_window

POSITIVE_WORDS = ("1", "true", "yes", "y", "positive", "pos", "t")
EPS = np.finfo(np.float64).eps


def positive_class(values) -> str:
    """The positive class of a binary target stored as text.

    Rule: the first value that reads as positive ('1', 'true', 'yes', 'y', 'positive', 'pos', 't',
    compared lowercased and trimmed; '1.0' counts as '1'); otherwise the larger value (numbers
    compared as numbers, else as text).
    """
    values = [str(v) for v in values if v is not None]
    for value in values:
        text = value.strip().lower()
        if text in POSITIVE_WORDS or _as_number(text) == 1:
            return value
    numbers = [_as_number(v) for v in values]
    if values and all(n is not None for n in numbers):
        return values[int(np.argmax(numbers))]
    return max(values) if values else "1"


def _as_number(text: str):
    try:
        return float(text)
    except ValueError:
        return None


def _ratio(num: float, den: float):
    return float(num) / float(den) if den else 0.0


def binary_scores(tp: float, fp: float, fn: float, tn: float) -> dict:
    """Accuracy, precision, recall and F1 of the positive class (0 where undefined, as sklearn)."""
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {
        "accuracy_score": _ratio(tp + tn, tp + fp + fn + tn),
        "precision_score": precision,
        "recall_score": recall,
        "f1_score": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def multiclass_scores(matrix: np.ndarray) -> dict:
    """Accuracy and macro/weighted precision, recall, F1 from a confusion matrix (rows = true)."""
    matrix = np.asarray(matrix, dtype=float)
    tp = np.diag(matrix)
    true_n, pred_n = matrix.sum(axis=1), matrix.sum(axis=0)
    precision = np.divide(tp, pred_n, out=np.zeros_like(tp), where=pred_n > 0)
    recall = np.divide(tp, true_n, out=np.zeros_like(tp), where=true_n > 0)
    f1 = np.divide(2 * tp, true_n + pred_n, out=np.zeros_like(tp), where=(true_n + pred_n) > 0)
    present = (true_n + pred_n) > 0
    weights = true_n / true_n.sum() if true_n.sum() else true_n
    scores = {"accuracy_score": _ratio(tp.sum(), matrix.sum())}
    for name, values in (("precision", precision), ("recall", recall), ("f1", f1)):
        scores[f"{name}_macro_score"] = float(values[present].mean()) if present.any() else 0.0
        scores[f"{name}_weighted_score"] = float((values * weights).sum())
    return scores


def score_counts(scores, positives, negatives) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge counts to one row per distinct score, ascending."""
    scores = np.asarray(scores, dtype=float)
    unique, inverse = np.unique(scores, return_inverse=True)
    pos = np.bincount(inverse, weights=np.asarray(positives, dtype=float), minlength=len(unique))
    neg = np.bincount(inverse, weights=np.asarray(negatives, dtype=float), minlength=len(unique))
    return unique, pos, neg


def roc_auc_from_counts(scores, positives, negatives) -> float | None:
    """Exact ROC AUC (Mann-Whitney, ties count one half) from per-score counts; None if one class."""
    _, pos, neg = score_counts(scores, positives, negatives)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos == 0 or total_neg == 0:
        return None
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (total_pos * total_neg))


def average_precision_from_counts(scores, positives, negatives) -> float | None:
    """Average precision as sklearn computes it (step-wise, thresholds at distinct scores)."""
    _, pos, neg = score_counts(scores, positives, negatives)
    if pos.sum() == 0:
        return None
    tp, fp = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])
    precision = tp / (tp + fp)
    recall_step = pos[::-1] / pos.sum()
    return float((recall_step * precision).sum())


def log_loss_from_counts(scores, positives, negatives) -> float | None:
    """Mean binary log loss with scores clipped to [eps, 1 - eps], from per-score counts."""
    p = np.clip(np.asarray(scores, dtype=float), EPS, 1 - EPS)
    pos, neg = np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    total = pos.sum() + neg.sum()
    if total == 0:
        return None
    return float(-(pos * np.log(p) + neg * np.log1p(-p)).sum() / total)


def regression_scores(n, abs_sum, sq_sum, err_sum, var_y, ape_sum, ape_n) -> dict:
    """MAE, RMSE, MAPE (rows with a zero target skipped), R², mean residual (prediction - target)."""
    if not n:
        return {}
    sst = (var_y or 0.0) * n
    return {
        "mean_absolute_error": abs_sum / n,
        "root_mean_squared_error": float(np.sqrt(sq_sum / n)),
        "mean_absolute_percentage_error": ape_sum / ape_n if ape_n else None,
        "r2_score": 1 - sq_sum / sst if sst > 0 else None,
        "mean_residual": err_sum / n,
    }


def classes_of(con, context) -> list[str]:
    """The class labels seen in targets and predictions of the reference and production rows."""
    model = context.model
    prediction = model.column("prediction")
    expressions = [metrics_sql.LABEL] + ([metrics_sql.quote(prediction.name)] if prediction else [])
    sources = [context.production(con)]
    if has_rows(con, model, "reference") and (
        prediction is None or prediction.name in table_columns(con, model.table("reference"))
    ):
        sources.append(context.reference(con))
    return metrics_sql.distinct_values(con, sources, expressions)


def predicted_sql(context, classes: list[str]) -> str:
    """SQL for the predicted class of a classifier (see metrics_sql.prediction_expression)."""
    model = context.model
    prediction, score = model.column("prediction"), model.column("score")
    positive = positive_class(classes)
    negative = next((c for c in classes if c != positive), "0")
    return metrics_sql.prediction_expression(
        prediction.name if prediction else None, score.name if score else None, positive, negative
    )


def _score_column(context, positive: str) -> str | None:
    """The binary classifier's score column: the only one, or the one named after the positive class."""
    scores = context.model.columns_with("score")
    if len(scores) == 1:
        return scores[0].name
    named = [c.name for c in scores if c.name.lower().endswith(f"_{positive.lower()}")]
    return named[0] if named else None


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
    return for_reference(con, context, f"performance:{context.reference_batch}:{key}", compute)


def _classification_reference(con, context, classes, positive, predicted, score) -> dict:
    from monitoring.performance.estimation import fit_calibration

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
    from monitoring.performance.estimation import estimate_scores

    binary = context.model.task == "binary"
    positive = positive_class(classes) if binary else None
    predicted = predicted_sql(context, classes)
    score = _score_column(context, positive) if binary else None
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
