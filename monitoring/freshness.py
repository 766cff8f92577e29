"""Freshness: is data still arriving? Time since the last production row, batch and label, and the
share of predictions old enough to have their label (the `label_delay_days` setting) that still
lack it. Measured against the clock when the report is made, over all stored data (not only the
report's period): it is about now, not about the windows.
"""

from datetime import UTC, datetime, timedelta

from monitoring.store import Store, catalog, freshness_sql, window_sql
from monitoring.windows import WindowSpec

FIELDS = (
    "window",
    "checked_at",
    "last_production",
    "last_batch",
    "last_label",
    "hours_since_production",
    "hours_since_batch",
    "hours_since_label",
    "label_delay_days",
    "overdue_rows",
    "overdue_unlabelled_share",
    "labels_overdue_days",
)


def utc_now() -> datetime:
    """Now in UTC as the store keeps times: naive, whole seconds."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _hours(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round((now - then).total_seconds() / 3600, 3)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


def freshness_record(con, model, delay_days: float, now: datetime, window: int | None = None) -> dict:
    """The one freshness record of a model (times ISO 8601 UTC, null where there is none)."""
    production = freshness_sql.last_production(con, model)
    batch = freshness_sql.last_batch(con, model)
    label = freshness_sql.last_label(con, model)
    record = {
        "window": window,
        "checked_at": _iso(now),
        "last_production": _iso(production),
        "last_batch": _iso(batch),
        "last_label": _iso(label),
        "hours_since_production": _hours(now, production),
        "hours_since_batch": _hours(now, batch),
        "hours_since_label": _hours(now, label),
        "label_delay_days": delay_days,
        "overdue_rows": None,
        "overdue_unlabelled_share": None,
        "labels_overdue_days": None,
    }
    if production is None:
        return record
    due = now - timedelta(days=delay_days)
    source, params = window_sql.production_source(con, model, WindowSpec("batch"))
    rows, unlabelled, oldest = freshness_sql.overdue_labels(con, model, source, params, due)
    record["overdue_rows"] = unlabelled
    record["overdue_unlabelled_share"] = unlabelled / rows if rows else None
    if label is not None:  # a model that never had a label is not waiting for one
        late = 0.0 if oldest is None else (due - oldest).total_seconds() / 86400
        record["labels_overdue_days"] = round(late, 3)
    return record


def freshness_section(con, context) -> dict:
    """The report's `freshness` section: one record, tied to the latest window (for alerts)."""
    latest = context.windows[-1].index if context.windows else None
    delay = context.settings.label_delay_days
    return {"freshness": [freshness_record(con, context.model, delay, utc_now(), latest)]}


def model_freshness(store: Store, model_name: str, now: datetime | None = None) -> dict:
    """The freshness record of a model, read now (pages show it fresh, not from a cached report)."""
    with store.connect() as con:
        model = catalog.get_model(con, model_name)
        return freshness_record(con, model, model.settings.label_delay_days, now or utc_now())
