"""Results kept per window: after an ingest, the kept windows plus the recomputed ones must equal
a report computed from nothing."""

import json

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
        assert _rounded(kept[key]) == _rounded(fresh[key]), key
    for key in ("fairness", "fairness_disparities"):  # the period's counts are the windows' sums
        assert _sorted(kept[key]) == _sorted(fresh[key]), key
    assert [r for r in kept["fairness"] if r["window"] is None]


def _sorted(records: list[dict]) -> list[dict]:
    return sorted(_rounded(records), key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _rounded(records: list[dict]) -> list[dict]:
    """Floats to 10 significant digits: DuckDB's parallel sums may differ in the last bits."""
    return [{k: float(f"{v:.10g}") if isinstance(v, float) else v for k, v in r.items()} for r in records]
