"""Direct loss estimation for regression: checked against a simulation where the truth is known."""

import numpy as np
import pandas as pd
import pytest

from monitoring.context import ReportRequest, make_context
from monitoring.ingest.roles import RoleOverrides
from monitoring.performance import loss_estimation
from monitoring.performance.loss_estimation import encode, estimate_losses, fitted_models
from monitoring.report import build_report
from monitoring.store import estimation_sql

ROLES = RoleOverrides(task="regression", id="id", timestamp="ts", prediction="prediction", target="y")
DAYS = 20


def simulated(rng, n: int, start: str, days: int, shift: float = 0.0, level: float = 60.0) -> pd.DataFrame:
    """A regressor whose errors depend on its inputs: larger where |x0| is large and in group b."""
    x = rng.normal(size=(n, 3))
    x[:, 0] += shift
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    truth = level + 3 * x[:, 0] + 2 * np.sin(x[:, 1]) + np.where(group == "c", 4.0, 0.0)
    spread = 1 + 1.5 * np.abs(x[:, 0]) + np.where(group == "b", 2.0, 0.0)
    frame = pd.DataFrame(x, columns=["x0", "x1", "x2"])
    frame["group"] = group
    frame["prediction"] = (truth + 0.3 * x[:, 2]).round(3)
    frame["y"] = (truth + rng.normal(size=n) * spread).round(3)
    frame["id"] = [f"{start}-{i}" for i in range(n)]
    frame["ts"] = pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * (86400 * days / n), unit="s")
    return frame


@pytest.fixture(scope="module")
def shifted_report(tmp_path_factory):
    """20 days as the reference, then 10 days with x0 moved up one standard deviation (inside the
    reference's range, so the estimators have seen such rows: a shift the model handles)."""
    from monitoring.ingest.pipeline import ingest_file
    from monitoring.store import Store

    rng = np.random.default_rng(5)
    folder = tmp_path_factory.mktemp("dle")
    store = Store(":memory:")
    reference = simulated(rng, 30_000, "2023-01-01", 30)
    calm = simulated(rng, 40_000, "2024-01-01", DAYS)
    moved = simulated(rng, 20_000, "2024-01-21", 10, shift=1.0)
    for kind, frame in (("reference", reference), ("production", pd.concat([calm, moved]))):
        frame.to_parquet(folder / f"{kind}.parquet", index=False)
        ingest_file(store, str(folder / f"{kind}.parquet"), model="r", kind=kind, overrides=ROLES)
    return store, build_report(store, ReportRequest("r", window="day", sections=("performance",)))


def _pairs(report, metric: str) -> pd.DataFrame:
    frame = report.frame("performance")
    frame = frame[frame["metric"] == metric].pivot_table(
        index="window", columns="kind", values=["value", "lower", "upper"]
    )
    return pd.DataFrame(
        {
            "realized": frame[("value", "realized")],
            "estimated": frame[("value", "estimated")],
            "lower": frame[("lower", "estimated")],
            "upper": frame[("upper", "estimated")],
        }
    )


@pytest.mark.parametrize(
    "metric",
    [
        "mean_absolute_error",
        "root_mean_squared_error",
        "mean_squared_error",
        "mean_absolute_percentage_error",
    ],
)
def test_without_shift_the_realized_value_is_inside_the_band_in_nine_windows_of_ten(shifted_report, metric):
    pairs = _pairs(shifted_report[1], metric).iloc[:DAYS]
    inside = (pairs["lower"] <= pairs["realized"]) & (pairs["realized"] <= pairs["upper"])
    assert len(pairs) == DAYS and inside.mean() >= 0.9, pairs
    assert (pairs["lower"] < pairs["estimated"]).all() and (pairs["estimated"] < pairs["upper"]).all()


@pytest.mark.parametrize("metric", ["mean_absolute_error", "root_mean_squared_error"])
def test_under_a_shift_the_model_handles_the_estimate_moves_with_the_realized_value(shifted_report, metric):
    pairs = _pairs(shifted_report[1], metric)
    before, after = pairs.iloc[:DAYS].mean(), pairs.iloc[DAYS:].mean()
    realized_change = after["realized"] - before["realized"]
    estimated_change = after["estimated"] - before["estimated"]
    assert realized_change > 0.1 * before["realized"]  # the shift is real
    assert estimated_change > 0.5 * realized_change  # and the estimate follows it


