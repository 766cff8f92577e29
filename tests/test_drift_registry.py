"""Every registered drift method goes through the same checks, via the one generic adapter."""

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from monitoring.drift.methods import (
    METHODS,
    Method,
    choose_method,
    hellinger,
    methods_table,
    statistic_for,
)
from monitoring.settings import ModelSettings

CASES = [(name, kind) for name, method in METHODS.items() for kind in method.kinds]


def _summaries(kind: str, ref, cur):
    """(info, reference summary, current summary) as the store hands them over, from raw values.

    Numeric edges are the reference's distinct values, so every bin is an exact set of values."""
    if kind == "categorical":
        return None, dict(Counter(f"c{v}" for v in ref)), dict(Counter(f"c{v}" for v in cur))
    ref, cur = np.asarray(ref, float), np.asarray(cur, float)
    edges = np.unique(ref)

    def counts(values):
        return np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1).tolist()

    info = {"edges": edges.tolist(), "std": float(np.std(ref)), "rows": len(ref), "distinct": len(edges)}
    current = {
        "counts": counts(cur),
        "below": float(np.sum(np.maximum(edges[0] - cur, 0))),
        "above": float(np.sum(np.maximum(cur - edges[-1], 0))),
    }
    return info, {"counts": counts(ref)}, current


def _pool(method: Method) -> int:
    """How many distinct values a sample for `method` may use: within max_distinct, and within
    its coarse bins so that merging bins leaves the counts as they are."""
    if method.bins == "fine":
        return 200
    return min(method.max_distinct or 10, 10)


def _samples(method: Method, seed: int = 1):
    rng = np.random.default_rng(seed)
    k = _pool(method)
    ref = np.concatenate([np.arange(k), rng.integers(0, k, 3000)])  # every value appears
    if method.bins == "fine":  # numeric only: let the current sample leave the reference range
        return ref, rng.integers(5, k + 15, 2500)
    weights = np.arange(1, k + 1) / np.arange(1, k + 1).sum()
    return ref, rng.choice(k, 2000, p=weights)


@pytest.mark.parametrize("name,kind", CASES)
def test_a_method_finds_nothing_between_equal_samples(name, kind):
    method = METHODS[name]
    ref, _ = _samples(method)
    statistic, p_value = statistic_for(name, kind, *_summaries(kind, ref, ref))
    assert statistic == pytest.approx(0.0, abs=1e-12)
    if method.p_value:
        assert p_value == pytest.approx(1.0)
    else:
        assert p_value is None
    assert not method.is_drift(statistic, p_value, method.threshold)


@pytest.mark.parametrize("name,kind", CASES)
@pytest.mark.parametrize("missing", ["current", "reference"])
def test_a_method_stays_finite_when_bins_are_empty_on_one_side(name, kind, missing):
    method = METHODS[name]
    k = _pool(method)
    rng = np.random.default_rng(2)
    if missing == "current":  # the current sample holds only the reference's largest value
        ref, cur = rng.integers(0, k, 500), np.full(300, k - 1)
    else:  # the reference holds only its smallest value, the current sample lies above it too
        ref, cur = np.zeros(500), rng.integers(0, k + 3, 300)
    statistic, p_value = statistic_for(name, kind, *_summaries(kind, ref, cur))
    assert math.isfinite(statistic) and statistic >= 0
    assert p_value is None or 0.0 <= p_value <= 1.0
    assert method.is_drift(statistic, p_value, method.threshold)


@pytest.mark.parametrize("name,kind", CASES)
@pytest.mark.parametrize("empty", ["current", "reference"])
def test_a_method_gives_nan_and_no_p_value_for_an_empty_sample(name, kind, empty):
    ref, cur = _samples(METHODS[name])
    info, reference, current = _summaries(kind, ref, cur)
    if kind == "categorical":
        emptied = dict.fromkeys(reference if empty == "reference" else current, 0)
    else:
        emptied = {"counts": [0] * (len(info["edges"]) + 1), "below": 0.0, "above": 0.0}
    if empty == "reference":
        reference = emptied
    else:
        current = emptied
    statistic, p_value = statistic_for(name, kind, info, reference, current)
    assert math.isnan(statistic) and p_value is None


def _value_counts(ref, cur):
    """Aligned counts per distinct value (no slot empty in both samples)."""
    values = sorted(set(ref) | set(cur))
    ref, cur = Counter(ref), Counter(cur)
    return np.array([ref[v] for v in values], float), np.array([cur[v] for v in values], float)


def _scipy_ks(ref, cur):
    found = stats.ks_2samp(ref, cur, method="asymp")
    return found.statistic, found.pvalue


def _scipy_wasserstein(ref, cur):
    return stats.wasserstein_distance(ref, cur) / np.std(ref), None


def _scipy_psi(ref, cur):
    p, q = (c / c.sum() for c in _value_counts(ref, cur))
    return stats.entropy(p, q) + stats.entropy(q, p), None  # PSI is the symmetrised KL divergence


def _scipy_jensenshannon(ref, cur):
    return distance.jensenshannon(*_value_counts(ref, cur)), None


def _scipy_hellinger(ref, cur):
    p, q = (c / c.sum() for c in _value_counts(ref, cur))
    return distance.euclidean(np.sqrt(p), np.sqrt(q)) / math.sqrt(2), None


def _scipy_chisquare(ref, cur):
    found = stats.chi2_contingency(np.vstack(_value_counts(ref, cur)), correction=False)
    return found.statistic, found.pvalue


