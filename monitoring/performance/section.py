"""Model performance per window against the baseline, from counts DuckDB computes.

DuckDB turns rows into confusion and per-score counts per window (and per value of the grouping
column); the metrics are the pure functions of `metrics.py`. `performance_section` builds the
report's `performance` and `confusion_matrix` records, `business_value_section` its
`business_value` records (value.py), both from one computation per window. Classifiers are here,
regressors in `regression.py`; estimated values for unlabelled windows come from `estimation.py`
(binary) and `multiclass_estimation.py`.
"""

import numpy as np

from monitoring.context import WHOLE
from monitoring.performance import value
from monitoring.performance.classes import (
    class_score_columns,
    classes_of,
    positive_class,
    predicted_sql,
    score_column,
)
from monitoring.performance.estimation import estimate_binary, fit_calibration
from monitoring.performance.metrics import (
    average_precision_from_counts,
    binary_intervals,
    binary_scores,
    log_loss_from_counts,
    multiclass_intervals,
    multiclass_scores,
    roc_auc_from_counts,
    score_counts,
    score_intervals,
)
from monitoring.performance.multiclass_estimation import (
    MAX_CLASSES,
    estimate_multiclass,
    fit_class_calibrations,
    macro_auc,
    realized_auc,
)
from monitoring.performance.records import BANDS, NO_BAND, estimated_records, kept_reference, record, tag_all
from monitoring.performance.regression import regression_section
from monitoring.store import estimation_sql, metrics_sql
from monitoring.window_cache import per_window

# a classifier's counts hold a row per distinct score (often one per row): passes of at most this
# many rows of windows keep them to a few hundred MB at any size
ROWS_PER_PASS = 5_000_000


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
    n = counts["n"]
    index = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)))
    true_is = {c: counts["y"] == c for c in classes}
    for c, j in index.items():
        predicted = counts["p"] == c
        for t, i in index.items():
            matrix[i, j] = n[true_is[t] & predicted].sum()
    labelled_rows = int(n[labelled].sum())
    if not matrix.any() or (positive is not None and positive not in index):
        return {}, {}, matrix, labelled_rows  # no row has both a prediction and a label
    if positive is None:
        return multiclass_scores(matrix), multiclass_intervals(matrix), matrix, labelled_rows
    pos, neg = index[positive], [i for i in range(len(classes)) if i != index[positive]]
    tp, fn = matrix[pos, pos], matrix[pos, neg].sum()
    fp, tn = matrix[neg, pos].sum(), matrix[np.ix_(neg, neg)].sum()
    metrics, bands = binary_scores(tp, fp, fn, tn), binary_intervals(tp, fp, fn, tn)
    usable = labelled & np.isin(counts["p"], classes) & np.isin(counts["y"], classes)
    scored = usable & np.isfinite(np.asarray(counts["s"], dtype=float))
    if scored.any():
        found, found_bands = _score_figures(counts, scored, positive)
        metrics |= found
        bands |= found_bands
    return metrics, bands, matrix, labelled_rows


def _score_figures(counts: dict, scored, positive: str) -> tuple[dict, dict]:
    """ROC AUC, average precision and log loss of the `scored` rows, with their intervals, from
    the rows merged once per distinct score (a window may hold millions: few copies of it live)."""
    is_pos = counts["y"][scored] == positive
    rows = counts["n"][scored].astype(float)
    s, positives, negatives = score_counts(counts["s"][scored], rows * is_pos, rows * ~is_pos)
    del is_pos, rows
    ap = average_precision_from_counts(s, positives, negatives)
    metrics = {
        "roc_auc_score": roc_auc_from_counts(s, positives, negatives),
        "average_precision_score": ap,
        "log_loss": log_loss_from_counts(s, positives, negatives),
    }
    return metrics, score_intervals(s, positives, negatives, ap)


def _slice(counts: dict, mask) -> dict:
    return {name: values[mask] for name, values in counts.items()}


def _window_keys(values) -> list:
    if values.dtype.kind == "M":
        return list(values.astype("datetime64[us]").astype(object))
    return [v.item() if hasattr(v, "item") else v for v in values]


BINARY_METRICS = ("accuracy_score", "precision_score", "recall_score", "f1_score")
SCORE_METRICS = ("roc_auc_score", "average_precision_score", "log_loss")


