"""Drift ranked by impact (surrogate importances), the correlation ranking, and PCA reconstruction drift."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitoring.context import make_context
from monitoring.drift import reconstruction
from monitoring.drift.impact import MIN_WINDOWS, normalised_drift, ranking_records
from monitoring.drift.section import comparable_columns
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import ReportRequest, build_report
from monitoring.store import Store

ROLES = RoleOverrides(
    task="binary", timestamp="timestamp", prediction="prediction", score=["score"], categorical=["city"]
)


def _frame(rng, n: int, start: str, days: int, shift: float = 0.0) -> pd.DataFrame:
    """Inputs `used` and `ignored` (both shifted by `shift` std in production), `steady`, and a
    categorical `city`; the score depends on `used` and `steady` only."""
    offsets = np.sort(rng.integers(0, days * 86400, n))
    frame = pd.DataFrame({"timestamp": pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s")})
    frame["used"] = rng.normal(shift, 1, n)
    frame["ignored"] = rng.normal(5 + 2 * shift, 2, n)
    frame["steady"] = rng.normal(0, 1, n)
    frame["city"] = rng.choice(["north's", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1])
    frame["score"] = 1 / (1 + np.exp(-(2.0 * frame["used"] + 0.5 * frame["steady"])))
    frame["prediction"] = (frame["score"] >= 0.5).astype(int)
    return frame


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A store whose production shifts `used` and `ignored` alike; the score only reads `used`."""
    from monitoring.ingest.pipeline import ingest_file

    rng = np.random.default_rng(3)
    folder = tmp_path_factory.mktemp("planted")
    store = Store(":memory:")
    reference = _frame(rng, 8000, "2026-01-01", 40)
    production = _frame(rng, 6000, "2026-03-01", 6, shift=0.6)
    production.loc[rng.random(len(production)) < 0.05, "steady"] = np.nan  # imputed by the PCA
    production.loc[rng.random(len(production)) < 0.05, "city"] = None
    for kind, frame in (("reference", reference), ("production", production)):
        path = folder / f"{kind}.parquet"
        frame.to_parquet(path, index=False)
        ingest_file(store, str(path), model="planted", kind=kind, overrides=ROLES)
    return store, production


def test_the_impact_ranking_puts_the_input_the_score_uses_first(planted):
    store, _ = planted
    report = build_report(store, ReportRequest("planted", window="day"))
    impact = [r for r in report["drift_impact"] if r["column"] is not None]
    for window in {r["window"] for r in impact}:
        mine = {r["column"]: r for r in impact if r["window"] == window}
        assert mine["used"]["rank"] == 1
        assert mine["ignored"]["drift"] > 1 and mine["used"]["drift"] > 1  # both drifted
        assert mine["used"]["importance"] > 0.5 > mine["ignored"]["importance"]
    importance = {r["column"]: r for r in report["feature_importance"]}
    assert importance["used"]["fit_metric"] == "r2_score" and importance["used"]["fit"] > 0.9
    assert importance["used"]["informative"] and importance["used"]["constant_fit"] == 0.0
    assert abs(sum(r["share"] for r in importance.values()) - 1) < 1e-9


def test_the_weighted_dataset_drift_is_the_sum_of_the_window_impacts(planted):
    store, _ = planted
    report = build_report(store, ReportRequest("planted", window="day"))
    for weighted in [r for r in report["drift_impact"] if r["column"] is None]:
        parts = [
            r["impact"] for r in report["drift_impact"] if r["window"] == weighted["window"] and r["column"]
        ]
        assert weighted["impact"] == pytest.approx(sum(parts)) and weighted["rank"] is None


