"""Freshness: time since the last production row, batch and label; overdue labels; its alert rules."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.freshness import model_freshness
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import ReportRequest, build_report

ROLES = RoleOverrides(id="id", timestamp="timestamp", prediction="prediction", target="target", task="binary")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def rows(n: int, newest: datetime, hours: float, prefix: str, seed: int = 0) -> pd.DataFrame:
    """`n` predictions spread over the `hours` before `newest` (newest row exactly at `newest`)."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.uniform(0, hours * 3600, n))[::-1]
    offsets[0] = 0.0
    stamps = [newest - timedelta(seconds=float(s)) for s in offsets]
    x = rng.normal(0, 1, n)
    prediction = (x > 0).astype(int)
    return pd.DataFrame(
        {"id": [f"{prefix}{i}" for i in range(n)], "timestamp": stamps, "x": x, "prediction": prediction}
    )


@pytest.fixture
def live_model(store, ingest_frame):
    """A model whose newest production row is 30 hours old; 20 days of rows, labels for the first 4 (the rest 2 to 9 days overdue)."""
    now = utc_now()
    reference = rows(500, now - timedelta(days=60), 24 * 5, "r", 1).assign(target=lambda f: f["prediction"])
    ingest_frame(store, reference, model="m", kind="reference", overrides=ROLES)
    production = rows(2000, now - timedelta(hours=30), 24 * 20, "p", 2)
    ingest_frame(
        store,
        production.drop(columns=[]),
        model="m",
        kind="production",
        overrides=ROLES.only(set(production.columns)),
    )
    old = production[production["timestamp"] < now - timedelta(days=16)]
    labels = old[["id"]].assign(target=old["prediction"])
    ingest_frame(store, labels, model="m", kind="labels", overrides=RoleOverrides(target="target"))
    return store, production, labels, now


def test_freshness_record_says_how_old_the_newest_row_batch_and_label_are(live_model):
    store, production, labels, now = live_model
    record = model_freshness(store, "m")
    newest = production["timestamp"].max()
    assert record["last_production"] == newest.isoformat() + "Z"
    assert record["hours_since_production"] == pytest.approx(30, abs=0.1)
    assert record["hours_since_batch"] == pytest.approx(0, abs=0.1)  # ingested seconds ago
    assert record["hours_since_label"] == pytest.approx(0, abs=0.1)
    due = datetime.fromisoformat(record["checked_at"].rstrip("Z")) - timedelta(days=7)
    older = production[production["timestamp"] < due]
    unlabelled = older[~older["id"].isin(labels["id"])]
    assert record["overdue_rows"] == len(unlabelled) > 0
    assert record["overdue_unlabelled_share"] == pytest.approx(len(unlabelled) / len(older))
    oldest = unlabelled["timestamp"].min()
    assert record["labels_overdue_days"] == pytest.approx((due - oldest).total_seconds() / 86400, abs=1e-3)


def test_freshness_is_a_report_section_of_one_record(live_model):
    store, *_ = live_model
    report = build_report(store, ReportRequest(model="m", sections=("freshness",)))
    (record,) = report["freshness"]
    assert record["window"] == report.latest_window
    assert set(record) >= {
        "last_production",
        "last_batch",
        "last_label",
        "hours_since_production",
        "hours_since_batch",
        "hours_since_label",
        "overdue_unlabelled_share",
    }


def test_a_model_without_labels_has_null_label_times_and_no_overdue_days(store, ingest_frame):
    production = rows(200, utc_now() - timedelta(days=10), 48, "p")
    ingest_frame(
        store, production, model="n", kind="production", overrides=ROLES.only(set(production.columns))
    )
    record = model_freshness(store, "n")
    assert record["last_label"] is None and record["hours_since_label"] is None
    assert record["labels_overdue_days"] is None  # never labelled: not waiting for labels
    assert record["overdue_unlabelled_share"] == 1.0


def test_no_production_data_and_overdue_labels_raise_alerts_with_their_actions(live_model, ingest_frame):
    store, production, _, now = live_model
    evaluate_model(store, "m", notify=False)
    alerts = {a["rule"]: a for a in list_alerts(store, "m", ("open",))}
    stale = alerts["no-production-data"]
    assert stale["severity"] == "high" and stale["value"] == pytest.approx(30, abs=0.1)
    assert stale["message"].startswith("No production data for 30 hours (the newest row is from ")
    assert "logs" in stale["action"]
    late = alerts["labels-overdue"]
    assert late["message"].startswith("Labels are ") and "labelling job" in late["action"]
    fresh = rows(50, utc_now(), 1, "q", 3)
    ingest_frame(store, fresh, model="m", kind="production", overrides=ROLES.only(set(fresh.columns)))
    evaluate_model(store, "m", notify=False)
    after = {a["rule"]: a for a in list_alerts(store, "m")}
    assert after["no-production-data"]["status"] == "resolved"
