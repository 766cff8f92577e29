"""Baselines: the reference batches, a period of production rows, or the previous window. Drift,
the performance baseline, the calibration of estimates and the data-quality ranges follow it, and
so do the kept summaries."""

import numpy as np
import pandas as pd
import pytest
from rounding import rounded
from scipy.spatial.distance import jensenshannon
from segment_setup import ROLES, make_store

from monitoring.report import ReportRequest, build_report

PERIOD = "period:2024-01-01..2024-01-07"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    from monitoring.ingest.pipeline import ingest_file
    from monitoring.store import Store

    tmp = tmp_path_factory.mktemp("baselines")

    def ingest(store, data, *, model, kind, overrides=ROLES):
        path = tmp / f"{model}_{kind}_{len(list(tmp.iterdir()))}.parquet"
        data.to_parquet(path, index=False)
        return ingest_file(
            store, str(path), model=model, kind=kind, overrides=overrides.only(set(data.columns))
        )

    store = Store(":memory:")
    reference, production = make_store(store, ingest)
    return store, reference, production, ingest


def _without(records, *fields):
    return [{k: v for k, v in r.items() if k not in fields} for r in records]


def test_a_period_baseline_equals_a_model_whose_reference_is_those_rows(shared):
    store, _, production, ingest = shared
    first_week = production[production["ts"] < pd.Timestamp("2024-01-08")]
    ingest(store, production, model="twin", kind="production")
    ingest(store, first_week, model="twin", kind="reference")
    sections = ("drift", "dataset_drift", "performance", "data_quality")
    mine = build_report(store, ReportRequest("m", baseline=PERIOD, sections=sections))
    twin = build_report(store, ReportRequest("twin", sections=sections))
    assert mine["baseline"] == PERIOD and mine["reference"]["rows"] == len(first_week)
    for section in sections:
        assert rounded(_without(mine[section], "reason")) == rounded(_without(twin[section], "reason")), (
            section
        )
    accuracy = [r for r in mine["performance"] if r["metric"] == "accuracy_score" and r["kind"] == "realized"]
    assert accuracy[0]["value"] == pytest.approx(
        accuracy[0]["baseline"], abs=1e-12
    )  # week 1 is its own baseline


def test_a_period_baseline_of_a_segment_is_that_segment_in_the_period(shared):
    store, _, production, _ = shared
    report = build_report(
        store, ReportRequest("m", baseline=PERIOD, segment="region=south", sections=("performance",))
    )
    rows = production[(production["ts"] < pd.Timestamp("2024-01-08")) & (production["region"] == "south")]
    baseline = next(r["baseline"] for r in report["performance"] if r["metric"] == "accuracy_score")
    assert baseline == pytest.approx(float((rows["label"] == rows["prediction"]).mean()), abs=1e-12)


def test_with_previous_each_window_is_compared_with_the_one_before(shared):
    store, _, production, _ = shared
    report = build_report(store, ReportRequest("m", baseline="previous", sections=("drift", "performance")))
    accuracy = {
        r["window"]: r
        for r in report["performance"]
        if r["metric"] == "accuracy_score" and r["kind"] == "realized"
    }
    assert accuracy[0]["baseline"] is None
    for window in range(1, len(report["windows"])):
        assert accuracy[window]["baseline"] == pytest.approx(accuracy[window - 1]["value"], abs=1e-12)
    starts = [pd.Timestamp(w["start"]) for w in report["windows"]]
    drift = {(r["window"], r["column"]): r for r in report["drift"]}
    assert drift[(0, "channel")]["statistic"] is None
    for window in range(1, len(starts)):
        before = production[(production["ts"] >= starts[window - 1]) & (production["ts"] < starts[window])]
        now = production[
            (production["ts"] >= starts[window]) & (production["ts"] < starts[window] + pd.Timedelta(days=7))
        ]
        names = sorted(set(before["channel"]) | set(now["channel"]))
        expected = jensenshannon(
            [np.sum(before["channel"] == n) for n in names], [np.sum(now["channel"] == n) for n in names]
        )
        assert drift[(window, "channel")]["statistic"] == pytest.approx(expected, abs=1e-12)


def test_with_previous_a_category_is_unseen_only_in_the_window_it_first_appears(store, ingest_frame):
    rng = np.random.default_rng(3)
    from segment_setup import frame

    data = frame(rng, 4000, "2024-01-01")
    data.loc[(data["ts"] >= pd.Timestamp("2024-01-15")) & (np.arange(4000) % 5 == 0), "channel"] = "kiosk"
    ingest_frame(store, data, model="k", kind="production", overrides=ROLES)
    ingest_frame(store, frame(rng, 1000, "2023-12-01"), model="k", kind="reference", overrides=ROLES)
    report = build_report(store, ReportRequest("k", baseline="previous", sections=("data_quality",)))
    unseen = {
        r["window"]: r
        for r in report["data_quality"]
        if r["metric"] == "unseen_category_share" and r["column"] == "channel"
    }
    assert 0 not in unseen and unseen[1]["count"] == 0
    assert unseen[2]["examples"] == ["kiosk"] and unseen[2]["count"] > 0
    assert unseen[3]["count"] == 0  # seen the week before


def test_kept_summaries_follow_the_baseline(shared):
    store = shared[0]
    requests = [ReportRequest("m", baseline=b) for b in ("reference", "previous", PERIOD)]
    first = [build_report(store, r) for r in requests]
    again = [build_report(store, r) for r in requests]  # read back from the kept summaries
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    fresh = [build_report(store, r) for r in requests]
    for a, b, c in zip(first, again, fresh, strict=True):
        for section in ("drift", "performance", "data_quality", "weak_segments"):
            assert rounded(a[section]) == rounded(b[section]) == rounded(c[section]), section
    drift = [[r["statistic"] for r in report["drift"]] for report in first]
    assert drift[0] != drift[1] and drift[0] != drift[2]
