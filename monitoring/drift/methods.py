"""Drift statistics as pure functions over small summaries, and the registry that says where each applies.

Numeric columns arrive as counts over reference-quantile bins: with edges e_0 < ... < e_k, bin 0
holds x <= e_0, bin j holds e_{j-1} < x <= e_j and bin k+1 holds x > e_k. All edges are reference
quantiles, so bins are exact sets of values and a statistic is exact for them (above 200,000
reference rows the quantiles are those of a repeatable hash sample of about 50,000 values, while
the counts in the bins stay exact). Each method declares the bins it uses (`Method.bins`):
- "fine": the edges as they come, up to ~570 distinct quantiles (0, 1/500, ..., 1, plus denser
  tails): ks and wasserstein;
- n: the fine bins merged into n reference-quantile bins (`coarse_counts`), plus the bin at or
  below the reference minimum and the one above its maximum: psi 10, the others 20.
Categorical columns arrive as aligned count vectors: one slot per category seen in the reference
or the current sample, most frequent reference category first, so a category unseen in the
reference counts as drift.

Where a method applies (`Method.applies_to`): the column's kind is in `kinds` and, when
`max_distinct` is set, the reference has at most that many distinct values. ztest applies to
numeric and categorical columns with at most 2 distinct values: it compares the share of slot 0,
which for a categorical column is the most frequent reference category and for a numeric column
is the lower value (the counts over reference edges put the minimum in bin 0). `auto`
(`choose_method`) and a forced method only ever pick a method that applies to the column.

Smoothing: only PSI needs it. A proportion of zero is replaced by PSI_FLOOR (1e-4) on both sides
before the logarithm, so empty bins never give inf or NaN. Jensen-Shannon and Hellinger are
finite on zero proportions as they are and are computed on the raw proportions. Every function
takes (reference counts, current counts) and returns (statistic, p_value) with p_value None for
distances; a sample with no values gives (nan, None) and the caller reports it as "no values",
never as drift.
"""

import math
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
    reference, current, *, edges, below_excess: float = 0.0, above_excess: float = 0.0, scale: float = 1.0
) -> tuple[float, None]:
    """Wasserstein-1 distance between two binned samples, divided by `scale` (the reference std).

    Inside the reference range both CDFs are taken as linear within a bin (error shrinks with the
    bin width). Outside it the reference CDF is 0 or 1, so the integral is exact given
    `below_excess` = sum(max(e_0 - x, 0)) and `above_excess` = sum(max(x - e_k, 0)) over the
    current sample. A zero scale (a constant reference) is replaced by 1.
    """
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)  # once
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
    """A registered drift statistic: where it applies, the summary it needs and its verdict.

    `bins` is "fine" or a number of reference-quantile bins (numeric columns only; see the module
    docstring). `needs_excess`: the function also takes the fine `edges`, the reference std as
    `scale` and the current sample's sums beyond the reference range (`below_excess`,
    `above_excess`), so it must use fine bins.
    """

    name: str
    function: Callable
    kinds: tuple[str, ...]
    threshold: float
    p_value: bool
    description: str
    bins: int | str = 20
    max_distinct: int | None = None
    needs_excess: bool = False

    def applies_to(self, kind: str, distinct: int) -> bool:
        """Whether the method may judge a `kind` column whose reference has `distinct` values."""
        return kind in self.kinds and (self.max_distinct is None or distinct <= self.max_distinct)

    def is_drift(self, statistic: float, p_value: float | None, threshold: float) -> bool:
        """p-value methods drift when p < threshold, distances when statistic >= threshold."""
        if self.p_value:
            return p_value is not None and p_value < threshold
        return bool(statistic >= threshold)


BOTH = ("numeric", "categorical")
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ks", ks_binned, ("numeric",), 0.05, True, "Kolmogorov-Smirnov test", bins="fine"),
        Method(
            "wasserstein",
            wasserstein_binned,
            ("numeric",),
            0.1,
            False,
            "Wasserstein / reference std",
            bins="fine",
            needs_excess=True,
        ),
        Method("psi", psi, BOTH, 0.1, False, "population stability index", bins=10),
        Method("jensenshannon", jensenshannon, BOTH, 0.1, False, "Jensen-Shannon"),
        Method("hellinger", hellinger, BOTH, 0.1, False, "Hellinger distance"),
        Method("chisquare", chisquare, BOTH, 0.05, True, "chi-square test"),
        Method("ztest", ztest, BOTH, 0.05, True, "two-proportion Z-test", max_distinct=2),
    )
}


