"""`report --engine spark`: the same report as DuckDB's, computed on Apache Spark (local[2]).

Real Spark, no mocks: one session for the whole test run (tests/spark_setup.py; Java 17 is needed,
without it these tests fail and say so). Counts must be equal, statistics equal to 1e-9, and drift
verdicts and alerts the same. One Spark report per case: the cases share one small attached credit
model, and the slice, grouping and baseline options ride on its cases.
"""

import math
import re

import pytest
from lake import credit_lake, regression_lake, ticket_lake

from monitoring.alerts.findings import evaluate
from monitoring.alerts.rules import default_rules
from monitoring.context import ReportRequest
from monitoring.demo import credit_roles
from monitoring.demo_tickets import ticket_roles
from monitoring.ingest.attach import attach_dataset
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import build_report
from monitoring.segment_api import save_segment
from monitoring.store import Store, catalog

pytestmark = pytest.mark.spark

CLOCK_KEYS = {
    "generated_at",
    "checked_at",
    "hours_since_production",
    "hours_since_batch",
    "hours_since_label",
}
REGRESSION_ROLES = RoleOverrides(
    id="request_id",
    timestamp="timestamp",
    target="loan_amount",
    prediction="predicted_amount",
    sensitive=["gender"],
    version="model_version",
    task="regression",
)


def _attached(lake: dict, model: str, roles: RoleOverrides, store: Store | None = None) -> Store:
    store = store or Store(":memory:")
    for kind in ("reference", "production", "labels"):
        if kind in lake:
            fitting = roles.only(set(lake["frames"][kind].columns))
            attach_dataset(store, lake[kind], model=model, kind=kind, overrides=fitting)
    return store


def _fresh_report(store: Store, request: ReportRequest) -> dict:
    """The report computed from the rows (kept summaries of an earlier report forgotten)."""
    with store.transaction() as con:
        catalog.forget_summaries(con, catalog.get_model(con, request.model).id)
    return build_report(store, request)


def differences(duck, spark, path="") -> list:
    """Where two reports differ: ints and texts exactly, floats beyond 1e-9 (relative)."""
    if isinstance(duck, dict) and isinstance(spark, dict):
        keys = (set(duck) | set(spark)) - CLOCK_KEYS
        return [
            d for k in sorted(keys, key=str) for d in differences(duck.get(k), spark.get(k), f"{path}.{k}")
        ]
    if isinstance(duck, list) and isinstance(spark, list):
        if len(duck) != len(spark):
            return [(path, f"{len(duck)} items", f"{len(spark)} items")]
        return [
            d
            for i, (a, b) in enumerate(zip(duck, spark, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(duck, float) or isinstance(spark, float):
        if isinstance(duck, (int, float)) and isinstance(spark, (int, float)) and not isinstance(duck, bool):
            if math.isclose(duck, spark, rel_tol=1e-9, abs_tol=1e-12):
                return []
    if duck != spark or type(duck) is not type(spark):
        return [(path, duck, spark)]
    return []


def _alerts(report) -> list[tuple]:
    """The alerts a report raises, without the age of the newest row: two reports built seconds
    apart read two clocks, and the age in days can round either side of a half day."""
    rules = default_rules(report.to_dict()["task"], report.settings.latency_slo_ms)
    return [
        (f.rule.name, f.scope, f.window, f.active, _without_age(f.message)) for f in evaluate(report, rules)
    ]


def _without_age(message: str) -> str:
    return re.sub(r"^No production data for [\d,]+ (hours|days)", "No production data for (age)", message)


def _same_report(store: Store, model: str, window: str, **options) -> dict:
    duck = _fresh_report(store, ReportRequest(model, window=window, **options))
    spark = _fresh_report(store, ReportRequest(model, window=window, engine="spark", **options))
    assert differences(duck.to_dict(), spark.to_dict()) == []
    assert _alerts(duck) == _alerts(spark)
    return duck.to_dict()


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    store = _attached(credit_lake(tmp_path_factory.mktemp("credit"), days=6), "credit", credit_roles())
    save_segment(store, "credit", "north_women", "region=north & gender=F")
    return store


def test_a_binary_model_with_labels_reports_the_same_on_spark_as_on_duckdb(spark, credit):
    report = _same_report(credit, "credit", "day")
    assert len(report["windows"]) >= 3 and report["drift"] and report["fairness"] and report["operations"]
    assert {r["column"] for r in report["drift"]} >= {"age", "region", "gender", "score"}
    assert any(r["drifted"] for r in report["drift"]) and any(not r["drifted"] for r in report["drift"])


def test_windows_of_rows_by_region_against_a_period_baseline_report_the_same_on_spark(spark, credit):
    report = _same_report(credit, "credit", "rows:150", by="region", baseline="period:2024-03-01..2024-03-02")
    assert (
        len(report["windows"]) >= 3 and report["by"] == "region" and report["baseline"].startswith("period")
    )
    assert {r.get("segment") for r in report["drift"]} >= {"region=north", "region=south", "region=islands"}
    assert any(r["drifted"] for r in report["drift"]) and any(not r["drifted"] for r in report["drift"])


def test_a_saved_segment_against_the_previous_window_reports_the_same_on_spark(spark, credit):
    report = _same_report(credit, "credit", "day", segment="north_women", baseline="previous")
    assert report["segment"] == "north_women" and report["baseline"] == "previous"
    assert report["drift"] and report["performance"]
    assert sum(w["rows"] for w in report["windows"]) < 360 / 4  # only the slice's rows


def test_a_regression_model_with_targets_in_its_log_reports_the_same_on_spark(spark, tmp_path):
    store = _attached(regression_lake(tmp_path / "regression"), "amounts", REGRESSION_ROLES)
    report = _same_report(store, "amounts", "day")
    assert {r["metric"] for r in report["performance"]} >= {
        "mean_absolute_error",
        "mean_absolute_percentage_error",
    }


def test_a_multiclass_model_with_class_probabilities_reports_the_same_on_spark(spark, tmp_path):
    store = _attached(ticket_lake(tmp_path / "tickets"), "tickets", ticket_roles())
    report = _same_report(store, "tickets", "day")
    assert report["confusion_matrix"] and report["performance"]


def test_a_stored_model_reports_the_same_on_spark_from_a_copy_of_its_rows(spark, tmp_path):
    lake = credit_lake(tmp_path / "stored", days=3)
    store = Store(":memory:")
    for kind in ("reference", "production", "labels"):
        path = tmp_path / f"{kind}.parquet"
        lake["frames"][kind].to_parquet(path, index=False)
        fitting = credit_roles().only(set(lake["frames"][kind].columns))
        ingest_file(store, str(path), model="credit", kind=kind, overrides=fitting)
    _same_report(store, "credit", "day")
