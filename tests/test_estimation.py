import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from monitoring.context import ReportRequest, make_context
from monitoring.ingest.roles import RoleOverrides
from monitoring.performance.estimation import calibrate, estimate_scores, expected_confusion, fit_calibration
from monitoring.performance.section import performance_section


@pytest.mark.parametrize("decimals", [2, None])  # many ties, then every score distinct
def test_calibration_from_counts_equals_isotonic_on_every_row(decimals):
    rng = np.random.default_rng(0)
    s = rng.random(5000) if decimals is None else rng.random(5000).round(decimals)
    y = (rng.random(5000) < s**2).astype(int)
    calibration = fit_calibration(s, y, 1 - y)
    direct = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(s, y)
    grid = np.linspace(-0.1, 1.1, 301)
    assert np.allclose(calibrate(grid, calibration), direct.predict(grid), atol=1e-12)


def test_expected_confusion_hand_worked():
    # two groups: 10 rows predicted positive at p=0.8, 20 predicted negative at p=0.1
    tp, fp, fn, tn = expected_confusion([0.8, 0.1], [10, 20], [True, False])
    assert (tp, fp, fn, tn) == pytest.approx((8.0, 2.0, 2.0, 18.0))
    estimates = estimate_scores([0.8, 0.1], [10, 20], [True, False], ([0.0, 1.0], [0.0, 1.0]))
    assert estimates["accuracy_score"][0] == pytest.approx(26 / 30)
    assert estimates["precision_score"][0] == pytest.approx(0.8)
    assert estimates["recall_score"][0] == pytest.approx(0.8)
    # AUC with fractional weights: positives 8 at 0.8, 2 at 0.1; negatives 2 at 0.8, 18 at 0.1
    assert estimates["roc_auc_score"][0] == pytest.approx((8 * 18 + 0.5 * 8 * 2 + 0.5 * 2 * 18) / (10 * 20))


def test_estimates_on_calibrated_scores_cover_the_realized_values():
    rng = np.random.default_rng(1)
    ref_s = rng.random(20000).round(3)
    ref_y = (rng.random(20000) < ref_s).astype(int)
    calibration = fit_calibration(ref_s, ref_y, 1 - ref_y)
    hits = 0
    for seed in range(10):
        local = np.random.default_rng(seed + 10)
        s = local.beta(2, 3, 3000).round(3)
        y = (local.random(3000) < s).astype(int)
        p = (s >= 0.5).astype(int)
        got = estimate_scores(s, np.ones_like(s), p == 1, calibration)
        for metric, value in (
            ("accuracy_score", accuracy_score(y, p)),
            ("f1_score", f1_score(y, p)),
            ("roc_auc_score", roc_auc_score(y, s)),
        ):
            estimate, lower, upper = got[metric]
            assert abs(estimate - value) < 0.04
            hits += lower <= value <= upper
    assert hits >= 25  # 95% bands: most of the 30 realized values fall inside


def test_window_without_labels_gets_estimated_values_and_no_realized_ones(store, ingest_frame):
    rng = np.random.default_rng(2)
    roles = RoleOverrides(
        task="binary", id="id", timestamp="ts", score=["score"], prediction="prediction", target="label"
    )

    def frame(n, start, labelled):
        s = rng.random(n).round(3)
        return pd.DataFrame(
            {
                "id": [f"{start}-{i}" for i in range(n)],
                "ts": pd.Timestamp(start) + pd.to_timedelta(np.arange(n), unit="s"),
                "x": rng.normal(size=n),
                "score": s,
                "prediction": (s >= 0.5).astype(int),
                "label": (rng.random(n) < s).astype(int) if labelled else np.full(n, None),
            }
        )

    ingest_frame(store, frame(5000, "2023-01-01", True), model="e", kind="reference", overrides=roles)
    production = pd.concat([frame(2000, "2024-01-01", True), frame(2000, "2024-01-02", False)])
    ingest_frame(store, production, model="e", kind="production", overrides=roles)
    with store.connect() as con:
        records = performance_section(con, make_context(con, ReportRequest("e", window="day")))["performance"]
    for window, labelled in ((0, 2000), (1, 0)):
        realized = [r for r in records if r["window"] == window and r["kind"] == "realized"]
        estimated = [r for r in records if r["window"] == window and r["kind"] == "estimated"]
        assert {r["labelled_rows"] for r in realized} == {labelled}
        assert {r["metric"] for r in estimated} == {
            "accuracy_score",
            "precision_score",
            "recall_score",
            "f1_score",
            "roc_auc_score",
        }
        assert all(r["value"] is not None and r["lower"] <= r["value"] <= r["upper"] for r in estimated)
        assert all((r["value"] is None) == (labelled == 0) for r in realized)
