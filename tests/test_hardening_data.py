"""Bad data from the hardening review (REDTEAM D1 ...): each case is refused with a clear message
or stored so that every report of the model still works."""

import datetime
import decimal
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitoring import catalog_api
from monitoring.alerts.history import evaluate_model, list_alerts
from monitoring.errors import InputError, SchemaError
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import ReportRequest, build_report
from monitoring.windows import Period


def model_frames(rows: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference (January 2024) and production (March 2024, `age` shifted up) rows of model M,
    like the red-team setup, smaller. Production carries its target for the labels file."""
    rng = np.random.default_rng(seed)

    def make(start, prefix, shift=0):
        seconds = rng.integers(0, 14 * 86400, rows)
        score = rng.uniform(0, 1, rows).round(4)
        return pd.DataFrame(
            {
                "id": [f"{prefix}{i}" for i in range(rows)],
                "timestamp": (pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s")).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "age": rng.normal(40 + shift, 10, rows).round(0),
                "income": rng.lognormal(10.5, 0.4, rows).round(2),
                "region": rng.choice(["north", "south", "east", "west"], rows),
                "gender": rng.choice(["F", "M"], rows),
                "score": score,
                "prediction": (score > 0.5).astype(int),
                "target": (score > 0.5).astype(int),
                "latency_ms": rng.gamma(2, 20, rows).round(1),
            }
        )

    return make("2024-01-01", "r"), make("2024-03-01", "p", shift=8)


@pytest.fixture
def put(tmp_path):
    """put(store, frame, kind, name=None, model="M", **options): write `frame` as CSV (or Parquet
    when the name ends in .parquet) and ingest it through the real path."""

    def ingest(store, frame, kind, name=None, model="M", **options):
        path = tmp_path / (name or f"{kind}_{len(list(tmp_path.iterdir()))}.csv")
        if isinstance(frame, pa.Table):
            pq.write_table(frame, path)
        elif path.suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return ingest_file(store, str(path), model=model, kind=kind, **options)

    return ingest


@pytest.fixture
def model_m(store, put):
    """A store with model M: reference, production (without its target) and labels."""
    reference, production = model_frames()
    put(store, reference, "reference", overrides=RoleOverrides(sensitive=["gender"]))
    put(store, production.drop(columns="target"), "production")
    put(store, production[["id", "target"]], "labels")
    return store


def report(store, **request) -> dict:
    return build_report(store, ReportRequest("M", **request))


def drift_of(found: dict, column: str) -> list[dict]:
    return [r for r in found["drift"] if r["column"] == column]


# D1: a new column is a schema change that every report survives


def new_rows(prefix: str, rows: int = 100) -> pd.DataFrame:
    _, production = model_frames(seed=1)
    part = production.head(rows).drop(columns="target")
    part["id"] = prefix + part["id"]
    return part


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


def open_alerts(store) -> list[str]:
    return [a["message"] for a in list_alerts(store, "M") if a["status"] == "open"]


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


# D3, D31: production rows need a time, and times must fall in the years 1970 to 2200


def batches_of(store) -> list[int]:
    return list(catalog_api.batches(store, "M")["id"])


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "is empty in 1 row(s), e.g. row 3"),
        ("9999-12-31 23:00:00", "'9999-12-31 23:00:00' in row 3"),
        ("0001-01-01 00:00:00", "'0001-01-01 00:00:00' in row 3"),
        ("1677-09-22 00:00:00", "outside the years 1970 to 2200"),
    ],
)
def test_a_production_file_with_an_empty_or_implausible_timestamp_is_refused_naming_the_row(
    model_m, put, value, words
):
    before = batches_of(model_m)
    part = new_rows("t", 50)
    part.loc[2, "timestamp"] = value
    with pytest.raises(SchemaError, match="timestamp column 'timestamp'") as refused:
        put(model_m, part, "production")
    assert words in str(refused.value)
    assert batches_of(model_m) == before
    assert report(model_m)["windows"]


def test_a_parquet_timestamp_in_year_9999_is_refused(model_m, put):
    part = new_rows("t", 50)
    part["timestamp"] = pd.to_datetime(part["timestamp"]).astype("datetime64[us]")
    part.loc[4, "timestamp"] = pd.Timestamp("9999-12-31 23:00:00").as_unit("us")
    with pytest.raises(SchemaError, match="in row 5"):
        put(model_m, part, "production", name="late.parquet")


def test_a_reference_may_lack_timestamps_but_not_hold_implausible_ones(store, put):
    reference, _ = model_frames()
    reference.loc[0, "timestamp"] = ""
    put(store, reference, "reference")
    reference["id"] = "y" + reference["id"]
    reference.loc[1, "timestamp"] = "2250-01-01 00:00:00"
    with pytest.raises(SchemaError, match="'2250-01-01 00:00:00' in row 2"):
        put(store, reference, "reference")


# D28, D29, D30: labels that contradict each other, options naming absent columns, empty ids


def test_a_labels_file_giving_one_id_two_different_labels_is_refused_naming_the_id(model_m, put):
    before = batches_of(model_m)
    labels = pd.DataFrame({"id": ["p1", "p2", "p1", "p2", "p3"], "target": [1, 0, 0, 0, 1]})
    with pytest.raises(
        SchemaError, match="1 id\\(s\\) have different labels.*id 'p1' is labelled '0' and '1'"
    ):
        put(model_m, labels, "labels")
    assert batches_of(model_m) == before
    agreeing = pd.DataFrame({"id": ["p1", "p1", "p2"], "target": [1, 1, None]})
    assert put(model_m, agreeing, "labels").rows == 3


def test_a_role_option_naming_a_column_the_file_lacks_is_an_error_listing_the_columns(model_m, put):
    before = batches_of(model_m)
    with pytest.raises(
        InputError, match="no column 'nonexistent' \\(named by --id\\); its columns are 'id', "
    ):
        put(model_m, new_rows("o", 20), "production", overrides=RoleOverrides(id="nonexistent"))
    with pytest.raises(InputError, match="'colour' \\(named by --categorical\\)"):
        put(model_m, new_rows("o", 20), "production", overrides=RoleOverrides(categorical=["colour"]))
    assert batches_of(model_m) == before


def test_a_production_file_whose_ids_are_all_empty_is_refused(model_m, put):
    before = batches_of(model_m)
    part = new_rows("e", 30)
    part["id"] = ""
    with pytest.raises(SchemaError, match="the id column 'id' is empty in every row"):
        put(model_m, part, "production")
    assert batches_of(model_m) == before
    some = new_rows("e", 30)
    some.loc[:9, "id"] = ""
    assert put(model_m, some, "production").rows == 30


# D7: a period without rows gives empty sections; D8: an empty prediction column is no crash


def section_sizes(found: dict) -> dict:
    return {key: len(value) for key, value in found.items() if isinstance(value, list) and key != "alerts"}


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
