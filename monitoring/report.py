"""The report: one JSON-able dict per model, window and period, one section per area.

Each area registers a function `(con, context) -> {section_name: [flat records]}` in SECTIONS.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime

from monitoring.alerts.history import alerts_section
from monitoring.data_quality import data_quality_section
from monitoring.drift.section import drift_section
from monitoring.fairness import fairness_section
from monitoring.operations import operations_section
from monitoring.performance.section import performance_section
from monitoring.settings import ModelSettings
from monitoring.store import catalog, window_sql
from monitoring.windows import WHOLE_PERIOD, Period, Window, WindowSpec


@dataclass(frozen=True)
class ReportRequest:
    model: str
    window: str | None = None
    period: Period = WHOLE_PERIOD
    method: str | None = None
    threshold: str | None = None
    reference_batch: int | None = None
    sections: tuple[str, ...] | None = None  # None: every registered section


@dataclass(frozen=True)
class Context:
    """What every section needs: the model, its effective settings and the windows."""

    model: catalog.Model
    settings: ModelSettings
    spec: WindowSpec
    period: Period
    windows: list[Window]
    reference_batch: int | None = None
    window_index: dict = field(default_factory=dict)
    only: tuple | None = None  # window keys: production() keeps just their rows
    memo: dict = field(default_factory=dict)  # what several sections of one report share

    def production(self, con) -> tuple[str, list]:
        source, params = window_sql.production_source(con, self.model, self.spec, self.period)
        if self.only is None:
            return source, params
        return window_sql.only_windows(source, params, self.only)

    def restricted(self, windows: list[Window]) -> "Context":
        """The same context for some of its windows only."""
        if len(windows) == len(self.windows):
            return self
        return replace(self, windows=windows, only=tuple(w.key for w in windows), memo={})

    def reference(self, con) -> tuple[str, list]:
        return window_sql.reference_source(con, self.model, self.reference_batch)

    def index_of(self, key) -> int | None:
        return self.window_index.get(key)


def make_context(con, request: ReportRequest) -> Context:
    model = catalog.get_model(con, request.model)
    settings = model.settings
    if request.window:
        settings = replace(settings, window=request.window)
    if request.method:
        settings = replace(settings, drift_method=request.method)
    if request.threshold:
        settings = replace(settings, drift_threshold=request.threshold)
    spec = WindowSpec.parse(settings.window)
    found = window_sql.list_windows(con, model, spec, request.period)
    return Context(
        model=model,
        settings=settings,
        spec=spec,
        period=request.period,
        windows=found,
        reference_batch=request.reference_batch,
        window_index={w.key: w.index for w in found},
    )


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
    """Compute every registered section for the request."""
    with store.connect() as con:
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