def test_the_pca_reconstruction_error_per_window_equals_numpy_on_the_same_rows(planted):
    store, production = planted
    report = build_report(store, ReportRequest("planted", window="day"))
    records = [r for r in report["multivariate_drift"] if r["method"] == "pca_reconstruction"]
    assert len(records) == len(report["windows"]) == 6
    with store.connect() as con:
        context = make_context(con, ReportRequest("planted", window="day"))
        features = [c for c in comparable_columns(con, context.model) if c.role == "feature"]
        fit = reconstruction._fit(con, context, features)
    day = production["timestamp"].dt.floor("D")
    for record in records:
        start = pd.Timestamp(report.window(record["window"])["start"]).tz_localize(None)
        rows = production[day == start]
        assert record["rows"] == len(rows)
        assert record["statistic"] == pytest.approx(_numpy_errors(fit, rows).mean(), abs=1e-9)


def _numpy_errors(fit: dict, frame: pd.DataFrame) -> np.ndarray:
    """Reconstruction errors by numpy: frequency-encode, impute with the fill, standardise, project
    on the kept components and back, and measure the distance (the SQL uses the dropped ones)."""
    columns = [frame[c].to_numpy(dtype=float) for c in fit["numeric"]]
    for name in fit["categorical"]:
        listed = fit["frequencies"][name]
        columns.append(np.array([np.nan if pd.isna(v) else listed.get(v, 0.0) for v in frame[name]]))
    matrix = np.column_stack(columns)
    matrix = np.where(np.isnan(matrix), np.asarray(fit["fill"]), matrix)
    z = (matrix - np.asarray(fit["center"])) / np.asarray(fit["scale"])
    kept = np.asarray(fit["kept"])
    return np.linalg.norm(z - z @ kept.T @ kept, axis=1)


def _pairs(rng, n: int, start: str, days: int, linked: bool) -> pd.DataFrame:
    """height and weight each N(0, 1); with `linked` weight follows height closely, else it is
    independent of it; age is independent of both."""
    offsets = np.sort(rng.integers(0, days * 86400, n))
    height = rng.normal(0, 1, n)
    weight = 0.9 * height + np.sqrt(1 - 0.9**2) * rng.normal(0, 1, n) if linked else rng.normal(0, 1, n)
    frame = pd.DataFrame({"timestamp": pd.Timestamp(start) + pd.to_timedelta(offsets, unit="s")})
    frame["height"], frame["weight"], frame["age"] = height, weight, rng.normal(0, 1, n)
    frame["prediction"] = frame["height"] + frame["age"]
    return frame


@pytest.mark.parametrize("linked", [True, False])
def test_pca_drift_sees_a_broken_correlation_that_no_single_input_shows(tmp_path, linked):
    from monitoring.ingest.pipeline import ingest_file

    rng = np.random.default_rng(8)
    store = Store(":memory:")
    frames = {
        "reference": _pairs(rng, 10_000, "2026-01-01", 40, linked=True),
        "production": _pairs(rng, 6000, "2026-03-01", 6, linked=linked),
    }
    for kind, frame in frames.items():
        path = tmp_path / f"{kind}.parquet"
        frame.to_parquet(path, index=False)
        overrides = RoleOverrides(task="regression", timestamp="timestamp", prediction="prediction")
        ingest_file(store, str(path), model="pairs", kind=kind, overrides=overrides)
    report = build_report(store, ReportRequest("pairs", window="day"))
    pca = [r for r in report["multivariate_drift"] if r["method"] == "pca_reconstruction"]
    assert len(pca) == 6 and pca[0]["components"] == 2  # height and weight share one, age has its own
    assert [r["drifted"] for r in pca] == [not linked] * 6
    assert not any(r["drifted"] for r in report["drift"] if r["role"] == "feature")


def test_the_importances_and_the_pca_fit_are_kept_per_reference_version(planted):
    store, _ = planted
    build_report(store, ReportRequest("planted", window="day"))
    with store.connect() as con:
        rows = con.execute(
            "SELECT key, payload FROM summary_cache WHERE key LIKE 'importance:%' OR key LIKE 'pca%'"
        ).fetchall()
        kept = {key.split(":")[0] for key, _ in rows}
        assert {"importance", "pca", "pca-lines"} <= kept
        for key, payload in rows:  # mark every kept entry: a refit would replace it
            entry = json.loads(payload)
            con.execute(
                "UPDATE summary_cache SET payload = ? WHERE key = ?", [json.dumps({**entry, "mark": 1}), key]
            )
    build_report(store, ReportRequest("planted", window="day"))
    with store.connect() as con:
        marks = con.execute(
            "SELECT count(*) FROM summary_cache WHERE (key LIKE 'importance:%' OR key LIKE 'pca%') "
            "AND payload LIKE '%\"mark\": 1%'"
        ).fetchall()[0][0]
    assert marks == len(rows)


