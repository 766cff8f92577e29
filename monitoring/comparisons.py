"""Comparing two figures with a 95% interval and a p-value, from counts and sums only (pure).

- Two proportions from separate rows (a segment against the rest, two versions on different
  traffic): the difference with Newcombe's hybrid score interval (his method 10, built on Wilson
  intervals; sound for small counts and shares near 0 or 1) and the two-proportion z-test.
- Two proportions on the same rows (two versions that scored the same ids): McNemar's exact
  test on the discordant pairs (a binomial test, as statsmodels' `mcnemar(exact=True)`) and the
  Wald interval of the paired difference.
- Two means from separate rows: Welch's t interval and test; on the same rows: the paired t-test
  on the per-row differences (as `scipy.stats.ttest_rel`).
Every function returns None values where its counts cannot say anything (no rows).
"""

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Difference:
    difference: float | None
    lower: float | None
    upper: float | None
    p_value: float | None
    test: str


NOTHING = Difference(None, None, None, None, "")


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a proportion."""
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def two_proportions(x1: float, n1: float, x2: float, n2: float) -> Difference:
    """p1 - p2 with Newcombe's interval and the pooled two-proportion z-test."""
    if not n1 or not n2:
        return NOTHING
    p1, p2 = x1 / n1, x2 / n2
    (l1, u1), (l2, u2) = wilson(x1, n1), wilson(x2, n2)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if spread == 0 else _normal_two_sided(d / spread)
    return Difference(d, lower, upper, p_value, "two_proportion_z")


def mcnemar(only_b: float, only_a: float, pairs: float) -> Difference:
    """Accuracy of b minus accuracy of a on `pairs` rows both scored, from the discordant pairs:
    `only_b` rows only b got right, `only_a` rows only a got right. Exact McNemar p-value."""
    if not pairs:
        return NOTHING
    d = (only_b - only_a) / pairs
    spread = math.sqrt(max(only_b + only_a - (only_b - only_a) ** 2 / pairs, 0.0)) / pairs
    discordant = int(round(only_b + only_a))
    p_value = 1.0
    if discordant:
        from scipy.stats import binomtest  # imported here: scipy.stats is slow to import

        p_value = float(binomtest(int(round(only_b)), discordant, 0.5).pvalue)
    return Difference(d, d - Z95 * spread, d + Z95 * spread, p_value, "mcnemar_exact")


def paired_means(n: float, total: float, squares: float) -> Difference:
    """Mean of per-row differences (sum `total`, sum of squares `squares` over `n` rows) with the
    paired t interval and test."""
    if n < 2:
        return NOTHING
    mean = total / n
    variance = max((squares - n * mean * mean) / (n - 1), 0.0)
    return _t_difference(mean, math.sqrt(variance / n), n - 1, "paired_t")


def welch(n1: float, sum1: float, squares1: float, n2: float, sum2: float, squares2: float) -> Difference:
    """mean1 - mean2 from each side's count, sum and sum of squares: Welch's t interval and test."""
    if n1 < 2 or n2 < 2:
        return NOTHING
    m1, m2 = sum1 / n1, sum2 / n2
    v1 = max((squares1 - n1 * m1 * m1) / (n1 - 1), 0.0) / n1
    v2 = max((squares2 - n2 * m2 * m2) / (n2 - 1), 0.0) / n2
    if v1 + v2 == 0:
        return Difference(m1 - m2, m1 - m2, m1 - m2, 1.0 if m1 == m2 else 0.0, "welch_t")
    freedom = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return _t_difference(m1 - m2, math.sqrt(v1 + v2), freedom, "welch_t")


def normal_difference(d: float, variance: float) -> Difference:
    """d with a normal 95% interval from its variance, and the two-sided p-value of d = 0."""
    spread = math.sqrt(max(variance, 0.0))
    p_value = (1.0 if d == 0 else 0.0) if spread == 0 else _normal_two_sided(d / spread)
    return Difference(d, d - Z95 * spread, d + Z95 * spread, p_value, "normal")


def _t_difference(d: float, spread: float, freedom: float, test: str) -> Difference:
    from scipy.stats import t

    if spread == 0:
        return Difference(d, d, d, 1.0 if d == 0 else 0.0, test)
    critical = float(t.ppf(0.975, freedom))
    p_value = float(2 * t.sf(abs(d) / spread, freedom))
    return Difference(d, d - critical * spread, d + critical * spread, p_value, test)


def _normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))
