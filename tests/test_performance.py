import numpy as np
import pandas as pd
import pytest
from rounding import rounded
from sklearn import metrics

from monitoring.context import ReportRequest, make_context
from monitoring.demo import DAYS, SHIFT_DAY, START, UNLABELLED_DAYS
from monitoring.ingest.roles import RoleOverrides
from monitoring.performance.classes import positive_class
from monitoring.performance.metrics import (
    average_precision_from_counts,
    log_loss_from_counts,
    multiclass_scores,
    roc_auc_from_counts,
    score_counts,
)
from monitoring.performance.section import performance_section


def _binary_frame(rng, n, start="2024-01-01"):
    score = rng.random(n).round(2)  # many ties
    y = (rng.random(n) < score).astype(int)
    return pd.DataFrame(
        {
            "id": [f"{start}-{i}" for i in range(n)],
            "ts": pd.Timestamp(start) + pd.to_timedelta(np.arange(n), unit="min"),
            "x": rng.normal(size=n),
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "label": y,
        }
    )


BINARY = RoleOverrides(
    task="binary", id="id", timestamp="ts", score=["score"], prediction="prediction", target="label"
)


def _section(store, model, window="batch"):
    with store.connect() as con:
        context = make_context(con, ReportRequest(model, window=window))
        return performance_section(con, context), context


def _values(records, window, kind="realized"):
    return {r["metric"]: r for r in records if r["window"] == window and r["kind"] == kind}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["0", "1"], "1"),
        (["no", "yes"], "yes"),
        (["False", "True"], "True"),
        (["2", "10"], "10"),
        (["a", "b"], "b"),
    ],
)
def test_positive_class_rule(values, expected):
    assert positive_class(values) == expected


def test_binary_metrics_equal_sklearn_with_ties(store, ingest_frame):
    rng = np.random.default_rng(0)
    reference, production = _binary_frame(rng, 3000, "2023-06-01"), _binary_frame(rng, 4000)
    ingest_frame(store, production, model="m", kind="production", overrides=BINARY)
    ingest_frame(store, reference, model="m", kind="reference", overrides=BINARY)
    section, _ = _section(store, "m")
    got = _values(section["performance"], 0)
    for frame, field in ((production, "value"), (reference, "baseline")):
        y, s, p = frame["label"], frame["score"], frame["prediction"]
        expected = {
            "accuracy_score": metrics.accuracy_score(y, p),
            "precision_score": metrics.precision_score(y, p),
            "recall_score": metrics.recall_score(y, p),
            "f1_score": metrics.f1_score(y, p),
            "roc_auc_score": metrics.roc_auc_score(y, s),
            "average_precision_score": metrics.average_precision_score(y, s),
            "log_loss": metrics.log_loss(y, s),
        }
        for name, value in expected.items():
            assert got[name][field] == pytest.approx(value, abs=1e-9), name
    assert got["accuracy_score"]["labelled_rows"] == 4000
    cells = {(c["true"], c["predicted"]): c["count"] for c in section["confusion_matrix"]}
    matrix = metrics.confusion_matrix(production["label"], production["prediction"])
    assert [[cells[("0", "0")], cells[("0", "1")]], [cells[("1", "0")], cells[("1", "1")]]] == matrix.tolist()


@pytest.mark.parametrize("baseline", ["reference", "previous"])
def test_windows_computed_in_passes_give_the_records_of_one_pass(store, ingest_frame, monkeypatch, baseline):
    rng = np.random.default_rng(4)
    production = _binary_frame(rng, 4000)  # a row a minute: about three days
    production.loc[production.index[-1200:], "label"] = None  # the last day unlabelled: estimated
    ingest_frame(store, production, model="m", kind="production", overrides=BINARY)
    ingest_frame(store, _binary_frame(rng, 3000, "2023-06-01"), model="m", kind="reference", overrides=BINARY)

    def section(rows_per_pass):
        monkeypatch.setattr("monitoring.performance.section.ROWS_PER_PASS", rows_per_pass)
        with store.connect() as con:
            con.execute("DELETE FROM summary_cache")  # computed again, not read back
            context = make_context(con, ReportRequest("m", window="day", baseline=baseline))
            return performance_section(con, context)

    one_pass, a_day_a_pass = section(5_000_000), section(1)
    assert len({r["window"] for r in one_pass["performance"]}) == 3
    assert {r["kind"] for r in one_pass["performance"]} == {"realized", "estimated"}
    assert a_day_a_pass.keys() == one_pass.keys()
    for key, records in one_pass.items():
        differ = [(a, b) for a, b in zip(rounded(records), rounded(a_day_a_pass[key]), strict=True) if a != b]
        assert not differ, differ[:2]  # the first records that differ, whole


def test_score_metrics_from_counts_match_sklearn_on_extremes():
    rng = np.random.default_rng(3)
    s = np.r_[0.0, 1.0, rng.random(500).round(1)]
    y = np.r_[1, 0, (rng.random(500) < 0.4).astype(int)]
    ones = np.ones_like(s)
    assert roc_auc_from_counts(s, ones * y, ones * (1 - y)) == pytest.approx(
        metrics.roc_auc_score(y, s), abs=1e-12
    )
    assert average_precision_from_counts(s, y, 1 - y) == pytest.approx(
        metrics.average_precision_score(y, s), abs=1e-12
    )
    assert log_loss_from_counts(s, y, 1 - y) == pytest.approx(metrics.log_loss(y, s), rel=1e-9)
    assert roc_auc_from_counts([0.1, 0.2], [0, 0], [1, 1]) is None


