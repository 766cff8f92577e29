"""Every section per segment: a `--by` report's records of one value equal scikit-learn on that
subset, equal the whole-population code run on the filtered rows (`--segment`), and its
whole-population records equal the plain report."""

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from segment_setup import ROLES, frame, make_store
from sklearn import metrics

from monitoring.ingest.roles import RoleOverrides
from monitoring.report import ReportRequest, build_report

SEGMENT_FIELDS = ("segment", "segment_rows", "flag")
SECTIONS = ("drift", "dataset_drift", "performance", "confusion_matrix", "operations", "data_quality")
SECTIONS += ("fairness", "fairness_disparities")


def _ingest(store, tmp_path, data, model, kind, roles=ROLES):
    from monitoring.ingest.pipeline import ingest_file

    path = tmp_path / f"{model}_{kind}_{len(list(tmp_path.iterdir()))}.parquet"
    data.to_parquet(path, index=False)
    return ingest_file(store, str(path), model=model, kind=kind, overrides=roles.only(set(data.columns)))


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Model m (see segment_setup) and its reports: grouped by region, filtered to north, plain."""
    from monitoring.store import Store

    tmp = tmp_path_factory.mktemp("segments")
    store = Store(":memory:")
    reference, production = make_store(store, lambda s, f, **kw: _ingest(s, tmp, f, kw["model"], kw["kind"]))
    by = build_report(store, ReportRequest("m", by="region"))
    north = build_report(store, ReportRequest("m", segment="region=north"))
    plain = build_report(store, ReportRequest("m"))
    return store, reference, production, by, north, plain, tmp


def _plain(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in SEGMENT_FIELDS}


def _by_start(report, records):
    """Records keyed by window start instead of index (a filtered report lists its own windows)."""
    starts = {w["index"]: w["start"] for w in report["windows"]}
    return [{**r, "window": starts.get(r["window"])} if "window" in r else r for r in records]


def _close(a: list[dict], b: list[dict]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x.keys() != y.keys():
            return False
        for key in x:
            u, v = x[key], y[key]
            if isinstance(u, float) and isinstance(v, float):
                if not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12):
                    return False
            elif u != v:
                return False
    return True


def test_per_segment_performance_equals_sklearn_on_the_same_subset(shared):
    _, reference, production, by, *_ = shared
    windows = {w["index"]: pd.Timestamp(w["start"]) for w in by["windows"]}
    for region in ("north", "islands"):
        records = [
            r for r in by["performance"] if r["segment"] == f"region={region}" and r["kind"] == "realized"
        ]
        assert records
        for window, start in windows.items():
            rows = production[(production["region"] == region) & (production["ts"] >= start)]
            rows = rows[rows["ts"] < start + pd.Timedelta(days=7)]
            ref = reference[reference["region"] == region]
            got = {r["metric"]: r for r in records if r["window"] == window}
            for data, field in ((rows, "value"), (ref, "baseline")):
                y, s, p = data["label"], data["score"], data["prediction"]
                expected = {
                    "accuracy_score": metrics.accuracy_score(y, p),
                    "precision_score": metrics.precision_score(y, p),
                    "recall_score": metrics.recall_score(y, p),
                    "f1_score": metrics.f1_score(y, p),
                    "roc_auc_score": metrics.roc_auc_score(y, s),
                    "average_precision_score": metrics.average_precision_score(y, s),
                    "log_loss": metrics.log_loss(y, s),
                }
                for name, value in expected.items():
                    assert got[name][field] == pytest.approx(value, abs=1e-9), (region, window, name)
            assert got["accuracy_score"]["labelled_rows"] == len(rows)


def test_per_segment_regression_metrics_equal_sklearn(store, ingest_frame):
    rng = np.random.default_rng(5)
    n = 3000
    y = rng.poisson(20, n).astype(float) + 1
    group = rng.choice(["a", "b", "c"], n)
    p = y + rng.normal(np.where(group == "c", 5.0, 0.5), 3.0)
    data = pd.DataFrame(
        {"id": [str(i) for i in range(n)], "x": rng.normal(size=n), "g": group, "prediction": p, "y": y}
    )
    roles = RoleOverrides(task="regression", id="id", prediction="prediction", target="y", segment=["g"])
    ingest_frame(store, data, model="r", kind="production", overrides=roles)
    report = build_report(store, ReportRequest("r", window="batch", by="g", sections=("performance",)))
    for value in ("a", "c"):
        got = {r["metric"]: r["value"] for r in report["performance"] if r["segment"] == f"g={value}"}
        part = data[data["g"] == value]
        assert got["mean_absolute_error"] == pytest.approx(
            metrics.mean_absolute_error(part["y"], part["prediction"]), abs=1e-9
        )
        assert got["root_mean_squared_error"] == pytest.approx(
            metrics.root_mean_squared_error(part["y"], part["prediction"]), abs=1e-9
        )
        assert got["r2_score"] == pytest.approx(metrics.r2_score(part["y"], part["prediction"]), abs=1e-9)
    whole = {r["metric"]: r["value"] for r in report["performance"] if r["segment"] is None}
    assert whole["r2_score"] == pytest.approx(metrics.r2_score(data["y"], data["prediction"]), abs=1e-9)


@pytest.mark.parametrize("section", SECTIONS)
def test_a_segment_of_a_grouped_report_equals_the_filtered_report(shared, section):
    _, _, _, by, north, *_ = shared
    grouped = [_plain(r) for r in by[section] if r["segment"] == "region=north"]
    expected = [_plain(r) for r in north[section]]
    if section == "drift":  # noise is measured at a report's own window size: the whole's only
        assert all(r["noise"] is None for r in grouped)
        grouped, expected = ([{**r, "noise": None} for r in rs] for rs in (grouped, expected))
    assert _close(_by_start(by, grouped), _by_start(north, expected)), section


@pytest.mark.parametrize("section", SECTIONS)
def test_the_whole_population_of_a_grouped_report_equals_the_plain_report(shared, section):
    _, _, _, by, _, plain, _ = shared
    whole = [r for r in by[section] if r["segment"] is None]
    expected = plain[section]
    assert _close([_plain(r) for r in whole], [_plain(r) for r in expected]), section


def test_per_segment_drift_equals_the_whole_population_code_on_a_model_of_only_those_rows(shared):
    """A model holding only north's rows, reported whole: the same categorical drift exactly; the
    numeric statistics differ only by the bins (the whole baseline's for a segment, its own here)."""
    store, reference, production, by, _, _, tmp = shared
    _ingest(store, tmp, production[production["region"] == "north"], "north_only", "production")
    _ingest(store, tmp, reference[reference["region"] == "north"], "north_only", "reference")
    alone = build_report(store, ReportRequest("north_only", sections=("drift",)))
    segment = {(r["window"], r["column"]): r for r in by["drift"] if r["segment"] == "region=north"}
    for record in alone["drift"]:
        mine = segment[(record["window"], record["column"])]
        assert mine["method"] == record["method"]
        if record["kind"] == "categorical":
            assert mine["statistic"] == pytest.approx(record["statistic"], abs=1e-12), record["column"]
        elif record["statistic"] is not None:
            assert mine["statistic"] == pytest.approx(record["statistic"], rel=0.05, abs=0.003), record[
                "column"
            ]


def test_every_record_of_a_grouped_report_names_its_segment_and_small_ones_are_flagged(shared):
    _, _, _, by, *_ = shared
    for section in SECTIONS:
        assert all("segment" in r for r in by[section]), section
    records = [r for r in by["performance"] if r["segment"] is not None]
    assert all((r["flag"] == "small") == (r["segment_rows"] < 200) for r in records)
    assert {r["flag"] for r in records if r["segment"] == "region=islands"} == {"small"}
    assert {r["flag"] for r in records if r["segment"] == "region=north"} == {None}
    values = {s["segment"]: s["rows"] for s in by["segments"]}
    assert sum(values.values()) == sum(w["rows"] for w in by["windows"])
    assert by["by"] == "region" and by["baseline"] == "reference"


def test_a_grouping_that_is_not_categorical_or_not_a_column_is_refused(shared):
    from monitoring.errors import InputError

    store = shared[0]
    with pytest.raises(InputError, match="cannot group by 'amount': it is numeric"):
        build_report(store, ReportRequest("m", by="amount"))
    with pytest.raises(InputError, match="has no column 'nope' to group by"):
        build_report(store, ReportRequest("m", by="nope"))


def test_a_hostile_column_name_and_value_are_quoted_and_bound(store, ingest_frame):
    """A column named like SQL and a value holding quotes and the separators filter rows, nothing else."""
    rng = np.random.default_rng(9)
    data = frame(rng, 400, "2024-01-01")
    name, value = 'seg"; DROP TABLE models; --', 'o\'brien & co, "x"=1'
    data[name] = np.where(np.arange(400) < 150, value, "other")
    roles = RoleOverrides(**{**vars(ROLES), "segment": [name], "version": None})
    ingest_frame(store, data.drop(columns="version"), model="h", kind="production", overrides=roles)
    from monitoring.segments import value_segment

    text = value_segment(name, value)
    report = build_report(store, ReportRequest("h", segment=text, sections=("operations",)))
    assert sum(w["rows"] for w in report["windows"]) == 150
    grouped = build_report(store, ReportRequest("h", by=name, sections=("operations",)))
    assert {s["segment"] for s in grouped["segments"]} == {text, value_segment(name, "other")}
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM models").fetchall()[0][0] == 1


def test_counts_made_in_parts_and_kept_in_several_statements_equal_one_pass(shared, monkeypatch):
    """Many groups are counted a few windows at a time (DuckDB cannot spill a histogram) and kept
    in bounded statements; the figures are the same."""
    from monitoring.drift import summaries
    from monitoring.store import cache

    store, *_ = shared
    request = ReportRequest("m", by="region", sections=("drift", "dataset_drift"))
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    whole = build_report(store, request)
    monkeypatch.setattr(summaries, "HISTOGRAM_BUDGET", 1)  # one window a query
    monkeypatch.setattr(cache, "STATEMENT_BYTES", 1000)  # one entry a statement
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    parts = build_report(store, request)
    assert _close(parts["drift"], whole["drift"]) and _close(parts["dataset_drift"], whole["dataset_drift"])
    with store.connect() as con:
        kept = con.execute("SELECT key FROM summary_cache WHERE key LIKE 'drift:%window:%'").fetchall()
    # one entry per window, and per day of the week windows (their counts are summed from days);
    # the days' sums over the regions too, for a report without grouping
    days = sum(
        (date.fromisoformat(w["end"][:10]) - date.fromisoformat(w["start"][:10])).days
        for w in whole["windows"]
    )
    grouped = [key for (key,) in kept if ":byregion:" in key]
    assert whole["window"] == "week" and len(grouped) == len(whole["windows"]) + days
    assert len(kept) - len(grouped) == days