def test_estimated_records_keep_the_performance_contract(shifted_report):
    records = [r for r in shifted_report[1].records("performance") if r["kind"] == "estimated"]
    assert records and all(
        set(r)
        == {"window", "metric", "value", "baseline", "change", "kind", "lower", "upper", "labelled_rows"}
        for r in records
    )
    assert {r["metric"] for r in records} == {
        "mean_absolute_error",
        "mean_squared_error",
        "root_mean_squared_error",
        "mean_absolute_percentage_error",
    }
    assert all(r["baseline"] is not None and r["labelled_rows"] > 0 for r in records)


def test_the_fitted_models_are_kept_in_the_store_and_read_back_without_refitting(shifted_report, monkeypatch):
    store = shifted_report[0]
    loss_estimation._LOADED.clear()  # as in a new process

    def refit(*args, **kwargs):
        raise AssertionError("the models were fitted again")

    monkeypatch.setattr(loss_estimation, "fit_loss_models", refit)
    with store.connect() as con:
        fitted = fitted_models(con, make_context(con, ReportRequest("r", window="day")))
    assert set(fitted["models"]) == {"absolute", "squared", "percentage"}
    assert fitted["rows"] <= loss_estimation.SAMPLE_ROWS and fitted["holdout"]["absolute"]["rows"] > 5000


def test_rows_are_scored_in_batches_encoded_as_the_fit_encodes_them(store, ingest_frame):
    rng = np.random.default_rng(1)
    frame = simulated(rng, 2500, "2024-01-01", 2)
    frame.loc[3, "group"] = None
    frame.loc[4, "group"] = "new"  # not listed: missing, as in the fit
    ingest_frame(store, frame, model="r", kind="production", overrides=ROLES)
    categories = {"group": ["b", "a"]}
    with store.connect() as con:
        context = make_context(con, ReportRequest("r", window="day"))
        source, params = context.production(con)
        batches = list(
            estimation_sql.scoring_batches(
                con,
                source,
                params,
                numeric=["x0", "x1", "x2"],
                categories=categories,
                prediction="prediction",
                rows=1000,
            )
        )
    assert [len(m) for _, m in batches] == [1000, 1000, 500]
    streamed = np.vstack([m for _, m in batches])
    expected = encode(frame.rename(columns={"prediction": "__prediction"}), ["x0", "x1", "x2"], categories)
    assert np.allclose(streamed, expected, equal_nan=True)
    assert np.isnan(streamed[3, 3]) and np.isnan(streamed[4, 3]) and streamed[0, 3] in (0.0, 1.0)


def test_band_hand_worked():
    holdout = {
        "absolute": {"rows": 400, "bias": 0.0, "sd": 2.0},
        "squared": {"rows": 400, "bias": 0.0, "sd": 8.0},
    }
    found = estimate_losses(100, [150.0, 900.0, 0.0], holdout)
    half = 1.959964 * 2.0 * np.sqrt(1 / 100 + 1 / 400)
    assert found["mean_absolute_error"] == pytest.approx((1.5, 1.5 - half, 1.5 + half))
    assert found["mean_squared_error"][0] == pytest.approx(9.0)
    assert found["root_mean_squared_error"][0] == pytest.approx(3.0)
    assert "mean_absolute_percentage_error" not in found  # no estimator for it: no estimate


def test_mape_is_not_estimated_when_a_few_targets_near_zero_dominate_it():
    rng = np.random.default_rng(2)
    near_zero = simulated(rng, 4000, "2023-01-01", 10, level=10.0)
    benign = simulated(rng, 4000, "2023-01-01", 10, level=30.0)
    for frame, estimated in ((near_zero, False), (benign, True)):
        frame = frame.rename(columns={"prediction": "__prediction", "y": "__target"})
        frame["__holdout"] = np.arange(len(frame)) % 4 == 0
        fitted = loss_estimation.fit_loss_models(frame, ["x0", "x1", "x2"], ["group"])
        assert ("percentage" in fitted["models"]) is estimated
