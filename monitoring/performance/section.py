"""Model performance per window against the reference baseline, from counts DuckDB computes.

DuckDB turns rows into confusion, per-score and error-sum counts per window; the metrics are the
pure functions of `metrics.py`. `performance_section` builds the report's `performance` and
`confusion_matrix` records; estimated values for unlabelled windows come from `estimation.py`.
"""

import numpy as np

from monitoring.context import WHOLE
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
    """Baseline metrics (and calibration) of the baseline, kept while its rows are unchanged:
    {WHOLE or a value of the grouping column: {"baseline", "calibration"}}."""
    model = context.model
    needed = {c.name for c in model.columns_with("prediction", "score")}
    if context.previous or (
        context.baseline.kind == "reference"
        and (
            not has_rows(con, model, "reference")
            or not needed <= set(table_columns(con, model.table("reference")))
        )
    ):
        return {}
    found = for_reference(con, context, cache_key("performance", context, key), compute)
    return dict(found)


def _classification_reference(con, context, classes, positive, predicted, score) -> dict:
    def compute():
        source, params = context.reference(con)
        counts = metrics_sql.classification_counts(
            con,
            source,
            params,
            window=False,
            predicted=predicted,
            score=score,
            classes=classes,
            segments=_named(context)[1:] if context.baseline_by else None,
        )
        values = _groups(counts["g"], _named(context)) if context.baseline_by else []
        parts = [(WHOLE, np.arange(len(counts["n"])))] + values
        return [
            [value, _baseline_of(_slice(counts, mask), classes, positive, score)] for value, mask in parts
        ]

    return _reference_summary(con, context, f"{predicted}:{score}:{','.join(classes)}", compute)


def _named(context) -> list:
    """The grouping column's values by their code in `classification_counts` (0: missing)."""
    return [None, *[v for v in context.segment_values if v is not None]]


def _groups(codes: np.ndarray, names: list) -> list[tuple]:
    """(value, positions of its rows) for each value code present, without a loop over the rows."""
    return [(names[int(code)], positions) for code, positions in _by_window(codes).items() if code >= 0]


def _baseline_of(counts: dict, classes, positive, score) -> dict:
    baseline, _, _ = classification_metrics(counts, classes, positive)
    calibration = [[], []]
    if positive is not None and score is not None:
        calibration = _calibration(counts, positive)
    return {"baseline": baseline, "calibration": calibration}


def _calibration(counts: dict, positive: str) -> list:
    usable = (counts["y"] != None) & np.isfinite(counts["s"].astype(float))  # noqa: E711
    is_pos = (counts["y"][usable] == positive).astype(bool)
    rows = counts["n"][usable].astype(float)
    return list(fit_calibration(counts["s"][usable], rows * is_pos, rows * ~is_pos))


def _by_window(values: np.ndarray) -> dict:
    """{window key: positions of its rows}, without a Python loop over the (many) rows."""
    if not len(values):
        return {}
    unique, inverse = np.unique(values, return_inverse=True)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.cumsum(np.bincount(inverse.ravel(), minlength=len(unique)))[:-1]
    return dict(zip(_window_keys(unique), np.split(order, bounds), strict=True))


def _slices(context, counts: dict) -> list[tuple]:
    """(value, window, positions of its rows) for the whole population and each value of the
    grouping column, in every window that holds rows of it."""
    rows_of = _by_window(counts["w"])
    found = [(WHOLE, w, rows_of.get(w.key, [])) for w in context.windows]
    if not context.by:
        return found
    names = _named(context)
    for window in context.windows:
        positions = np.asarray(rows_of.get(window.key, []), dtype=int)
        found += [(value, window, positions[part]) for value, part in _groups(counts["g"][positions], names)]
    return found


