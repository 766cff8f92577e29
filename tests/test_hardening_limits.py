"""Limits and concurrency: reports built at the same time, huge or wide files, long lines, tiny windows."""

import gzip
import hashlib
import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring.errors import MonitoringError
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.preview import preview_file
from monitoring.report import ReportRequest, build_report
from monitoring.settings import ModelSettings
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
    store = Store(str(tmp_path / "db" / "m.duckdb"))
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


def _db_hashes(store) -> dict[str, str]:
    folder = Path(store.path).parent
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _refused(store, path, *, model="M", kind="production") -> str:
    """The one-line message ingest refuses `path` with; the database files must stay as they were."""
    before = _db_hashes(store)
    with pytest.raises(MonitoringError) as raised:
        ingest_file(store, str(path), model=model, kind=kind)
    message = str(raised.value)
    assert "\n" not in message and len(message) < 400, message
    assert _db_hashes(store) == before
    return message


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


def _gzip_bomb(path: Path, megabytes: int) -> None:
    """A small .csv.gz that unpacks to about `megabytes` MB of valid rows."""
    row = b"x,2024-03-01 00:00:00,1,0.5\n" * 37_000  # about 1 MB
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(b"id,timestamp,prediction,score\n")
        for _ in range(megabytes):
            handle.write(row)


