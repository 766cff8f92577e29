"""Performance estimated before labels arrive (confidence-based estimation, as NannyML's CBPE).

1. Fit: isotonic regression of the label on the score over the reference, fitted on per-score
   counts (weights = rows per distinct score, which equals fitting on every row) and kept as the
   ends of its constant pieces, JSON-able so the store can keep it per reference version.
2. Estimate: a window's per-score, per-predicted-class row counts and the calibrated probability p
   of each score give the expected confusion matrix (a predicted-positive row adds p to TP and
   1 - p to FP; a predicted-negative row adds p to FN and 1 - p to TN), hence the estimated
   accuracy, precision, recall and F1; estimated ROC AUC weights each score's rows by p as
   positives and 1 - p as negatives.
3. Band: if the calibration holds, a window's labels are independent Bernoulli(p) draws; the band
   is the central `confidence` interval of each metric over `draws` simulated label sets (binomial
   counts per score, seeded, so reports are reproducible), shifted to centre on the estimate.
   Above MAX_GROUPS distinct (score, predicted class) groups the simulation runs on equal-row score
   bins per predicted class (the estimate itself always uses every distinct score). It is the
   sampling uncertainty of the window, not the uncertainty of the calibration itself.
"""

import numpy as np

from monitoring.performance.metrics import roc_auc_from_counts, score_counts

DRAWS = 200
MAX_GROUPS = 2000  # above this, the band is simulated on score bins (the estimate stays exact)
CONFIDENCE = 0.95
SEED = 20240301
ESTIMATED_METRICS = ("accuracy_score", "precision_score", "recall_score", "f1_score", "roc_auc_score")


def fit_calibration(scores, positives, negatives) -> tuple[list[float], list[float]]:
    """Isotonic calibration of scores from per-score counts; returns (x thresholds, y thresholds)."""
    unique, pos, neg = score_counts(scores, positives, negatives)
    rows = pos + neg
    keep = (rows > 0) & np.isfinite(unique)
    if keep.sum() < 2:
        return [], []
    # scipy's pool-adjacent-violators: the fit scikit-learn's IsotonicRegression makes, at a
    # fraction of its import time and memory.
    from scipy.optimize import isotonic_regression

    x, rows = unique[keep], rows[keep]
    fit = isotonic_regression(pos[keep] / rows, weights=rows, increasing=True)
    starts, ends = fit.blocks[:-1], fit.blocks[1:] - 1
    xs = np.column_stack([x[starts], x[ends]]).ravel()
    ys = np.repeat(np.clip(fit.x[starts], 0.0, 1.0), 2)
    distinct = np.r_[True, np.diff(xs) > 0]  # a one-score block gives its point once
    return xs[distinct].tolist(), ys[distinct].tolist()


def calibrate(scores, calibration: tuple[list[float], list[float]]) -> np.ndarray:
    """Calibrated probabilities: the isotonic fit's piecewise-linear map, clipped at the ends."""
    x, y = calibration
    return np.interp(np.asarray(scores, dtype=float), x, y)


def _scores_from_confusion(tp, fp, fn, tn) -> dict:
    """Vectorised accuracy, precision, recall, F1 (0 where undefined)."""
    tp, fp, fn, tn = (np.asarray(v, dtype=float) for v in (tp, fp, fn, tn))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "accuracy_score": np.nan_to_num((tp + tn) / (tp + fp + fn + tn)),
            "precision_score": np.nan_to_num(tp / (tp + fp)),
            "recall_score": np.nan_to_num(tp / (tp + fn)),
            "f1_score": np.nan_to_num(2 * tp / (2 * tp + fp + fn)),
        }


def expected_confusion(probability, rows, predicted_positive) -> tuple[float, float, float, float]:
    """Expected (TP, FP, FN, TN) given calibrated probabilities per group of rows."""
    p, n = np.asarray(probability, dtype=float), np.asarray(rows, dtype=float)
    yes = np.asarray(predicted_positive, dtype=bool)
    return (
        float((n * p)[yes].sum()),
        float((n * (1 - p))[yes].sum()),
        float((n * p)[~yes].sum()),
        float((n * (1 - p))[~yes].sum()),
    )


