"""The 95% intervals of monitoring/intervals.py and performance/metrics.py against scipy, scikit-learn
and numpy on stated fixtures, their coverage on simulated windows, and the report's records."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics

from monitoring.ingest.roles import RoleOverrides
from monitoring.intervals import (
    Z95,
    auc_interval,
    average_precision_interval,
    bootstrap_matrix,
    f1_interval,
    katz_ratio,
    mean_difference,
    mean_interval,
    mean_ratio,
    newcombe,
    rmse_interval,
    wilson,
)
from monitoring.performance.metrics import (
    log_loss_interval,
    multiclass_intervals,
    regression_intervals,
    stacked_multiclass_scores,
)
from tests.test_performance import BINARY, _binary_frame, _section, _values

FIXTURES = [(0, 10), (1, 10), (7, 10), (10, 10), (48, 80), (312, 400), (1, 2000), (1999, 2000)]


def _scipy_wilson(hits, n):
    found = stats.binomtest(hits, n).proportion_ci(method="wilson")
    return found.low, found.high


@pytest.mark.parametrize(("hits", "n"), FIXTURES)
def test_wilson_interval_equals_scipys_binomtest_wilson(hits, n):
    assert wilson(hits, n) == pytest.approx(_scipy_wilson(hits, n), abs=1e-12)


def test_wilson_interval_of_no_rows_is_none():
    assert wilson(0, 0) == (None, None)


@pytest.mark.parametrize(("tp", "fp", "fn"), [(40, 10, 5), (3, 0, 1), (0, 4, 6), (900, 60, 140)])
def test_f1_interval_is_the_wilson_interval_of_tp_over_tp_fp_fn_carried_to_f1(tp, fp, fn):
    low, high = _scipy_wilson(tp, tp + fp + fn)
    y = np.r_[np.ones(tp + fn), np.zeros(fp)]
    p = np.r_[np.ones(tp), np.zeros(fn), np.ones(fp)]
    f1 = metrics.f1_score(y, p)
    assert f1_interval(tp, fp, fn) == pytest.approx((2 * low / (1 + low), 2 * high / (1 + high)), abs=1e-12)
    assert f1_interval(tp, fp, fn)[0] <= f1 <= f1_interval(tp, fp, fn)[1]


def _delong_from_rows(y, s):
    """DeLong's variance from the raw scores: the placement of each positive and each negative."""
    pos, neg = s[y == 1], s[y == 0]
    kernel = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = kernel.mean(axis=1), kernel.mean(axis=0)
    auc = kernel.mean()
    variance = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    return auc, auc - Z95 * math.sqrt(variance), auc + Z95 * math.sqrt(variance)


def test_delong_interval_from_per_score_counts_equals_delong_from_the_rows_with_ties():
    rng = np.random.default_rng(5)
    y = (rng.random(600) < 0.35).astype(int)
    s = np.clip(rng.normal(0.4 + 0.25 * y, 0.2), 0, 1).round(2)  # many ties
    auc, low, high = _delong_from_rows(y, s)
    assert auc == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)
    unique, inverse = np.unique(s, return_inverse=True)
    positives, negatives = np.bincount(inverse, weights=y), np.bincount(inverse, weights=1 - y)
    assert auc_interval(unique, positives, negatives) == pytest.approx((low, high), abs=1e-12)
    assert auc_interval([0.1, 0.2], [1, 1], [0, 0]) == (None, None)


def test_average_precision_interval_is_boyds_logit_interval_around_sklearns_value():
    rng = np.random.default_rng(6)
    y = (rng.random(800) < 0.3).astype(int)
    s = rng.normal(y, 1.0)
    ap = metrics.average_precision_score(y, s)
    logit, half = math.log(ap / (1 - ap)), Z95 / math.sqrt(y.sum() * ap * (1 - ap))
    expected = (1 / (1 + math.exp(-(logit - half))), 1 / (1 + math.exp(-(logit + half))))
    assert average_precision_interval(ap, y.sum()) == pytest.approx(expected, abs=1e-12)
    assert expected[0] < ap < expected[1]
    low, high = average_precision_interval(0.999999, 1)  # one positive: a huge logit half-width
    assert 0 <= low < 0.5 and high == pytest.approx(1.0)


