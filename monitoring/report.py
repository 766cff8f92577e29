"""The report: one JSON-able dict per model, window and period, one section per area.

Each area registers a function `(con, context) -> {section_name: [flat records]}` in SECTIONS.
"""

from contextlib import contextmanager
from datetime import datetime

from monitoring.alerts.history import alerts_section
from monitoring.context import Context, ReportRequest, make_context
from monitoring.data_quality import data_quality_section
from monitoring.drift.section import drift_section
from monitoring.fairness import fairness_section
from monitoring.operations import operations_section
from monitoring.performance.section import performance_section
from monitoring.store import catalog, window_sql

SECTIONS: dict = {}
SECTIONS["drift"] = drift_section
SECTIONS["performance"] = performance_section  # performance, confusion_matrix
SECTIONS["fairness"] = fairness_section  # fairness (groups), fairness_disparities
SECTIONS["operations"] = operations_section
SECTIONS["data_quality"] = data_quality_section  # data_quality, schema_changes
SECTIONS["alerts"] = alerts_section  # reads the stored alert history; never evaluates rules


def reference_record(con, context: Context) -> dict:
    """Rows, time span (None without timestamps) and batch ids of the reference the report uses."""
    if not window_sql.has_rows(con, context.model, "reference"):
        return {"rows": 0, "start": None, "end": None, "batches": []}
    source, params = context.reference(con)
    timestamp = context.model.column("timestamp")
    # a reference ingested before production may have no timestamp column at all
    present = timestamp and timestamp.name in catalog.table_columns(con, context.model.table("reference"))
    ts = catalog.quote(timestamp.name) if present else "NULL"
    rows, start, end, batches = con.execute(
        f"SELECT count(*), min({ts}), max({ts}), list(DISTINCT __batch ORDER BY __batch) FROM ({source})",
        params,
    ).fetchall()[0]
    return {"rows": rows, "start": _iso(start), "end": _iso(end), "batches": list(batches or [])}


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def build_report(store, request: ReportRequest) -> dict:
    """Compute every registered section for the request.

    Everything is read from one snapshot, so an ingest that commits meanwhile (another session of
    the app) is either wholly in the report or not at all; the summary cache is written outside
    it (store/cache.py).
    """
    with store.connect() as con, _snapshot(con):
        context = make_context(con, request)
        report = {
            "model": context.model.name,
            "task": context.model.task,
            "window": str(context.spec),
            "generated_at": datetime.now().isoformat(timespec="seconds"),
            "reference": reference_record(con, context),
            "windows": [w.to_record() for w in context.windows],
        }
        for name, compute in SECTIONS.items():
            if request.sections is None or name in request.sections:
                report.update(compute(con, context))
    return report


@contextmanager
def _snapshot(con):
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    finally:
        con.execute("ROLLBACK")  # nothing was written in it
