"""Webhook notifications: a Slack-compatible JSON message with the new alerts of an evaluation.

One message per webhook and evaluation: `{"text", "blocks", "model", "alerts": [...]}`; Slack and
Teams incoming webhooks show `text` (each alert followed by its rule's recommended action), a
generic receiver reads `alerts` (with `action`). Delivery retries with
exponential back-off and a timeout per attempt; a failure is recorded on the alerts (`delivery`)
and never raises, so an alert is never lost or held up by a receiver that is down.
"""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from monitoring.alerts.rules import SEVERITIES
from monitoring.errors import InputError
from monitoring.store import alerts_sql, catalog

TIMEOUT_SECONDS = 5.0
ATTEMPTS = 3
BACKOFF_SECONDS = 0.5
ICONS = {
    "critical": ":red_circle:",
    "high": ":large_orange_circle:",
    "medium": ":large_yellow_circle:",
    "low": ":white_circle:",
}


@dataclass(frozen=True)
class Delivery:
    ok: bool
    attempts: int
    detail: str

    def describe(self, url: str) -> str:
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        if self.ok:
            return f"delivered to {url} ({tries})"
        return f"delivery to {url} failed after {tries}: {self.detail}"


def _line(alert: dict) -> str:
    severity = alert["severity"]
    line = f"{ICONS.get(severity, '')} [{severity.upper()}] {alert['message']}".strip()
    return line + (f"\n    → {alert['action']}" if alert.get("action") else "")


def payload(model: str, alerts: list[dict]) -> dict:
    """One Slack-compatible message for the new alerts of one evaluation."""
    fields = (
        "id",
        "rule",
        "metric",
        "severity",
        "scope",
        "window_label",
        "value",
        "threshold",
        "status",
        "message",
        "action",
    )
    head = f"{len(alerts)} new alert{'s' if len(alerts) != 1 else ''} for model {model}"
    text = "\n".join([f"*{head}*"] + [_line(a) for a in alerts])
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        "model": model,
        "alerts": [{k: alert.get(k) for k in fields} for alert in alerts],
    }


def post(
    url: str,
    body: dict,
    *,
    timeout: float = TIMEOUT_SECONDS,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF_SECONDS,
) -> Delivery:
    """POST JSON to `url`, retrying with back-off (backoff, 2*backoff, ...); never raises."""
    data = json.dumps(body, default=str).encode()
    detail = ""
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return Delivery(True, attempt, f"HTTP {response.status}")
        except urllib.error.HTTPError as error:
            detail = f"HTTP {error.code} {error.reason}"
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            detail = f"timed out after {timeout:g} s" if "timed out" in str(reason) else f"{reason}"
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    return Delivery(False, attempts, detail)


def add_webhook(store, model_name: str, url: str, min_severity: str = "high") -> int:
    """Send the model's new alerts at or above `min_severity` to `url`."""
    if min_severity not in SEVERITIES:
        raise InputError(f"unknown severity {min_severity!r}; use one of {', '.join(SEVERITIES)}")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"webhook URL must start with http:// or https://, got {url!r}")
    with store.transaction() as con:
        return alerts_sql.add_webhook(con, catalog.get_model(con, model_name).id, url, min_severity)


def list_webhooks(store, model_name: str) -> list[tuple[int, str, str]]:
    with store.connect() as con:
        return alerts_sql.list_webhooks(con, catalog.get_model(con, model_name).id)


def remove_webhook(store, model_name: str, webhook_id: int) -> bool:
    with store.transaction() as con:
        return alerts_sql.remove_webhook(con, catalog.get_model(con, model_name).id, webhook_id)


def notify_alerts(store, model_name: str, alerts: list[dict], **options) -> list[tuple[str, Delivery]]:
    """Send one message per webhook with the new alerts at or above its minimum severity.

    The outcome is recorded on each alert it carried (`delivery`); nothing here raises for a
    receiver that fails, and one evaluation costs at most attempts x timeout + back-off per hook.
    """
    hooks = list_webhooks(store, model_name) if alerts else []
    outcomes, notes = [], {}
    for _, url, min_severity in hooks:
        chosen = [a for a in alerts if SEVERITIES.index(a["severity"]) <= SEVERITIES.index(min_severity)]
        if not chosen:
            continue
        delivery = post(url, payload(model_name, chosen), **options)
        outcomes.append((url, delivery))
        for alert in chosen:
            notes.setdefault(alert["id"], []).append(delivery.describe(url))
    if notes:
        with store.transaction() as con:
            for alert_id, lines in notes.items():
                alerts_sql.update_alert(con, alert_id, {"delivery": "; ".join(lines)})
    return outcomes