def test_log_loss_interval_is_the_normal_interval_of_the_rows_losses():
    rng = np.random.default_rng(7)
    s = rng.random(500).round(2)
    y = (rng.random(500) < s).astype(int)
    losses = -(y * np.log(np.clip(s, 1e-15, 1)) + (1 - y) * np.log(np.clip(1 - s, 1e-15, 1)))
    half = Z95 * losses.std(ddof=1) / math.sqrt(len(losses))
    got = log_loss_interval(s, y, 1 - y)
    assert got == pytest.approx((losses.mean() - half, losses.mean() + half), rel=1e-6)
    assert got[0] < metrics.log_loss(y, s) < got[1]


def test_regression_intervals_equal_numpy_from_the_rows():
    rng = np.random.default_rng(8)
    y = rng.poisson(20, 400).astype(float) + 1
    p = y + rng.normal(1.0, 4.0, 400)
    e, n = p - y, len(y)
    ape = np.abs(e) / np.abs(y)
    got = regression_intervals(
        n, np.abs(e).sum(), (e**2).sum(), e.sum(), y.var(), ape.sum(), n, (e**4).sum(), (ape**2).sum()
    )

    def normal(values):
        half = Z95 * values.std(ddof=1) / math.sqrt(len(values))
        return values.mean() - half, values.mean() + half

    mse = normal(e**2)
    expected = {
        "mean_absolute_error": normal(np.abs(e)),
        "mean_residual": normal(e),
        "mean_squared_error": mse,
        "root_mean_squared_error": (math.sqrt(mse[0]), math.sqrt(mse[1])),
        "mean_absolute_percentage_error": normal(ape),
        "r2_score": (1 - mse[1] / y.var(), 1 - mse[0] / y.var()),
    }
    for name, interval in expected.items():
        assert got[name] == pytest.approx(interval, rel=1e-9), name
    rmse = metrics.root_mean_squared_error(y, p)
    assert got["root_mean_squared_error"][0] < rmse < got["root_mean_squared_error"][1]
    assert rmse_interval(n, (e**2).sum(), (e**4).sum()) == got["root_mean_squared_error"]
    assert mean_interval(1, 2.0, 4.0) == (None, None)


def test_newcombe_interval_matches_newcombes_worked_example():
    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, example (a), method 10
    low, high = newcombe(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)
    assert newcombe(1, 0, 1, 5) == (None, None)


def test_katz_ratio_interval_equals_scipys_relative_risk_interval():
    for x1, n1, x2, n2 in [(30, 100, 45, 110), (5, 40, 20, 40), (300, 1000, 310, 900)]:
        expected = stats.contingency.relative_risk(x1, n1, x2, n2).confidence_interval(0.95)
        assert katz_ratio(x1, n1, x2, n2) == pytest.approx((expected.low, expected.high), rel=1e-9)
    low, high = katz_ratio(0, 50, 10, 50)
    assert low == 0 and 0 < high < 1


def test_difference_and_ratio_of_two_means_equal_numpy():
    rng = np.random.default_rng(9)
    a, b = np.abs(rng.normal(5, 2, 300)), np.abs(rng.normal(4, 2, 200))

    def sums(v):
        return len(v), v.sum(), (v**2).sum()

    se2 = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    d = a.mean() - b.mean()
    half = Z95 * math.sqrt(se2[0] + se2[1])
    assert mean_difference(sums(a), sums(b)) == pytest.approx((d - half, d + half), rel=1e-9)
    r = a.mean() / b.mean()
    log_half = Z95 * math.sqrt(se2[0] / a.mean() ** 2 + se2[1] / b.mean() ** 2)
    expected = (r * math.exp(-log_half), r * math.exp(log_half))
    assert mean_ratio(sums(a), sums(b)) == pytest.approx(expected, rel=1e-9)


