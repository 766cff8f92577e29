"""Hardening (REDTEAM D7, D8, D16): reports of empty periods and empty columns, and strict JSON."""

import datetime
import json

import pytest
from hardening_setup import (
    ingester,
    make_model_m,
    model_frames,
    new_rows,
    open_alerts,
    report,
)

from monitoring.alerts.evaluate import evaluate_model
from monitoring.ingest.roles import RoleOverrides
from monitoring.windows import Period


@pytest.fixture
def put(tmp_path):
    return ingester(tmp_path)


@pytest.fixture
def model_m(store, put):
    return make_model_m(store, put)


# D7: a period without rows gives empty sections; D8: an empty prediction column is no crash


def section_sizes(found: dict) -> dict:
    """Records per section, leaving out alerts (the stored history) and freshness (one record on the
    clock, whatever the period)."""
    skip = ("alerts", "freshness")
    return {key: len(value) for key, value in found.items() if isinstance(value, list) and key not in skip}


@pytest.mark.parametrize(
    "period",
    [
        (datetime.datetime(2024, 3, 10), datetime.datetime(2024, 3, 1)),  # start after end
        (datetime.datetime(2025, 1, 1), None),  # after the data
        (None, datetime.datetime(2023, 1, 1)),  # before the data
    ],
)
@pytest.mark.parametrize("window", ["week", "batch", "rows:100"])
def test_a_period_without_production_rows_gives_a_report_with_empty_sections(model_m, period, window):
    found = report(model_m, period=Period(*period), window=window)
    assert set(section_sizes(found).values()) == {0} and "drift" in found and "performance" in found


def test_a_period_with_production_rows_but_no_labels_has_performance_without_values(model_m, put):
    april = new_rows("a", 40)
    april["timestamp"] = "2024-04-03 09:00:00"
    april["status"] = None
    put(model_m, april, "production")
    found = report(model_m, period=Period(datetime.datetime(2024, 4, 1)), window="day")
    assert len(found["windows"]) == 1 and found["drift"] and found["operations"]
    realized = [r for r in found["performance"] if r["kind"] == "realized"]
    assert realized and all(r["value"] is None and r["labelled_rows"] == 0 for r in realized)


@pytest.mark.parametrize("with_reference", [True, False])
def test_an_empty_prediction_column_does_not_crash_the_report(store, put, with_reference):
    reference, production = model_frames()
    if with_reference:
        put(store, reference, "reference", overrides=RoleOverrides(sensitive=["gender"]))
    part = production.head(200).drop(columns="target")
    part["prediction"] = ""
    put(store, part, "production", overrides=RoleOverrides(sensitive=["gender"]))
    found = report(store)
    realized = [r for r in found["performance"] if r["kind"] == "realized"]
    assert realized and all(r["value"] is None for r in realized)
    rates = [r for r in found["fairness"] if r["metric"] == "selection_rate"]
    assert rates and all(r["value"] == 0.0 for r in rates)
    put(store, production.head(200)[["id", "target"]], "labels")
    found = report(store)
    realized = [r for r in found["performance"] if r["kind"] == "realized"]
    assert max(r["labelled_rows"] for r in realized) > 0 and all(r["value"] is None for r in realized)


def test_a_status_column_empty_in_a_window_gives_an_error_rate_of_zero(model_m, put):
    part = new_rows("s", 40)
    part["status"] = ""
    put(model_m, part, "production", overrides=RoleOverrides(status="status"))
    found = report(model_m)
    errors = [r["value"] for r in found["operations"] if r["metric"] == "error_rate"]
    assert errors and all(v == 0.0 for v in errors)


# D16: the report is strict JSON


def strict_json(found: dict) -> str:
    return json.dumps(found, allow_nan=False, default=str)


def test_a_latency_of_inf_gives_a_report_that_is_strict_json(model_m, put):
    part = new_rows("i", 200)
    part["latency_ms"] = "inf"
    put(model_m, part, "production")
    evaluate_model(model_m, "M", notify=False)
    json.loads(strict_json(report(model_m)))
    assert not [m for m in open_alerts(model_m) if "inf ms" in m]


def test_non_finite_numbers_stored_by_an_older_version_become_null_in_the_report(model_m):
    with model_m.transaction() as con:
        con.execute("UPDATE m1_production SET latency_ms = 'inf'::DOUBLE WHERE id IN ('p1', 'p2')")
        con.execute("UPDATE m1_production SET latency_ms = 'nan'::DOUBLE WHERE id = 'p3'")
    found = report(model_m)
    json.loads(strict_json(found))
    assert None in [r["value"] for r in found["operations"] if r["metric"] == "latency_max"]