def test_multiclass_metrics_equal_sklearn(store, ingest_frame):
    rng = np.random.default_rng(1)
    n = 3000
    y = rng.choice(["cat", "dog", "eel"], n, p=[0.5, 0.3, 0.2])
    p = np.where(rng.random(n) < 0.7, y, rng.choice(["cat", "dog", "eel"], n))
    frame = pd.DataFrame(
        {"id": [str(i) for i in range(n)], "x": rng.normal(size=n), "prediction": p, "label": y}
    )
    roles = RoleOverrides(task="multiclass", id="id", prediction="prediction", target="label")
    ingest_frame(store, frame, model="mc", kind="production", overrides=roles)
    got = _values(_section(store, "mc")[0]["performance"], 0)
    assert got["accuracy_score"]["value"] == pytest.approx(metrics.accuracy_score(y, p), abs=1e-12)
    for average in ("macro", "weighted"):
        for name, fn in (
            ("f1", metrics.f1_score),
            ("precision", metrics.precision_score),
            ("recall", metrics.recall_score),
        ):
            assert got[f"{name}_{average}_score"]["value"] == pytest.approx(
                fn(y, p, average=average), abs=1e-12
            )
    matrix = metrics.confusion_matrix(y, p)
    assert multiclass_scores(matrix)["f1_macro_score"] == pytest.approx(
        metrics.f1_score(y, p, average="macro")
    )


def test_regression_metrics_equal_sklearn_and_skip_zero_targets(store, ingest_frame):
    rng = np.random.default_rng(2)
    n = 2000
    y = rng.poisson(20, n).astype(float)
    y[:50] = 0.0
    p = y + rng.normal(1.0, 4.0, n)
    frame = pd.DataFrame(
        {"id": [str(i) for i in range(n)], "x": rng.normal(size=n), "prediction": p, "target": y}
    )
    roles = RoleOverrides(task="regression", id="id", prediction="prediction", target="target")
    ingest_frame(store, frame, model="r", kind="production", overrides=roles)
    got = _values(_section(store, "r")[0]["performance"], 0)
    nonzero = y != 0
    expected = {
        "mean_absolute_error": metrics.mean_absolute_error(y, p),
        "root_mean_squared_error": metrics.root_mean_squared_error(y, p),
        "mean_absolute_percentage_error": metrics.mean_absolute_percentage_error(y[nonzero], p[nonzero]),
        "r2_score": metrics.r2_score(y, p),
        "mean_residual": float(np.mean(p - y)),
    }
    for name, value in expected.items():
        assert got[name]["value"] == pytest.approx(value, rel=1e-9, abs=1e-9), name
    assert got["zero_target_rows"]["value"] == 50


def test_window_with_too_few_labels_reports_no_realized_value(store, ingest_frame):
    rng = np.random.default_rng(4)
    frame = _binary_frame(rng, 500)
    frame.loc[40:, "label"] = None
    ingest_frame(store, _binary_frame(rng, 2000, "2023-01-01"), model="m", kind="reference", overrides=BINARY)
    ingest_frame(store, frame, model="m", kind="production", overrides=BINARY)
    got = _values(_section(store, "m")[0]["performance"], 0)
    assert got["accuracy_score"]["value"] is None
    assert got["accuracy_score"]["labelled_rows"] == 40
    assert got["accuracy_score"]["baseline"] is not None


def test_demo_accuracy_drops_after_the_shift_and_unlabelled_days_are_estimated(demo_store):
    section, context = _section(demo_store, "credit", window="day")
    records = section["performance"]
    by_day = {w.index: (w.start - START).days for w in context.windows}
    realized = {
        by_day[r["window"]]: r for r in records if r["metric"] == "accuracy_score" and r["kind"] == "realized"
    }
    estimated = {
        by_day[r["window"]]: r
        for r in records
        if r["metric"] == "accuracy_score" and r["kind"] == "estimated"
    }
    baseline = realized[0]["baseline"]
    before = np.mean([realized[d]["value"] for d in range(SHIFT_DAY)])
    after = np.mean([realized[d]["value"] for d in range(SHIFT_DAY, DAYS - UNLABELLED_DAYS)])
    assert abs(before - baseline) < 0.02 and after < baseline - 0.05
    for day in range(DAYS - UNLABELLED_DAYS, DAYS):
        assert realized[day]["value"] is None and realized[day]["labelled_rows"] == 0
        assert estimated[day]["value"] is not None
        assert estimated[day]["lower"] <= estimated[day]["value"] <= estimated[day]["upper"]


def test_score_counts_merge_ties_and_return_merged_counts_as_they_are():
    scores, positives, negatives = [0.3, 0.1, 0.3, np.nan, 0.2], [1, 0, 1, 1, 0], [0, 1, 1, 0, 1]
    merged = score_counts(scores, positives, negatives)
    assert list(merged[0][:3]) == [0.1, 0.2, 0.3] and np.isnan(merged[0][3])
    assert list(merged[1]) == [0, 0, 2, 1] and list(merged[2]) == [1, 1, 1, 0]
    again = score_counts(*(a[:3] for a in merged))  # ascending and distinct: no second sort
    assert all(np.shares_memory(a, b[:3]) for a, b in zip(again, merged, strict=True))
    between = score_counts([0.1, np.nan, 0.2], [1, 1, 1], [0, 0, 0])  # a NaN between is not ascending
    assert list(between[0][:2]) == [0.1, 0.2] and np.isnan(between[0][2])
