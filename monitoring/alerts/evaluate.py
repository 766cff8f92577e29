"""Alert evaluation, the one alerts module above the report: build the model's report, apply its
rules, merge the findings into the history, and send notifications.

`evaluate_after_ingest(store, model_name)` is what ingest (CLI and Upload page) calls.
"""

import threading
from dataclasses import replace
from datetime import datetime

from monitoring.alerts.findings import Finding, evaluate
from monitoring.alerts.history import SyncResult, sync
from monitoring.alerts.notify import notify_alerts
from monitoring.alerts.rules import load_rules
from monitoring.alerts.watch import sections_for
from monitoring.context import ReportRequest
from monitoring.errors import MonitoringError
from monitoring.progress import Progress, silent
from monitoring.report import build_report
from monitoring.store import catalog
from monitoring.store.window_sql import has_rows


def evaluate_model(
    store,
    model_name: str,
    *,
    notify: bool = True,
    background: bool = False,
    at: datetime | None = None,
    progress: Progress = silent,
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> SyncResult:
    """Build the model's report (the sections its rules read), evaluate its rules, store the
    alerts and send notifications.

    Alerts are stored before any webhook is called; `background=True` sends from another thread
    so that a slow receiver never holds up the caller (the app, the API, the watcher); the CLI
    waits (bounded by the timeouts) so that its process does not exit before the message left.
    The thread is not a daemon: a process that exits waits for it (bounded by the same timeouts)
    rather than killing it inside a DuckDB call, which aborts the interpreter.
    """
    with store.connect() as con:
        rules = load_rules(con, catalog.get_model(con, model_name))
    whole = [r for r in rules if not r.segment and not r.version]
    request = ReportRequest(
        model=model_name, sections=sections_for(whole), engine=engine, spark_master=spark_master
    )
    report = build_report(store, request, progress)
    findings = evaluate(report, whole)
    findings += scoped_findings(store, model_name, rules, report.settings.min_segment_rows)
    with store.transaction() as con:
        model = catalog.get_model(con, model_name)
        result = sync(con, model.id, findings, at)
    if notify:
        fresh = result.opened + result.reopened
        if background:
            threading.Thread(target=notify_alerts, args=(store, model_name, fresh), daemon=False).start()
        else:
            notify_alerts(store, model_name, fresh)
    return result


def scoped_findings(store, model_name: str, rules: list, min_rows: int) -> list[Finding]:
    """The findings of the rules that watch a segment, a version or each value of a column: one
    report per slice (grouped for `each COL`); a slice with fewer than `min_rows` rows in a window
    is left out there, so it never alerts."""
    found = []
    for text, scoped in _by_slice(store, model_name, rules).items():
        each = scoped[0].each
        sections = sections_for(scoped)
        request = ReportRequest(model_name, by=each, sections=sections)
        if not each:
            request = ReportRequest(model_name, segment=text, sections=sections)
        try:
            report = build_report(store, request)
        except MonitoringError:  # e.g. the slice has no rows in this period: nothing to judge
            continue
        names = [s["segment"] for s in report["segments"]] if each else [None]
        for name in names:
            label = name or report["segment"]
            for finding in evaluate(report.for_segment(name, min_rows), scoped):
                found.append(_in_slice(finding, label))
    return found


def _by_slice(store, model_name: str, rules: list) -> dict:
    """{segment text: its enabled rules}; a version is the segment of the model's version column."""
    found: dict = {}
    version = None
    for rule in rules:
        if not rule.enabled or not (rule.segment or rule.version):
            continue
        if rule.version and version is None:
            with store.connect() as con:
                column = catalog.get_model(con, model_name).column("version")
            version = column.name if column else ""
        text = rule.segment.strip() if rule.segment else f"{version}={rule.version}"
        found.setdefault(text, []).append(rule)
    return found


def _in_slice(finding: Finding, label: str) -> Finding:
    """A finding of a slice: its scope and message name the slice (one alert per slice)."""
    scope = f"{finding.scope} @ {label}" if finding.scope else f"@ {label}"
    return replace(finding, scope=scope, message=f"{label}: {finding.message}")


def evaluate_after_ingest(
    store, model_name: str, *, background: bool = False, progress: Progress = silent
) -> SyncResult | None:
    """Evaluate the rules after new data arrived (None when the model has no production rows yet).

    Call it after the ingest transaction committed, so a failure here never undoes the ingest.
    """
    with store.connect() as con:
        model = catalog.get_model(con, model_name)
        if not has_rows(con, model, "production"):
            return None
    return evaluate_model(store, model_name, background=background, progress=progress)
