"""Multiclass confidence-based estimation: parity with scikit-learn, and a simulation where the truth
is known."""

import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import roc_auc_score

from monitoring.context import ReportRequest
from monitoring.ingest.roles import RoleOverrides
from monitoring.performance.metrics import multiclass_scores
from monitoring.performance.multiclass_estimation import (
    ESTIMATED_METRICS,
    _expected_matrix,
    _scores_of_matrices,
    fit_class_calibrations,
)
from monitoring.report import build_report
from monitoring.store.estimation_sql import GRID

CLASSES = ["c0", "c1", "c2"]
WEIGHTS = np.array([[1.5, -0.5, 0.3], [-0.8, 1.2, 0.4], [0.2, 0.3, -1.0]])
ROLES = RoleOverrides(
    task="multiclass",
    id="id",
    timestamp="ts",
    prediction="prediction",
    target="label",
    score=[f"proba_{c}" for c in CLASSES],
)
DAYS = 20


def simulated(rng, n: int, start: str, days: int, shift: float = 0.0) -> pd.DataFrame:
    """Labels drawn from softmax(x W); the model's probabilities are overconfident (softmax(1.7 x W))."""
    x = rng.normal(size=(n, 3))
    x[:, 0] += shift
    z = x @ WEIGHTS
    truth = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    label = (rng.random(n)[:, None] > np.cumsum(truth, axis=1)).sum(axis=1).clip(0, 2)
    scores = np.exp(1.7 * z) / np.exp(1.7 * z).sum(axis=1, keepdims=True)
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    for k, name in enumerate(CLASSES):
        frame[f"proba_{name}"] = scores[:, k].round(3)
    frame["prediction"] = np.array(CLASSES)[scores.argmax(axis=1)]
    frame["label"] = np.array(CLASSES)[label]
    frame["id"] = [f"{start}-{i}" for i in range(n)]
    frame["ts"] = pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * (86400 * days / n), unit="s")
    return frame


@pytest.fixture(scope="module")
def simulation(tmp_path_factory):
    """A 60k-row reference; 20 days of 3k rows like it, then 10 days with x0 moved up one standard
    deviation (a covariate shift: labels still follow the same softmax, which the model handles)."""
    from monitoring.ingest.pipeline import ingest_file
    from monitoring.store import Store

    rng = np.random.default_rng(3)
    folder = tmp_path_factory.mktemp("multiclass")
    store = Store(":memory:")
    reference = simulated(rng, 60_000, "2023-01-01", 30)
    calm = simulated(rng, 60_000, "2024-01-01", DAYS)
    moved = simulated(rng, 30_000, "2024-01-21", 10, shift=1.0)
    production = pd.concat([calm, moved])
    for kind, frame in (("reference", reference), ("production", production)):
        frame.to_parquet(folder / f"{kind}.parquet", index=False)
        ingest_file(store, str(folder / f"{kind}.parquet"), model="m", kind=kind, overrides=ROLES)
    report = build_report(store, ReportRequest("m", window="day", sections=("performance",)))
    return report, production


def _pairs(report, metric: str) -> pd.DataFrame:
    frame = report.frame("performance")
    wide = frame[frame["metric"] == metric].pivot_table(
        index="window", columns="kind", values=["value", "lower", "upper"]
    )
    return pd.DataFrame(
        {
            "realized": wide[("value", "realized")],
            "estimated": wide[("value", "estimated")],
            "lower": wide[("lower", "estimated")],
            "upper": wide[("upper", "estimated")],
        }
    )


@pytest.mark.parametrize("metric", ESTIMATED_METRICS)
def test_without_shift_the_realized_value_is_inside_the_band_in_nine_windows_of_ten(simulation, metric):
    pairs = _pairs(simulation[0], metric).iloc[:DAYS]
    inside = (pairs["lower"] <= pairs["realized"]) & (pairs["realized"] <= pairs["upper"])
    assert len(pairs) == DAYS and inside.mean() >= 0.9, pairs


@pytest.mark.parametrize("metric", ["accuracy_score", "f1_macro_score", "roc_auc_macro_score"])
def test_under_a_shift_the_model_handles_the_estimate_moves_with_the_realized_value(simulation, metric):
    pairs = _pairs(simulation[0], metric)
    before, after = pairs.iloc[:DAYS].mean(), pairs.iloc[DAYS:].mean()
    realized_change = after["realized"] - before["realized"]
    estimated_change = after["estimated"] - before["estimated"]
    assert abs(realized_change) > 0.01  # the shift is real
    assert np.sign(estimated_change) == np.sign(realized_change)
    assert abs(estimated_change) > 0.5 * abs(realized_change)


