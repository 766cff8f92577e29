"""Prometheus export: the latest figures of every model, labelled by model.

`python -m monitoring metrics-server --port N` serves them in Prometheus's text format. Each scrape
reads the store; reports are rebuilt only when a model's data changed (its data_version), open
alert counts are read fresh. "Latest" means the latest window with a value for that figure.
"""

import sys
import threading
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily

from monitoring.alerts.rules import SEVERITIES
from monitoring.report import ReportRequest, build_report
from monitoring.store import alerts_sql, catalog

PREFIX = "monitoring"
LATENCY = {"latency_p50": "0.5", "latency_p95": "0.95", "latency_p99": "0.99"}


class ReportCollector:
    """A prometheus-client collector over the store."""

    def __init__(self, store):
        self.store = store
        self._reports: dict[str, tuple[int, dict]] = {}
        self._lock = threading.Lock()

    def report(self, model) -> dict:
        with self._lock:
            cached = self._reports.get(model.name)
            if cached is None or cached[0] != model.data_version:
                cached = (model.data_version, build_report(self.store, ReportRequest(model=model.name)))
                self._reports[model.name] = cached
            return cached[1]

    def collect(self):
        with self.store.connect() as con:
            models = catalog.list_models(con)
            counts = alerts_sql.open_counts(con)
        families = metric_families()
        for model in models:
            try:
                _add_report(families, model.name, self.report(model))
                families["up"].add_metric([model.name], 1.0)
            except Exception as error:  # one broken model must not blank the whole scrape
                print(f"metrics-server: report of {model.name!r} failed: {error}", file=sys.stderr)
                families["up"].add_metric([model.name], 0.0)
        opened = {(m, s): n for m, s, n in counts}
        for model in models:
            for severity in SEVERITIES:
                families["open_alerts"].add_metric(
                    [model.name, severity], opened.get((model.name, severity), 0)
                )
        yield from families.values()


def metric_families() -> dict[str, GaugeMetricFamily]:
    def gauge(name, text, labels):
        return GaugeMetricFamily(f"{PREFIX}_{name}", text, labels=["model", *labels])

    return {
        "performance": gauge(
            "performance", "Latest performance metric per window (realized or estimated).", ["metric", "kind"]
        ),
        "baseline": gauge("performance_baseline", "Performance metric on the reference.", ["metric"]),
        "value": gauge(
            "business_value", "Business value of the latest window (realized or estimated).", ["kind"]
        ),
        "drift_share": gauge("drift_share", "Share of drifted features in the latest window.", []),
        "dataset_drifted": gauge("dataset_drifted", "1 when the latest window drifted as a whole.", []),
        "drift_score": gauge(
            "feature_drift_score", "Latest drift statistic per column.", ["column", "role", "method"]
        ),
        "drifted": gauge(
            "feature_drifted", "1 when the column drifted in the latest window.", ["column", "role"]
        ),
        "latency": gauge("latency_milliseconds", "Latency quantiles in the latest window.", ["quantile"]),
        "error_rate": gauge(
            "error_rate", "Share of predictions with an error status in the latest window.", []
        ),
        "predictions": gauge("predictions", "Predictions in the latest window.", []),
        "fairness": gauge(
            "fairness_ratio", "Latest disparity ratio (lowest/highest group).", ["attribute", "metric"]
        ),
        "window_start": gauge(
            "window_start_timestamp_seconds", "Start of the latest window (Unix time).", []
        ),
        "open_alerts": gauge("open_alerts", "Open or acknowledged alerts.", ["severity"]),
        "up": gauge("report_up", "1 when the model's report could be computed at this scrape.", []),
    }


def _add_report(families: dict, model: str, report) -> None:
    for (metric, kind), r in report.latest("performance", lambda r: (r["metric"], r["kind"])).items():
        families["performance"].add_metric([model, metric, kind], r["value"])
    for metric, r in report.latest("performance", lambda r: r["metric"], "baseline").items():
        families["baseline"].add_metric([model, metric], r["baseline"])
    for kind, r in report.latest("business_value", lambda r: r["kind"]).items():
        families["value"].add_metric([model, kind], r["value"])
    dataset = report.latest("dataset_drift", lambda r: "all", "share_drifted").get("all")
    if dataset:
        families["drift_share"].add_metric([model], dataset["share_drifted"])
        families["dataset_drifted"].add_metric([model], float(bool(dataset["drifted"])))
    for column, r in report.latest("drift", lambda r: (r["column"], r["role"]), "statistic").items():
        families["drift_score"].add_metric([model, *column, r["method"]], r["statistic"])
        families["drifted"].add_metric([model, *column], float(bool(r["drifted"])))
    operations = report.latest("operations", lambda r: r["metric"])
    for metric, quantile in LATENCY.items():
        if metric in operations:
            families["latency"].add_metric([model, quantile], operations[metric]["value"])
    for metric, family in (("error_rate", "error_rate"), ("prediction_count", "predictions")):
        if metric in operations:
            families[family].add_metric([model], operations[metric]["value"])
    disparities = report.latest("fairness_disparities", lambda r: (r["attribute"], r["metric"]), "ratio")
    for labels, r in disparities.items():
        families["fairness"].add_metric([model, *labels], r["ratio"])
    starts = [w["start"] for w in report.windows if w.get("start")]
    if starts:
        families["window_start"].add_metric(
            [model], datetime.fromisoformat(max(starts)).replace(tzinfo=UTC).timestamp()
        )


def registry_for(store) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(store))
    return registry


def serve(store, port: int, addr: str = "127.0.0.1"):
    """Start the metrics server in a background thread; return (server, thread).

    It has no authentication, so it listens on this machine only unless `addr` says otherwise.
    """
    return start_http_server(port, addr=addr, registry=registry_for(store))
