"""Log a report's per-window figures to MLflow: one run per call, one metric point per window.

Metrics: `performance.<metric>` (realized), `estimated.<metric>`, `drift_share`, `latency_p50`,
`latency_p95`, `latency_p99`, `error_rate` and `prediction_count`; each point's step is the window
index and its timestamp the window's start (UTC). The run is tagged with the model's registered
MLflow model name and version (settings `mlflow_registered_model`, `mlflow_model_version`).

MLflow is optional (requirements-mlflow.txt): it is imported inside `log_report` only, so the
rest of the library, the app and the CLI never need it.
"""

import contextlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from monitoring.errors import InputError, MonitoringError

OPERATIONS = ("latency_p50", "latency_p95", "latency_p99", "error_rate", "prediction_count")
BATCH_SIZE = 1000  # MLflow accepts at most 1000 metrics in one log_batch call


@dataclass(frozen=True)
class Point:
    key: str
    value: float
    timestamp_ms: int
    step: int


def _millis(start: str | None, fallback: datetime) -> int:
    moment = datetime.fromisoformat(start) if start else fallback
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the store keeps UTC without a zone
    return int(moment.timestamp() * 1000)


def figures(report) -> list[Point]:
    """The metric points of a report, in window order (pure: no MLflow needed)."""
    made = datetime.fromisoformat(report.get("generated_at") or datetime.now().isoformat())
    starts = {w["index"]: _millis(w.get("start"), made) for w in report.windows}
    found = []

    def add(key: str, record: dict, value) -> None:
        window = record.get("window")
        if value is not None and window in starts:
            found.append(Point(key, float(value), starts[window], int(window)))

    for r in report.records("performance"):
        prefix = "performance" if r.get("kind") == "realized" else "estimated"
        add(f"{prefix}.{r['metric']}", r, r.get("value"))
    for r in report.records("dataset_drift"):
        add("drift_share", r, r.get("share_drifted"))
    for r in report.records("operations"):
        if r.get("metric") in OPERATIONS:
            add(r["metric"], r, r.get("value"))
    return sorted(found, key=lambda p: (p.step, p.key))


def run_tags(report, registered_model: str = "", model_version: str = "") -> dict[str, str]:
    tags = {"monitoring.model": report["model"], "monitoring.window": report.unit}
    if registered_model:
        tags["registered_model_name"] = registered_model
    if model_version:
        tags["registered_model_version"] = str(model_version)
    return tags


def log_report(
    report,
    tracking_uri: str,
    experiment: str | None = None,
    registered_model: str = "",
    model_version: str = "",
) -> tuple[str, int]:
    """Create one run in `experiment` (default `monitoring-<model>`) with the report's figures;
    returns (run id, points logged)."""
    try:
        from mlflow.entities import Metric, Param
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise InputError("mlflow-log needs MLflow: pip install -r requirements-mlflow.txt") from None
    name = experiment or f"monitoring-{report['model']}"
    points = figures(report)
    try:
        client = MlflowClient(tracking_uri=tracking_uri)
        found = client.get_experiment_by_name(name)
        experiment_id = found.experiment_id if found else client.create_experiment(name)
        tags = run_tags(report, registered_model, model_version)
        run = client.create_run(
            experiment_id, run_name=f"{report['model']} {report['generated_at']}", tags=tags
        )
        run_id = run.info.run_id
        params = [Param("window", report.unit), Param("windows", str(len(report.windows)))]
        params.append(Param("reference_rows", str((report.get("reference") or {}).get("rows", 0))))
        client.log_batch(run_id, params=params)
        metrics = [Metric(p.key, p.value, p.timestamp_ms, p.step) for p in points]
        for start in range(0, len(metrics), BATCH_SIZE):
            client.log_batch(run_id, metrics=metrics[start : start + BATCH_SIZE])
        with contextlib.redirect_stdout(io.StringIO()):  # MLflow prints a "View run" line of its own
            client.set_terminated(run_id)
    except MlflowException as error:
        raise MonitoringError(f"MLflow at {tracking_uri} refused the run: {error.message}") from None
    return run_id, len(points)
