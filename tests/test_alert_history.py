from datetime import datetime

import pytest

from monitoring.alerts.evaluate import evaluate_after_ingest, evaluate_model
from monitoring.alerts.history import alert_events, at_or_above, change_status, list_alerts
from monitoring.errors import InputError, NotFoundError
from monitoring.report import ReportRequest, build_report

T1, T2, T3 = datetime(2026, 1, 1, 9), datetime(2026, 1, 2, 9), datetime(2026, 1, 3, 9)


def by_rule(alerts: list[dict], rule: str) -> list[dict]:
    return [a for a in alerts if a["rule"] == rule]


def test_history_dedupes_and_resolves_when_the_condition_clears(small_credit):
    store = small_credit(until_day=35)
    first = evaluate_model(store, "credit", notify=False, at=T1)
    latency = by_rule(first.opened, "latency-p95")
    assert len(latency) == 1 and latency[0]["status"] == "open"
    assert latency[0]["window_label"] == "the week of 1 Apr 2024"
    assert latency[0]["value"] > 500

    again = evaluate_model(store, "credit", notify=False, at=T2)  # same data: nothing new
    assert again.opened == [] and again.resolved == []
    stored = list_alerts(store, "credit")
    assert {a["id"] for a in stored} == {a["id"] for a in first.opened + first.cleared}
    alert = by_rule(stored, "latency-p95")[0]
    assert alert["first_seen"] == T1 and alert["last_seen"] == T2

    small_credit(until_day=60, from_day=35, store=store)
    third = evaluate_model(store, "credit", notify=False, at=T3)
    resolved = by_rule(third.resolved, "latency-p95")
    assert [a["id"] for a in resolved] == [alert["id"]]
    alert = by_rule(list_alerts(store, "credit"), "latency-p95")[0]
    assert alert["status"] == "resolved" and alert["changed_by"] == "system"
    assert alert["note"] == "resolved automatically: the condition cleared in the week of 8 Apr 2024"
    assert [e["status"] for e in alert_events(store, alert["id"])] == ["open", "resolved"]
    assert len(by_rule(list_alerts(store, "credit"), "latency-p95")) == 1  # not duplicated


def test_people_acknowledge_and_resolve_with_a_note(small_credit):
    store = small_credit(until_day=35)
    result = evaluate_model(store, "credit", notify=False, at=T1)
    alert = by_rule(result.opened, "demographic-parity")[0]
    change_status(store, alert["id"], "acknowledged", "ana@example.com", "known, retraining")
    change_status(store, alert["id"], "resolved", "bo", "new model deployed")
    events = alert_events(store, alert["id"])
    assert [(e["status"], e["who"], e["note"]) for e in events[1:]] == [
        ("acknowledged", "ana@example.com", "known, retraining"),
        ("resolved", "bo", "new model deployed"),
    ]
    # the condition still holds in the same window: a person's resolution stands
    evaluate_model(store, "credit", notify=False, at=T2)
    stored = [a for a in list_alerts(store, "credit") if a["id"] == alert["id"]][0]
    assert stored["status"] == "resolved" and stored["changed_by"] == "bo"
    with pytest.raises(InputError, match="say who"):
        change_status(store, alert["id"], "open", " ")
    with pytest.raises(InputError, match="use one of open, acknowledged, resolved"):
        change_status(store, alert["id"], "closed", "bo")
    with pytest.raises(NotFoundError, match="no alert with id 999"):
        change_status(store, 999, "resolved", "bo")


def test_report_alerts_section_reads_the_history(small_credit):
    store = small_credit(until_day=35)
    assert build_report(store, ReportRequest(model="credit"))["alerts"] == []
    evaluate_after_ingest(store, "credit")
    report = build_report(store, ReportRequest(model="credit"))
    stored = list_alerts(store, "credit")
    assert len(report["alerts"]) == len(stored) > 0
    record = [r for r in report["alerts"] if r["rule"] == "latency-p95"][0]
    starts = {w["start"]: w["index"] for w in report["windows"]}
    assert record["window"] == starts[record["window_start"]]
    assert record["model"] == "credit" and record["status"] == "open" and record["severity"] == "high"
    for key in ("message", "value", "threshold", "scope", "first_seen", "last_seen", "changed_by", "note"):
        assert key in record


def test_at_or_above_orders_severities():
    alerts = [{"severity": s} for s in ("low", "medium", "high", "critical")]
    assert [a["severity"] for a in at_or_above(alerts, "high")] == ["high", "critical"]
    with pytest.raises(InputError, match="critical, high, medium, low"):
        at_or_above(alerts, "severe")
