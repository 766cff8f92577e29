import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score, precision_score

from monitoring.context import ReportRequest, make_context
from monitoring.fairness import disparities, fairness_section
from monitoring.ingest.roles import RoleOverrides

ROLES = RoleOverrides(
    task="binary",
    id="id",
    timestamp="ts",
    prediction="prediction",
    target="label",
    sensitive=["group", "band"],
)


def _frame(rng, n, small=0):
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]).astype(object)
    band = rng.choice(["low", "high"], n)
    y = (rng.random(n) < 0.4).astype(int)
    bias = np.select([group == "a", group == "b"], [0.15, 0.3], 0.45)
    p = np.where(rng.random(n) < 0.7, y, (rng.random(n) < bias).astype(int))
    if small:
        group[:small] = "tiny"
    return pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) * 10, unit="min"),
            "group": group,
            "band": band,
            "x": rng.normal(size=n),
            "prediction": p,
            "label": y,
        }
    )


def _section(store, cross=None, window="day"):
    with store.connect() as con:
        context = make_context(con, ReportRequest("f", window=window))
        return fairness_section(con, context, cross=cross)


def test_group_metrics_and_disparities_equal_fairlearn(store, ingest_frame):
    frame = _frame(np.random.default_rng(0), 3000)
    ingest_frame(store, frame, model="f", kind="production", overrides=ROLES)
    section = _section(store)
    y, p, g = frame["label"], frame["prediction"], frame["group"]
    frame_metrics = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "accuracy": accuracy_score,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "false_negative_rate": false_negative_rate,
            "precision": precision_score,
        },
        y_true=y,
        y_pred=p,
        sensitive_features=g,
    ).by_group
    whole = [r for r in section["fairness"] if r["window"] is None and r["attribute"] == "group"]
    for r in whole:
        if r["metric"] != "count":
            assert r["value"] == pytest.approx(frame_metrics.loc[r["group"], r["metric"]], abs=1e-9)
    assert {r["group"]: r["count"] for r in whole} == g.value_counts().to_dict()
    got = {
        r["metric"]: r
        for r in section["fairness_disparities"]
        if r["window"] is None and r["attribute"] == "group"
    }
    dp = got["demographic_parity"]
    assert dp["difference"] == pytest.approx(
        demographic_parity_difference(y, p, sensitive_features=g), abs=1e-9
    )
    assert dp["ratio"] == pytest.approx(demographic_parity_ratio(y, p, sensitive_features=g), abs=1e-9)
    eo = got["equalized_odds"]
    assert eo["difference"] == pytest.approx(equalized_odds_difference(y, p, sensitive_features=g), abs=1e-9)
    assert eo["ratio"] == pytest.approx(equalized_odds_ratio(y, p, sensitive_features=g), abs=1e-9)
    tpr = frame_metrics["true_positive_rate"]
    assert got["equal_opportunity"]["difference"] == pytest.approx(tpr.max() - tpr.min(), abs=1e-9)
    assert got["four_fifths_rule"]["passes"] is (dp["ratio"] >= 0.8)


def test_crossing_two_attributes_equals_fairlearn(store, ingest_frame):
    frame = _frame(np.random.default_rng(1), 3000)
    ingest_frame(store, frame, model="f", kind="production", overrides=ROLES)
    section = _section(store, cross=["group", "band"])
    features = frame[["group", "band"]]
    y, p = frame["label"], frame["prediction"]
    got = {
        r["metric"]: r
        for r in section["fairness_disparities"]
        if r["window"] is None and r["attribute"] == "group x band"
    }
    assert got["demographic_parity"]["difference"] == pytest.approx(
        demographic_parity_difference(y, p, sensitive_features=features), abs=1e-9
    )
    assert got["equalized_odds"]["difference"] == pytest.approx(
        equalized_odds_difference(y, p, sensitive_features=features), abs=1e-9
    )
    groups = {r["group"] for r in section["fairness"] if r["attribute"] == "group x band"}
    assert "a | low" in groups and len(groups) == 6


def test_small_groups_are_flagged_not_dropped_and_left_out_of_disparities(store, ingest_frame):
    frame = _frame(np.random.default_rng(2), 2000, small=5)
    ingest_frame(store, frame, model="f", kind="production", overrides=ROLES)
    section = _section(store)
    tiny = [r for r in section["fairness"] if r["group"] == "tiny" and r["window"] is None]
    assert tiny and all(r["flag"] == "small" and r["count"] == 5 for r in tiny)
    record = next(
        r for r in section["fairness_disparities"] if r["window"] is None and r["attribute"] == "group"
    )
    assert record["excluded_groups"] == ["tiny"]
    per_window = [r for r in section["fairness"] if r["window"] is not None]
    assert {r["window"] for r in per_window} == set(range(14))