def simulated_auc(scores, rows, positives) -> np.ndarray:
    """ROC AUC of each simulated label set (rows of `positives`); `scores` ascending, ties one half."""
    starts = np.flatnonzero(np.r_[True, np.diff(scores) > 0])
    pos = np.add.reduceat(positives, starts, axis=1)
    neg = np.add.reduceat(rows - positives, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    total = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (pos * (below + 0.5 * neg)).sum(axis=1) / total


def _merge(scores, rows, yes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One group per (score, predicted class), sorted by score (then class)."""
    order = np.lexsort((yes, scores))
    scores, rows, yes = scores[order], rows[order], yes[order]
    starts = np.flatnonzero(np.r_[True, (np.diff(scores) != 0) | (np.diff(yes.astype(np.int8)) != 0)])
    return scores[starts], np.add.reduceat(rows, starts), yes[starts]


def _bins(scores, rows, yes, p, count: int = MAX_GROUPS // 2):
    """Merge groups into `count` equal-row score bins per predicted class: (scores, rows, yes, p)."""
    position = (np.cumsum(rows) - rows) / rows.sum()
    bin_id = np.minimum((position * count).astype(int), count - 1) * 2 + yes
    unique, inverse = np.unique(bin_id, return_inverse=True)
    n = np.bincount(inverse, weights=rows)
    mean_p = np.bincount(inverse, weights=rows * p) / n
    mean_s = np.bincount(inverse, weights=rows * scores) / n
    order = np.argsort(mean_s, kind="stable")
    return mean_s[order], n[order], (unique % 2 == 1)[order], mean_p[order]


def _simulate(scores, rows, yes, p, draws: int) -> dict:
    """Each metric over `draws` label sets drawn as Bernoulli(p) (binomial counts per group)."""
    if len(rows) > MAX_GROUPS:
        scores, rows, yes, p = _bins(scores, rows, yes, p)
    rng = np.random.default_rng(SEED)
    positives = rng.binomial(np.round(rows).astype(np.int64), p, size=(draws, len(rows))).astype(float)
    rows = np.round(rows)
    tp = (positives * yes).sum(axis=1)
    fp = ((rows - positives) * yes).sum(axis=1)
    fn = (positives * ~yes).sum(axis=1)
    tn = ((rows - positives) * ~yes).sum(axis=1)
    simulated = _scores_from_confusion(tp, fp, fn, tn)
    simulated["roc_auc_score"] = simulated_auc(scores, rows, positives)
    simulated["confusion"] = np.column_stack([tp, fp, fn, tn])
    return simulated


def estimate_scores(
    scores, rows, predicted_positive, calibration, *, draws: int = DRAWS, confidence: float = CONFIDENCE
) -> dict[str, tuple[float | None, float | None, float | None]]:
    """{metric: (estimate, lower, upper)} for one window of per-(score, predicted class) row counts."""
    found = estimate_binary(scores, rows, predicted_positive, calibration, draws=draws, confidence=confidence)
    return found[0] if found else {}


def estimate_binary(
    scores, rows, predicted_positive, calibration, *, draws: int = DRAWS, confidence: float = CONFIDENCE
) -> tuple[dict, np.ndarray, np.ndarray] | None:
    """(`estimate_scores`' metrics, expected (TP, FP, FN, TN), simulated (TP, FP, FN, TN) per draw);
    None when there is nothing to estimate from."""
    scores = np.asarray(scores, dtype=float)
    rows = np.asarray(rows, dtype=float)
    yes = np.asarray(predicted_positive, dtype=bool)
    keep = np.isfinite(scores) & (rows > 0)
    if not keep.any() or not calibration[0]:
        return None
    scores, rows, yes = _merge(scores[keep], rows[keep], yes[keep])
    p = calibrate(scores, calibration)
    confusion = expected_confusion(p, rows, yes)
    point = _scores_from_confusion(*confusion)
    point["roc_auc_score"] = roc_auc_from_counts(scores, rows * p, rows * (1 - p))
    simulated = _simulate(scores, rows, yes, p, draws)
    metrics = {metric: band(point[metric], simulated[metric], confidence) for metric in ESTIMATED_METRICS}
    return metrics, np.array(confusion), simulated["confusion"]


def band(
    value, simulated, confidence: float = CONFIDENCE, widen: float = 1.0
) -> tuple[float | None, float | None, float | None]:
    """(value, lower, upper): the central `confidence` interval of the finite simulated values,
    its distances from `value` multiplied by `widen`."""
    simulated = np.asarray(simulated, dtype=float)
    simulated = simulated[np.isfinite(simulated)]
    if value is None or not len(simulated):
        return (None if value is None else float(value), None, None)
    tail = (1 - confidence) / 2 * 100
    lower, upper = np.percentile(simulated, [tail, 100 - tail])
    value = float(value)
    return value, float(value - (value - lower) * widen), float(value + (upper - value) * widen)


def reference_widening(window_rows: float, reference_rows: float) -> float:
    """How much wider a band gets when it also holds the calibration's own uncertainty: the
    calibration is as uncertain as a metric measured on the reference's rows, so the variances add
    (n / reference rows more)."""
    return float(np.sqrt(1 + window_rows / reference_rows)) if reference_rows else 1.0
