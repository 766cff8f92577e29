"""Webhook notifications: a Slack-compatible JSON message with the new alerts of an evaluation.

One message per webhook and evaluation: `{"text", "blocks", "model", "alerts": [...]}`; Slack and
Teams incoming webhooks show `text` (each alert followed by its rule's recommended action), a
generic receiver reads `alerts` (with `action`). Delivery retries with
exponential back-off and a timeout per attempt; a failure is recorded on the alerts (`delivery`)
and never raises, so an alert is never lost or held up by a receiver that is down.

A webhook URL is a secret (whoever holds a Slack or Teams incoming-webhook URL can post to the
channel): delivery notes, which viewers read, name only its host, and listings mask it.
"""

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitoring.alerts.messages import clip
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
        """The note kept on the alert: names the receiver's host only, never the URL's secret part."""
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        host = webhook_host(url)
        if self.ok:
            return f"delivered to {host} ({tries})"
        return f"delivery to {host} failed after {tries}: {self.detail}"


def webhook_host(url: str) -> str:
    """'hooks.slack.com' for 'https://hooks.slack.com/services/T0/B0/secret' (port kept, no credentials)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "unknown host"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "unknown host"


def masked_url(url: str) -> str:
    """'https://hooks.slack.com/…cret': enough to tell hooks apart, not enough to post to one."""
    tail = url.rstrip("/")[-4:] if len(urlsplit(url).path) > 8 else ""
    return f"{urlsplit(url).scheme}://{webhook_host(url)}/…{tail}"


_URL = re.compile(r"https?://[^\s;()]+")


def hide_webhook_urls(note: str | None) -> str | None:
    """A stored note with every URL in it cut down to its host (notes written before hosts only)."""
    return _URL.sub(lambda m: webhook_host(m.group()), note) if note else note


TEXT_LIMIT = 3000  # Slack refuses a section text longer than this
LINE_LIMIT = 500


def mrkdwn_escaped(text: str) -> str:
    """Text from files made inert for Slack's mrkdwn: no `<!channel>` pings, no disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _line(alert: dict) -> str:
    severity = alert["severity"]
    shown = clip(alert["message"], LINE_LIMIT)
    line = f"{ICONS.get(severity, '')} [{severity.upper()}] {mrkdwn_escaped(shown)}".strip()
    action = alert.get("action")
    return line + (f"\n    → {mrkdwn_escaped(clip(action, LINE_LIMIT))}" if action else "")


def message_text(model: str, alerts: list[dict]) -> str:
    """The message people read: a head line, then one line per alert while it fits TEXT_LIMIT."""
    head = f"{len(alerts)} new alert{'s' if len(alerts) != 1 else ''} for model {clip(model, 80)}"
    lines = [f"*{mrkdwn_escaped(head)}*"]
    for shown, alert in enumerate(alerts):
        rest = f"…and {len(alerts) - shown} more: see the Alerts page"
        line = _line(alert)
        if sum(len(x) + 1 for x in lines) + len(line) + 1 + len(rest) > TEXT_LIMIT:
            lines.append(rest)
            break
        lines.append(line)
    return "\n".join(lines)


def payload(model: str, alerts: list[dict]) -> dict:
    """One Slack-compatible message for the new alerts of one evaluation.

    `text` and `blocks` are what Slack and Teams render: escaped for mrkdwn and under Slack's
    3,000-character limit. `model` and `alerts` are data for generic receivers, left as they are.
    """
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
    text = message_text(model, alerts)
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
        except ValueError:  # its message may quote the URL
            detail = "the URL is not valid"
        except (urllib.error.URLError, TimeoutError, OSError) as error:
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
