"""The report: one JSON-able dict per model, window and period, one section per area.

Each area registers a function `(con, context) -> {section_name: [flat records]}` in SECTIONS.
`build_report` returns a `Report`: the dict (the JSON contract, unchanged by the wrapper) and one
way to read it: records and DataFrames per section with window labels, the latest value of a
metric, the primary metric and the effective settings. The report holds no NaN or infinite number
(`finite`): a figure that is not finite is null, so its JSON is strict.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from monitoring.alerts.history import alerts_section
from monitoring.context import Context, ReportRequest, make_context
from monitoring.data_quality import data_quality_section
from monitoring.drift.impact import impact_sections
from monitoring.drift.section import drift_section
from monitoring.fairness import fairness_section
from monitoring.freshness import freshness_section
from monitoring.operations import operations_section
from monitoring.performance.section import business_value_section, performance_section
from monitoring.progress import Progress, silent
from monitoring.settings import ModelSettings
from monitoring.store import catalog, window_sql
from monitoring.store.cache import as_stored
from monitoring.store.connection import read_snapshot
from monitoring.versions import versions_section
from monitoring.weak_segments import weak_segments_section
from monitoring.windows import parse_time, window_label, window_phrase

# The headline metric of a model: the first of these its performance records have.
PRIMARY_METRICS = ("accuracy_score", "mean_absolute_error", "root_mean_squared_error", "r2_score")
WINDOW_COLUMNS = ["index", "start", "end", "rows", "label"]


@dataclass(frozen=True)
class Report(Mapping):
    """A report: read-only access to the JSON contract (`report["drift"]` still works) plus the
    helpers every consumer needs, so that none of them re-parses the dict."""

    data: dict

    def __getitem__(self, key):
        return self.data[key]

    def __iter__(self):
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def to_dict(self) -> dict:
        """The JSON contract, as documented in the README."""
        return self.data

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON; indented, each record of a section on one line (a grouped report holds
        hundreds of thousands of records: Python's indenting encoder would take seconds on them)."""
        if indent is None:
            return json.dumps(self.data, default=str, allow_nan=False)
        pad = " " * indent
        parts = []
        for key, value in self.data.items():
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                lines = f",\n{pad * 2}".join(json.dumps(r, default=str, allow_nan=False) for r in value)
                text = f"[\n{pad * 2}{lines}\n{pad}]"
            else:
                text = json.dumps(value, indent=indent, default=str, allow_nan=False).replace(
                    "\n", "\n" + pad
                )
            parts.append(f"{pad}{json.dumps(key)}: {text}")
        return "{\n" + ",\n".join(parts) + "\n}"

    @property
    def unit(self) -> str:
        """The window size, e.g. 'week' or 'rows:5000'."""
        return self.data.get("window", "")

    @property
    def windows(self) -> list[dict]:
        return self.data.get("windows") or []

    @property
    def settings(self) -> ModelSettings:
        """The settings the report was computed with (the model's, with the request's overrides)."""
        return ModelSettings.from_dict(self.data.get("settings") or {})

    @property
    def latest_window(self) -> int | None:
        return self.windows[-1]["index"] if self.windows else None

    def window(self, index: int | None) -> dict | None:
        return next((w for w in self.windows if w["index"] == index), None)

    def window_label(self, index: int | None) -> str:
        """The window's short name on charts and tables ('2024-03-04', 'window 3')."""
        found = self.window(index)
        return window_label(parse_time(found and found.get("start")), index)

    def window_phrase(self, index: int | None) -> str:
        """The window in a sentence ('the week of 4 Mar')."""
        found = self.window(index)
        return window_phrase(parse_time(found and found.get("start")), self.unit, index)

    def records(self, section: str) -> list[dict]:
        return self.data.get(section) or []

    def windows_frame(self) -> pd.DataFrame:
        """One row per window: index, start (a timestamp), end, rows and its label."""
        frame = pd.DataFrame(self.windows, columns=WINDOW_COLUMNS[:-1])
        frame["start"] = pd.to_datetime(frame["start"])
        frame["label"] = [self.window_label(i) for i in frame["index"]]
        return frame

    def frame(self, section: str) -> pd.DataFrame:
        """A section as a DataFrame; records of a window also get its `label` and `start`."""
        frame = pd.DataFrame(self.records(section))
        if "window" not in frame:
            return frame
        if frame.empty:
            return frame.assign(label=[], start=[])
        keep = self.windows_frame()[["index", "label", "start"]].rename(columns={"index": "window"})
        return frame.merge(keep, on="window", how="left")

    @property
    def primary_metric(self) -> str | None:
        """Accuracy for classifiers, the mean absolute error for regression (None without any)."""
        names = {r["metric"] for r in self.records("performance")}
        return next((m for m in PRIMARY_METRICS if m in names), None)

    def for_segment(self, name: str | None, min_rows: int) -> "Report":
        """Only the records of segment `name` of a grouped report (of a filtered or plain report:
        all of them), leaving out windows where the slice had fewer than `min_rows` rows: a small
        segment never alerts."""
        small = {
            w["index"] for w in self.windows if name is None and self.get("segment") and w["rows"] < min_rows
        }
        data = dict(self.data)
        for key in SECTION_KEYS:
            if not isinstance(data.get(key), list):
                continue
            data[key] = [
                r
                for r in data[key]
                if r.get("segment") == name
                and r.get("window") not in small
                and (r.get("segment_rows") is None or r["segment_rows"] >= min_rows)
            ]
        return Report(data)

    def latest(self, section: str, key=lambda r: r.get("metric"), value: str = "value") -> dict:
        """{key(record): the record of the latest window whose `value` is not null}."""
        found: dict = {}
        for record in self.records(section):
            if record.get(value) is None or record.get("window") is None:
                continue
            k = key(record)
            if k not in found or record["window"] >= found[k]["window"]:
                found[k] = record
        return found


