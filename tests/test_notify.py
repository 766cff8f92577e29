import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.alerts.notify import add_webhook, list_webhooks, payload, post, remove_webhook
from monitoring.errors import InputError

FAST = {"timeout": 0.3, "attempts": 2, "backoff": 0.05}


class Receiver(BaseHTTPRequestHandler):
    mode = "ok"  # ok, fail or hang

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        if self.server.mode == "hang":
            time.sleep(1.0)
        code = 500 if self.server.mode == "fail" else 200
        try:
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"ok")
        except BrokenPipeError:
            pass  # the sender gave up waiting on a hanging receiver, as the test means it to

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    servers = []

    def start(mode: str):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        server.mode, server.received = mode, []
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_port}/hook"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


ALERT = {
    "id": 1,
    "rule": "latency-p95",
    "metric": "latency_p95",
    "severity": "high",
    "scope": "",
    "window_label": "the week of 1 Apr",
    "value": 927.0,
    "threshold": 500.0,
    "status": "open",
    "message": "p95 latency was 927 ms (limit > 500 ms), in the week of 1 Apr",
}


def test_successful_delivery_posts_slack_compatible_json(receiver):
    server, url = receiver("ok")
    delivery = post(url, payload("credit", [ALERT]), **FAST)
    assert delivery.ok and delivery.attempts == 1 and delivery.detail == "HTTP 200"
    body = server.received[0]
    assert body["text"] == (
        "*1 new alert for model credit*\n:large_orange_circle: [HIGH] p95 latency was 927 ms (limit &gt; 500 ms), "
        "in the week of 1 Apr"
    )
    assert body["blocks"][0]["text"]["type"] == "mrkdwn"
    assert body["alerts"][0]["value"] == 927.0 and body["model"] == "credit"


def test_failing_server_is_retried_then_reported(receiver):
    server, url = receiver("fail")
    delivery = post(url, payload("credit", [ALERT]), **FAST)
    assert not delivery.ok and delivery.attempts == 2 and len(server.received) == 2
    assert delivery.detail == "HTTP 500 Internal Server Error"
    assert (
        delivery.describe(url)
        == f"delivery to 127.0.0.1:{server.server_port} failed after 2 attempts: HTTP 500 Internal Server Error"
    )


def test_hanging_server_times_out_quickly(receiver):
    server, url = receiver("hang")
    started = time.monotonic()
    delivery = post(url, payload("credit", [ALERT]), **FAST)
    elapsed = time.monotonic() - started
    assert not delivery.ok and delivery.detail == "timed out after 0.3 s"
    assert elapsed < 0.3 * 2 + 0.05 + 0.5  # two timeouts and one back-off, not the server's 1 s each


def test_unreachable_url_never_raises():
    delivery = post("http://127.0.0.1:9/nothing", {"text": "x"}, **FAST)
    assert not delivery.ok and delivery.attempts == 2


def test_evaluation_records_deliveries_on_the_alerts(small_credit, receiver):
    store = small_credit(until_day=35)
    ok_server, ok_url = receiver("ok")
    _, bad_url = receiver("fail")
    add_webhook(store, "credit", ok_url, "high")
    add_webhook(store, "credit", bad_url, "critical")
    result = evaluate_model(store, "credit")
    high = [a for a in result.opened if a["severity"] in ("critical", "high")]
    assert len(ok_server.received) == 1  # one message per evaluation, all new alerts in it
    assert sorted(a["id"] for a in ok_server.received[0]["alerts"]) == sorted(a["id"] for a in high)
    stored = {a["id"]: a for a in list_alerts(store, "credit")}
    for alert in result.opened:
        delivery = stored[alert["id"]]["delivery"]
        if alert["severity"] == "high":
            assert delivery == f"delivered to 127.0.0.1:{ok_server.server_port} (1 attempt)"
        elif alert["severity"] == "low":
            assert delivery is None
    assert all(a["status"] == "open" for a in stored.values() if a["delivery"])  # never lost
    evaluate_model(store, "credit")  # nothing new: nothing sent
    assert len(ok_server.received) == 1


def test_webhooks_are_validated_and_removable(small_credit):
    store = small_credit(until_day=8)
    with pytest.raises(InputError, match="critical, high, medium, low"):
        add_webhook(store, "credit", "http://x", "urgent")
    with pytest.raises(InputError, match="http:// or https://"):
        add_webhook(store, "credit", "ftp://x", "high")
    hook = add_webhook(store, "credit", "https://hooks.example.com/a", "medium")
    assert list_webhooks(store, "credit") == [(hook, "https://hooks.example.com/a", "medium")]
    assert remove_webhook(store, "credit", hook) and list_webhooks(store, "credit") == []
