"""Limits and concurrency: reports built at the same time, huge or wide files, long lines, tiny windows."""

import threading

import numpy as np
import pandas as pd
import pytest

from monitoring.ingest.pipeline import ingest_file
from monitoring.report import ReportRequest, build_report
from monitoring.store import Store


def _predictions(rows: int, start: str, prefix: str, seed: int = 0, days: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, days * 86400, rows)
    score = rng.uniform(0, 1, rows).round(4)
    return pd.DataFrame(
        {
            "id": [f"{prefix}{i}" for i in range(rows)],
            "timestamp": (pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s")).strftime(
                "%Y-%m-%d %H:%M:%S"
            ),
            "age": rng.normal(40, 10, rows).round(0),
            "region": rng.choice(["north", "south", "east", "west"], rows),
            "score": score,
            "prediction": (score > 0.5).astype(int),
            "target": (score > rng.uniform(0.3, 0.7, rows)).astype(int),
        }
    )


@pytest.fixture
def file_store(tmp_path):
    """A database file with model M: a reference, three days of production and their labels."""
    store = Store(str(tmp_path / "m.duckdb"))
    production = _predictions(1500, "2024-03-01", "p", seed=1, days=3)
    files = {
        "reference": _predictions(1500, "2024-01-01", "r"),
        "production": production.drop(columns="target"),
        "labels": production[["id", "target"]],
    }
    for kind, frame in files.items():
        path = tmp_path / f"{kind}.csv"
        frame.to_csv(path, index=False)
        ingest_file(store, str(path), model="M", kind=kind)
    return store


def test_reports_built_at_the_same_time_on_a_cold_cache_all_succeed(file_store):
    failures = []

    def report(window: str) -> None:
        try:
            build_report(file_store, ReportRequest("M", window=window))
        except Exception as error:  # every failure counts, whatever its type
            failures.append(f"{type(error).__name__}: {str(error)[:120]}")

    for _ in range(15):
        with file_store.connect() as con:
            con.execute("DELETE FROM summary_cache")
        threads = [
            threading.Thread(target=report, args=(window,))
            for window in ("day", "week", "day", "month", "hour", "batch")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


def test_a_report_built_while_the_same_process_ingests_new_windows_succeeds(file_store, tmp_path):
    paths = []
    for k in range(6):
        frame = _predictions(300, f"2024-04-{1 + 4 * k:02d}", f"n{k}_", seed=10 + k, days=2)
        path = tmp_path / f"new{k}.csv"
        frame.drop(columns="target").to_csv(path, index=False)
        paths.append(path)
    failures, done = [], threading.Event()

    def ingest() -> None:
        for path in paths:
            ingest_file(file_store, str(path), model="M", kind="production")
        done.set()

    def reports() -> None:
        while not done.is_set():
            try:
                report = build_report(file_store, ReportRequest("M", window="day"))
            except Exception as error:
                failures.append(f"{type(error).__name__}: {str(error)[:120]}")
                continue
            indexes = {w["index"] for w in report["windows"]}
            for section in ("drift", "performance", "data_quality"):
                strays = [r for r in report[section] if r.get("window") not in indexes]
                if strays:
                    failures.append(f"{section} has records of windows not in the report: {strays[:1]}")

    threads = [threading.Thread(target=ingest), threading.Thread(target=reports)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    final = build_report(file_store, ReportRequest("M", window="day"))
    assert sum(w["rows"] for w in final["windows"]) == 1500 + 6 * 300