def _classification_section(con, context, classes: list[str]) -> dict:
    binary = context.model.task == "binary"
    positive = positive_class(classes) if binary else None
    predicted = predicted_sql(context, classes)
    score = score_column(context, positive) if binary else None
    references = _classification_reference(con, context, classes, positive, predicted, score)
    source, params = context.production(con)
    counts = metrics_sql.classification_counts(
        con,
        source,
        params,
        window=True,
        predicted=predicted,
        score=score,
        classes=classes,
        segments=_named(context)[1:] if context.by else None,
    )
    names = _metric_names(context.model.task, score is not None)
    records, cells, before = [], [], {}
    for value, window, rows in _slices(context, counts):
        part = _slice(counts, np.array(rows, dtype=int))
        metrics, matrix, labelled = classification_metrics(part, classes, positive)
        enough = labelled >= context.settings.min_labels
        reference = _baseline_for(context, references, before, value, window, positive)
        before[value] = (window.index, metrics if enough else {}, part if enough else None)
        baseline, calibration = reference["baseline"], reference["calibration"]
        found = [
            _record(
                window.index,
                name,
                metrics.get(name) if enough else None,
                baseline.get(name),
                "realized",
                labelled,
            )
            for name in names
        ]
        # a segment's estimate only where its labels are too few: simulated bands cost per slice
        wanted = not enough or (value == WHOLE and context.segment is None)
        if binary and score is not None and calibration and calibration[0] and wanted:
            is_pos = (part["p"] == positive).astype(bool)
            estimates = estimate_scores(part["s"], part["n"], is_pos, calibration)
            for name, (value_, lower, upper) in estimates.items():
                found.append(
                    _record(
                        window.index, name, value_, baseline.get(name), "estimated", labelled, lower, upper
                    )
                )
        matrix_records = _matrix_records(window.index, matrix, classes)
        records += _tag_all(context, found, window, value)
        cells += _tag_all(context, matrix_records, window, value)
    return {"performance": records, "confusion_matrix": cells}


def _baseline_for(context, references: dict, before: dict, value, window, positive) -> dict:
    """The slice's baseline: the reference's (or the period's), or with `previous` the realized
    metrics of the window before and a calibration fitted on its labelled rows."""
    if not context.previous:
        return references.get(context.baseline_key(value), {"baseline": {}, "calibration": [[], []]})
    index, metrics, part = before.get(value, (None, {}, None))
    if index != window.index - 1:
        return {"baseline": {}, "calibration": [[], []]}
    calibration = _calibration(part, positive) if part is not None and positive is not None else [[], []]
    return {"baseline": metrics, "calibration": calibration}


def _tag_all(context, records: list[dict], window, value) -> list[dict]:
    if not context.by:
        return records
    return [context.tag(r, window.key, value, whole=value == WHOLE) for r in records]


def _matrix_records(window, matrix: np.ndarray, classes: list[str]) -> list[dict]:
    return [
        {"window": window, "true": t, "predicted": p, "count": int(matrix[i, j])}
        for i, t in enumerate(classes)
        for j, p in enumerate(classes)
        if matrix.sum() > 0
    ]


def _regression_section(con, context) -> dict:
    prediction = context.model.column("prediction").name
    grouped = bool(context.by)

    def compute():
        source, params = context.reference(con)
        rows = metrics_sql.regression_sums(
            con, source, params, window=False, prediction=prediction, segment=bool(context.baseline_by)
        )
        cells = _regression_cells(rows, bool(context.baseline_by))
        return [[value, {"baseline": regression_scores(*found[1:])}] for (_, value), found in cells.items()]

    references = _reference_summary(con, context, prediction, compute)
    source, params = context.production(con)
    rows = metrics_sql.regression_sums(
        con, source, params, window=True, prediction=prediction, segment=grouped
    )
    cells = _regression_cells(rows, grouped)
    records, before = [], {}
    for window in context.windows:
        for value in [WHOLE] + (context.segment_values if grouped else []):
            if (window.key, value) not in cells and value != WHOLE:
                continue
            _, labelled, *sums = cells.get((window.key, value), (0, 0, 0, 0, 0, 0, 0, 0))
            metrics = regression_scores(labelled, *sums) if labelled >= context.settings.min_labels else {}
            baseline = _regression_baseline(context, references, before, value, window)
            before[value] = (window.index, metrics)
            found = [
                _record(window.index, name, metrics.get(name), baseline.get(name), "realized", labelled)
                for name in REGRESSION_METRICS
            ]
            found.append(
                _record(window.index, "zero_target_rows", labelled - sums[-1], None, "realized", labelled)
            )
            records += _tag_all(context, found, window, value)
    return {"performance": records, "confusion_matrix": []}


def _regression_cells(rows: list[tuple], grouped: bool) -> dict:
    """{(window key, WHOLE or value): (rows, labelled, sums...)} from `regression_sums`."""
    if not grouped:
        return {(row[0], WHOLE): row[1:] for row in rows}
    return {(row[0], WHOLE if row[2] else row[1]): row[3:] for row in rows}


def _regression_baseline(context, references: dict, before: dict, value, window) -> dict:
    if not context.previous:
        return references.get(context.baseline_key(value), {}).get("baseline", {})
    index, metrics = before.get(value, (None, {}))
    return metrics if index == window.index - 1 else {}


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
