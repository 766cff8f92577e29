import pandas as pd

from monitoring.store import catalog


def test_demo_has_both_models_with_their_tasks(demo_store):
    with demo_store.connect() as con:
        models = {m.name: m for m in catalog.list_models(con)}
        credit_batches = catalog.list_batches(con, "credit")
    assert models["credit"].task == "binary"
    assert models["bikes"].task == "regression"
    assert set(credit_batches["kind"]) == {"reference", "production", "labels"}
    assert credit_batches.loc[credit_batches["kind"] == "production", "rows"].iloc[0] > 100_000


def test_demo_plants_a_weak_region_and_a_shadow_challenger_and_the_summary_points_at_both(demo_store):
    from monitoring import summary
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
    assert summary.weakest_segment(report)["segment"] == f"region={WEAK_REGION}"
    assert summary.segment_sentence(report).startswith(f"Weakest segment: region={WEAK_REGION}, accuracy")
    found = summary.challenger(report)
    assert found["version_b"] == CHALLENGER and found["paired"] and found["test"] == "mcnemar_exact"
    assert found["difference"] > 0 and found["p_value"] < 0.01
    assert summary.challenger_sentence(report).startswith(f"Version {CHALLENGER} on shadow traffic")
