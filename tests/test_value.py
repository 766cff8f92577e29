"""Business value: the value matrix setting, the `business_value` records and their alert rules."""

import numpy as np
import pandas as pd
import pytest

from monitoring import catalog_api
from monitoring.alerts.findings import evaluate
from monitoring.alerts.rules import Rule
from monitoring.context import ReportRequest
from monitoring.errors import InputError
from monitoring.ingest.roles import RoleOverrides
from monitoring.performance.value import cell_values, check_fits_task
from monitoring.report import Report, build_report
from monitoring.settings import ModelSettings

BINARY = {"true_positive": 5.0, "false_positive": -2.0, "false_negative": -10.0, "true_negative": 1.0}
RECORD_FIELDS = {"window", "kind", "value", "baseline", "lower", "upper"}


@pytest.mark.parametrize(
    "matrix, message",
    [
        ([1, 2], "must be a JSON object"),
        ({"true_positive": "5"}, "true_positive must be a number"),
        ({"cost_per_unit_error": 1, "true_positive": 2}, "stands alone"),
        ({"yes": 3}, "must map predicted classes to values"),
        ({"yes": {"no": float("nan")}}, "true 'yes', predicted 'no' must be a number"),
    ],
)
def test_a_value_matrix_of_no_known_form_is_refused_saying_the_forms(matrix, message):
    with pytest.raises(InputError, match=message) as refused:
        ModelSettings(value_matrix=matrix)
    assert "cost_per_unit_error" in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    "matrix, task, message",
    [
        (BINARY, "regression", "a regression's value matrix is"),
        ({"cost_per_unit_error": 2}, "binary", "for regression models, this one is binary"),
        (BINARY, "multiclass", "true_positive and the like are for binary models"),
    ],
)
def test_a_value_matrix_must_fit_the_task(matrix, task, message):
    with pytest.raises(InputError, match=message):
        check_fits_task(matrix, task)


def test_cells_of_the_binary_and_the_general_forms():
    assert cell_values(BINARY, ["0", "1"], "1").tolist() == [[1.0, -2.0], [-10.0, 5.0]]
    general = {"a": {"a": 3, "b": -1}, "c": {"a": -4}, "unknown": {"a": 9}}
    assert cell_values(general, ["a", "b", "c"], None).tolist() == [[3, -1, 0], [0, 0, 0], [-4, 0, 0]]
    assert cell_values({}, ["0", "1"], "1") is None


def _binary_frames(rng, n: int, start: str, labelled: bool = True) -> pd.DataFrame:
    score = rng.random(n).round(3)
    return pd.DataFrame(
        {
            "id": [f"{start}-{i}" for i in range(n)],
            "ts": pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * 20, unit="s"),
            "x": rng.normal(size=n),
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "label": (rng.random(n) < score).astype(int) if labelled else np.full(n, None),
        }
    )


@pytest.fixture(scope="module")
def valued(tmp_path_factory):
    """A binary model with a value matrix: a reference, a labelled day and an unlabelled day."""
    from monitoring.ingest.pipeline import ingest_file
    from monitoring.store import Store

    rng = np.random.default_rng(8)
    folder = tmp_path_factory.mktemp("value")
    store = Store(":memory:")
    roles = RoleOverrides(
        task="binary", id="id", timestamp="ts", score=["score"], prediction="prediction", target="label"
    )
    reference = _binary_frames(rng, 6000, "2023-01-01")
    production = pd.concat(
        [_binary_frames(rng, 4000, "2024-01-01"), _binary_frames(rng, 4000, "2024-01-02", False)]
    )
    for kind, frame in (("reference", reference), ("production", production)):
        frame.to_parquet(folder / f"{kind}.parquet", index=False)
        ingest_file(store, str(folder / f"{kind}.parquet"), model="b", kind=kind, overrides=roles)
    settings = catalog_api.get_model(store, "b").settings
    catalog_api.save_settings(
        store, "b", ModelSettings.from_dict({**settings.to_dict(), "value_matrix": BINARY})
    )
    report = build_report(store, ReportRequest("b", window="day"))
    return report, reference, production