def coarse_counts(edges, reference, counts, bins: int) -> np.ndarray:
    """Merge fine bins of `counts` into `bins` quantile bins of `reference` (plus the outer two)."""
    edges, reference, counts = (
        np.asarray(edges, float),
        np.asarray(reference, float),
        np.asarray(counts, float),
    )
    if len(edges) <= bins + 1:
        return counts
    share = np.cumsum(reference[: len(edges)]) / max(reference[: len(edges)].sum(), 1)
    picks = np.searchsorted(share, np.arange(1, bins) / bins, side="left")
    coarse = np.unique(np.concatenate([[edges[0], edges[-1]], edges[np.minimum(picks, len(edges) - 1)]]))
    slots = np.searchsorted(coarse, np.append(edges, math.inf), side="left")
    return np.bincount(slots, weights=counts, minlength=len(coarse) + 1)


def aligned_counts(method: Method, kind: str, info: dict | None, ref: dict, cur: dict):
    """(reference counts, current counts) on the slots `method` uses for a `kind` column.

    A categorical summary is {category: count}; a numeric one holds "counts" over the fine edges
    in `info` (the reference profile: "edges", "std", ...).
    """
    if kind == "categorical":
        names = sorted(set(ref) | set(cur), key=lambda k: (-ref.get(k, 0), k))
        return np.array([ref.get(k, 0) for k in names]), np.array([cur.get(k, 0) for k in names])
    if method.bins == "fine":
        return ref["counts"], cur["counts"]
    edges, reference = info["edges"], ref["counts"]
    return (
        coarse_counts(edges, reference, reference, method.bins),
        coarse_counts(edges, reference, cur["counts"], method.bins),
    )


def statistic_for(method: str, kind: str, info: dict | None, ref: dict, cur: dict):
    """(statistic, p_value) of `method` for one column from its reference and current summaries."""
    spec = METHODS[method]
    reference, current = aligned_counts(spec, kind, info, ref, cur)
    if not spec.needs_excess:
        return spec.function(reference, current)
    return spec.function(
        reference,
        current,
        edges=info["edges"],
        below_excess=cur["below"],
        above_excess=cur["above"],
        scale=info["std"],
    )


# The `auto` policy (Evidently's defaults), as rules tried in order: (reference size, method,
# fewest distinct values, reason). The first rule whose size matches, whose distinct count is met
# and whose method applies to the column (the registry's kinds and max_distinct) wins.
SMALL_REFERENCE = 1000
EMPTY_REASON = "the reference has no values in this column"
AUTO_RULES = (
    ("empty", "wasserstein", 0, EMPTY_REASON),
    ("empty", "jensenshannon", 0, EMPTY_REASON),
    ("small", "ks", 6, "{size}, {kind} with {values}"),
    ("small", "ztest", 0, "{size}, {values}"),
    ("small", "chisquare", 0, "{size}, {kind} with {values}"),
    ("large", "wasserstein", 6, "{size}, {kind} with {values}"),
    ("large", "jensenshannon", 0, "{size}, {kind} with {values}"),
)


def choose_method(kind: str, reference_rows: int, distinct: int, requested: str) -> tuple[str, str]:
    """The method for one column and why it was picked: `requested` if it applies, else `auto`'s."""
    if requested not in ("auto", "domain_classifier"):
        if METHODS[requested].applies_to(kind, distinct):
            return requested, f"{requested} was requested"
        picked, why = choose_method(kind, reference_rows, distinct, "auto")
        return picked, f"{requested} does not apply to this {kind} column; auto: {why}"
    size = "empty" if reference_rows == 0 else "small" if reference_rows <= SMALL_REFERENCE else "large"
    for rule_size, name, fewest, reason in AUTO_RULES:
        if rule_size == size and distinct >= fewest and METHODS[name].applies_to(kind, distinct):
            words = {
                "size": f"{size} reference ({reference_rows} rows)",
                "kind": kind,
                "values": f"{distinct} distinct values" if distinct <= 5 else "more than 5 distinct values",
            }
            return name, reason.format(**words)
    raise ValueError(f"no drift method applies to a {kind} column")


def methods_table() -> list[dict]:
    """One row per registered method, for the drift page: where it applies and how it judges."""
    return [
        {
            "method": m.name,
            "kinds": ", ".join(m.kinds),
            "applies to": _applies_text(m),
            "bins": _bins_text(m),
            "default threshold": m.threshold,
            "verdict": "p-value test (drift when p < threshold)"
            if m.p_value
            else "distance (drift when statistic >= threshold)",
            "description": m.description,
        }
        for m in METHODS.values()
    ]


def _applies_text(method: Method) -> str:
    text = " and ".join(method.kinds) + " columns"
    if method.max_distinct is not None:
        text += f" with at most {method.max_distinct} distinct values"
    return text


def _bins_text(method: Method) -> str:
    if method.bins == "fine":
        numeric = "fine reference-quantile bins (up to ~570)"
    else:
        numeric = f"{method.bins} reference-quantile bins"
    numeric += " plus one bin at or below the reference minimum and one above its maximum"
    if method.needs_excess:
        numeric += ", and how far current values lie beyond the reference range"
    if "categorical" not in method.kinds:
        return numeric
    return f"numeric: {numeric}; categorical: one slot per category"
