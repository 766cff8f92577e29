"""Versions: a challenger on shadow traffic is compared with the champion paired by id (McNemar's
exact test, a paired t-test for errors); versions on separate traffic unpaired, with intervals."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from segment_setup import ROLES, frame

from monitoring.comparisons import mcnemar, paired_means, two_proportions, welch
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import ReportRequest, build_report


def _shadow(data: pd.DataFrame, rng, share: float, better: float) -> pd.DataFrame:
    """Version 2 scores a `share` of the same ids, right more often by `better`."""
    shadow = data[rng.random(len(data)) < share].copy()
    fix = rng.random(len(shadow)) < better
    shadow["prediction"] = np.where(fix, shadow["label"], shadow["prediction"])
    shadow["version"] = "2"
    shadow["ts"] = shadow["ts"] + pd.Timedelta(seconds=1)
    return shadow


def test_a_shadow_challenger_is_compared_with_the_champion_paired_by_id(store, ingest_frame):
    rng = np.random.default_rng(21)
    data = frame(rng, 6000, "2024-01-01")
    shadow = _shadow(data, rng, 0.5, 0.15)
    ingest_frame(store, pd.concat([data, shadow]), model="v", kind="production", overrides=ROLES)
    report = build_report(store, ReportRequest("v", sections=("versions", "data_quality")))
    found = {r["metric"]: r for r in report["versions"] if r["window"] is None}
    assert found["accuracy_score"]["paired"] is True and found["accuracy_score"]["test"] == "mcnemar_exact"
    both = data.merge(shadow, on="id", suffixes=("_a", "_b"))
    right_a = both["prediction_a"] == both["label_a"]
    right_b = both["prediction_b"] == both["label_a"]
    only_a, only_b = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
    expected = mcnemar(only_b, only_a, len(both))
    assert found["accuracy_score"]["difference"] == pytest.approx(right_b.mean() - right_a.mean(), abs=1e-12)
    assert found["accuracy_score"]["p_value"] == pytest.approx(
        stats.binomtest(only_b, only_a + only_b).pvalue
    )
    assert found["accuracy_score"]["lower"] == pytest.approx(expected.lower)
    assert found["accuracy_score"]["rows"] == len(both)
    agreement = (both["prediction_a"] == both["prediction_b"]).mean()
    assert found["agreement"]["value"] == pytest.approx(agreement, abs=1e-12)
    assert (found["agreement"]["version_a"], found["agreement"]["version_b"]) == ("1", "2")
    duplicates = [r for r in report["data_quality"] if r["metric"] == "duplicate_id_share"]
    assert all(r["count"] == 0 for r in duplicates)  # the shadow's ids are not duplicates


def test_versions_on_separate_traffic_are_compared_unpaired_with_intervals(store, ingest_frame):
    rng = np.random.default_rng(22)
    data = frame(rng, 6000, "2024-01-01")
    data["version"] = np.where(data["ts"] < pd.Timestamp("2024-01-15"), "1", "2")
    ingest_frame(store, data, model="w", kind="production", overrides=ROLES)
    report = build_report(store, ReportRequest("w", sections=("versions",)))
    found = {r["metric"]: r for r in report["versions"] if r["window"] is None}
    a, b = data[data["version"] == "1"], data[data["version"] == "2"]
    right_a, right_b = (a["label"] == a["prediction"]).sum(), (b["label"] == b["prediction"]).sum()
    expected = two_proportions(right_b, len(b), right_a, len(a))
    record = found["accuracy_score"]
    assert record["paired"] is False and record["test"] == "two_proportion_z"
    assert (record["difference"], record["lower"], record["upper"], record["p_value"]) == pytest.approx(
        (expected.difference, expected.lower, expected.upper, expected.p_value), abs=1e-12
    )
    assert {"precision_score", "recall_score"} <= set(found)


def test_a_regression_challenger_is_compared_on_per_row_error(store, ingest_frame):
    rng = np.random.default_rng(23)
    n = 2000
    y = rng.normal(50, 10, n)
    champion = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="min"),
            "x": rng.normal(size=n),
            "prediction": y + rng.normal(0, 5, n),
            "y": y,
            "version": "1",
        }
    )
    challenger = champion.assign(prediction=y + rng.normal(0, 4, n), version="2")
    roles = RoleOverrides(
        task="regression", id="id", timestamp="ts", prediction="prediction", target="y", version="version"
    )
    ingest_frame(store, pd.concat([champion, challenger]), model="r", kind="production", overrides=roles)
    report = build_report(store, ReportRequest("r", sections=("versions",)))
    record = next(
        r for r in report["versions"] if r["window"] is None and r["metric"] == "mean_absolute_error"
    )
    error_a, error_b = np.abs(champion["prediction"] - y), np.abs(challenger["prediction"] - y)
    d = error_b - error_a
    expected = paired_means(len(d), d.sum(), (d * d).sum())
    assert record["paired"] is True and record["test"] == "paired_t"
    assert record["difference"] == pytest.approx(d.mean(), abs=1e-9)
    assert record["p_value"] == pytest.approx(stats.ttest_rel(error_b, error_a).pvalue, rel=1e-6)
    assert record["lower"] == pytest.approx(expected.lower, abs=1e-9)


def test_the_statistics_over_counts_equal_scipy_on_rows():
    rng = np.random.default_rng(24)
    a, b = rng.normal(1, 1, 60), rng.normal(1.4, 2, 45)
    found = welch(len(a), a.sum(), (a * a).sum(), len(b), b.sum(), (b * b).sum())
    assert found.p_value == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-9)
    x = rng.normal(0, 1, 80)
    y = x + rng.normal(0.3, 0.5, 80)
    d = y - x
    paired = paired_means(len(d), d.sum(), (d * d).sum())
    assert paired.p_value == pytest.approx(stats.ttest_rel(y, x).pvalue, rel=1e-9)
    low, high = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    assert (paired.lower, paired.upper) == pytest.approx((low, high), rel=1e-9)
    # Newcombe (1998), example (a): 56/70 against 48/80, method 10: 0.0524 to 0.3339
    newcombe = two_proportions(56, 70, 48, 80)
    assert (round(newcombe.lower, 4), round(newcombe.upper, 4)) == (0.0524, 0.3339)
    assert mcnemar(10, 3, 100).p_value == pytest.approx(stats.binomtest(10, 13).pvalue)


def test_each_version_is_compared_with_the_same_baseline_as_the_whole_model(store, ingest_frame):
    """The reference belongs to no version: a version's drift and performance baseline are the
    whole reference's (a segment of another column is compared with its own slice of it)."""
    rng = np.random.default_rng(25)
    data = frame(rng, 4000, "2024-01-01")
    data["version"] = np.where(np.arange(4000) % 2 == 0, "1", "2")
    ingest_frame(store, data, model="b", kind="production", overrides=ROLES)
    reference = frame(rng, 2000, "2023-12-01").drop(columns="version")
    ingest_frame(store, reference, model="b", kind="reference", overrides=ROLES.only(set(reference.columns)))
    sections = ("drift", "performance")
    grouped = build_report(store, ReportRequest("b", by="version", sections=sections))
    alone = build_report(store, ReportRequest("b", segment="version=2", sections=sections))
    whole = [r for r in grouped["performance"] if r["segment"] is None and r["metric"] == "accuracy_score"]
    mine = [
        r for r in grouped["performance"] if r["segment"] == "version=2" and r["metric"] == "accuracy_score"
    ]
    assert mine and {r["baseline"] for r in mine} == {whole[0]["baseline"]} != {None}
    drift = [r for r in grouped["drift"] if r["segment"] == "version=2" and r["role"] == "feature"]
    assert all(r["statistic"] is not None for r in drift)
    assert [r["statistic"] for r in alone["drift"] if r["role"] == "feature"] == pytest.approx(
        [r["statistic"] for r in drift], abs=1e-12
    )