def _worth(frame: pd.DataFrame) -> float:
    y, p = frame["label"].astype(int), frame["prediction"]
    cells = {
        (1, 1): "true_positive",
        (0, 1): "false_positive",
        (1, 0): "false_negative",
        (0, 0): "true_negative",
    }
    return float(sum(BINARY[name] * ((y == t) & (p == q)).sum() for (t, q), name in cells.items()))


def test_realized_value_sums_the_matrix_over_the_labelled_rows_against_the_reference_per_row(valued):
    report, reference, production = valued
    records = {(r["window"], r["kind"]): r for r in report.records("business_value")}
    assert all(set(r) == RECORD_FIELDS for r in records.values())
    first = production[production["ts"] < pd.Timestamp("2024-01-02")]
    realized = records[(0, "realized")]
    assert realized["value"] == pytest.approx(_worth(first))
    assert realized["baseline"] == pytest.approx(_worth(reference) / len(reference) * len(first))
    assert realized["lower"] is None and records[(1, "realized")]["value"] is None  # no labels yet


def test_estimated_value_has_a_band_that_holds_the_realized_one(valued):
    report, reference, production = valued
    records = {(r["window"], r["kind"]): r for r in report.records("business_value")}
    for window in (0, 1):
        estimated = records[(window, "estimated")]
        assert estimated["lower"] < estimated["value"] < estimated["upper"]
        assert estimated["baseline"] == pytest.approx(_worth(reference) / len(reference) * 4000)
    assert (
        records[(0, "estimated")]["lower"]
        <= records[(0, "realized")]["value"]
        <= records[(0, "estimated")]["upper"]
    )


def test_without_a_value_matrix_there_are_no_business_value_records(demo_store):
    # the demo sets value matrices; a model without one is simulated by the request's sections
    report = build_report(demo_store, ReportRequest("credit", sections=("performance",)))
    assert "business_value" not in report
    assert build_report(demo_store, ReportRequest("credit", sections=("business_value",)))["business_value"]


def test_regression_value_is_minus_the_cost_of_the_absolute_errors(demo_store):
    from monitoring.demo import VALUE_MATRICES, bike_frames

    cost = VALUE_MATRICES["bikes"]["cost_per_unit_error"]
    report = build_report(demo_store, ReportRequest("bikes", window="month"))
    _, production = bike_frames()
    month = production[production["timestamp"].dt.month == 2]
    realized = next(
        r for r in report.records("business_value") if r["window"] == 0 and r["kind"] == "realized"
    )
    assert realized["value"] == pytest.approx(-cost * (month["prediction"] - month["cnt"]).abs().sum())
    estimated = next(
        r for r in report.records("business_value") if r["window"] == 0 and r["kind"] == "estimated"
    )
    mae = next(
        r
        for r in report.records("performance")
        if r["window"] == 0 and r["kind"] == "estimated" and r["metric"] == "mean_absolute_error"
    )
    assert estimated["value"] == pytest.approx(-cost * len(month) * mae["value"])
    assert estimated["lower"] == pytest.approx(-cost * len(month) * mae["upper"])


def _value_report(records) -> Report:
    windows = [
        {"index": i, "start": f"2024-11-{4 + 7 * i:02d}T00:00:00", "end": None, "rows": 10} for i in range(2)
    ]
    return Report(
        {"model": "m", "task": "binary", "window": "week", "windows": windows, "business_value": records}
    )


