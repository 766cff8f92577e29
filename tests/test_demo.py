import pandas as pd

from monitoring.context import ReportRequest
from monitoring.report import build_report
from monitoring.store import catalog


def test_demo_has_its_three_models_with_their_tasks(demo_store):
    with demo_store.connect() as con:
        models = {m.name: m for m in catalog.list_models(con)}
        credit_batches = catalog.list_batches(con, "credit")
    assert {name: m.task for name, m in models.items()} == {
        "credit": "binary",
        "bikes": "regression",
        "tickets": "multiclass",
    }
    assert set(credit_batches["kind"]) == {"reference", "production", "labels"}
    assert credit_batches.loc[credit_batches["kind"] == "production", "rows"].iloc[0] > 100_000
    assert all(m.settings.value_matrix for m in models.values())


def test_bikes_and_tickets_show_estimated_beside_realized_performance_and_value(demo_store):
    for model, metric in (("bikes", "mean_absolute_error"), ("tickets", "accuracy_score")):
        report = build_report(demo_store, ReportRequest(model, sections=("performance", "business_value")))
        kinds = {
            r["kind"]
            for r in report.records("performance")
            if r["metric"] == metric and r["value"] is not None
        }
        assert kinds == {"realized", "estimated"}, model
        assert {r["kind"] for r in report.records("business_value") if r["value"] is not None} == kinds


def test_tickets_last_two_weeks_are_estimated_only_and_follow_the_shift(demo_store):
    report = build_report(demo_store, ReportRequest("tickets", sections=("performance",)))
    accuracy = report.frame("performance").query("metric == 'accuracy_score'")
    realized = accuracy[accuracy["kind"] == "realized"].set_index("window")["value"]
    estimated = accuracy[accuracy["kind"] == "estimated"].set_index("window")["value"]
    assert realized.iloc[-2:].isna().all() and estimated.iloc[-2:].notna().all()
    # from week 4 more API tickets, which the model routes better: realized and estimated rise together
    assert realized.iloc[4:6].mean() > realized.iloc[:4].mean() + 0.03
    assert estimated.iloc[4:].mean() > estimated.iloc[:4].mean() + 0.03


def test_the_readme_names_every_performance_metric_and_the_business_value_record(demo_store):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for model in ("credit", "bikes", "tickets"):
        report = build_report(demo_store, ReportRequest(model, sections=("performance", "business_value")))
        for metric in {r["metric"] for r in report.records("performance")}:
            assert f"`{metric}`" in readme, metric
        assert all(
            set(r) == {"window", "kind", "value", "baseline", "lower", "upper"}
            for r in report["business_value"]
        )
    assert (
        "`business_value` (with a value matrix, see Configuration): `{window, kind, value, baseline,"
        in readme
    )


def test_demo_plants_a_weak_region_and_a_shadow_challenger_and_the_summary_points_at_both(demo_store):
    from monitoring import segment_summary
    from monitoring.demo import CHALLENGER, COLLAPSE_DAY, SHIFT_DAY, START, WEAK_REGION
    from monitoring.report import ReportRequest, build_report

    report = build_report(
        demo_store,
        ReportRequest("credit", by="region", sections=("performance", "weak_segments", "versions")),
    )
    weeks = {w["index"]: w["start"] for w in report["windows"]}
    collapsed = [
        i
        for i, start in weeks.items()
        if start >= str(START + pd.Timedelta(days=COLLAPSE_DAY + 7))[:10]
        and start < str(START + pd.Timedelta(days=SHIFT_DAY - 7))[:10]
    ]
    assert collapsed
    accuracy = {
        (r["window"], r["segment"]): r
        for r in report["performance"]
        if r["metric"] == "accuracy_score" and r["kind"] == "realized"
    }
    for week in collapsed:  # the region collapses while the whole model looks fine
        whole, weak = accuracy[(week, None)], accuracy[(week, f"region={WEAK_REGION}")]
        assert whole["baseline"] - whole["value"] < 0.05
        assert weak["baseline"] - weak["value"] > 0.2 and weak["flag"] is None
    assert segment_summary.weakest_segment(report)["segment"] == f"region={WEAK_REGION}"
    assert segment_summary.segment_sentence(report).startswith(
        f"Weakest segment: region={WEAK_REGION}, accuracy"
    )
    found = segment_summary.challenger(report)
    assert found["version_b"] == CHALLENGER and found["paired"] and found["test"] == "mcnemar_exact"
    assert found["difference"] > 0 and found["p_value"] < 0.01
    assert segment_summary.challenger_sentence(report).startswith(f"Version {CHALLENGER} on shadow traffic")
