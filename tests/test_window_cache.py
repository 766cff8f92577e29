"""Results kept per window: after an ingest, the kept windows plus the recomputed ones must equal
a report computed from nothing."""

import json
from datetime import datetime

import pytest
from rounding import rounded

from monitoring.report import ReportRequest, build_report


def _entries(store, area: str) -> dict:
    with store.connect() as con:
        rows = con.execute(
            "SELECT key, payload FROM summary_cache WHERE key LIKE ?", [f"{area}:%"]
        ).fetchall()
    return {key: json.loads(payload) for key, payload in rows}


def test_kept_windows_give_the_same_report_as_a_fresh_one(small_credit):
    store = small_credit(until_day=40)
    request = ReportRequest("credit", window="week")
    weeks = len(build_report(store, request)["windows"])
    assert len([k for k in _entries(store, "performance") if ":window:" in k]) == weeks
    assert len([k for k in _entries(store, "quality") if ":window:" in k]) == weeks
    assert len([k for k in _entries(store, "operations") if ":window:" in k]) == weeks
    assert len([k for k in _entries(store, "fairness") if ":window:" in k]) == weeks

    small_credit(until_day=47, from_day=40, store=store)  # a new batch: one week more (with labels)
    kept = build_report(store, request)
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    fresh = build_report(store, request)
    assert len(fresh["windows"]) > weeks
    for key in ("performance", "confusion_matrix", "data_quality", "drift", "dataset_drift", "operations"):
        assert rounded(kept[key]) == rounded(fresh[key]), key
    for key in ("fairness", "fairness_disparities"):  # the period's counts are the windows' sums
        assert _sorted(kept[key]) == _sorted(fresh[key]), key
    assert [r for r in kept["fairness"] if r["window"] is None]