def _hand_ztest(ref, cur):
    """Pooled two-proportion z on the share of the lower value, p from scipy's normal."""
    low = min(ref)
    x1, n1 = np.sum(np.asarray(ref) == low), len(ref)
    x2, n2 = np.sum(np.asarray(cur) == low), len(cur)
    pooled = (x1 + x2) / (n1 + n2)
    z = abs(x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, 2 * stats.norm.sf(z)


# What each method is checked against; a newly registered method needs an entry here.
# Binned Wasserstein is linear within each bin, so it matches scipy only up to that interpolation.
REFERENCE = {
    "ks": (_scipy_ks, 1e-9),
    "wasserstein": (_scipy_wasserstein, 1e-2),
    "psi": (_scipy_psi, 1e-9),
    "jensenshannon": (_scipy_jensenshannon, 1e-9),
    "hellinger": (_scipy_hellinger, 1e-9),
    "chisquare": (_scipy_chisquare, 1e-9),
    "ztest": (_hand_ztest, 1e-9),
}


@pytest.mark.parametrize("name,kind", CASES)
def test_a_method_matches_scipy_on_bins_that_are_exact(name, kind):
    method = METHODS[name]
    ref, cur = _samples(method, seed=3)
    expected, rel = REFERENCE[name]
    statistic, p_value = statistic_for(name, kind, *_summaries(kind, ref, cur))
    want_statistic, want_p = expected(ref, cur)
    assert statistic > 0.01  # the samples differ, so the parity is not 0 == 0
    assert statistic == pytest.approx(want_statistic, rel=rel)
    if method.p_value:
        assert p_value == pytest.approx(want_p, rel=1e-6, abs=1e-300)
    else:
        assert p_value is None


def test_settings_offer_exactly_the_registered_methods():
    assert set(METHODS) | {"auto", "domain_classifier"} == set(ModelSettings.choices("drift_method"))


def test_ztest_applies_to_numeric_and_categorical_columns_with_two_values_at_most():
    ztest = METHODS["ztest"]
    assert ztest.applies_to("numeric", 2) and ztest.applies_to("categorical", 2)
    assert not ztest.applies_to("numeric", 3) and not ztest.applies_to("categorical", 3)
    # auto keeps its choice for a small two-valued reference of either kind
    assert choose_method("numeric", 800, 2, "auto") == (
        "ztest",
        "small reference (800 rows), 2 distinct values",
    )
    assert choose_method("categorical", 800, 1, "auto")[0] == "ztest"
    assert choose_method("numeric", 800, 2, "ztest") == ("ztest", "ztest was requested")
    method, reason = choose_method("numeric", 800, 3, "ztest")
    assert method == "chisquare" and reason.startswith("ztest does not apply to this numeric column; auto:")


def test_a_chosen_method_always_applies_to_the_column():
    for kind in ("numeric", "categorical"):
        for rows in (0, 1, 800, 1000, 1001, 50_000):
            for distinct in (0, 1, 2, 3, 5, 6, 500):
                for requested in ("auto", "domain_classifier", *METHODS):
                    method, reason = choose_method(kind, rows, distinct, requested)
                    assert METHODS[method].applies_to(kind, distinct), (kind, rows, distinct, reason)


def test_the_auto_reasons_name_the_reference_size_and_the_values():
    assert choose_method("numeric", 0, 0, "auto") == (
        "wasserstein",
        "the reference has no values in this column",
    )
    assert choose_method("categorical", 0, 0, "auto")[0] == "jensenshannon"
    assert choose_method("numeric", 800, 40, "auto") == (
        "ks",
        "small reference (800 rows), numeric with more than 5 distinct values",
    )
    assert choose_method("categorical", 5000, 4, "auto") == (
        "jensenshannon",
        "large reference (5000 rows), categorical with 4 distinct values",
    )
    assert choose_method("numeric", 1001, 6, "auto")[0] == "wasserstein"


def test_a_method_added_to_the_registry_needs_no_other_code(monkeypatch):
    added = Method("hellinger2", hellinger, ("numeric",), 0.2, False, "Hellinger on 5 bins", bins=5)
    monkeypatch.setitem(METHODS, "hellinger2", added)
    ref, cur = np.arange(100) % 50, np.arange(100) % 50 + 10
    statistic, p_value = statistic_for("hellinger2", "numeric", *_summaries("numeric", ref, cur))
    assert 0 < statistic < 1 and p_value is None
    assert choose_method("numeric", 100, 50, "hellinger2") == ("hellinger2", "hellinger2 was requested")
    assert choose_method("categorical", 100, 5, "hellinger2")[0] == "chisquare"
    assert [row["method"] for row in methods_table()][-1] == "hellinger2"


def test_the_methods_table_describes_every_method():
    table = {row["method"]: row for row in methods_table()}
    assert list(table) == list(METHODS)
    assert set(table["ks"]) == {
        "method",
        "kinds",
        "applies to",
        "bins",
        "default threshold",
        "verdict",
        "description",
    }
    assert table["ztest"]["applies to"] == "numeric and categorical columns with at most 2 distinct values"
    assert table["psi"]["bins"].startswith("numeric: 10 reference-quantile bins")
    assert table["ks"]["bins"].startswith("fine reference-quantile bins")
    assert "beyond the reference range" in table["wasserstein"]["bins"]
    assert table["chisquare"]["verdict"].startswith("p-value test")
    assert table["jensenshannon"]["verdict"].startswith("distance")
    assert table["wasserstein"]["default threshold"] == 0.1
    assert all(row["description"] for row in table.values())