SECTIONS: dict = {}
SECTIONS["drift"] = drift_section
SECTIONS["performance"] = performance_section  # performance, confusion_matrix
SECTIONS["business_value"] = business_value_section  # computed with performance, per window
SECTIONS["fairness"] = fairness_section  # fairness (groups), fairness_disparities
SECTIONS["operations"] = operations_section
SECTIONS["data_quality"] = data_quality_section  # data_quality, schema_changes
SECTIONS["freshness"] = freshness_section  # one record: time since the last row, batch and label
SECTIONS["weak_segments"] = weak_segments_section
SECTIONS["versions"] = versions_section
SECTIONS["alerts"] = alerts_section  # reads the stored alert history; never evaluates rules


def section(con, context: Context, name: str) -> dict:
    """A registered section's result, computed once per report (drift_impact reads two others)."""
    key = f"section:{name}"
    if key not in context.memo:
        context.memo[key] = SECTIONS[name](con, context)
    return context.memo[key]


def drift_impact_section(con, context: Context) -> dict:
    """feature_importance, drift_impact and drift_ranking: the drift and performance sections'
    records (computed here if the request left them out) and the surrogate's importances."""
    performance = section(con, context, "performance")
    names = {r["metric"] for r in performance.get("performance") or []}
    metric = next((m for m in PRIMARY_METRICS if m in names), None)
    return impact_sections(con, context, section(con, context, "drift"), performance, metric)


SECTIONS["drift_impact"] = drift_impact_section  # feature_importance, drift_impact, drift_ranking


def reference_record(con, context: Context) -> dict:
    """Rows, time span (None without timestamps) and batch ids of the baseline the report uses (the
    segment's rows only, with a segment; the bins' source with baseline `previous`)."""
    if context.baseline.kind == "reference" and not window_sql.has_rows(con, context.model, "reference"):
        return {"rows": 0, "start": None, "end": None, "batches": []}
    source, params = context.reference(con)
    rows, start, end, batches = window_sql.reference_span(con, context.model, source, params)
    return {"rows": rows, "start": _iso(start), "end": _iso(end), "batches": list(batches or [])}


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def finite(value):
    """`value` with every NaN or infinite number replaced by None, so that the report is strict
    JSON (no bare NaN or Infinity, which jq and JSON.parse refuse)."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if value and all(type(item) is dict for item in value):  # records: flat, check them fast
            return [_finite_record(record) for record in value]
        return [finite(item) for item in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value


def _finite_record(record: dict) -> dict:
    if any(type(v) in (dict, list, tuple) for v in record.values()):
        return finite(record)
    return {
        k: None if isinstance(v, (float, np.floating)) and not math.isfinite(v) else v
        for k, v in record.items()
    }


def build_report(store, request: ReportRequest, progress: Progress = silent) -> Report:
    """Compute every registered section for the request; `progress` hears each section's name.

    Everything is read from one snapshot, so an ingest that commits meanwhile (another session of
    the app) is either wholly in the report or not at all; the summary cache is written outside
    it (store/cache.py).
    """
    with store.connect() as con, read_snapshot(con):
        if request.engine == "spark":
            from monitoring.store.spark_engine import open_spark  # defers pyspark

            con = open_spark(con, catalog.get_model(con, request.model), request.spark_master)
        context = make_context(con, request)
        data = {
            "model": context.model.name,
            "task": context.model.task,
            "window": str(context.spec),
            "generated_at": datetime.now().isoformat(timespec="seconds"),
            "settings": as_stored(context.settings.to_dict()),
            "reference": reference_record(con, context),
            "baseline": str(context.baseline),
            "segment": context.segment.label if context.segment else None,
            "segment_conditions": context.segment.text if context.segment else None,
            "by": context.by,
            "segments": segments_record(context),
            "windows": [w.to_record() for w in context.windows],
        }
        chosen = [n for n in SECTIONS if request.sections is None or n in request.sections]
        for i, name in enumerate(_computing_order(chosen)):
            progress(f"computing {name.replace('_', ' ')}", i / len(chosen))
            section(con, context, name)
        for name in chosen:
            data.update(section(con, context, name))
        if context.by:
            _every_record_has_a_segment(data)
    return Report(finite(data))


def _computing_order(chosen: list[str]) -> list[str]:
    """Weak segments before drift: they count each window's bins per value of a segment column
    and keep the sums over the values, which the drift section then reads instead of counting
    every row again."""
    if "weak_segments" not in chosen or "drift" not in chosen:
        return chosen
    order = [n for n in chosen if n != "weak_segments"]
    order.insert(order.index("drift"), "weak_segments")
    return order


def segments_record(context: Context) -> list[dict]:
    """The values of the grouping column: {segment, value, rows}, most rows first."""
    totals: dict = {}
    for (_, value), rows in context.segment_rows.items():
        totals[value] = totals.get(value, 0) + rows
    return [
        {"segment": context.segment_name(v), "value": v, "rows": totals[v]} for v in context.segment_values
    ]


def _every_record_has_a_segment(data: dict) -> None:
    """Grouped: records of what is not per slice (schema changes, alerts, the model's whole
    multivariate drift) belong to the whole population."""
    for key in SECTION_KEYS:
        for record in data.get(key) or []:
            record.setdefault("segment", None)


SECTION_KEYS = (
    "drift",
    "dataset_drift",
    "multivariate_drift",
    "performance",
    "confusion_matrix",
    "fairness",
    "fairness_disparities",
    "operations",
    "data_quality",
    "schema_changes",
    "alerts",
    "feature_importance",
    "drift_impact",
    "drift_ranking",
)
