"""The default view kept ready: an ingest ends by computing the model's default report, which the
dashboard's first page then reads whole; a changed batch makes it compute again."""

import time

import pandas as pd
import pytest
from rounding import rounded

from monitoring.alerts.history import change_status, list_alerts
from monitoring.cli import main
from monitoring.context import ReportRequest
from monitoring.demo import START, credit_frames
from monitoring.report import SECTIONS, build_report
from monitoring.store import Store
from monitoring.warm import cached_report

ROLES = {  # the demo's credit_roles(), as CLI flags
    "--id": "request_id",
    "--timestamp": "timestamp",
    "--target": "defaulted",
    "--prediction": "prediction",
    "--score": "score",
    "--sensitive": "gender",
    "--segment": "region",
    "--version": "model_version",
}


@pytest.fixture
def credit_files(tmp_path):
    """Parquet files of the credit demo: the reference, days 0-29, days 30-34 and their labels."""
    reference, production, labels = credit_frames(per_day=300, reference_rows=3000)
    day = (production["timestamp"] - START).dt.days
    files = {
        "reference": reference,
        "first": production[day < 30],
        "later": production[(day >= 30) & (day < 35)],
    }
    files["labels"] = labels[labels["request_id"].isin(files["first"]["request_id"])]
    paths = {}
    for name, frame in files.items():
        paths[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(paths[name], index=False)
    return paths


def ingest(db: str, path, kind: str, *extra: str) -> None:
    """`python -m monitoring ingest` of one file, naming the roles of the columns it has."""
    columns = set(pd.read_parquet(path).columns)
    flags = [part for flag, name in ROLES.items() if name in columns for part in (flag, name)]
    command = ["ingest", str(path), "--db", db, "--model", "credit", "--kind", kind, *extra]
    assert main(command + flags + (["--task", "binary"] if kind != "labels" else [])) == 0


def cache_rows(store: Store) -> int:
    with store.connect() as con:
        return con.execute("SELECT count(*) FROM summary_cache").fetchone()[0]


def without_clock(report) -> dict:
    """The report's data but what depends on the time it was read (when, and how long ago), rounded."""
    return rounded({k: v for k, v in report.to_dict().items() if k not in ("generated_at", "freshness")})


def read_without_computing(store: Store, model: str, monkeypatch):
    """The kept report of the model's default view, read with every section set to fail if run;
    reading it writes nothing to the cache."""
    before = cache_rows(store)

    def not_again(con, context):
        raise AssertionError("a section was computed again")

    with monkeypatch.context() as patched:
        for name in SECTIONS:
            patched.setitem(SECTIONS, name, not_again)
        kept = cached_report(store, ReportRequest(model))
    assert cache_rows(store) == before
    return kept


def test_after_a_cli_ingest_the_default_view_is_read_whole_and_no_section_computes(
    credit_files, tmp_path, monkeypatch
):
    db = str(tmp_path / "credit.duckdb")
    ingest(db, credit_files["reference"], "reference")
    ingest(db, credit_files["first"], "production")
    ingest(db, credit_files["labels"], "labels")
    store = Store(db)
    before = cache_rows(store)
    fresh = build_report(store, ReportRequest("credit"))  # what the default view holds, computed now
    kept = read_without_computing(store, "credit", monkeypatch)
    assert cache_rows(store) == before
    assert without_clock(kept) == without_clock(fresh)
    assert len(kept.windows) == 5 and kept.records("drift") and kept.records("performance")
    assert kept["freshness"][0]["last_production"] == fresh["freshness"][0]["last_production"]


def test_an_ingest_without_the_warm_up_leaves_no_stale_default_view(credit_files, tmp_path):
    db = str(tmp_path / "credit.duckdb")
    ingest(db, credit_files["reference"], "reference")
    ingest(db, credit_files["first"], "production")
    store = Store(db)
    old = cached_report(store, ReportRequest("credit"))
    ingest(db, credit_files["later"], "production", "--no-warm")
    new = cached_report(store, ReportRequest("credit"))
    assert new["windows"] != old["windows"]
    assert sum(w["rows"] for w in new.windows) == sum(w["rows"] for w in old.windows) + len(
        pd.read_parquet(credit_files["later"])
    )
    assert without_clock(new) == without_clock(build_report(store, ReportRequest("credit")))


def kept_reports(store: Store) -> int:
    with store.connect() as con:
        return con.execute("SELECT count(*) FROM summary_cache WHERE key LIKE 'report:%'").fetchone()[0]


def test_kept_reports_of_older_data_are_dropped_when_a_newer_one_is_kept(credit_files, tmp_path):
    db = str(tmp_path / "credit.duckdb")
    ingest(db, credit_files["reference"], "reference")
    ingest(db, credit_files["first"], "production")  # keeps the default view
    store = Store(db)
    for window in ("day", "month"):
        cached_report(store, ReportRequest("credit", window=window))
    assert kept_reports(store) == 3
    ingest(db, credit_files["later"], "production")  # new data: the three are stale
    assert kept_reports(store) == 1  # the new default view alone
    cached_report(store, ReportRequest("credit", window="day"))
    assert kept_reports(store) == 2


def test_a_kept_report_reads_its_alerts_now(credit_files, tmp_path):
    db = str(tmp_path / "credit.duckdb")
    ingest(db, credit_files["reference"], "reference")
    ingest(db, credit_files["first"], "production")
    ingest(db, credit_files["later"], "production")
    store = Store(db)
    opened = list_alerts(store, "credit", ("open",))
    assert opened, "the later days' latency incident opens an alert"
    change_status(store, opened[0]["id"], "acknowledged", "ana")
    kept = cached_report(store, ReportRequest("credit"))
    status = {a["id"]: a["status"] for a in kept["alerts"]}
    assert status[opened[0]["id"]] == "acknowledged"
    assert without_clock(kept) == without_clock(build_report(store, ReportRequest("credit")))


def test_connects_inside_a_held_store_join_the_open_database(tmp_path):
    """What a page run does (app.py holds the store): its reads share one open database, which a
    database attached in one connection shows (attachments belong to the open database)."""

    def attached(store: Store) -> bool:
        with store.connect() as con:
            found = con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'scratch'")
            return found.fetchone()[0] == 1

    store = Store(str(tmp_path / "held.duckdb"))
    with store.held():
        with store.connect() as con:
            con.execute("ATTACH ':memory:' AS scratch")
        assert attached(store)
    assert not attached(store)  # released: the next connect opens the file afresh


def test_an_api_ingest_prepares_the_default_view_after_its_reply(tmp_path, monkeypatch):
    from test_api import PRODUCTION_ROLES, ROLES, call, frame, parquet_bytes, running_api

    store = Store(str(tmp_path / "api.duckdb"))
    week = frame(400, "2024-03-04", "p", 8.0, 4).drop(columns="target")
    with running_api(store) as url:
        batches = f"{url}/v1/models/m/batches?"
        reference = parquet_bytes(frame(3000, "2024-01-01", "r"))
        assert call("POST", f"{batches}{ROLES}&kind=reference", reference)[0] == 201
        assert call("POST", f"{batches}{PRODUCTION_ROLES}&kind=production", parquet_bytes(week))[0] == 201
        for _ in range(1200):  # the warm-up runs after the reply: wait for it, not for a time
            if kept_reports(store):
                break
            time.sleep(0.1)
    kept = read_without_computing(store, "m", monkeypatch)
    assert sum(w["rows"] for w in kept.windows) == 400


def test_the_folder_watcher_prepares_the_default_view_unless_told_not_to(tmp_path, monkeypatch):
    from test_watch import ROLES as WATCH_ROLES
    from test_watch import csv_bytes, frame

    from monitoring.ingest.pipeline import ingest_file
    from monitoring.watch import FolderWatch

    for warm in (False, True):
        store = Store(str(tmp_path / f"watch-{warm}.duckdb"))
        reference = tmp_path / "reference.csv"
        reference.write_bytes(csv_bytes(frame(2000, "2024-01-01", "r")))
        ingest_file(store, str(reference), model="m", kind="reference", overrides=WATCH_ROLES)
        inbox = tmp_path / f"inbox-{warm}"
        inbox.mkdir()
        (inbox / "day1.csv").write_bytes(csv_bytes(frame(500, "2024-03-04", "p", shift=9.0)))
        watcher = FolderWatch(inbox, store, "m", "production", WATCH_ROLES, warm=warm)
        assert watcher.process(inbox / "day1.csv").stored
        assert kept_reports(store) == (1 if warm else 0)
    kept = read_without_computing(store, "m", monkeypatch)
    assert sum(w["rows"] for w in kept.windows) == 500