def _metric_names(task: str, has_score: bool) -> tuple[str, ...]:
    if task == "binary":
        return BINARY_METRICS + (SCORE_METRICS if has_score else ())
    return tuple(multiclass_scores(np.zeros((1, 1)))) + (("roc_auc_macro_score",) if has_score else ())


def _classification_reference(con, context, classes, positive, predicted, score, class_scores) -> dict:
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
        groups = _groups(counts["g"], _named(context)) if context.baseline_by else []
        parts = [(WHOLE, slice(0, len(counts["n"])))] + groups
        found = [
            [group, _baseline_of(_slice(counts, mask), classes, positive, score)] for group, mask in parts
        ]
        if class_scores:
            _add_class_reference(con, source, params, class_scores, classes, found[0][1])
        return found

    key = f"v4:{predicted}:{score}:{class_scores}:{','.join(classes)}"
    return kept_reference(con, context, key, compute)


def _named(context) -> list:
    """The grouping column's values by their code in `classification_counts` (0: missing)."""
    return [None, *[v for v in context.segment_values if v is not None]]


def _groups(codes: np.ndarray, names: list, start: int = 0) -> list[tuple]:
    """(value, its rows as a slice) for each value code present in sorted `codes` (their first row
    at `start`)."""
    return [
        (names[int(code)], slice(start + rows.start, start + rows.stop))
        for code, rows in _runs(codes).items()
        if code >= 0
    ]


def _runs(values: np.ndarray) -> dict:
    """{value: slice of its rows} of an array sorted by value: each value's rows are one run."""
    if not len(values):
        return {}
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    keys = _window_keys(values[starts])
    return {key: slice(int(a), int(b)) for key, a, b in zip(keys, starts, ends, strict=True)}


def _baseline_of(counts: dict, classes, positive, score) -> dict:
    baseline, matrix, _ = classification_metrics(counts, classes, positive)
    calibration = [[], []]
    if positive is not None and score is not None:
        calibration = _calibration(counts, positive)
    return {"baseline": baseline, "calibration": calibration, "matrix": matrix.tolist()}


def _add_class_reference(con, source: str, params: list, class_scores, classes, reference: dict) -> None:
    """Add the multiclass estimator's calibrations, fitted on the baseline's class scores, and its
    macro ROC AUC to the whole baseline's `reference`."""
    found = estimation_sql.class_score_counts(con, source, params, scores=class_scores, classes=classes)
    positives = found["positives"].astype(float)
    auc = macro_auc(found["k"], found["step"], positives, found["labelled"] - positives)
    reference["baseline"]["roc_auc_macro_score"] = auc
    reference["class_calibrations"] = fit_class_calibrations(found, classes)
    reference["class_rows"] = float(found["labelled"][found["k"] == 1].sum())


def _calibration(counts: dict, positive: str) -> list:
    usable = (counts["y"] != None) & np.isfinite(counts["s"].astype(float))  # noqa: E711
    is_pos = (counts["y"][usable] == positive).astype(bool)
    rows = counts["n"][usable].astype(float)
    return list(fit_calibration(counts["s"][usable], rows * is_pos, rows * ~is_pos))


def _slices(context, counts: dict) -> list[tuple]:
    """(value, window, positions of its rows) for the whole population and each value of the
    grouping column, in every window that holds rows of it."""
    rows_of = _runs(counts["w"])
    found = [(WHOLE, w, rows_of.get(w.key, slice(0, 0))) for w in context.windows]
    if not context.by:
        return found
    names = _named(context)
    for window in context.windows:
        rows = rows_of.get(window.key, slice(0, 0))
        found += [(value, window, part) for value, part in _groups(counts["g"][rows], names, rows.start)]
    return found


