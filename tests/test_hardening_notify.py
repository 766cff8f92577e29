"""Hardening of alerts and notifications: webhook secrets stay hidden, Slack text is inert and short,
an alert that opened and cleared in one evaluation is not news (D5, D10, D17, D20)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.alerts.notify import add_webhook, notify_alerts
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import ReportRequest, build_report
from monitoring.store import alerts_sql

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


# D5: webhook URLs are secrets; viewers read the delivery notes.


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.daemon_threads = [], True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_delivery_notes_name_the_webhook_host_but_never_its_path_query_or_credentials(small_credit, receiver):
    store = small_credit(until_day=35)
    host = f"127.0.0.1:{receiver.server_port}"
    add_webhook(store, "credit", f"http://{host}/services/T000/B000/XXXXSECRETXXXX?token=abc", "low")
    add_webhook(store, "credit", "http://user:pw@127.0.0.1:9/services/T1/B1/OTHERSECRET", "low")
    result = evaluate_model(store, "credit", notify=False)
    notify_alerts(store, "credit", result.opened, timeout=2, attempts=1)
    assert len(receiver.received) == 1  # a real delivery to the local receiver
    notes = [a["delivery"] for a in list_alerts(store, "credit") if a["delivery"]]
    report = json.dumps(build_report(store, ReportRequest("credit"))["alerts"])
    assert notes and all(f"delivered to {host} (1 attempt)" in note for note in notes)
    assert all("delivery to 127.0.0.1:9 failed after 1 attempt" in note for note in notes)
    for secret in ("services", "SECRET", "token", "user", "pw@"):
        assert not any(secret in note for note in notes) and secret not in report


def test_notes_stored_with_full_urls_before_are_shown_with_the_host_only(small_credit):
    store = small_credit(until_day=35)
    alert = evaluate_model(store, "credit", notify=False).opened[0]
    old = "delivered to https://hooks.slack.com/services/T0/B0/SECRET (1 attempt); delivery to http://a:b@x.org:81/p?q=1 failed"
    with store.transaction() as con:
        alerts_sql.update_alert(con, alert["id"], {"delivery": old})
    shown = next(a for a in list_alerts(store, "credit") if a["id"] == alert["id"])["delivery"]
    assert shown == "delivered to hooks.slack.com (1 attempt); delivery to x.org:81 failed"
    report = build_report(store, ReportRequest("credit"))["alerts"]
    assert next(a for a in report if a["id"] == alert["id"])["delivery"] == shown


def test_webhook_listings_can_show_a_masked_url():
    from monitoring.alerts.notify import masked_url

    assert (
        masked_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET") == "https://hooks.slack.com/…CRET"
    )
    assert "B000" not in masked_url("https://u:p@hooks.slack.com/services/T000/B000/XXXXSECRET")


# D10, D20: names and values from files reach Slack inert and short.

PING = "<!channel> <https://evil.example|Reset your password> & co"
LONG_NAME = "n" * 5000
HUGE_VALUE = "A" * 9_000  # long, though under the 10,000 characters a category may hold


def _markup_model(store, ingest_frame) -> None:
    """Model 'm': two drifting columns named PING and LONG_NAME, a 9,000-character category new in production."""
    rng = np.random.default_rng(3)
    n = 1200
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-01-01", periods=n, freq="h"),
            "request_id": [f"r{i}" for i in range(n)],
            PING: rng.normal(size=n),
            LONG_NAME: rng.normal(size=n),
            "region": rng.choice(["north", "south"], n),
            "prediction": rng.integers(0, 2, n),
        }
    )
    frame.loc[600:, [PING, LONG_NAME]] += 3
    frame.loc[1190:, "region"] = HUGE_VALUE
    roles = RoleOverrides(timestamp="timestamp", id="request_id", prediction="prediction", task="binary")
    for kind, part in (("reference", frame[:600]), ("production", frame[600:])):
        ingest_frame(store, part, model="m", kind=kind, overrides=roles)


def test_slack_text_escapes_markup_from_files_and_stays_under_3000_characters(store, ingest_frame, receiver):
    _markup_model(store, ingest_frame)
    add_webhook(store, "m", f"http://127.0.0.1:{receiver.server_port}/hook", "low")
    opened = evaluate_model(store, "m").opened  # the CLI's way: waits for the delivery
    assert {a["scope"] for a in opened} >= {PING, LONG_NAME, "region"}
    body = json.loads(receiver.received[0])
    text = body["text"]
    assert body["blocks"][0]["text"]["text"] == text
    assert "<" not in text and ">" not in text and "&lt;!channel&gt;" in text
    assert "&amp; co" in text and "& co" not in text.replace("&amp; co", "")
    assert len(text) <= 3000  # Slack's limit for a section text
    assert {a["scope"] for a in body["alerts"]} >= {PING, "region"}  # data for receivers: as it is


def test_alert_messages_clip_long_names_and_category_values(store, ingest_frame):
    _markup_model(store, ingest_frame)
    evaluate_model(store, "m", notify=False)
    messages = {a["scope"]: a["message"] for a in list_alerts(store, "m")}
    assert len(messages[LONG_NAME]) < 300 and "nnnnnnnn…'" in messages[LONG_NAME]
    unseen = next(a["message"] for a in list_alerts(store, "m") if a["metric"] == "unseen_categories")
    assert len(unseen) < 400 and "AAAAAAAA…" in unseen


def test_many_alerts_fill_the_slack_text_up_to_its_limit_then_say_how_many_more():
    from monitoring.alerts.notify import payload

    alerts = [{"id": i, "severity": "low", "message": f"alert {i} " + "<x>" * 150} for i in range(40)]
    text = payload("m", alerts)["text"]
    assert len(text) <= 3000 and text.endswith("more: see the Alerts page")
    shown = text.count("[LOW]")
    assert 0 < shown < 40 and text.endswith(f"…and {40 - shown} more: see the Alerts page")


# D17: an episode that opened and cleared before this evaluation saw it is history, not news.


def test_an_alert_that_opens_and_clears_in_one_evaluation_is_neither_new_nor_sent(small_credit, receiver):
    store = small_credit(until_day=35)
    add_webhook(store, "credit", f"http://127.0.0.1:{receiver.server_port}/hook", "low")
    result = evaluate_model(store, "credit")
    stored = {a["id"]: a for a in list_alerts(store, "credit")}
    passed = [a for a in stored.values() if a["status"] == "resolved"]
    assert passed, "the small credit model has an episode that already cleared (prediction drift)"
    assert not {a["id"] for a in passed} & {a["id"] for a in result.opened + result.resolved}
    assert {a["id"] for a in result.cleared} == {a["id"] for a in passed}
    sent = json.loads(receiver.received[0])["alerts"]
    assert sent and all(stored[a["id"]]["status"] == "open" == a["status"] for a in sent)
    assert not {a["id"] for a in passed} & {a["id"] for a in sent}
    assert (
        len(sent) == len(result.opened)
        and str(len(result.opened)) in json.loads(receiver.received[0])["text"]
    )
