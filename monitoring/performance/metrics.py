"""Performance metrics as pure functions over small summaries, named as scikit-learn names them
(`*_score` higher is better, `*_error`/`log_loss` lower is better): confusion counts, per-score
counts of positives and negatives (which keep ROC AUC, average precision and log loss exact, ties
included) and sums of errors. Undefined ratios are 0, as scikit-learn's zero_division default.
The `*_intervals` functions give each score its 95% (lower, upper) by the methods of
monitoring/intervals.py."""

import numpy as np

from monitoring.intervals import (
    auc_interval,
    average_precision_interval,
    bootstrap_matrix,
    f1_interval,
    mean_interval,
    rmse_interval,
    score_counts,
    wilson,
)

EPS = np.finfo(np.float64).eps


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
    stacked = stacked_multiclass_scores(np.asarray(matrix, dtype=float)[None])
    return {name: float(values[0]) for name, values in stacked.items()}


def stacked_multiclass_scores(matrices: np.ndarray) -> dict:
    """multiclass_scores of each matrix of a stack (draws x classes x classes), as arrays."""
    tp = np.diagonal(matrices, axis1=1, axis2=2)
    true_n, pred_n = matrices.sum(axis=2), matrices.sum(axis=1)
    zeros = np.zeros_like(tp)
    precision = np.divide(tp, pred_n, out=zeros.copy(), where=pred_n > 0)
    recall = np.divide(tp, true_n, out=zeros.copy(), where=true_n > 0)
    f1 = np.divide(2 * tp, true_n + pred_n, out=zeros.copy(), where=(true_n + pred_n) > 0)
    present = ((true_n + pred_n) > 0).sum(axis=1)
    total = matrices.sum(axis=(1, 2))
    weights = np.divide(true_n, total[:, None], out=zeros.copy(), where=total[:, None] > 0)
    none = np.zeros_like(total)
    scores = {"accuracy_score": np.divide(tp.sum(axis=1), total, out=none.copy(), where=total > 0)}
    for name, values in (("precision", precision), ("recall", recall), ("f1", f1)):
        scores[f"{name}_macro_score"] = np.divide(
            values.sum(axis=1), present, out=none.copy(), where=present > 0
        )
        scores[f"{name}_weighted_score"] = (values * weights).sum(axis=1)
    return scores


def binary_intervals(tp: float, fp: float, fn: float, tn: float) -> dict:
    """95% intervals of binary_scores: Wilson for the proportions, F1 through Wilson (intervals.py)."""
    return {
        "accuracy_score": wilson(tp + tn, tp + fp + fn + tn),
        "precision_score": wilson(tp, tp + fp),
        "recall_score": wilson(tp, tp + fn),
        "f1_score": f1_interval(tp, fp, fn),
    }


def multiclass_intervals(matrix: np.ndarray) -> dict:
    """95% intervals of multiclass_scores: Wilson for accuracy; the macro and weighted averages by
    a parametric bootstrap of the confusion matrix (1,000 multinomial draws, fixed seed)."""
    found = bootstrap_matrix(matrix, stacked_multiclass_scores)
    matrix = np.asarray(matrix, dtype=float)
    found["accuracy_score"] = wilson(np.trace(matrix), matrix.sum())
    return found


def score_intervals(scores, positives, negatives, average_precision) -> dict:
    """95% intervals of the score metrics: DeLong (ROC AUC), Boyd's logit (average precision),
    the mean's normal interval over the rows' losses (log loss)."""
    return {
        "roc_auc_score": auc_interval(scores, positives, negatives),
        "average_precision_score": average_precision_interval(average_precision, np.sum(positives)),
        "log_loss": log_loss_interval(scores, positives, negatives),
    }


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
    tp, predicted = np.cumsum(pos[::-1]), np.cumsum(neg[::-1])  # above each threshold, descending
    predicted += tp
    precision = np.divide(tp, predicted, out=predicted)  # in place: two arrays of a window's size
    return float((pos[::-1] * precision).sum() / pos.sum())


def log_loss_from_counts(scores, positives, negatives) -> float | None:
    """Mean binary log loss with scores clipped to [eps, 1 - eps], from per-score counts."""
    p = np.clip(np.asarray(scores, dtype=float), EPS, 1 - EPS)
    pos, neg = np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    total = pos.sum() + neg.sum()
    if total == 0:
        return None
    return float(-(pos * np.log(p) + neg * np.log1p(-p)).sum() / total)


def log_loss_interval(scores, positives, negatives) -> tuple:
    """The mean's normal interval over the rows' log losses (clipped as in log_loss_from_counts)."""
    p = np.clip(np.asarray(scores, dtype=float), EPS, 1 - EPS)
    pos, neg = np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    loss_pos, loss_neg = -np.log(p), -np.log1p(-p)
    total = float((pos * loss_pos + neg * loss_neg).sum())
    squares = float((pos * loss_pos**2 + neg * loss_neg**2).sum())
    return mean_interval(pos.sum() + neg.sum(), total, squares)


def regression_scores(n, abs_sum, sq_sum, err_sum, var_y, ape_sum, ape_n) -> dict:
    """MAE, MSE, RMSE, MAPE (rows with a zero target skipped), R², mean residual (prediction - target)."""
    if not n:
        return {}
    sst = (var_y or 0.0) * n
    return {
        "mean_absolute_error": abs_sum / n,
        "mean_squared_error": sq_sum / n,
        "root_mean_squared_error": float(np.sqrt(sq_sum / n)),
        "mean_absolute_percentage_error": ape_sum / ape_n if ape_n else None,
        "r2_score": 1 - sq_sum / sst if sst > 0 else None,
        "mean_residual": err_sum / n,
    }


def regression_intervals(n, abs_sum, sq_sum, err_sum, var_y, ape_sum, ape_n, quad_sum, ape_sq_sum) -> dict:
    """95% intervals of regression_scores from the same sums plus the sums of fourth powers of the
    errors and of squared percentage errors: the mean's normal interval for MAE, MSE, MAPE and the
    mean residual, RMSE through the MSE's (intervals.rmse_interval), R² from the MSE's interval with
    the window's target variance taken as known."""
    if not n:
        return {}
    mse = mean_interval(n, sq_sum, quad_sum)
    sst = (var_y or 0.0) * n
    r2 = (None, None) if mse[0] is None or not sst > 0 else (1 - mse[1] * n / sst, 1 - mse[0] * n / sst)
    return {
        "mean_absolute_error": mean_interval(n, abs_sum, sq_sum),
        "mean_squared_error": mse,
        "root_mean_squared_error": rmse_interval(n, sq_sum, quad_sum),
        "mean_absolute_percentage_error": mean_interval(ape_n, ape_sum, ape_sq_sum),
        "r2_score": r2,
        "mean_residual": mean_interval(n, err_sum, sq_sum),
    }
