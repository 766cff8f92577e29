"""Multiclass performance estimated before labels arrive (confidence-based estimation, as
NannyML's multiclass CBPE), from the sums store/estimation_sql.py computes.

1. Fit: for each class k, an isotonic calibration of "the label is k" on class k's probability
   over the reference (one-vs-rest, as the binary case), from counts per step of 1/GRID, kept as
   the calibrated value at every grid step (JSON-able, per reference version).
2. Estimate: each row's calibrated probabilities, normalised to sum to 1, are its expected labels:
   a row predicted j adds its probability of class i to cell (i, j) of the expected confusion
   matrix, hence accuracy and macro and weighted precision, recall and F1. ROC AUC one-vs-rest: for
   class k each row counts p_k as a positive and 1 - p_k as a negative at its class-k probability;
   `roc_auc_macro_score` is the mean over the classes (realized: the same from the labels).
3. Band: the rows of a window are grouped by predicted class and band of their calibrated
   probability of it; each group's labels are drawn as multinomial with the group's mean
   probabilities (slightly wider than drawing each row on its own), `draws` times, seeded; for ROC
   AUC each score step's positives are drawn as binomial. The band is the central 95% of each
   metric over the draws: the sampling uncertainty of the window, as in the binary case.
"""

import warnings

import numpy as np

from monitoring.performance.estimation import (
    CONFIDENCE,
    DRAWS,
    SEED,
    band,
    calibrate,
    fit_calibration,
    reference_widening,
    simulated_auc,
)
from monitoring.performance.metrics import multiclass_scores, roc_auc_from_counts
from monitoring.store.estimation_sql import GRID

MAX_CLASSES = 20  # more classes: no estimate (the sums grow with the square of the classes)
CONFUSION_METRICS = tuple(multiclass_scores(np.zeros((1, 1))))
ESTIMATED_METRICS = (*CONFUSION_METRICS, "roc_auc_macro_score")


def fit_class_calibrations(counts: dict, classes: list[str]) -> list[list[float]]:
    """Each class's calibrated probability at the grid steps 0..GRID, from
    store.estimation_sql.class_score_counts; [] when some class cannot be calibrated."""
    grid = np.arange(GRID + 1) / GRID
    calibrated = []
    for k in range(1, len(classes) + 1):
        mine = counts["k"] == k
        positives = counts["positives"][mine].astype(float)
        negatives = counts["labelled"][mine].astype(float) - positives
        calibration = fit_calibration(counts["step"][mine] / GRID, positives, negatives)
        if not calibration[0]:
            return []
        calibrated.append(calibrate(grid, calibration).tolist())
    return calibrated


def macro_auc(k, step, positives, negatives) -> float | None:
    """Mean over classes of the one-vs-rest ROC AUC (classes without both kinds of rows left out)."""
    k, step = np.asarray(k), np.asarray(step, dtype=float)
    found = [
        roc_auc_from_counts(step[k == c], np.asarray(positives)[k == c], np.asarray(negatives)[k == c])
        for c in np.unique(k)
    ]
    found = [a for a in found if a is not None]
    return float(np.mean(found)) if found else None


def realized_auc(part: dict) -> float | None:
    """Realized `roc_auc_macro_score` of one window's part-0 sums (labelled rows only)."""
    positives = part["positives"].astype(float)
    return macro_auc(part["k"], part["step"], positives, part["labelled"] - positives)


def _scores_of_matrices(matrices: np.ndarray) -> dict[str, np.ndarray]:
    """metrics.multiclass_scores of each confusion matrix in a (draws, C, C) stack."""
    tp = np.diagonal(matrices, axis1=1, axis2=2)
    true_n, pred_n = matrices.sum(axis=2), matrices.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = {
            "precision": np.where(pred_n > 0, tp / pred_n, 0.0),
            "recall": np.where(true_n > 0, tp / true_n, 0.0),
            "f1": np.where(true_n + pred_n > 0, 2 * tp / (true_n + pred_n), 0.0),
        }
        total = true_n.sum(axis=1)
        present = (true_n + pred_n) > 0
        weights = true_n / np.where(total > 0, total, 1)[:, None]
        scores = {"accuracy_score": np.where(total > 0, tp.sum(axis=1) / total, 0.0)}
        for name, values in per_class.items():
            macro = (values * present).sum(axis=1) / present.sum(axis=1)
            scores[f"{name}_macro_score"] = np.nan_to_num(macro)
            scores[f"{name}_weighted_score"] = (values * weights).sum(axis=1)
    return scores


