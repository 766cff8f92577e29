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
