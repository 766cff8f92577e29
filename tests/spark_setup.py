"""The Spark session of the Spark tests: local[2], tuned for many small queries.

Only settings that change speed, never results: the session time zone and timestamp type are the
engine's own (store/spark_engine.py); 2 shuffle partitions instead of 200, no adaptive re-planning;
no UI; the JVM's quick C1 compiler only (a test runs thousands of short-lived generated classes,
which the slower C2 never pays back)."""

import os
import shutil

import pytest

TEST_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.adaptive.enabled": "false",  # re-planning after each stage costs more than it saves here
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


def needs_spark() -> str:
    """The pyspark package's folder; the test fails (and says how to fix it) without Java or pyspark."""
    if shutil.which("java") is None:
        pytest.fail(
            "the Spark tests need Java 17 (apt-get install -y openjdk-17-jre-headless); none is on PATH",
            pytrace=False,
        )
    try:
        import pyspark
    except ImportError:
        pytest.fail(
            "pyspark is not installed: pip install -r requirements-spark.txt (.ci/run does)", pytrace=False
        )
    return os.path.dirname(pyspark.__file__)


def start_spark():
    needs_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("monitoring-tests")
    for key, value in TEST_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