def _expected_matrix(part: dict, count: int) -> np.ndarray:
    """Expected confusion matrix (rows = true class) from a window's part-1 sums."""
    matrix = np.zeros((count, count))
    known = part["j"] > 0
    np.add.at(matrix, (part["k"][known] - 1, part["j"][known] - 1), part["p"][known])
    return matrix


def _group_probabilities(part: dict, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, mean probability of each class, predicted class) per (predicted class, band) group."""
    known = part["j"] > 0
    j, bands, k = part["j"][known], part["band"][known], part["k"][known]
    groups, inverse = np.unique(np.column_stack([j, bands]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    sums = np.zeros((len(groups), count))
    np.add.at(sums, (inverse, k - 1), part["p"][known])
    rows = np.zeros(len(groups))
    rows[inverse[k == 1]] = part["rows"][known][k == 1]  # every class has the group's row count
    probabilities = sums / np.where(rows > 0, rows, 1)[:, None]
    probabilities /= np.where(probabilities.sum(axis=1) > 0, probabilities.sum(axis=1), 1)[:, None]
    return rows, probabilities, groups[:, 0] - 1


def _simulated_matrices(part: dict, count: int, draws: int, rng) -> np.ndarray:
    """(draws, C, C) confusion matrices with each group's labels drawn as multinomial."""
    rows, probabilities, predicted = _group_probabilities(part, count)
    matrices = np.zeros((draws, count, count))
    if not len(rows):
        return matrices
    labels = rng.multinomial(np.round(rows).astype(np.int64), probabilities, size=(draws, len(rows)))
    for j in range(count):
        matrices[:, :, j] = labels[:, predicted == j, :].sum(axis=1)
    return matrices


def _auc_draws(part: dict, draws: int, rng) -> tuple[float | None, np.ndarray]:
    """(estimated macro ROC AUC, its value in each draw) from a window's part-0 sums."""
    per_class, estimates = [], []
    for c in np.unique(part["k"]):
        mine = part["k"] == c
        steps, rows, p = part["step"][mine], part["rows"][mine].astype(float), part["p"][mine]
        estimates.append(roc_auc_from_counts(steps, p, rows - p))
        share = np.clip(p / np.where(rows > 0, rows, 1), 0, 1)
        positives = rng.binomial(rows.astype(np.int64), share, size=(draws, len(rows))).astype(float)
        per_class.append(simulated_auc(steps.astype(float), rows, positives))
    estimates = [e for e in estimates if e is not None]
    if not estimates:
        return None, np.array([])
    # A wrong label lowers the AUC of its true and of its predicted class at once, so the classes'
    # errors move together: the draws are averaged in rank order (as if fully together, a little
    # wider than the truth; averaged as independent draws, the band was too narrow by a third).
    together = np.sort(np.vstack(per_class), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a class without both kinds in every draw
        return float(np.mean(estimates)), np.nanmean(together, axis=0)


def estimate_multiclass(
    auc_part: dict,
    confusion_part: dict,
    count: int,
    reference_rows: float,
    *,
    draws: int = DRAWS,
    confidence: float = CONFIDENCE,
) -> tuple[dict, np.ndarray, np.ndarray, float] | None:
    """({metric: (estimate, lower, upper)}, expected confusion matrix, simulated matrices, widening)
    of one window from its part-0 (`auc_part`) and part-1 (`confusion_part`) sums; None without
    rows. The bands also hold the calibration's uncertainty (estimation.reference_widening of the
    labelled reference rows it was fitted on)."""
    expected = _expected_matrix(confusion_part, count)
    if expected.sum() <= 0:
        return None
    widen = reference_widening(expected.sum(), reference_rows)
    rng = np.random.default_rng(SEED)
    simulated = _simulated_matrices(confusion_part, count, draws, rng)
    point, spread = multiclass_scores(expected), _scores_of_matrices(simulated)
    metrics = {name: band(point[name], spread[name], confidence, widen) for name in CONFUSION_METRICS}
    auc, auc_spread = _auc_draws(auc_part, draws, rng)
    if auc is not None:
        metrics["roc_auc_macro_score"] = band(auc, auc_spread, confidence, widen)
    return metrics, expected, simulated, widen