def _multiclass_sums(con, context, classes, predicted, class_scores, calibrated) -> dict:
    """{window key: (part-0 sums, part-1 sums)} of estimation_sql.calibrated_class_sums. Without a
    calibration the raw probabilities stand in (part 0 still gives the realized ROC AUC)."""
    grid = calibrated or [list(np.arange(estimation_sql.GRID + 1) / estimation_sql.GRID)] * len(classes)
    source, params = context.production(con)
    found = estimation_sql.calibrated_class_sums(
        con, source, params, scores=class_scores, classes=classes, predicted=predicted, calibrated=grid
    )
    parts = {}
    for part, rows in _runs(found["part"]).items():  # sorted by part, then window
        mine = _slice(found, rows)
        for key, window_rows in _runs(mine["w"]).items():
            parts.setdefault(key, [None, None])[part] = _slice(mine, window_rows)
    return parts


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
    references = _classification_reference(con, context, classes, positive, predicted, score, class_scores)
    whole = references.get(WHOLE, {})
    cells = value.cell_values(context.settings.value_matrix, classes, positive)
    unit = None
    if cells is not None and whole.get("matrix"):
        unit = value.per_row(np.array(whole["matrix"]), cells)
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
    sums = {}
    if class_scores:
        calibrated = whole.get("class_calibrations") or []
        sums = _multiclass_sums(con, context, classes, predicted, class_scores, calibrated)
    names = _metric_names(task, score is not None or class_scores is not None)
    records, matrices, worth, before = [], [], [], {}
    for group, window, rows in _slices(context, counts):
        part = _slice(counts, rows)
        metrics, bands, matrix, labelled = classification_figures(part, classes, positive)
        enough = labelled >= context.settings.min_labels
        reference = _baseline_for(context, references, before, group, window, positive)
        if context.previous:  # the next window's baseline
            before[group] = (window.index, metrics if enough else {}, part if enough else None)
        whole_slice = group == WHOLE
        window_sums = sums.get(window.key) if whole_slice else None
        if window_sums is not None and window_sums[0] is not None and metrics:
            metrics["roc_auc_macro_score"] = realized_auc(window_sums[0])
        baseline = reference["baseline"]
        found = [
            record(
                window.index,
                name,
                metrics.get(name) if enough else None,
                baseline.get(name),
                "realized",
                labelled,
                *(bands.get(name, NO_BAND) if enough and metrics.get(name) is not None else NO_BAND),
            )
            for name in names
        ]
        mine = (
            [value.realized(window.index, matrix, cells, unit, enough)]
            if cells is not None and whole_slice
            else []
        )
        # a segment's estimate only where its labels are too few: simulated bands cost per slice
        wanted = not enough or (whole_slice and context.segment is None)
        estimate = _estimate(part, window_sums, reference, classes, positive, score) if wanted else None
        if estimate:
            estimates, expected, simulated, widen = estimate
            found += estimated_records(window.index, estimates, baseline, labelled)
            if cells is not None and whole_slice:
                table = value.binary_cells(cells, classes, positive) if binary else cells
                mine.append(value.estimated(window.index, expected, simulated, table, unit, widen))
        records += tag_all(context, found, window, group)
        matrices += tag_all(context, _matrix_records(window.index, matrix, classes), window, group)
        worth += tag_all(context, mine, window, group)
    return {"performance": records, "confusion_matrix": matrices, "business_value": worth}


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


def _matrix_records(window, matrix: np.ndarray, classes: list[str]) -> list[dict]:
    return [
        {"window": window, "true": t, "predicted": p, "count": int(matrix[i, j])}
        for i, t in enumerate(classes)
        for j, p in enumerate(classes)
        if matrix.sum() > 0
    ]


KEYS = ("performance", "confusion_matrix", "business_value")


def _performance(con, context) -> dict:
    """Every record of the performance area, computed once per report (and kept per window)."""
    if "performance" in context.memo:
        return context.memo["performance"]
    model = context.model
    if model.column("prediction") is None and (model.task != "binary" or model.column("score") is None):
        found = {key: [] for key in KEYS}
    elif model.task == "regression":
        found = per_window(con, context, "performance", regression_section, KEYS, BANDS)
    else:
        classes = classes_of(con, context)  # of the whole period: every window's matrix has them all

        def compute(con, part) -> dict:
            return _classification_section(con, part, classes)

        found = per_window(
            con, context, "performance", compute, KEYS, classes, BANDS, rows_per_pass=ROWS_PER_PASS
        )
    context.memo["performance"] = found
    return found


def performance_section(con, context) -> dict:
    """The report's `performance` records (realized and estimated) and `confusion_matrix` cells."""
    found = _performance(con, context)
    return {"performance": found["performance"], "confusion_matrix": found["confusion_matrix"]}


def business_value_section(con, context) -> dict:
    """The report's `business_value` records (none without the model's value matrix)."""
    return {"business_value": _performance(con, context)["business_value"]}
