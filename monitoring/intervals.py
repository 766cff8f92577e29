"""95% intervals as pure functions over counts and sums (no store, no report): the methods behind
every `lower`/`upper` of the report.

- A proportion (accuracy, precision, recall, a rate): Wilson's score interval.
- F1 = 2TP / (2TP + FP + FN) = 2J / (1 + J) with J = TP / (TP + FP + FN): J is a proportion of the
  rows that are TP, FP or FN, so its Wilson interval, carried through the increasing map
  J -> 2J / (1 + J), is an interval for F1 that stays inside [0, 1] and works for small counts.
- ROC AUC: DeLong's variance, exact from per-score counts of positives and negatives (the
  placement values of each distinct score give the same variance as from the raw scores).
- Average precision: Boyd et al.'s (2013) logit interval from AP and the number of positives.
- A mean (MAE, mean residual, MSE, MAPE, log loss): mean ± z · standard error, from the count, the
  sum and the sum of squares. RMSE: the delta method on the MSE's interval (sqrt of its ends).
- Two proportions: Newcombe's hybrid score interval of the difference (his method 10) and Katz's
  log interval of the ratio.
Every function returns (None, None) where its counts cannot say anything (no rows).
"""

import math

import numpy as np

Z95 = 1.959963984540054
NONE = (None, None)


def wilson(hits: float, n: float, z: float = Z95) -> tuple[float | None, float | None]:
    """Wilson's score interval of the proportion hits / n (as scipy's binomtest proportion_ci)."""
    if not n:
        return NONE
    hits, n = float(hits), float(n)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def f1_interval(tp: float, fp: float, fn: float) -> tuple[float | None, float | None]:
    """F1 of the positive class through the Wilson interval of TP / (TP + FP + FN)."""
    low, high = wilson(tp, tp + fp + fn)
    if low is None:
        return NONE
    return 2 * low / (1 + low), 2 * high / (1 + high)


def mean_interval(n: float, total: float, squares: float) -> tuple[float | None, float | None]:
    """Normal interval of a mean from the count, the sum and the sum of squares of the values."""
    if n is None or n < 2 or total is None or squares is None:
        return NONE
    n, total, squares = float(n), float(total), float(squares)
    mean = total / n
    variance = max((squares - n * mean * mean) / (n - 1), 0.0)
    half = Z95 * math.sqrt(variance / n)
    return mean - half, mean + half


def rmse_interval(n: float, squares: float, fourth_powers: float) -> tuple[float | None, float | None]:
    """RMSE's interval: the MSE's normal interval (the mean of squared errors, from the sums of their
    squares and fourth powers) carried through the square root; the delta method's standard error
    se(MSE) / (2 RMSE) is this interval's half-width to first order."""
    low, high = mean_interval(n, squares, fourth_powers)
    if low is None:
        return NONE
    return math.sqrt(max(low, 0.0)), math.sqrt(high)


def score_counts(scores, positives, negatives) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge counts to one row per distinct score, ascending (counts already merged come back as
    they are: a window of millions of distinct scores is not sorted again)."""
    scores = np.asarray(scores, dtype=float)
    if np.all(scores[1:] > scores[:-1]):  # strictly ascending (no NaN between): merged already
        return scores, np.asarray(positives, dtype=float), np.asarray(negatives, dtype=float)
    unique, inverse = np.unique(scores, return_inverse=True)
    pos = np.bincount(inverse, weights=np.asarray(positives, dtype=float), minlength=len(unique))
    neg = np.bincount(inverse, weights=np.asarray(negatives, dtype=float), minlength=len(unique))
    return unique, pos, neg


def auc_interval(scores, positives, negatives) -> tuple[float | None, float | None]:
    """DeLong's interval of ROC AUC from counts of positives and negatives per score (ties count
    one half, as in the AUC itself). None without both classes."""
    _, pos, neg = score_counts(scores, positives, negatives)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos < 2 or total_neg < 2:
        return NONE
    # placement of a positive: the share of negatives below it; of a negative: of positives above it
    positive_place = (np.cumsum(neg) - neg + 0.5 * neg) / total_neg
    negative_place = (total_pos - np.cumsum(pos) + 0.5 * pos) / total_pos
    auc = float((pos * positive_place).sum() / total_pos)
    s10 = float((pos * (positive_place - auc) ** 2).sum() / (total_pos - 1))
    s01 = float((neg * (negative_place - auc) ** 2).sum() / (total_neg - 1))
    half = Z95 * math.sqrt(s10 / total_pos + s01 / total_neg)
    return max(auc - half, 0.0), min(auc + half, 1.0)


def average_precision_interval(ap: float | None, positives: float) -> tuple[float | None, float | None]:
    """Boyd et al.'s logit interval: logit(AP) ± z / sqrt(positives · AP · (1 - AP))."""
    if ap is None or not positives or not 0 < ap < 1:
        return NONE
    ap, positives = float(ap), float(positives)
    centre = math.log(ap / (1 - ap))
    half = Z95 / math.sqrt(positives * ap * (1 - ap))
    return _expit(centre - half), _expit(centre + half)


