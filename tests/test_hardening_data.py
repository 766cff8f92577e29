"""Hardening (REDTEAM D1, D2): a new column is a schema change every report survives; NaN and
infinite numbers are stored as missing."""

import datetime
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hardening_setup import (
    drift_of,
    ingester,
    make_model_m,
    model_frames,
    new_rows,
    open_alerts,
    report,
)

from monitoring import catalog_api
from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.ingest.roles import RoleOverrides


@pytest.fixture
def put(tmp_path):
    return ingester(tmp_path)


@pytest.fixture
def model_m(store, put):
    return make_model_m(store, put)


# D1: a new column is a schema change that every report survives


def test_a_production_csv_with_new_numeric_and_categorical_columns_keeps_every_report_working(model_m, put):
    part = new_rows("n")
    part["channel"], part["basket"] = "web", np.arange(len(part)) * 1.5
    result = put(model_m, part, "production")
    assert {c for c, change, _ in result.schema_changes if change == "added"} == {"channel", "basket"}
    found = report(model_m)
    assert not drift_of(found, "channel") and not drift_of(found, "basket")  # not in the reference
    assert [r["statistic"] for r in drift_of(found, "age")][-1] > 0.1
    assert {r["column"] for r in found["schema_changes"]} == {"channel", "basket"}
    missing = [
        r for r in found["data_quality"] if r["column"] == "channel" and r["metric"] == "missing_share"
    ]
    assert missing and all(r["value"] in (0.0, None) for r in missing)  # older rows never had it
    evaluate_model(model_m, "M", notify=False)
    assert not [a for a in list_alerts(model_m, "M") if "channel" in a["message"]]


def test_deleting_the_batch_that_added_a_column_takes_the_column_off_the_model(model_m, put):
    part = new_rows("n")
    part["channel"] = "web"
    batch = put(model_m, part, "production").batch_id
    catalog_api.delete_batch(model_m, "M", batch)
    assert "channel" not in {c.name for c in catalog_api.get_model(model_m, "M").columns}
    found = report(model_m)
    assert not [r for r in found["data_quality"] if r["column"] == "channel"]
    assert found["drift"] and found["performance"]


def test_a_new_reference_column_is_left_out_of_production_sections(model_m, put):
    reference, _ = model_frames(seed=2)
    reference["id"] = "x" + reference["id"]
    reference["channel"] = "web"
    put(model_m, reference, "reference")
    found = report(model_m)
    assert not drift_of(found, "channel")
    assert not [r for r in found["data_quality"] if r["column"] == "channel"]


def parquet_with_new_types(rows: int = 100) -> pa.Table:
    table = pa.Table.from_pandas(new_rows("q", rows), preserve_index=False)
    extra = {
        "lst": pa.array([[i, i + 1] for i in range(rows)], pa.list_(pa.int64())),
        "st": pa.array(
            [{"a": i, "b": "x"} for i in range(rows)], pa.struct([("a", pa.int64()), ("b", pa.string())])
        ),
        "mp": pa.array([[("k", i)] for i in range(rows)], pa.map_(pa.string(), pa.int64())),
        "dec": pa.array([decimal.Decimal(f"{i}.25") for i in range(rows)], pa.decimal128(10, 2)),
        "dec38": pa.array([decimal.Decimal(f"{i}.123456789") for i in range(rows)], pa.decimal128(38, 9)),
        "tm": pa.array([datetime.time(i % 24, 0) for i in range(rows)], pa.time64("us")),
        "dt": pa.array([datetime.date(2024, 3, 1 + i % 28) for i in range(rows)], pa.date32()),
        "u64": pa.array(list(range(rows)), pa.uint64()),
    }
    for name, values in extra.items():
        table = table.append_column(name, values)
    return table


def test_parquet_nested_decimal_time_date_and_uint64_columns_are_stored_and_reports_survive(model_m, put):
    result = put(model_m, parquet_with_new_types(), "production", name="types.parquet")
    kinds = {c.name: (c.role, c.kind) for c in result.columns}
    assert kinds["lst"] == kinds["st"] == kinds["mp"] == ("feature", "categorical")
    assert kinds["dec"] == kinds["dec38"] == kinds["u64"] == ("feature", "numeric")
    assert kinds["dt"] == ("feature", "categorical")  # the model already has its timestamp
    assert [c.name for c in result.columns if c.role == "timestamp"] == ["timestamp"]
    with model_m.connect() as con:
        stored = con.execute(
            "SELECT lst, st, mp, dec FROM m1_production WHERE lst IS NOT NULL ORDER BY dec LIMIT 1"
        ).fetchall()
    assert stored == [("[0,1]", '{"a":0,"b":"x"}', '{"k":0}', 0.25)]  # nested values as JSON text
    found = report(model_m)
    assert found["drift"] and found["performance"] and found["data_quality"]
    part = put(model_m, parquet_with_new_types(), "production", name="types.parquet")
    assert part.duplicate_of == result.batch_id


