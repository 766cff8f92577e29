"""mlflow-log against a real MLflow tracking server (`mlflow server` over a SQLite store, started
on a free localhost port); the logged metrics are read back through MLflow's client.

MLflow is optional for the app but not for the suite: requirements-mlflow.txt (installed by
.ci/run) brings it, and these tests fail, never skip, when it is missing."""

import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from app_server import free_port

from monitoring.context import ReportRequest
from monitoring.mlflow_log import figures
from monitoring.report import build_report
from monitoring.settings import ModelSettings
from monitoring.store import Store, catalog
from monitoring.store.backup import copy_to

ROOT = Path(__file__).resolve().parent.parent

try:
    from mlflow.tracking import MlflowClient
except ImportError:  # a clear failure, not a skip: the MLflow tests must always run
    MlflowClient = None


def require_mlflow():
    if MlflowClient is None:
        pytest.fail(
            "MLflow is not installed: pip install -r requirements-mlflow.txt (.ci/run does)", pytrace=False
        )


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    require_mlflow()
    folder = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1", "--backend-store-uri", f"sqlite:///{folder}/mlflow.db"]
    command += ["--default-artifact-root", str(folder / "artifacts")]
    log = open(folder / "server.log", "w")  # noqa: SIM115 (open while the server runs)
    process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 240
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as response:
                    if response.read().strip() == b"OK":
                        break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    pytest.fail(f"mlflow server did not start: {(folder / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def credit_db(demo_store, tmp_path_factory):
    """The demo in a file, with the credit model's registered MLflow name and version set."""
    path = str(tmp_path_factory.mktemp("mlflow-db") / "demo.duckdb")
    copy_to(demo_store, path)
    store = Store(path)
    with store.transaction() as con:
        model = catalog.get_model(con, "credit")
        settings = ModelSettings.from_dict(
            {
                **model.settings.to_dict(),
                "mlflow_registered_model": "credit-default",
                "mlflow_model_version": "7",
            }
        )
        catalog.save_settings(con, model.id, settings)
    return path


def test_mlflow_log_writes_every_window_figure_that_the_client_reads_back(mlflow_server, credit_db):
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", "mlflow-log", "--model", "credit", "--db", credit_db,
         "--tracking-uri", mlflow_server, "--experiment", "credit-monitoring"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_PROXY": "127.0.0.1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("logged ") and "tagged credit-default version 7" in done.stdout
    run_id = done.stdout.split(" to run ")[1].split(",")[0]
    client = MlflowClient(tracking_uri=mlflow_server)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["registered_model_name"] == "credit-default"
    assert run.data.tags["registered_model_version"] == "7" and run.data.tags["monitoring.model"] == "credit"
    assert client.get_experiment(run.info.experiment_id).name == "credit-monitoring"
    report = build_report(Store(credit_db), ReportRequest(model="credit"))
    expected = figures(report)
    keys = {p.key for p in expected}
    assert {
        "performance.accuracy_score",
        "estimated.accuracy_score",
        "drift_share",
        "latency_p95",
        "error_rate",
    } <= keys
    for key in keys:
        history = sorted(client.get_metric_history(run_id, key), key=lambda m: m.step)
        wanted = [p for p in expected if p.key == key]
        assert [(m.step, m.value, m.timestamp) for m in history] == [
            (p.step, p.value, p.timestamp_ms) for p in wanted
        ], key
    accuracy = {m.step: m for m in client.get_metric_history(run_id, "performance.accuracy_score")}
    realized = [
        r for r in report["performance"] if r["metric"] == "accuracy_score" and r["kind"] == "realized"
    ]
    for record in realized:
        if record["value"] is None:
            assert record["window"] not in accuracy
            continue
        point = accuracy[record["window"]]
        assert point.value == pytest.approx(record["value"])
        start = datetime.fromisoformat(report.window(record["window"])["start"]).replace(tzinfo=UTC)
        assert point.timestamp == int(start.timestamp() * 1000)  # the window's time is the point's time
    p95 = {m.step: m.value for m in client.get_metric_history(run_id, "latency_p95")}
    assert p95 == {
        r["window"]: pytest.approx(r["value"]) for r in report["operations"] if r["metric"] == "latency_p95"
    }


def test_an_unreachable_tracking_server_is_a_clear_error(credit_db):
    require_mlflow()
    port = free_port()  # nothing listens there
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", "mlflow-log", "--model", "credit", "--db", credit_db,
         "--tracking-uri", f"http://127.0.0.1:{port}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"},
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: MLflow at http://127.0.0.1:{port} refused the run: ")
    assert len(done.stderr.strip().splitlines()) == 1
