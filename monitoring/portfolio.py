"""The portfolio: every model in one table, worst first. Per model the status of each area, the
headline figure and its trend, freshness, open alerts by severity and the retraining verdict."""

from collections.abc import Callable
from urllib.parse import quote as url_quote

import pandas as pd

from monitoring import retraining, summary
from monitoring.alerts.rules import SEVERITIES
from monitoring.freshness import model_freshness, utc_now
from monitoring.store import alerts_sql, catalog

RANK = {summary.CRITICAL: 3, summary.WARNING: 2, summary.UNKNOWN: 1, summary.HEALTHY: 0}


def _trend(report, metric: str | None) -> list[float]:
    """The headline metric per window (realized where labelled, else estimated), oldest first."""
    if metric is None:
        return []
    chosen: dict[int, dict] = {}
    for r in report.records("performance"):
        if r["metric"] == metric and r.get("value") is not None:
            if r["window"] not in chosen or r.get("kind") == "realized":
                chosen[r["window"]] = r
    return [float(chosen[w]["value"]) for w in sorted(chosen)]


def _headline(report) -> str:
    found = summary.headline(report)
    if found is None:
        return "no figures yet"
    text = f"{found['name']} {found['value']:.3g}"
    if found["baseline"] is not None and not pd.isna(found["baseline"]):
        text += f" vs {found['baseline']:.3g}"
    return text + (" est." if found["kind"] == "estimated" else "")


def since(hours: float | None, suffix: str = " ago") -> str:
    """Hours as a short age: '12 min ago', '30 h ago', '40 days ago', '2.6 years ago' or 'never'."""
    if hours is None:
        return "never"
    if hours < 1:
        return f"{hours * 60:.0f} min{suffix}"
    if hours < 48:
        return f"{hours:.0f} h{suffix}"
    days = hours / 24
    return f"{days:,.0f} days{suffix}" if days < 730 else f"{days / 365.25:,.1f} years{suffix}"


def model_row(store, name: str, report, open_counts: dict[str, int], now=None) -> dict:
    """One model's row of the portfolio."""
    statuses = {s.area: s.status for s in summary.statuses(report, report.settings.latency_slo_ms)}
    fresh = model_freshness(store, name, now)
    row = {
        "model": name,
        "link": f"summary?model={url_quote(name)}",
        "task": report.get("task"),
        **statuses,
        "headline": _headline(report),
        "trend": _trend(report, report.primary_metric),
        "last_data": since(fresh["hours_since_production"]),
        "hours_since_production": fresh["hours_since_production"],
        "overdue_unlabelled_share": fresh["overdue_unlabelled_share"],
        **{severity: open_counts.get(severity, 0) for severity in SEVERITIES},
        "retraining": retraining.retraining(report).verdict,
    }
    row["worst"] = max(RANK[statuses[area]] for area in summary.AREAS)
    return row


def portfolio(store, report_of: Callable[[str], object]) -> pd.DataFrame:
    """One row per model, worst first (critical areas, then open alerts by severity).

    `report_of(name)` gives a model's report (the app passes its cached reports)."""
    with store.connect() as con:
        names = [m.name for m in catalog.list_models(con)]
        counts = alerts_sql.open_counts(con)
    by_model: dict[str, dict[str, int]] = {}
    for model, severity, count in counts:
        by_model.setdefault(model, {})[severity] = count
    now = utc_now()
    rows = [model_row(store, name, report_of(name), by_model.get(name, {}), now) for name in names]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    order = ["worst", *SEVERITIES]
    return frame.sort_values(order, ascending=False, kind="stable").reset_index(drop=True)
