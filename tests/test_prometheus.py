import json
import re
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.prometheus import metric_families, serve
from monitoring.report import ReportRequest, build_report

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def scrape(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def latest(records, **match):
    found = [
        r for r in records if all(r.get(k) == v for k, v in match.items()) and r.get("value") is not None
    ]
    return max(found, key=lambda r: r["window"])["value"]


def test_scraping_the_real_server_gives_the_latest_figures(small_credit):
    store = small_credit(until_day=35)
    evaluate_model(store, "credit", notify=False)
    report = build_report(store, ReportRequest(model="credit"))
    server, thread = serve(store, 0, "127.0.0.1")
    try:
        samples = scrape(server.server_port)
    finally:
        server.shutdown()
    m = (("model", "credit"),)
    assert samples[("monitoring_report_up", m)] == 1.0
    p95 = latest(report["operations"], metric="latency_p95")
    assert samples[("monitoring_latency_milliseconds", m + (("quantile", "0.95"),))] == p95
    assert samples[("monitoring_error_rate", m)] == latest(report["operations"], metric="error_rate")
    accuracy = latest(report["performance"], metric="accuracy_score", kind="realized")
    assert (
        samples[("monitoring_performance", (("kind", "realized"), ("metric", "accuracy_score")) + m)]
        == accuracy
    )
    share = report["dataset_drift"][-1]["share_drifted"]
    assert samples[("monitoring_drift_share", m)] == share
    income = [r for r in report["drift"] if r["column"] == "income"][-1]
    key = (("column", "income"), ("method", income["method"]), ("model", "credit"), ("role", "feature"))
    assert samples[("monitoring_feature_drift_score", key)] == income["statistic"]
    open_high = sum(a["severity"] == "high" and a["status"] == "open" for a in list_alerts(store, "credit"))
    assert samples[("monitoring_open_alerts", m + (("severity", "high"),))] == open_high > 0
    assert samples[("monitoring_open_alerts", m + (("severity", "critical"),))] >= 0
    assert samples[("monitoring_window_start_timestamp_seconds", m)] == pytest.approx(
        datetime.fromisoformat(report["windows"][-1]["start"]).replace(tzinfo=UTC).timestamp()
    )
    dp = [
        r
        for r in report["fairness_disparities"]
        if r["metric"] == "demographic_parity" and r["window"] is not None
    ]
    ratio = max(dp, key=lambda r: r["window"])["ratio"]
    key = (("attribute", "gender"), ("metric", "demographic_parity"), ("model", "credit"))
    assert samples[("monitoring_fairness_ratio", key)] == ratio


def test_deploy_files_use_only_served_metric_names():
    served = {family.name for family in metric_families().values()}
    for path in (DEPLOY / "grafana-dashboard.json", DEPLOY / "prometheus-alerts.yml"):
        used = set(re.findall(r"\bmonitoring_[a-z_]+", path.read_text()))
        assert used and used <= served, (path.name, used - served)
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text())["groups"][0]["rules"]
    assert {r["labels"]["severity"] for r in rules} <= {"critical", "high", "medium", "low"}
    assert json.loads((DEPLOY / "grafana-dashboard.json").read_text())["panels"]