def test_multivariate_drift_can_be_switched_off(planted):
    from monitoring.catalog_api import save_settings
    from monitoring.settings import ModelSettings

    store, _ = planted
    save_settings(store, "planted", ModelSettings(window="day", multivariate_drift="none"))
    try:
        report = build_report(store, ReportRequest("planted"))
        assert report["multivariate_drift"] == []
    finally:
        save_settings(store, "planted", ModelSettings())


def test_the_correlation_ranking_is_scipy_pearson_r_against_the_performance_change():
    drift = [
        {"window": w, "column": c, "role": "feature", "method": "wasserstein", "statistic": s}
        for w, (a, b) in enumerate([(0.1, 0.3), (0.2, 0.1), (0.4, 0.2), (0.8, 0.1), (0.9, 0.3)])
        for c, s in (("a", a), ("b", b))
    ]
    values = [0.90, 0.88, 0.85, 0.80, 0.78]
    performance = [
        {"window": w, "metric": "accuracy_score", "kind": "realized", "value": v, "baseline": 0.9}
        for w, v in enumerate(values)
    ] + [{"window": 0, "metric": "accuracy_score", "kind": "estimated", "value": 0.5, "baseline": 0.9}]
    found = {r["column"]: r for r in ranking_records(drift, performance, "accuracy_score")}
    change = [abs(v - 0.9) for v in values]
    expected = stats.pearsonr([0.1, 0.2, 0.4, 0.8, 0.9], change)
    assert found["a"]["correlation"] == pytest.approx(expected.statistic, abs=1e-12)
    assert found["a"]["p_value"] == pytest.approx(expected.pvalue, abs=1e-12)
    assert found["a"]["rank"] == 1 and found["b"]["rank"] == 2 and found["a"]["windows"] == 5


def test_too_few_windows_give_no_correlation_ranking():
    drift = [
        {"window": w, "column": "a", "role": "feature", "method": "ks", "statistic": 0.1 * w}
        for w in range(MIN_WINDOWS - 1)
    ]
    performance = [
        {"window": w, "metric": "accuracy_score", "kind": "realized", "value": 0.9 - w / 10, "baseline": 0.9}
        for w in range(MIN_WINDOWS - 1)
    ]
    assert ranking_records(drift, performance, "accuracy_score") == []


def test_drift_is_one_at_the_line_for_distances_and_p_value_tests_alike():
    distance = {"method": "wasserstein", "statistic": 0.2, "threshold": 0.1, "p_value": None, "reason": ""}
    test = {"method": "ks", "statistic": 0.3, "threshold": 0.05, "p_value": 0.05, "reason": ""}
    calibrated = {**test, "statistic": 0.3, "threshold": 0.15, "reason": "calibrated on 12 reference chunks"}
    tiny = {**test, "p_value": 0.0}
    assert normalised_drift(distance) == pytest.approx(2.0)
    assert normalised_drift(test) == pytest.approx(1.0)
    assert normalised_drift(calibrated) == pytest.approx(2.0)
    assert normalised_drift(tiny) == 10.0  # capped: at large samples every p-value is tiny


def test_the_credit_demo_summary_names_the_planted_cause(demo_store):
    from monitoring.demo import CREDIT_STORY
    from monitoring.summary import drift_causes, drift_status, ignored_drift

    report = build_report(demo_store, ReportRequest("credit"))
    assert "credit_score drops suddenly" in CREDIT_STORY  # the planted shift the score depends on most
    sentence = drift_status(report).sentence
    assert "credit_score moved" in sentence and "matters most" in sentence and "attention" in sentence
    causes = drift_causes(report)
    assert causes[0]["column"] == "credit_score"
    assert "region" in ignored_drift(report)  # its new category moved, but the score does not read it


