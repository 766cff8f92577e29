"""Alert evaluation, the one alerts module above the report: build the model's report, apply its
rules, merge the findings into the history, and send notifications.

`evaluate_after_ingest(store, model_name)` is what ingest (CLI and Upload page) calls.
"""

import threading
from datetime import datetime

from monitoring.alerts.findings import evaluate
from monitoring.alerts.history import SyncResult, sync
from monitoring.alerts.notify import notify_alerts
from monitoring.alerts.rules import load_rules
from monitoring.context import ReportRequest
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
    engine: str = "duckdb",
    spark_master: str | None = None,
) -> SyncResult:
    """Build the model's report, evaluate its rules, store the alerts and send notifications.

    Alerts are stored before any webhook is called; `background=True` sends from another thread
    so that a slow receiver never holds up the caller (the app, the API, the watcher); the CLI
    waits (bounded by the timeouts) so that its process does not exit before the message left.
    The thread is not a daemon: a process that exits waits for it (bounded by the same timeouts)
    rather than killing it inside a DuckDB call, which aborts the interpreter.
    """
    report = build_report(store, ReportRequest(model=model_name, engine=engine, spark_master=spark_master))
    with store.transaction() as con:
        model = catalog.get_model(con, model_name)
        findings = evaluate(report, load_rules(con, model))
        result = sync(con, model.id, findings, at)
    if notify:
        fresh = result.opened + result.reopened
        if background:
            threading.Thread(target=notify_alerts, args=(store, model_name, fresh), daemon=False).start()
        else:
            notify_alerts(store, model_name, fresh)
    return result


def evaluate_after_ingest(store, model_name: str, *, background: bool = False) -> SyncResult | None:
    """Evaluate the rules after new data arrived (None when the model has no production rows yet).

    Call it after the ingest transaction committed, so a failure here never undoes the ingest.
    """
    with store.connect() as con:
        model = catalog.get_model(con, model_name)
        if not has_rows(con, model, "production"):
            return None
    return evaluate_model(store, model_name, background=background)