def test_realized_macro_roc_auc_equals_sklearn_one_vs_rest(simulation):
    report, production = simulation
    first_day = production[production["ts"] < pd.Timestamp("2024-01-02")]
    expected = np.mean(
        [roc_auc_score(first_day["label"] == c, first_day[f"proba_{c}"]) for c in CLASSES]
    )  # what roc_auc_score(multi_class="ovr", average="macro") computes
    found = _pairs(report, "roc_auc_macro_score")["realized"].iloc[0]
    assert found == pytest.approx(expected, abs=1e-12)  # scores with 3 decimals: exact


def test_class_calibrations_equal_isotonic_on_every_row():
    rng = np.random.default_rng(4)
    frame = simulated(rng, 5000, "2023-01-01", 1)
    steps = {k: np.round(frame[f"proba_{c}"].to_numpy() * GRID).astype(int) for k, c in enumerate(CLASSES, 1)}
    counts = {"k": [], "step": [], "positives": [], "labelled": []}
    for k, c in enumerate(CLASSES, 1):
        for step in np.unique(steps[k]):
            rows = steps[k] == step
            counts["k"].append(k)
            counts["step"].append(step)
            counts["positives"].append(int((frame["label"][rows] == c).sum()))
            counts["labelled"].append(int(rows.sum()))
    calibrated = fit_class_calibrations({key: np.array(v) for key, v in counts.items()}, CLASSES)
    for k, c in enumerate(CLASSES):
        direct = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
        direct.fit(frame[f"proba_{c}"], frame["label"] == c)
        assert np.allclose(calibrated[k], direct.predict(np.arange(GRID + 1) / GRID), atol=1e-12)


def test_expected_confusion_matrix_hand_worked():
    # rows predicted c0 (j=1): 10 rows whose probabilities sum to (7, 2, 1); predicted c2: (1, 1, 3)
    part = {
        "j": np.array([1, 1, 1, 3, 3, 3]),
        "k": np.array([1, 2, 3, 1, 2, 3]),
        "p": np.array([7.0, 2.0, 1.0, 1.0, 1.0, 3.0]),
    }
    matrix = _expected_matrix(part, 3)
    assert matrix.tolist() == [[7, 0, 1], [2, 0, 1], [1, 0, 3]]
    assert multiclass_scores(matrix)["accuracy_score"] == pytest.approx(10 / 15)


def test_metrics_of_a_stack_of_matrices_equal_those_of_each():
    rng = np.random.default_rng(5)
    stack = rng.integers(0, 20, size=(30, 4, 4)).astype(float)
    stack[3, :, 2] = 0  # a class never predicted
    stack[4, 1, :] = stack[4, :, 1] = 0  # a class absent altogether
    found = _scores_of_matrices(stack)
    for i, matrix in enumerate(stack):
        for name, value in multiclass_scores(matrix).items():
            assert found[name][i] == pytest.approx(value), (i, name)


def test_estimated_records_keep_the_performance_contract(simulation):
    records = [r for r in simulation[0].records("performance") if r["kind"] == "estimated"]
    assert {r["metric"] for r in records} == set(ESTIMATED_METRICS)
    assert all(r["lower"] <= r["value"] <= r["upper"] and r["baseline"] is not None for r in records)


def test_a_class_without_its_probability_column_means_no_estimate(store, ingest_frame):
    rng = np.random.default_rng(6)
    frame = simulated(rng, 3000, "2024-01-01", 2).drop(columns="proba_c2")
    roles = RoleOverrides(**{**ROLES.__dict__, "score": ["proba_c0", "proba_c1"]})
    ingest_frame(store, frame, model="m", kind="reference", overrides=roles)
    ingest_frame(store, frame, model="m", kind="production", overrides=roles)
    report = build_report(store, ReportRequest("m", window="day", sections=("performance",)))
    kinds = {r["kind"] for r in report.records("performance")}
    metrics = {r["metric"] for r in report.records("performance")}
    assert kinds == {"realized"} and "roc_auc_macro_score" not in metrics