def test_each_version_gets_its_metrics_with_wilson_intervals(store, ingest_frame):
    from monitoring.comparisons import wilson
    from monitoring.versions import metrics_with_intervals

    rng = np.random.default_rng(26)
    data = frame(rng, 3000, "2024-01-01")
    data["version"] = np.where(np.arange(3000) % 3 == 0, "2", "1")
    ingest_frame(store, data, model="i", kind="production", overrides=ROLES)
    grouped = build_report(store, ReportRequest("i", by="version", sections=("performance",)))
    found = {(r["window"], r["segment"], r["metric"]): r for r in metrics_with_intervals(grouped)}
    realized = [
        r
        for r in grouped["performance"]
        if r["segment"] is not None and r["kind"] == "realized" and r["value"] is not None
    ]
    assert realized
    for record in realized:
        if record["metric"] in ("accuracy_score", "precision_score", "recall_score"):
            mine = found[(record["window"], record["segment"], record["metric"])]
            assert mine["value"] == pytest.approx(record["value"], abs=1e-12)
    start = pd.Timestamp(grouped["windows"][0]["start"])
    rows = data[(data["version"] == "2") & (data["ts"] < start + pd.Timedelta(days=7))]
    right = int((rows["label"] == rows["prediction"]).sum())
    mine = found[(0, "version=2", "accuracy_score")]
    assert (mine["lower"], mine["upper"]) == pytest.approx(wilson(right, len(rows)), abs=1e-12)