def _expit(x: float) -> float:
    """1 / (1 + e^-x) without overflow for large |x|."""
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    return math.exp(x) / (1 + math.exp(x))


def newcombe(x1: float, n1: float, x2: float, n2: float) -> tuple[float | None, float | None]:
    """Newcombe's hybrid score interval of x1/n1 - x2/n2 (separate rows), built on Wilson's."""
    if not n1 or not n2:
        return NONE
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def katz_ratio(x1: float, n1: float, x2: float, n2: float) -> tuple[float | None, float | None]:
    """Katz's log interval of (x1/n1) / (x2/n2). With x1 = 0 the ratio is 0: the lower end is 0 and
    the upper one Katz's with half a row added to each count (as is usual)."""
    if not n1 or not n2 or not x2:
        return NONE
    x1, n1, x2, n2 = float(x1), float(n1), float(x2), float(n2)
    zero = not x1
    if zero:
        x1, n1, x2, n2 = 0.5, n1 + 0.5, x2 + 0.5, n2 + 0.5
    centre = math.log((x1 / n1) / (x2 / n2))
    half = Z95 * math.sqrt(max(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2, 0.0))
    return 0.0 if zero else math.exp(centre - half), math.exp(centre + half)


def mean_difference(a: tuple, b: tuple) -> tuple[float | None, float | None]:
    """Normal interval of mean(a) - mean(b), each given as (n, sum, sum of squares)."""
    spread = _squared_error(*a), _squared_error(*b)
    if None in spread:
        return NONE
    d = a[1] / a[0] - b[1] / b[0]
    half = Z95 * math.sqrt(spread[0] + spread[1])
    return d - half, d + half


def mean_ratio(a: tuple, b: tuple) -> tuple[float | None, float | None]:
    """Delta-method log interval of mean(a) / mean(b), each given as (n, sum, sum of squares)."""
    spread = _squared_error(*a), _squared_error(*b)
    if None in spread or a[1] <= 0 or b[1] <= 0:
        return NONE
    ma, mb = a[1] / a[0], b[1] / b[0]
    half = min(Z95 * math.sqrt(spread[0] / ma**2 + spread[1] / mb**2), 700.0)  # e^700 still a float
    return ma / mb * math.exp(-half), ma / mb * math.exp(half)


def _squared_error(n, total, squares) -> float | None:
    """The squared standard error of a mean from its count, sum and sum of squares."""
    if n is None or n < 2 or total is None or squares is None:
        return None
    n, total, squares = float(n), float(total), float(squares)
    mean = total / n
    return max((squares - n * mean * mean) / (n - 1), 0.0) / n


def bootstrap_matrix(matrix, statistic, draws: int = 1000, seed: int = 0) -> dict:
    """Percentile intervals of each score `statistic` computes from a stack of confusion matrices,
    over `draws` multinomial redraws of the matrix's cells (parametric bootstrap, fixed seed):
    {name: (lower, upper)}."""
    matrix = np.asarray(matrix, dtype=float)
    total = int(round(matrix.sum()))
    if total < 2:
        return {}
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(total, (matrix / matrix.sum()).ravel(), size=draws).reshape(draws, *matrix.shape)
    return {
        name: (float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975)))
        for name, values in statistic(drawn.astype(float)).items()
    }
