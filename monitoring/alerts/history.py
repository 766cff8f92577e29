"""The alert history: evaluation results kept as alerts with a lifecycle (open, acknowledged,
resolved), who changed them and why, deduplicated across evaluations and resolved automatically
when their condition clears.

It sits below the report (the report's `alerts` section reads it); monitoring/alerts/evaluate.py,
above the report, feeds it.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitoring.alerts.findings import Finding
from monitoring.alerts.notify import hide_webhook_urls
from monitoring.alerts.rules import SEVERITIES
from monitoring.errors import InputError, NotFoundError
from monitoring.store import alerts_sql, catalog

STATUSES = ("open", "acknowledged", "resolved")
ACTIVE = ("open", "acknowledged")
SYSTEM = "system"


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class SyncResult:
    """What one evaluation changed in the history."""

    opened: list[dict] = field(default_factory=list)
    reopened: list[dict] = field(default_factory=list)
    resolved: list[dict] = field(default_factory=list)
    open: list[dict] = field(default_factory=list)
    # first seen and already cleared in this evaluation: stored as resolved, neither new nor sent
    cleared: list[dict] = field(default_factory=list)


def _values(finding: Finding, at: datetime) -> dict:
    return {
        "key": finding.key,
        "rule": finding.rule.name,
        "metric": finding.rule.metric,
        "severity": finding.rule.severity,
        "scope": finding.scope,
        "window_start": finding.window_start,
        "window_label": finding.label,
        "value": finding.value,
        "threshold": finding.threshold,
        "message": finding.message,
        "action": finding.rule.action,
    }


def _change(con, alert: dict, status: str, who: str, note: str, at: datetime) -> dict:
    alerts_sql.update_alert(con, alert["id"], {"status": status, "changed_by": who, "note": note})
    alerts_sql.add_event(con, alert["id"], at, status, who, note)
    return {**alert, "status": status, "changed_by": who, "note": note}


def _cleared(finding: Finding) -> str:
    return f"resolved automatically: the condition cleared in {finding.cleared_in}"


def sync(con, model_id: int, findings: list[Finding], at: datetime | None = None) -> SyncResult:
    """Merge one evaluation's findings into the stored history (inside a transaction)."""
    at = at or now()
    result = SyncResult()
    stored = {a["key"]: a for a in alerts_sql.list_alerts(con, model_id)}
    for finding in findings:
        values = _values(finding, at)
        alert = stored.pop(finding.key, None)
        if finding.active or alert is None:
            values["last_seen"] = at
        if alert is None:
            values.update(status="open", first_seen=at, changed_by=SYSTEM, note="")
            values["id"] = alerts_sql.insert_alert(con, model_id, values)
            alerts_sql.add_event(con, values["id"], at, "open", SYSTEM, finding.message)
            alert = values
            if not finding.active:  # e.g. an error burst in a past week only: history, not news
                result.cleared.append(_change(con, alert, "resolved", SYSTEM, _cleared(finding), at))
                continue
            result.opened.append(alert)
        else:
            grew = alert["window_start"] != finding.window_start
            alerts_sql.update_alert(con, alert["id"], values)
            alert = {**alert, **values}
            if finding.active and alert["status"] == "resolved" and (alert["changed_by"] == SYSTEM or grew):
                alert = _change(con, alert, "open", SYSTEM, f"reopened: {finding.message}", at)
                result.reopened.append(alert)
        if not finding.active and alert["status"] in ACTIVE:
            alert = _change(con, alert, "resolved", SYSTEM, _cleared(finding), at)
            result.resolved.append(alert)
        if alert["status"] in ACTIVE:
            result.open.append(alert)
    for alert in stored.values():
        if alert["status"] in ACTIVE:
            note = "resolved automatically: the condition is no longer present (data or rules changed)"
            result.resolved.append(_change(con, alert, "resolved", SYSTEM, note, at))
    return result


def list_alerts(store, model_name: str, statuses: tuple[str, ...] | None = None) -> list[dict]:
    """The model's alerts, oldest first, optionally only those with the given statuses."""
    with store.connect() as con:
        model = catalog.get_model(con, model_name)
        return [_shown(a) for a in alerts_sql.list_alerts(con, model.id, statuses)]


def _shown(alert: dict) -> dict:
    """An alert as anyone may read it: webhook URLs in its delivery note cut to their host."""
    return {**alert, "delivery": hide_webhook_urls(alert.get("delivery"))}


def alert_events(store, alert_id: int) -> list[dict]:
    with store.connect() as con:
        return alerts_sql.list_events(con, alert_id)


def change_status(store, alert_id: int, status: str, who: str, note: str = "") -> dict:
    """Acknowledge, resolve or reopen an alert, recording who did it and why."""
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    if not who or not who.strip():
        raise InputError("say who changes the alert (a name or e-mail), so the history shows it")
    if who.strip().lower() == SYSTEM:
        raise InputError(f"{SYSTEM!r} names the app's own changes; say who you are (a name or e-mail)")
    with store.transaction() as con:
        alert = alerts_sql.get_alert(con, alert_id)
        if alert is None:
            raise NotFoundError(f"no alert with id {alert_id}; list them with `python -m monitoring alerts`")
        return _change(con, alert, status, who.strip(), note, now())


def at_or_above(alerts: list[dict], severity: str) -> list[dict]:
    """The alerts whose severity is `severity` or worse."""
    if severity not in SEVERITIES:
        raise InputError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}")
    limit = SEVERITIES.index(severity)
    return [a for a in alerts if SEVERITIES.index(a["severity"]) <= limit]


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def alerts_section(con, context) -> dict:
    """The report's `alerts` records: read from the stored history (never evaluates rules)."""
    starts = {w.to_record()["start"]: w.index for w in context.windows}
    return {"alerts": alert_records(con, context.model, starts)}


def alert_records(con, model, starts: dict) -> list[dict]:
    """The model's stored alerts as report records; `starts` maps a window's start to its index."""
    records = []
    for alert in alerts_sql.list_alerts(con, model.id):
        record = {k: _iso(v) for k, v in _shown(alert).items() if k != "key"}
        record["model"] = model.name
        record["window"] = starts.get(alert["window_start"])
        records.append(record)
    return records