def test_a_gzip_file_that_unpacks_past_the_size_limit_is_refused_quickly(file_store, tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.csv.gz"
    _gzip_bomb(bomb, 40)
    assert bomb.stat().st_size < 200_000
    monkeypatch.setenv("MONITORING_MAX_FILE_MB", "8")
    started = time.monotonic()
    message = _refused(file_store, bomb)
    assert time.monotonic() - started < 5
    assert "bomb.csv.gz unpacks to more than 8 MB" in message
    assert "MONITORING_MAX_FILE_MB" in message
    with pytest.raises(MonitoringError, match="more than 8 MB"):
        preview_file(file_store, str(bomb), model="M", kind="production")


def test_plain_and_parquet_files_over_the_size_limit_are_refused(file_store, tmp_path, monkeypatch):
    frame = _predictions(40_000, "2024-03-20", "big", days=2).drop(columns="target")
    csv_path, parquet_path = tmp_path / "big.csv", tmp_path / "big.parquet"
    frame.to_csv(csv_path, index=False)
    frame.to_parquet(parquet_path, index=False)
    monkeypatch.setenv("MONITORING_MAX_FILE_MB", "1")
    assert "big.csv is more than 1 MB" in _refused(file_store, csv_path)
    assert "big.parquet unpacks to more than 1 MB" in _refused(file_store, parquet_path)
    monkeypatch.setenv("MONITORING_MAX_FILE_MB", "64")
    assert ingest_file(file_store, str(csv_path), model="M", kind="production").rows == 40_000


def test_a_gzip_file_within_the_size_limit_is_stored(file_store, tmp_path, monkeypatch):
    path = tmp_path / "ok.csv.gz"
    frame = _predictions(2000, "2024-03-20", "gz", days=2).drop(columns="target")
    path.write_bytes(gzip.compress(frame.to_csv(index=False).encode()))
    monkeypatch.setenv("MONITORING_MAX_FILE_MB", "1")
    assert ingest_file(file_store, str(path), model="M", kind="production").rows == 2000


def test_a_bad_size_limit_setting_is_a_clear_error(file_store, tmp_path, monkeypatch):
    path = tmp_path / "p.csv"
    _predictions(10, "2024-03-20", "s").to_csv(path, index=False)
    monkeypatch.setenv("MONITORING_MAX_FILE_MB", "2GB")
    assert "MONITORING_MAX_FILE_MB must be a whole number of megabytes" in _refused(file_store, path)


def test_a_file_of_1000_columns_ingests_under_the_default_memory_limit(file_store, tmp_path, monkeypatch):
    monkeypatch.delenv("MONITORING_MEMORY_LIMIT", raising=False)
    frame = _predictions(50, "2024-03-20", "w", days=1).drop(columns="target")
    rng = np.random.default_rng(3)
    wide = pd.DataFrame(rng.normal(size=(50, 1000 - frame.shape[1])).round(3))
    wide.columns = [f"f{i}" for i in wide.columns]
    path = tmp_path / "wide.csv"
    pd.concat([frame, wide], axis=1).to_csv(path, index=False)
    result = ingest_file(file_store, str(path), model="W", kind="production")
    assert result.rows == 50 and len(result.columns) == 1000


def test_a_file_of_10001_columns_is_refused_quickly(file_store, tmp_path):
    path = tmp_path / "too_wide.csv"
    header = ",".join(["id", "timestamp", "prediction"] + [f"f{i}" for i in range(9998)])
    path.write_text(header + "\n" + ",".join(["a", "2024-03-20 00:00:00", "1"] + ["0.5"] * 9998) + "\n")
    started = time.monotonic()
    message = _refused(file_store, path, model="W")
    assert time.monotonic() - started < 5
    assert "too_wide.csv has 10,001 columns; at most 2,000 are supported" in message


def test_running_out_of_memory_is_a_clear_error_that_names_the_setting(file_store, tmp_path, monkeypatch):
    frame = pd.DataFrame(np.random.default_rng(4).normal(size=(20_000, 300)).round(3))
    frame.columns = [f"f{i}" for i in frame.columns]
    frame.insert(0, "prediction", 1)
    path = tmp_path / "wide_reference.csv"
    frame.to_csv(path, index=False)
    monkeypatch.setenv("MONITORING_MEMORY_LIMIT", "20MB")
    message = _refused(file_store, path, model="W", kind="reference")
    assert "needs more memory than the limit of 20MB" in message
    assert "MONITORING_MEMORY_LIMIT" in message


def _long_value_file(path: Path, rows: int, long_row: int, megabytes: int) -> None:
    """A CSV with `rows` rows whose row `long_row` (0-based) has a `megabytes` MB value."""
    with open(path, "w") as handle:
        handle.write("id,timestamp,prediction,score,blob\n")
        for i in range(rows):
            blob = "B" * (megabytes << 20) if i == long_row else "b"
            handle.write(f"a{i},2024-03-20 00:00:00,1,0.5,{blob}\n")


def _quotes_little(message: str) -> bool:
    return "B" * 201 not in message and "C" * 201 not in message and len(message) < 400


@pytest.mark.parametrize("megabytes", [3, 40])
def test_a_file_whose_only_row_is_too_long_says_so(file_store, tmp_path, megabytes):
    path = tmp_path / "one_long_row.csv"
    _long_value_file(path, 1, 0, megabytes)
    message = _refused(file_store, path, model="L")
    assert "one_long_row.csv: line 2 is longer than 2 MB" in message, message
    assert "no rows" not in message and _quotes_little(message)


@pytest.mark.parametrize("megabytes", [3, 40])
def test_a_long_row_amid_others_is_named_with_its_line(file_store, tmp_path, megabytes):
    path = tmp_path / "long_row.csv"
    _long_value_file(path, 500, 250, megabytes)
    message = _refused(file_store, path, model="L")
    assert "long_row.csv: line 252 is longer than 2 MB" in message, message
    assert _quotes_little(message)
    with pytest.raises(MonitoringError, match="line 252 is longer than 2 MB"):
        preview_file(file_store, str(path), model="L", kind="production")


def test_a_file_without_line_breaks_is_refused_without_echoing_it(file_store, tmp_path):
    path = tmp_path / "no_breaks.csv"
    path.write_text("C" * (5 << 20))
    message = _refused(file_store, path, model="L")
    assert "its first line is longer than 1 MB without a line break" in message
    assert _quotes_little(message)


def test_a_long_header_without_rows_is_quoted_only_in_part(file_store, tmp_path):
    path = tmp_path / "header_only.csv"
    path.write_text(",".join(f"column_with_a_long_name_{i}" for i in range(500)) + "\n")
    message = _refused(file_store, path, model="L")
    assert "but no rows" in message and len(message) < 400


def test_a_long_bad_value_is_quoted_only_in_part(file_store, tmp_path):
    frame = _predictions(300, "2024-03-20", "v", days=1).drop(columns="target")
    frame["age"] = frame["age"].astype(object)
    frame.loc[5, "age"] = "x" * 100_000
    path = tmp_path / "long_value.csv"
    frame.to_csv(path, index=False)
    message = _refused(file_store, path)
    assert "'age'" in message and "row 6" in message and len(message) < 400


@pytest.mark.parametrize("window", ["rows:1", "rows:99"])
def test_a_rows_window_below_100_rows_is_refused(file_store, window):
    with pytest.raises(MonitoringError, match="needs at least 100 rows"):
        build_report(file_store, ReportRequest("M", window=window))
    with pytest.raises(MonitoringError, match="needs at least 100 rows"):
        ModelSettings(window=window)
    assert len(build_report(file_store, ReportRequest("M", window="rows:100"))["windows"]) == 15


def test_a_stored_rows_window_below_the_floor_is_read_as_100_rows(file_store):
    with file_store.connect() as con:
        settings = json.loads(con.execute("SELECT settings FROM models WHERE name = 'M'").fetchall()[0][0])
        settings["window"] = "rows:1"
        con.execute("UPDATE models SET settings = ? WHERE name = 'M'", [json.dumps(settings)])
    report = build_report(file_store, ReportRequest("M"))
    assert report["window"] == "rows:100" and len(report["windows"]) == 15


def test_a_report_of_more_than_2000_windows_is_refused_quickly(file_store, tmp_path):
    path = tmp_path / "decade.csv"
    _predictions(3000, "2015-01-01", "d", seed=7, days=3650).drop(columns="target").to_csv(path, index=False)
    ingest_file(file_store, str(path), model="D", kind="production")
    started = time.monotonic()
    with pytest.raises(MonitoringError) as raised:
        build_report(file_store, ReportRequest("D", window="hour"))
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert re.search(r"the period holds 2,\d{3} hour windows, more than the 2,000 a report can show", message)
    assert "larger window or a shorter period" in message
    assert len(build_report(file_store, ReportRequest("D", window="month"))["windows"]) == 120


def test_a_header_longer_than_64_kb_is_read_whole(file_store, tmp_path):
    frame = _predictions(20, "2024-03-20", "h", days=1).drop(columns="target")
    names = [f"feature_{i:04d}_" + "n" * 110 for i in range(560)]
    wide = pd.DataFrame(np.ones((20, len(names))), columns=names)
    path = tmp_path / "long_header.csv"
    pd.concat([frame, wide], axis=1).to_csv(path, index=False)
    assert len(path.read_text().splitlines()[0]) > 1 << 16
    result = ingest_file(file_store, str(path), model="H", kind="production")
    assert result.rows == 20 and len(result.columns) == 566