def test_multiclass_intervals_are_percentiles_of_multinomial_redraws_of_the_matrix():
    matrix = np.array([[50, 5, 3], [4, 40, 6], [2, 3, 30]])
    rng = np.random.default_rng(0)
    drawn = rng.multinomial(matrix.sum(), (matrix / matrix.sum()).ravel(), size=1000).reshape(1000, 3, 3)
    y_pred = [np.repeat([[0, 1, 2]] * 3, d.ravel()) for d in drawn[:5]]
    y_true = [np.repeat([[0, 0, 0], [1, 1, 1], [2, 2, 2]], d.ravel()) for d in drawn[:5]]
    stacked = stacked_multiclass_scores(drawn[:5].astype(float))
    for i in range(5):  # each redraw's macro F1 is sklearn's on the rows that matrix stands for
        assert stacked["f1_macro_score"][i] == pytest.approx(
            metrics.f1_score(y_true[i], y_pred[i], average="macro"), abs=1e-12
        )
    got = multiclass_intervals(matrix)
    f1 = stacked_multiclass_scores(drawn.astype(float))["f1_macro_score"]
    assert got["f1_macro_score"] == pytest.approx((np.quantile(f1, 0.025), np.quantile(f1, 0.975)))
    assert got["accuracy_score"] == pytest.approx(_scipy_wilson(120, 143), abs=1e-12)
    assert bootstrap_matrix([[1]], stacked_multiclass_scores) == {}


def test_accuracy_interval_covers_the_true_accuracy_in_93_to_97_percent_of_1000_windows():
    rng = np.random.default_rng(11)
    n, truth = 300, 0.82
    hits = rng.binomial(n, truth, size=1000)
    covered = sum(low <= truth <= high for low, high in (wilson(h, n) for h in hits))
    assert 930 <= covered <= 970, covered


def test_roc_auc_interval_covers_the_true_auc_in_93_to_97_percent_of_1000_windows():
    rng = np.random.default_rng(12)
    positives, negatives, separation = 120, 280, 1.2
    truth = stats.norm.cdf(separation / math.sqrt(2))  # binormal: P(positive score > negative score)
    scores = np.concatenate(
        [rng.normal(separation, 1, (1000, positives)), rng.normal(0, 1, (1000, negatives))], axis=1
    )
    is_pos = np.r_[np.ones(positives), np.zeros(negatives)]
    covered = 0
    for window in scores:
        low, high = auc_interval(window, is_pos, 1 - is_pos)
        covered += low <= truth <= high
    assert 930 <= covered <= 970, covered


def test_report_records_carry_the_wilson_and_delong_intervals_of_their_window(store, ingest_frame):
    rng = np.random.default_rng(0)
    production = _binary_frame(rng, 1500)
    ingest_frame(store, production, model="m", kind="production", overrides=BINARY)
    ingest_frame(store, _binary_frame(rng, 1000, "2023-06-01"), model="m", kind="reference", overrides=BINARY)
    got = _values(_section(store, "m")[0]["performance"], 0)
    y, p, s = production["label"], production["prediction"], production["score"]
    correct, tp = int((y == p).sum()), int(((y == 1) & (p == 1)).sum())
    assert (got["accuracy_score"]["lower"], got["accuracy_score"]["upper"]) == pytest.approx(
        _scipy_wilson(correct, len(y)), abs=1e-12
    )
    assert (got["precision_score"]["lower"], got["precision_score"]["upper"]) == pytest.approx(
        _scipy_wilson(tp, int(p.sum())), abs=1e-12
    )
    _, low, high = _delong_from_rows(y.to_numpy(), s.to_numpy())
    assert (got["roc_auc_score"]["lower"], got["roc_auc_score"]["upper"]) == pytest.approx((low, high))
    for record in got.values():
        assert record["lower"] <= record["value"] <= record["upper"], record["metric"]


def test_regression_report_records_carry_intervals_of_their_window(store, ingest_frame):
    rng = np.random.default_rng(2)
    y = rng.poisson(20, 500).astype(float) + 1
    p = y + rng.normal(1.0, 4.0, 500)
    frame = pd.DataFrame(
        {"id": [str(i) for i in range(500)], "x": rng.normal(size=500), "prediction": p, "target": y}
    )
    roles = RoleOverrides(task="regression", id="id", prediction="prediction", target="target")
    ingest_frame(store, frame, model="r", kind="production", overrides=roles)
    got = _values(_section(store, "r")[0]["performance"], 0)
    e = np.abs(p - y)
    half = Z95 * e.std(ddof=1) / math.sqrt(len(e))
    mae = got["mean_absolute_error"]
    assert (mae["lower"], mae["upper"]) == pytest.approx((e.mean() - half, e.mean() + half), rel=1e-9)
    assert got["zero_target_rows"]["lower"] is None
