"""Playbooks: every rule carries a recommended action (defaults from the severity ladder, editable),
stored with its alerts, sent in webhook messages and shown in the HTML report; and the summary's
retraining recommendation."""

from dataclasses import replace

import pytest
from test_notify import receiver  # noqa: F401 (a real HTTP receiver on localhost)

from monitoring.alerts import playbooks
from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.alerts.notify import add_webhook, payload
from monitoring.alerts.rules import Rule, default_rules, get_rules, save_rules
from monitoring.alerts.rules_file import dumps, loads
from monitoring.html_report import build_html_report
from monitoring.report import Report, ReportRequest
from monitoring.retraining import retraining


def test_default_actions_follow_the_severity_ladder():
    rules = {r.name: r for r in default_rules()}
    assert rules["performance-drop"].action == playbooks.RETRAIN  # critical drop: retrain
    assert (
        "upstream" in rules["many-features-drift"].action and "retrain" in rules["many-features-drift"].action
    )
    assert "serving" in rules["prediction-drift"].action
    assert "roll back" in rules["latency-p95"].action and "roll back" in rules["error-rate"].action.lower()
    assert "owners" in rules["demographic-parity"].action
    milder = Rule("drop", "performance_drop", ">", 2.0, "medium")
    assert milder.action == playbooks.WATCH_PERFORMANCE
    assert all(r.action for r in default_rules())


def test_an_edited_action_is_kept_and_an_empty_one_falls_back_to_the_default(small_credit, tmp_path):
    store = small_credit(until_day=8)
    rules = default_rules()
    rules[4] = replace(rules[4], action="Page the serving on-call (#ml-serving).")
    save_rules(store, "credit", rules)
    assert get_rules(store, "credit")[4].action == "Page the serving on-call (#ml-serving)."
    text = dumps("credit", get_rules(store, "credit"), "toml")
    assert loads(text, "toml")[4].action == "Page the serving on-call (#ml-serving)."
    assert Rule.from_dict({**rules[4].to_dict(), "action": ""}).action == playbooks.SERVING
    assert Rule.from_dict({**rules[4].to_dict(), "action": None}).action == playbooks.SERVING


def test_an_alert_carries_its_action_to_the_history_the_webhook_and_the_html_report(small_credit, receiver):  # noqa: F811
    store = small_credit(until_day=60)
    rules = [
        replace(r, action="Roll back to v1 (runbook R-7).") if r.name == "performance-drop" else r
        for r in default_rules()
    ]
    save_rules(store, "credit", rules)
    server, url = receiver("ok")
    add_webhook(store, "credit", url, "high")
    evaluate_model(store, "credit")
    dropped = next(a for a in list_alerts(store, "credit", ("open",)) if a["rule"] == "performance-drop")
    assert dropped["action"] == "Roll back to v1 (runbook R-7)."
    sent = [a for message in server.received for a in message["alerts"]]
    assert any(
        a["rule"] == "performance-drop" and a["action"] == "Roll back to v1 (runbook R-7)." for a in sent
    )
    assert "→ Roll back to v1 (runbook R-7)." in server.received[0]["text"]
    html = build_html_report(store, ReportRequest(model="credit"))
    assert "<th>Recommended action</th>" in html and "Roll back to v1 (runbook R-7)." in html
    assert "<p><b>Retraining:</b> Retrain now: " in html


def test_payload_lists_the_action_under_each_alert():
    alert = {
        "id": 1,
        "rule": "r",
        "metric": "error_rate",
        "severity": "high",
        "message": "Error rate was 3.0%",
    }
    body = payload("m", [{**alert, "action": playbooks.ERRORS}])
    assert body["alerts"][0]["action"] == playbooks.ERRORS
    assert body["text"].endswith(f"Error rate was 3.0%\n    → {playbooks.ERRORS}")


def perf_report(drops: list[float | None], labelled: int = 20_000, unit: str = "week", **settings) -> Report:
    """A report whose accuracy (baseline 0.90) is `drop` points lower per window; None: estimated only."""
    records = []
    for i, drop in enumerate(drops):
        value = 0.90 - abs(drop or 0) / 100
        kind = "estimated" if drop is None or drop < 0 else "realized"
        records.append(
            {
                "window": i,
                "metric": "accuracy_score",
                "value": value if drop is not None else 0.83,
                "baseline": 0.90,
                "kind": kind,
                "labelled_rows": 0 if kind == "estimated" else labelled,
            }
        )
    windows = [
        {"index": i, "start": f"2024-03-{1 + 7 * i:02d}T00:00:00", "end": None, "rows": 30_000}
        for i in range(len(drops))
    ]
    return Report({"window": unit, "windows": windows, "performance": records, "settings": settings})


def test_retrain_now_after_k_windows_below_the_critical_line_with_enough_labels():
    found = retraining(perf_report([1.0, 6.1, 6.5, 6.1], labelled=14_000))
    assert found.recommended and found.verdict == "retrain now"
    assert (
        found.sentence
        == "Retrain now: accuracy 6.1 points down for 3 weeks; 56,000 labelled rows since the reference."
    )


def test_an_estimate_below_the_line_counts_when_labels_are_not_in():
    found = retraining(perf_report([6.0, 7.0, None]))  # last week estimated at 0.83: 7 points down
    assert found.recommended and "(estimated for windows without labels)" in found.reasons[0]
    assert found.sentence.startswith("Retrain now: estimated accuracy 7.0 points down for 3 weeks")


@pytest.mark.parametrize(
    ("drops", "settings", "verdict", "start"),
    [
        ([1.0, 2.0, 6.0], {}, "watch", "Watch: accuracy 6.0 points down for 1 week; 3 weeks in a row"),
        ([6.0, 6.0, 6.0], {"retrain_min_labels": 100_000}, "wait for labels", "Retrain when labels arrive"),
        ([6.0, 6.0, 1.0], {}, "no need", "No need to retrain"),
        (
            [6.0, 6.0],
            {"retrain_windows": 2},
            "retrain now",
            "Retrain now: accuracy 6.0 points down for 2 weeks",
        ),
    ],
)
def test_no_retraining_before_the_case_is_made(drops, settings, verdict, start):
    found = retraining(perf_report(drops, **settings))
    assert found.verdict == verdict and found.sentence.startswith(start)