def test_a_business_value_drop_alert_judges_an_estimate_by_the_upper_side_of_its_band():
    rule = Rule("value", "business_value_drop", ">", 10.0, "high")
    records = [
        {"window": 0, "kind": "realized", "value": 850.0, "baseline": 1000.0, "lower": None, "upper": None},
        {
            "window": 1,
            "kind": "estimated",
            "value": 850.0,
            "baseline": 1000.0,
            "lower": 700.0,
            "upper": 950.0,
        },
        {"window": 1, "kind": "realized", "value": None, "baseline": None, "lower": None, "upper": None},
    ]
    found = evaluate(_value_report(records), [rule])
    assert [f.scope for f in found] == [""]  # the realized drop of 15%; the band reaches 5% short
    assert (
        found[0].message
        == "Business value was 850, 15.0% worse than its baseline of 1,000, in the week of 4 Nov 2024"
    )
    records[1]["upper"] = 880.0
    found = evaluate(_value_report(records), [rule])
    assert [f.scope for f in found] == ["", "estimated"]
    assert found[1].message.startswith(
        "Estimated business value was 850 (band 700 to 880), at least 12.0% worse than its baseline of 1,000"
    )


def test_a_performance_drop_alert_on_an_estimate_fires_only_when_its_whole_band_is_past_the_line():
    rule = Rule("drop", "performance_drop", ">", 5.0, "critical")

    def records(upper: float) -> list[dict]:
        return [
            {
                "window": 0,
                "metric": "mean_absolute_error",
                "value": 12.0,
                "baseline": 10.0,
                "change": 2.0,
                "kind": "estimated",
                "lower": 10.4,
                "upper": upper,
                "labelled_rows": 0,
            }
        ]

    windows = [{"index": 0, "start": "2024-11-04T00:00:00", "end": None, "rows": 10}]
    near = Report(
        {
            "model": "m",
            "task": "regression",
            "window": "week",
            "windows": windows,
            "performance": records(13.0),
        }
    )
    assert evaluate(near, [rule]) == []  # 20% above the baseline, but the band starts 4% above
    windows_far = records(13.0)
    windows_far[0]["lower"] = 10.8
    far = Report(
        {"model": "m", "task": "regression", "window": "week", "windows": windows, "performance": windows_far}
    )
    (found,) = evaluate(far, [rule])
    assert found.value == pytest.approx(8.0) and found.scope == "mean_absolute_error/estimated"
    assert "(band 10.80 to 13.00), at least 8.0% above its baseline of 10.00" in found.message


@pytest.mark.parametrize(
    "value, baseline, kind, sentence",
    [
        (
            41_300.0,
            52_000.0,
            "realized",
            "In the week of 11 Nov 2024 the model earned 41,300 against 52,000 expected.",
        ),
        (
            -3_100.0,
            -2_800.0,
            "realized",
            "In the week of 11 Nov 2024 the model cost 3,100 against 2,800 expected.",
        ),
        (
            -500.0,
            2_000.0,
            "estimated",
            "In the week of 11 Nov 2024 the model cost an estimated 500 where it was expected to earn 2,000.",
        ),
    ],
)
def test_the_summary_headline_says_what_the_latest_window_earned(value, baseline, kind, sentence):
    from monitoring.summary import value_headline

    records = [
        {"window": 0, "kind": "realized", "value": 10.0, "baseline": 9.0, "lower": None, "upper": None},
        {"window": 1, "kind": kind, "value": value, "baseline": baseline, "lower": None, "upper": None},
    ]
    found = value_headline(_value_report(records))
    assert found["sentence"] == sentence and found["window"] == 1
    assert value_headline(_value_report([])) is None


def test_the_value_chart_is_strict_json_with_windows_lacking_values(valued):
    # a NaN in a chart's data made the HTML report's JSON.parse fail and stop drawing the charts after it
    import json

    from monitoring import charts

    report = valued[0]
    frame = report.frame("business_value")
    assert frame["value"].isna().any()
    spec = json.dumps(charts.value_over_time(frame).to_dict(), allow_nan=False)
    assert '"kind": "baseline"' in spec


def test_amounts_on_a_metric_card_stay_short():
    from monitoring.summary import compact

    assert [compact(v) for v in (3842.4, -9999.0, -621_669.0, 1_234_567.0)] == [
        "+3,842",
        "-9,999",
        "-622k",
        "+1.2M",
    ]