def test_a_surrogate_of_classes_reports_roc_auc_or_accuracy_when_a_class_is_missing_from_held_out_rows():
    from monitoring.drift.impact import fit_importance

    rng = np.random.default_rng(4)
    n = 2000
    sample = pd.DataFrame({"a": rng.normal(0, 1, n), "b": rng.choice(["x", "y"], n)})
    sample["__output"] = np.where(sample["a"] > 0, "yes", "no")
    found = fit_importance(sample, ["a"], ["b"], numeric_output=False)
    assert found["fit_metric"] == "roc_auc_score" and found["fit"] > 0.95
    assert found["share"][0] > 0.9  # the output reads `a` only
    rare = sample.copy()
    rare.loc[[1, 2, 3], "__output"] = "rare"  # rows 1-3 are all trained on (every 4th row is held out)
    assert fit_importance(rare, ["a"], ["b"], numeric_output=False)["fit_metric"] == "accuracy_score"


def test_grouped_reports_rank_impact_per_segment_and_other_baselines_fit_on_their_rows(planted):
    store, _ = planted
    grouped = build_report(store, ReportRequest("planted", window="day", by="city"))
    segments = {r["segment"] for r in grouped["drift_impact"]}
    assert None in segments and len(segments) == 6  # the whole population, four cities and missing
    for segment in segments - {"city is missing"}:  # about 50 rows a day: too few to rank on
        first = [r for r in grouped["drift_impact"] if r["segment"] == segment and r["rank"] == 1]
        assert {r["column"] for r in first} == {"used"}
    assert all(r["segment"] is None for r in grouped["multivariate_drift"] + grouped["feature_importance"])

    previous = build_report(store, ReportRequest("planted", window="day", baseline="previous"))
    assert len([r for r in previous["multivariate_drift"] if r["method"] == "pca_reconstruction"]) == 6
    period = build_report(
        store, ReportRequest("planted", window="day", baseline="period:2026-03-01..2026-03-02")
    )
    pca = [r for r in period["multivariate_drift"] if r["method"] == "pca_reconstruction"]
    assert pca and not any(r["drifted"] for r in pca)  # production against production: no shift
    assert {r["column"] for r in period["feature_importance"]} == {"used", "ignored", "steady", "city"}


def test_a_surrogate_no_better_than_a_constant_gives_no_shares_and_no_impact(tmp_path):
    """Scores drawn apart from the inputs: the stand-in's held-out R² is below 0, so its importances
    are noise; the report keeps the fit (to say why) but no shares and no impact."""
    from monitoring.drift.impact import fit_importance
    from monitoring.ingest.pipeline import ingest_file

    rng = np.random.default_rng(5)
    sample = pd.DataFrame({"a": rng.normal(0, 1, 4000), "b": rng.choice(["x", "y"], 4000)})
    sample["__output"] = rng.random(4000)
    found = fit_importance(sample, ["a"], ["b"], numeric_output=True)
    assert found["fit"] <= found["constant_fit"] == 0.0
    assert not found["informative"] and found["share"] == [None, None]

    store = Store(":memory:")
    for kind, start, shift in (("reference", "2026-01-01", 0.0), ("production", "2026-03-01", 0.6)):
        frame = _frame(rng, 4000, start, 10, shift)
        frame["score"] = rng.random(len(frame))  # the score reads none of the inputs
        frame.to_parquet(tmp_path / f"{kind}.parquet", index=False)
        ingest_file(store, str(tmp_path / f"{kind}.parquet"), model="noise", kind=kind, overrides=ROLES)
    report = build_report(store, ReportRequest("noise", window="day"))
    assert report["drift_impact"] == []
    importance = report["feature_importance"]
    assert importance and all(r["share"] is None and not r["informative"] for r in importance)
    assert importance[0]["fit"] <= 0.0
    assert any(r["statistic"] is not None for r in report["drift"])  # the drift itself is still there