def _sorted(records: list[dict]) -> list[dict]:
    return sorted(rounded(records), key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _one_more_day(store, ingest_frame, day: int) -> None:
    """Day `day` of the small credit demo's production rows as a new batch (no labels)."""
    import pandas as pd

    from monitoring.demo import START, credit_frames, credit_roles

    _, production, _ = credit_frames(per_day=300, reference_rows=3000)
    since = production["timestamp"] - START
    part = production[(since >= pd.Timedelta(days=day)) & (since < pd.Timedelta(days=day + 1))]
    overrides = credit_roles().only(set(part.columns))
    ingest_frame(store, part, model="credit", kind="production", overrides=overrides)


class Scans:
    """The production windows (or days) whose drift counts and reconstruction errors were computed."""

    def __init__(self, monkeypatch):
        from monitoring.store import drift_sql, reconstruction_sql

        self.counted, self.grouped, self.errors = [], [], []
        real_counts, real_errors = drift_sql.grouped_counts, reconstruction_sql.mean_errors

        def grouped_counts(con, source, params, group, *args, **options):
            found = real_counts(con, source, params, group, *args, **options)
            self.counted.extend(k for k in found if isinstance(k, datetime))  # not reference chunks
            self.grouped.extend(k for k in found if isinstance(k, tuple) and isinstance(k[0], datetime))
            return found

        def mean_errors(con, fit, source, params, group):
            found = real_errors(con, fit, source, params, group)
            self.errors.extend(found)
            return found

        monkeypatch.setattr(drift_sql, "grouped_counts", grouped_counts)
        monkeypatch.setattr(reconstruction_sql, "mean_errors", mean_errors)


def _day(day: int):
    import pandas as pd

    from monitoring.demo import START

    return (START + pd.Timedelta(days=day)).to_pydatetime()


WEEKLY_DRIFT = ReportRequest("credit", window="week", sections=("drift",))
DAILY_DRIFT = ReportRequest("credit", window="day", sections=("drift",))


def test_a_new_day_in_a_week_computes_the_drift_of_that_day_alone(small_credit, ingest_frame, monkeypatch):
    store = small_credit(until_day=12)  # the demo starts on a Friday: days 10 and 11 begin a week
    build_report(store, WEEKLY_DRIFT)
    _one_more_day(store, ingest_frame, 12)
    scans = Scans(monkeypatch)
    kept = build_report(store, WEEKLY_DRIFT)
    assert scans.counted == [_day(12)]  # not its week: the week's other days are kept, their counts added
    assert scans.errors == [_day(12)]

    monkeypatch.undo()
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    fresh = build_report(store, WEEKLY_DRIFT)
    for key in ("drift", "dataset_drift", "multivariate_drift"):
        assert rounded(kept[key]) == rounded(fresh[key]), key


@pytest.mark.parametrize("window", ["day", "week"])
def test_a_full_report_counts_each_windows_drift_bins_once(small_credit, monkeypatch, window):
    """Weak segments count every window's bins per value of a segment column; the drift section
    reads their sums instead of counting the rows again, and its figures are a direct count's."""
    store = small_credit(until_day=12)
    scans = Scans(monkeypatch)
    full = build_report(store, ReportRequest("credit", window=window))
    assert full["weak_segments"] and full["drift"]
    assert scans.counted == []  # no ungrouped count of a production window or day
    assert len(scans.grouped) == len(set(scans.grouped))  # each (window or day, value) once a column

    monkeypatch.undo()
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    alone = build_report(store, ReportRequest("credit", window=window, sections=("drift",)))
    for key in ("drift", "dataset_drift"):
        assert rounded(full[key]) == rounded(alone[key]), key


WEEKLY_QUALITY = ReportRequest("credit", window="week", sections=("data_quality",))


def test_a_new_day_in_a_week_counts_the_data_quality_of_that_day_alone(
    small_credit, ingest_frame, monkeypatch
):
    from monitoring import data_quality
    from monitoring.store import quality_sql

    store = small_credit(until_day=12)
    build_report(store, WEEKLY_QUALITY)
    _one_more_day(store, ingest_frame, 12)
    counted = []
    real = quality_sql.quality_counts
    monkeypatch.setattr(
        quality_sql, "quality_counts", lambda *a, **k: [counted.append(r[0]) or r for r in real(*a, **k)]
    )
    kept = build_report(store, WEEKLY_QUALITY)
    assert counted == [_day(12)]  # the week's other days are kept, their counts added

    monkeypatch.undo()
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    fresh = build_report(store, WEEKLY_QUALITY)
    monkeypatch.setattr(data_quality, "in_days", lambda context: False)  # each week counted at once
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    weekly = build_report(store, WEEKLY_QUALITY)
    assert len(kept["data_quality"]) > 100
    assert rounded(kept["data_quality"]) == rounded(fresh["data_quality"]) == rounded(weekly["data_quality"])


def test_a_daily_report_after_the_weekly_rules_reads_the_new_days_drift_they_computed(
    small_credit, ingest_frame, monkeypatch
):
    store = small_credit(until_day=12)
    build_report(store, DAILY_DRIFT)
    build_report(store, WEEKLY_DRIFT)
    _one_more_day(store, ingest_frame, 12)
    build_report(store, WEEKLY_DRIFT)  # the rules of the ingest, on the model's weekly windows
    scans = Scans(monkeypatch)
    daily = build_report(store, DAILY_DRIFT)
    assert scans.counted == [] and scans.errors == []
    assert [r["window"] for r in daily["multivariate_drift"]] == list(range(13))


def test_a_report_lists_its_windows_and_their_batches_in_one_pass(small_credit, monkeypatch):
    from monitoring.store import window_sql

    store = small_credit(until_day=12)
    first = build_report(store, WEEKLY_DRIFT)
    passes = []
    real = window_sql.group_batches
    monkeypatch.setattr(window_sql, "group_batches", lambda *args: passes.append(args) or real(*args))
    again = build_report(store, WEEKLY_DRIFT)  # nothing changed: every window kept
    assert passes == []  # the window tokens come from the pass that listed the windows
    assert rounded(again["drift"]) == rounded(first["drift"])


@pytest.mark.parametrize("window", ["day", "week", "batch"])
def test_a_new_batch_lists_the_windows_of_its_own_rows_only(small_credit, ingest_frame, monkeypatch, window):
    from monitoring.context import make_context
    from monitoring.store import catalog, window_sql

    store = small_credit(until_day=12)
    request = ReportRequest("credit", window=window)
    with store.connect() as con:
        make_context(con, request)  # lists and keeps every batch's windows
    _one_more_day(store, ingest_frame, 12)
    listed = []
    real = window_sql.batch_windows

    def batch_windows(con, model, source, params, batches=None):
        listed.append(batches)
        return real(con, model, source, params, batches)

    monkeypatch.setattr(window_sql, "batch_windows", batch_windows)
    with store.connect() as con:
        kept = make_context(con, request)
        newest = int(catalog.batch_token(con, kept.model.id, "production").split(",")[-1])
        source, params = kept.production(con)
        fresh, batches = window_sql.windows_and_batches(con, kept.model, kept.spec, source, params)
    assert listed == [[newest], None]  # the new batch alone; the check lists all, as a fresh report
    assert kept.windows == fresh and kept.memo["window_batches"] == batches
    assert str(newest) in batches[fresh[-1].key]


def test_summaries_kept_by_other_code_are_dropped_when_the_store_opens(small_credit, tmp_path):
    from monitoring.store import Store
    from monitoring.store.backup import copy_to
    from monitoring.store.cache import CODE_KEY

    path = str(tmp_path / "kept.duckdb")
    copy_to(small_credit(until_day=20), path)
    store = Store(path)
    build_report(store, ReportRequest("credit", window="week"))
    kept = _entries(store, "drift")
    assert kept
    assert _entries(Store(path), "drift") == kept  # opened again by the same code: all kept
    with store.connect() as con:
        con.execute("UPDATE meta SET value = 'an older release' WHERE key = ?", [CODE_KEY])
    assert _entries(Store(path), "") == {}  # opened by other code: every kept summary dropped
    assert build_report(Store(path), ReportRequest("credit", window="week"))["drift"]


def test_a_report_reads_the_kept_payloads_in_one_scan_unless_they_are_large(small_credit, monkeypatch):
    """Fetching one payload costs DuckDB a scan of them all, so a report reads them once."""
    from monitoring.store import cache

    store = small_credit(until_day=12)
    first = build_report(store, WEEKLY_DRIFT)
    reads = []
    real = cache._select
    monkeypatch.setattr(
        cache, "_select", lambda con, model, keys: reads.append(keys) or real(con, model, keys)
    )
    kept = build_report(store, WEEKLY_DRIFT)
    assert reads == [None]  # every lookup of the report answered from one read of the model's entries
    monkeypatch.setattr(cache, "HELD_BYTES", 0)
    reads.clear()
    large = build_report(store, WEEKLY_DRIFT)
    assert reads[0] is None and len(reads) > 2 and all(keys for keys in reads[1:])  # then key by key
    assert rounded(kept["drift"]) == rounded(first["drift"]) == rounded(large["drift"])
