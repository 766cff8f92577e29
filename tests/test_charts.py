"""Chart builders: valid Vega-Lite specs over report-shaped records, with the encodings pages rely on."""

import pandas as pd
import pytest

from monitoring import charts
from monitoring.distributions import column_distribution
from monitoring.report import ReportRequest, build_report


@pytest.fixture(scope="module")
def credit_report(demo_store):
    return build_report(demo_store, ReportRequest("credit", window="week"))


def test_drift_heatmap_has_a_cell_selection_and_one_rect_per_column_window(credit_report):
    drift = credit_report.frame("drift")
    features = drift[drift["role"] == "feature"]
    spec = charts.drift_heatmap(features).to_dict()
    assert spec["params"][0]["name"] == "cell"
    assert spec["params"][0]["select"]["fields"] == ["column", "window"]
    assert spec["mark"]["type"] == "rect"
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert len(data) == features["column"].nunique() * len(credit_report["windows"])
    # the colour is the statistic over its threshold for distances: 1 means "on the line"
    distances = data[data["p_value"].isna()]
    assert (distances["score"] - distances["statistic"] / distances["threshold"]).abs().max() < 1e-12


def test_distribution_overlay_shares_sum_to_one(demo_store, credit_report):
    last = credit_report["windows"][-1]["index"]
    dist = column_distribution(demo_store, ReportRequest("credit", window="week"), "income", last)
    sums = dist.shares.groupby("series")["share"].sum()
    assert sums.round(9).tolist() == [1.0, 1.0]
    spec = charts.distribution_overlay(dist.shares, dist.kind).to_dict()
    assert spec["encoding"]["x"]["bin"] == "binned"
    categorical = column_distribution(demo_store, ReportRequest("credit", window="week"), "region", last)
    shares = categorical.shares.set_index(["series", "bin"])["share"]
    assert {"north", "south", "east", "west"} <= set(categorical.shares["bin"])
    # a category the reference never had (the demo plants 'online') shows with a zero reference bar
    assert shares[("reference", "online")] == 0 and categorical.shares["series"].nunique() == 2
    spec = charts.distribution_overlay(categorical.shares, "categorical").to_dict()
    assert spec["encoding"]["xOffset"]["field"] == "series"


def test_distribution_quantiles_match_numpy_within_a_bin(demo_store):
    from monitoring.demo import credit_frames

    reference, _, _ = credit_frames()
    dist = column_distribution(demo_store, ReportRequest("credit", window="week"), "age", 0)
    for q, value in zip(dist.quantiles["quantile"], dist.quantiles["reference"], strict=True):
        exact = reference["age"].quantile(q)
        assert abs(value - exact) <= 1.0  # ages are whole years: within one year of the exact quantile


def test_latency_and_bar_charts_draw_the_objective_and_windows(credit_report):
    ops = credit_report.frame("operations")
    latency = ops[ops["metric"].isin(["latency_p50", "latency_p95", "latency_p99"])]
    spec = charts.latency_chart(latency, 500.0).to_dict()
    rule = spec["layer"][1]
    assert rule["mark"]["type"] == "rule"
    assert next(iter(spec["datasets"].values())) is not None
    bars = charts.bars_over_time(ops[ops["metric"] == "error_rate"], "Error rate", percent=True).to_dict()
    assert bars["encoding"]["x"]["field"] == "label" and bars["encoding"]["y"]["axis"]["format"] == "%"


def test_group_bars_draw_the_four_fifths_line_at_80_percent_of_the_highest_rate():
    frame = pd.DataFrame(
        {"group": ["a", "b"], "value": [0.5, 0.3], "count": [100, 100], "flag": [None, None]}
    )
    spec = charts.group_bars(frame, "selection_rate", True).to_dict()
    datasets = list(spec["datasets"].values())
    assert any(d == [{"x": 0.4, "text": "four-fifths line"}] for d in datasets)


def test_confusion_matrix_and_timeline_render_to_svg(credit_report):
    import vl_convert as vlc

    matrix = pd.DataFrame(credit_report["confusion_matrix"])
    svg = vlc.vegalite_to_svg(charts.confusion_matrix(matrix[matrix["window"] == 0]).to_dict())
    assert svg.startswith("<svg") and "Predicted" in svg
    alerts = pd.DataFrame(
        {
            "rule": ["p95 latency"],
            "severity": ["high"],
            "status": ["open"],
            "message": ["slow"],
            "first_seen": ["2024-04-03"],
            "last_seen": ["2024-04-04"],
        }
    )
    assert vlc.vegalite_to_svg(charts.alert_timeline(alerts).to_dict()).startswith("<svg")
