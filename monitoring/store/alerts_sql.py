"""All SQL of alerts: rules, the alert history with its events, and webhook targets."""

import json
from datetime import datetime

RULES_SEEDED = "alert_rules_seeded:{}"
ALERT_COLUMNS = (
    "id, key, rule, metric, severity, scope, window_start, window_label, value, threshold, message, "
    "status, first_seen, last_seen, changed_by, note, delivery, action"
)
ALERT_FIELDS = tuple(c.strip() for c in ALERT_COLUMNS.split(","))


def rules_seeded(con, model_id: int) -> bool:
    found = con.execute("SELECT 1 FROM meta WHERE key = ?", [RULES_SEEDED.format(model_id)]).fetchall()
    return bool(found)


def load_rules(con, model_id: int) -> list[dict]:
    rows = con.execute(
        "SELECT rule FROM alert_rules WHERE model_id = ? ORDER BY position", [model_id]
    ).fetchall()
    return [json.loads(r) for (r,) in rows]


def replace_rules(con, model_id: int, rules: list[dict]) -> None:
    """Store exactly these rules for the model (call inside a transaction)."""
    con.execute("DELETE FROM alert_rules WHERE model_id = ?", [model_id])
    for position, rule in enumerate(rules):
        con.execute(
            "INSERT INTO alert_rules VALUES (?, ?, ?, ?)",
            [model_id, rule["name"], position, json.dumps(rule)],
        )
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [RULES_SEEDED.format(model_id), "1"])


def list_alerts(con, model_id: int, statuses: tuple[str, ...] | None = None) -> list[dict]:
    sql = f"SELECT {ALERT_COLUMNS} FROM alerts WHERE model_id = ?"
    params: list = [model_id]
    if statuses:
        sql += f" AND status IN ({', '.join('?' * len(statuses))})"
        params += list(statuses)
    rows = con.execute(sql + " ORDER BY first_seen, id", params).fetchall()
    return [dict(zip(ALERT_FIELDS, row, strict=True)) for row in rows]


def get_alert(con, alert_id: int) -> dict | None:
    rows = con.execute(f"SELECT model_id, {ALERT_COLUMNS} FROM alerts WHERE id = ?", [alert_id]).fetchall()
    return dict(zip(("model_id",) + ALERT_FIELDS, rows[0], strict=True)) if rows else None


def insert_alert(con, model_id: int, values: dict) -> int:
    names = [f for f in ALERT_FIELDS if f != "id"]
    row = con.execute(
        f"INSERT INTO alerts (model_id, {', '.join(names)}) VALUES (?, {', '.join('?' * len(names))}) "
        "RETURNING id",
        [model_id] + [values.get(n) for n in names],
    ).fetchall()
    return row[0][0]


def update_alert(con, alert_id: int, values: dict) -> None:
    names = [n for n in values if n in ALERT_FIELDS and n not in ("id", "key")]
    assignments = ", ".join(f"{n} = ?" for n in names)
    con.execute(f"UPDATE alerts SET {assignments} WHERE id = ?", [values[n] for n in names] + [alert_id])


def add_event(con, alert_id: int, at: datetime, status: str, who: str, note: str) -> None:
    con.execute("INSERT INTO alert_events VALUES (?, ?, ?, ?, ?)", [alert_id, at, status, who, note])


def list_events(con, alert_id: int) -> list[dict]:
    rows = con.execute(
        'SELECT "at", status, who, note FROM alert_events WHERE alert_id = ? ORDER BY "at", rowid', [alert_id]
    ).fetchall()
    return [dict(zip(("at", "status", "who", "note"), r, strict=True)) for r in rows]


def open_counts(con) -> list[tuple[str, str, int]]:
    """(model name, severity, open or acknowledged alerts) over every model."""
    return con.execute(
        "SELECT m.name, a.severity, count(*)::BIGINT FROM alerts a JOIN models m ON m.id = a.model_id "
        "WHERE a.status IN ('open', 'acknowledged') GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def add_webhook(con, model_id: int, url: str, min_severity: str) -> int:
    row = con.execute(
        "INSERT INTO webhooks (model_id, url, min_severity) VALUES (?, ?, ?) RETURNING id",
        [model_id, url, min_severity],
    ).fetchall()
    return row[0][0]


def list_webhooks(con, model_id: int) -> list[tuple[int, str, str]]:
    return con.execute(
        "SELECT id, url, min_severity FROM webhooks WHERE model_id = ? ORDER BY id", [model_id]
    ).fetchall()


def remove_webhook(con, model_id: int, webhook_id: int) -> bool:
    found = con.execute(
        "DELETE FROM webhooks WHERE model_id = ? AND id = ? RETURNING id", [model_id, webhook_id]
    ).fetchall()
    return bool(found)
