"""Performance metrics as pure functions over small summaries, named as scikit-learn names them
(`*_score` higher is better, `*_error`/`log_loss` lower is better): confusion counts, per-score
counts of positives and negatives (which keep ROC AUC, average precision and log loss exact, ties
included) and sums of errors. Undefined ratios are 0, as scikit-learn's zero_division default."""

import numpy as np

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
