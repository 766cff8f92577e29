"""Drift statistics as pure functions over small summaries (bin counts, category counts).

Numeric columns arrive as counts over reference-quantile bins: with edges e_0 < ... < e_k, bin 0
holds x <= e_0, bin j holds e_{j-1} < x <= e_j and bin k+1 holds x > e_k. Categorical columns
arrive as aligned count vectors (one slot per category seen in either sample).

Smoothing: only PSI needs it. A proportion of zero is replaced by PSI_FLOOR (1e-4) on both sides
before the logarithm, so empty bins never give inf or NaN. Jensen-Shannon and Hellinger are
finite on zero proportions as they are and are computed on the raw proportions. Every function
returns (statistic, p_value) with p_value None for distances; a sample with no values gives
(nan, None) and the caller reports it as "no values", never as drift.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PSI_FLOOR = 1e-4


def _proportions(counts) -> np.ndarray:
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return counts / total if total > 0 else counts


def _empty(*samples) -> bool:
    return any(np.asarray(s, dtype=float).sum() <= 0 for s in samples)


def ks_binned(reference, current) -> tuple[float, float | None]:
    """Two-sample Kolmogorov-Smirnov statistic and asymptotic p-value from counts on shared bins.

    The statistic is the largest CDF gap at the bin edges; with reference-quantile bins its error
    is at most the largest bin's share. The p-value is scipy's `kstwo.sf(D, round(n*m/(n+m)))`,
    the same distribution `ks_2samp(method="asymp")` uses.
    """
    if _empty(reference, current):
        return float("nan"), None
    ref_cdf = np.cumsum(_proportions(reference))
    cur_cdf = np.cumsum(_proportions(current))
    statistic = float(np.max(np.abs(ref_cdf - cur_cdf)))
    n, m = float(np.sum(reference)), float(np.sum(current))
    effective = max(1.0, round(n * m / (n + m)))
    from scipy import stats  # imported here: scipy.stats takes half a second to import

    p_value = float(np.clip(stats.kstwo.sf(statistic, effective), 0.0, 1.0))
    return statistic, p_value


def _abs_linear_integral(left: np.ndarray, right: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Integral of |f| over each interval, f linear from `left` to `right`."""
    same_sign = left * right >= 0
    total = np.abs(left) + np.abs(right)
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = np.where(total > 0, (left**2 + right**2) / (2 * total), 0.0)
    return np.where(same_sign, total / 2, crossing) * width


def wasserstein_binned(
    edges, reference, current, *, below_excess: float = 0.0, above_excess: float = 0.0, scale: float = 1.0
) -> tuple[float, None]:
    """Wasserstein-1 distance between two binned samples, divided by `scale` (the reference std).

    Inside the reference range both CDFs are taken as linear within a bin (error shrinks with the
    bin width). Outside it the reference CDF is 0 or 1, so the integral is exact given
    `below_excess` = sum(max(e_0 - x, 0)) and `above_excess` = sum(max(x - e_k, 0)) over the
    current sample. A zero scale (a constant reference) is replaced by 1.
    """
    if _empty(reference, current):
        return float("nan"), None
    edges = np.asarray(edges, dtype=float)
    gap = np.cumsum(_proportions(reference)) - np.cumsum(_proportions(current))
    inner = gap[: len(edges)]  # CDF gap at each edge
    body = _abs_linear_integral(inner[:-1], inner[1:], np.diff(edges)).sum() if len(edges) > 1 else 0.0
    n = float(np.sum(current))
    distance = body + (below_excess + above_excess) / n
    return float(distance / (scale if scale > 0 else 1.0)), None


def psi(reference, current) -> tuple[float, None]:
    """Population stability index sum((c - r) * ln(c / r)); zero proportions become PSI_FLOOR."""
    if _empty(reference, current):
        return float("nan"), None
    ref = np.maximum(_proportions(reference), PSI_FLOOR)
    cur = np.maximum(_proportions(current), PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref))), None


def jensenshannon(reference, current) -> tuple[float, None]:
    """Jensen-Shannon distance (natural log, as scipy.spatial.distance.jensenshannon)."""
    if _empty(reference, current):
        return float("nan"), None
    ref, cur = _proportions(reference), _proportions(current)
    mid = (ref + cur) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(ref > 0, ref * np.log(ref / mid), 0.0).sum()
        right = np.where(cur > 0, cur * np.log(cur / mid), 0.0).sum()
    return float(np.sqrt(max((left + right) / 2, 0.0))), None


def hellinger(reference, current) -> tuple[float, None]:
    """Hellinger distance sqrt(sum((sqrt(r) - sqrt(c))^2) / 2), between 0 and 1."""
    if _empty(reference, current):
        return float("nan"), None
    diff = np.sqrt(_proportions(reference)) - np.sqrt(_proportions(current))
    return float(np.sqrt(np.sum(diff**2) / 2)), None


def chisquare(reference, current) -> tuple[float, float | None]:
    """Chi-square test of homogeneity on the 2 x k table of counts (no Yates correction).

    Equal to `scipy.stats.chi2_contingency(table, correction=False)`; categories empty in both
    samples are dropped. A table with one category left gives statistic 0 and p-value 1.
    """
    if _empty(reference, current):
        return float("nan"), None
    table = np.vstack([np.asarray(reference, float), np.asarray(current, float)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    from scipy import stats

    return statistic, float(stats.chi2.sf(statistic, table.shape[1] - 1))


def ztest(reference, current) -> tuple[float, float | None]:
    """Two-proportion Z-test on the share of the first category; returns (|z|, two-sided p).

    Meant for two-valued columns: slot 0 is one value, every other slot counts as the other.
    Equal shares give z = 0; a pooled share of 0 or 1 gives (0, 1).
    """
    if _empty(reference, current):
        return float("nan"), None
    n1, n2 = float(np.sum(reference)), float(np.sum(current))
    p1, p2 = reference[0] / n1, current[0] / n2
    pooled = (reference[0] + current[0]) / (n1 + n2)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 0.0, 1.0
    z = abs(p1 - p2) / spread
    from scipy import stats

    return float(z), float(2 * stats.norm.sf(z))


@dataclass(frozen=True)
class Method:
    """A registered drift statistic: what it applies to and its default line."""

    name: str
    kinds: tuple[str, ...]
    threshold: float
    p_value: bool
    function: Callable
    description: str

    def is_drift(self, statistic: float, p_value: float | None, threshold: float) -> bool:
        """p-value methods drift when p < threshold, distances when statistic >= threshold."""
        if self.p_value:
            return p_value is not None and p_value < threshold
        return bool(statistic >= threshold)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ks", ("numeric",), 0.05, True, ks_binned, "Kolmogorov-Smirnov test"),
        Method("wasserstein", ("numeric",), 0.1, False, wasserstein_binned, "Wasserstein / reference std"),
        Method("psi", ("numeric", "categorical"), 0.1, False, psi, "population stability index"),
        Method("jensenshannon", ("numeric", "categorical"), 0.1, False, jensenshannon, "Jensen-Shannon"),
        Method("hellinger", ("numeric", "categorical"), 0.1, False, hellinger, "Hellinger distance"),
        Method("chisquare", ("numeric", "categorical"), 0.05, True, chisquare, "chi-square test"),
        Method("ztest", ("categorical",), 0.05, True, ztest, "two-proportion Z-test"),
    )
}
