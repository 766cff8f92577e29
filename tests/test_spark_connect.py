"""Spark Connect: `SPARK_REMOTE=sc://...` (or `--spark-master sc://...`) runs the report's scans on
a Spark Connect server. The server is real: Spark's SparkConnectServer started with spark-submit
(what Spark's sbin/start-connect-server.sh runs) on a free localhost port, stopped afterwards.
The CLI's report through it must equal DuckDB's: counts exactly, statistics to 1e-9, the same
drift verdicts and alerts."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from lake import credit_lake
from spark_setup import needs_spark
from test_spark import _alerts, _attached, differences

from monitoring.context import ReportRequest
from monitoring.demo import credit_roles
from monitoring.report import Report, build_report
from monitoring.store import Store, catalog

pytestmark = pytest.mark.spark

PORTS = range(15010, 15020)  # never Spark Connect's default 15002: other sessions may use it
SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT = 180


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 15010-15019 for the Spark Connect server", pytrace=False)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    pyspark_home = needs_spark()
    port = _free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    command = [
        os.path.join(pyspark_home, "bin", "spark-submit"),
        *("--class", SERVER, "--master", "local[2]"),
        *("--driver-java-options", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
        *("--conf", f"spark.connect.grpc.binding.port={port}"),
        *("--conf", "spark.connect.grpc.binding.address=127.0.0.1"),
        *("--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=2"),
        *("--conf", "spark.sql.adaptive.enabled=false"),  # speed only, as tests/spark_setup.py
    ]
    with open(log, "w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Spark Connect server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert not _listening(port)


def _cli_report(db, out, env: dict, *flags) -> dict:
    command = [sys.executable, "-m", "monitoring", "report", "--db", str(db), "--model", "credit"]
    done = subprocess.run(
        [*command, "--window", "day", "--engine", "spark", *flags, "-o", str(out)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "CANNOT_MODIFY_CONFIG" not in done.stderr  # only session settings are sent to a server
    return json.loads(out.read_text())


def _duckdb_report(store, **options) -> Report:
    with store.transaction() as con:
        catalog.forget_summaries(con, catalog.get_model(con, "credit").id)
    report = build_report(store, ReportRequest("credit", window="day", **options))
    with store.transaction() as con:  # the Spark report must compute everything itself
        catalog.forget_summaries(con, catalog.get_model(con, "credit").id)
    return report


def test_a_report_through_a_spark_connect_server_equals_the_duckdb_report(connect_server, tmp_path):
    db = tmp_path / "connect.duckdb"
    _attached(credit_lake(tmp_path / "lake", days=3), "credit", credit_roles(), Store(str(db)))
    duck = _duckdb_report(Store(str(db)))
    spark = _cli_report(db, tmp_path / "spark.json", {"SPARK_REMOTE": connect_server})
    assert differences(json.loads(duck.to_json()), spark) == []
    assert _alerts(duck) == _alerts(Report(spark))
    assert spark["drift"] and spark["performance"] and spark["weak_segments"]

    duck = _duckdb_report(Store(str(db)), sections=("operations",))
    flagged = _cli_report(
        db, tmp_path / "flag.json", {}, "--spark-master", connect_server, "--sections", "operations"
    )
    assert differences(json.loads(duck.to_json()), flagged) == [] and flagged["operations"]