def test_the_first_production_file_bringing_the_prediction_the_reference_lacked_keeps_reports_working(
    store, put
):
    reference, production = model_frames()
    put(store, reference.drop(columns=["prediction", "score"]), "reference")
    result = put(store, production.drop(columns=["score", "target"]), "production")
    assert ("prediction", "added") in {(c, change) for c, change, _ in result.schema_changes}
    found = report(store)
    assert not [r for r in found["drift"] if r["role"] == "prediction"]  # the reference has none
    assert drift_of(found, "age")
    assert {r["metric"] for r in found["operations"]} >= {"prediction_count"}


# D2: NaN, inf, -inf and 1e400 are stored as missing, never switch drift off, never crash


def test_one_nan_row_in_a_drifting_week_keeps_the_drift_alert_open(model_m, put):
    evaluate_model(model_m, "M", notify=False)
    assert [m for m in open_alerts(model_m) if "'age' drifted" in m]
    row = new_rows("x", 1)
    row["timestamp"], row["age"] = "2024-03-12 10:00:00", "NaN"
    put(model_m, row, "production")
    result = evaluate_model(model_m, "M", notify=False)
    assert not result.resolved
    assert [m for m in open_alerts(model_m) if "'age' drifted" in m]
    age = drift_of(report(model_m), "age")
    assert all(r["statistic"] is not None for r in age) and age[-1]["drifted"]


@pytest.mark.parametrize("run", range(3))
def test_a_reference_with_one_nan_gives_a_finite_drift_statistic_in_every_window(store, put, run):
    reference, production = model_frames(seed=run)
    reference = reference.astype({"age": object, "income": object})
    reference.loc[0, "age"], reference.loc[1, "income"] = "NaN", "inf"
    put(store, reference, "reference")
    put(store, production.drop(columns="target"), "production")
    found = report(store, sections=("drift",))
    for column in ("age", "income"):
        statistics = [r["statistic"] for r in drift_of(found, column)]
        assert statistics and all(s is not None and np.isfinite(s) for s in statistics)


def ieee_parquet(frame: pd.DataFrame, values: dict[str, list]) -> pa.Table:
    """`frame` as an Arrow table whose first rows of some float columns hold IEEE values."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name, head in values.items():
        column = [*head, *frame[name].iloc[len(head) :].astype(float)]
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(column, pa.float64()))
    return table


def test_ieee_nan_and_infinities_in_parquet_are_stored_as_missing_and_counted(model_m, put):
    part = new_rows("i", 300)
    nan, inf = float("nan"), float("inf")
    table = ieee_parquet(part, {"age": [nan, inf, -inf], "score": [inf, nan], "latency_ms": [inf] * 300})
    put(model_m, table, "production", name="ieee.parquet")
    with model_m.connect() as con:
        stored = con.execute(
            "SELECT count(age), count(score), count(latency_ms) FROM m1_production WHERE id LIKE 'i%'"
        ).fetchall()
    assert stored == [(297, 298, 0)]
    found = report(model_m)
    for column in ("age", "score"):
        assert all(r["statistic"] is not None for r in drift_of(found, column))
    latency = [r for r in found["operations"] if r["metric"] == "latency_p95"]
    assert all(r["value"] is None or np.isfinite(r["value"]) for r in latency)


def test_a_column_that_is_nan_text_everywhere_reports_missing_share_one(model_m, put):
    part = new_rows("a", 300)
    part["income"] = "NaN"
    part["timestamp"] = "2024-04-02 10:00:00"
    put(model_m, part, "production")
    found = report(model_m, window="month")
    april = [w["index"] for w in found["windows"] if w["start"].startswith("2024-04")]
    income = [
        r
        for r in found["data_quality"]
        if r["column"] == "income" and r["metric"] == "missing_share" and r["window"] in april
    ]
    assert [r["value"] for r in income] == [1.0]


def test_infinite_regression_predictions_and_targets_are_stored_as_missing(store, put):
    frame = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(50)],
            "timestamp": "2024-03-01 10:00:00",
            "x": np.arange(50) * 1.5,
            "prediction": ["inf", "NaN", "-inf", "1e400"] + [f"{i}.5" for i in range(46)],
        }
    )
    put(store, frame, "production", overrides=RoleOverrides(task="regression"))
    labels = pd.DataFrame({"id": frame["id"], "target": ["1e400"] + [f"{i}.25" for i in range(49)]})
    put(store, labels, "labels")
    with store.connect() as con:
        found = con.execute(
            "SELECT (SELECT count(prediction) FROM m1_production), (SELECT count(target) FROM m1_labels)"
        ).fetchall()
    assert found == [(46, 49)]
    assert report(store, sections=("performance",))["performance"]