def test_disparities_of_one_group_are_undefined_not_a_crash():
    records = disparities({"a": {"selection_rate": 0.5, "true_positive_rate": None}}, 0.1)
    assert all(r["difference"] is None and r["passes"] is None for r in records)


def test_demo_planted_unfair_group_fails_four_fifths(demo_store):
    with demo_store.connect() as con:
        section = fairness_section(con, make_context(con, ReportRequest("credit")))
    got = {
        r["metric"]: r
        for r in section["fairness_disparities"]
        if r["window"] is None and r["attribute"] == "gender"
    }
    rates = {
        r["group"]: r["value"]
        for r in section["fairness"]
        if r["window"] is None and r["metric"] == "selection_rate"
    }
    assert rates["F"] > rates["M"]  # the score is pushed up for F: more predicted defaults
    assert got["four_fifths_rule"]["ratio"] == pytest.approx(rates["M"] / rates["F"])
    assert got["four_fifths_rule"]["ratio"] < 0.8 and got["four_fifths_rule"]["passes"] is False


def test_group_rates_carry_wilson_and_disparities_newcombe_and_katz_intervals(store, ingest_frame):
    from scipy import stats

    frame = _frame(np.random.default_rng(3), 2000)
    ingest_frame(store, frame, model="f", kind="production", overrides=ROLES)
    section = _section(store)
    whole = [r for r in section["fairness"] if r["window"] is None and r["attribute"] == "group"]
    selected = frame.groupby("group")["prediction"].agg(["sum", "count"])
    for r in (r for r in whole if r["metric"] == "selection_rate"):
        hits, n = selected.loc[r["group"]]
        ci = stats.binomtest(int(hits), int(n)).proportion_ci(method="wilson")
        assert (r["lower"], r["upper"]) == pytest.approx((ci.low, ci.high), abs=1e-12)
    parity = next(
        r
        for r in section["fairness_disparities"]
        if r["window"] is None and r["attribute"] == "group" and r["metric"] == "demographic_parity"
    )
    rates = selected["sum"] / selected["count"]
    high, low = selected.loc[rates.idxmax()], selected.loc[rates.idxmin()]
    p1, p2 = high["sum"] / high["count"], low["sum"] / low["count"]
    w1 = stats.binomtest(int(high["sum"]), int(high["count"])).proportion_ci(method="wilson")
    w2 = stats.binomtest(int(low["sum"]), int(low["count"])).proportion_ci(method="wilson")
    newcombe = (
        p1 - p2 - np.hypot(p1 - w1.low, w2.high - p2),
        p1 - p2 + np.hypot(w1.high - p1, p2 - w2.low),
    )
    assert (parity["difference_lower"], parity["difference_upper"]) == pytest.approx(newcombe, abs=1e-12)
    katz = stats.contingency.relative_risk(
        int(low["sum"]), int(low["count"]), int(high["sum"]), int(high["count"])
    ).confidence_interval(0.95)
    assert (parity["ratio_lower"], parity["ratio_upper"]) == pytest.approx((katz.low, katz.high), rel=1e-9)
    for r in section["fairness_disparities"]:
        if r["difference"] is not None:
            assert r["difference_lower"] <= r["difference"] <= r["difference_upper"], r
            assert r["ratio_lower"] <= r["ratio"] <= r["ratio_upper"], r


def test_regression_groups_carry_normal_intervals_and_the_mae_disparity_its_bounds(store, ingest_frame):
    rng = np.random.default_rng(4)
    n = 1200
    group = rng.choice(["a", "b"], n)
    y = rng.normal(50, 10, n)
    p = y + rng.normal(0, np.where(group == "a", 2.0, 4.0))
    frame = pd.DataFrame({"id": [str(i) for i in range(n)], "x": rng.normal(size=n), "group": group})
    frame = frame.assign(prediction=p, target=y)
    roles = RoleOverrides(
        task="regression", id="id", prediction="prediction", target="target", sensitive=["group"]
    )
    ingest_frame(store, frame, model="f", kind="production", overrides=roles)
    section = _section(store, window="batch")
    errors = {g: np.abs(p - y)[group == g] for g in ("a", "b")}
    for r in section["fairness"]:
        if r["window"] is None and r["metric"] == "mean_absolute_error":
            e = errors[r["group"]]
            half = 1.959963984540054 * e.std(ddof=1) / np.sqrt(len(e))
            assert (r["lower"], r["upper"]) == pytest.approx((e.mean() - half, e.mean() + half), rel=1e-9)
    mae = next(r for r in section["fairness_disparities"] if r["window"] is None)
    high, low = errors["b"], errors["a"]
    d = high.mean() - low.mean()
    half = 1.959963984540054 * np.sqrt(high.var(ddof=1) / len(high) + low.var(ddof=1) / len(low))
    assert (mae["difference_lower"], mae["difference_upper"]) == pytest.approx((d - half, d + half), rel=1e-9)
    assert mae["ratio_lower"] < mae["ratio"] < mae["ratio_upper"] < 1
