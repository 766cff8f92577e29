"""The watched folder: a real watcher (watchdog events and scans) on a temporary folder, files
dropped into it the way writers drop them."""

import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_api import csv_bytes, frame

from monitoring.alerts.history import list_alerts
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.store import Store, catalog
from monitoring.watch import FolderWatch

ROOT = Path(__file__).resolve().parent.parent
ROLES = RoleOverrides(
    id="id", timestamp="timestamp", prediction="prediction", target="target", score=["score"]
)


def batches(store) -> list[tuple[str, int]]:
    with store.connect() as con:
        if not catalog.model_exists(con, "m"):
            return []
        found = catalog.list_batches(con, "m")
    return [(r.file_name, int(r.rows)) for r in found.itertuples()]


def wait_for(condition, timeout: float = 60.0):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


@contextmanager
def watching(folder: Path, store, **options):
    """A FolderWatch running in a thread until the block ends; yields the outcomes as they come."""
    watcher = FolderWatch(folder, store, "m", options.pop("kind", "production"), ROLES, **options)
    outcomes, stop = [], threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop, outcomes.append), kwargs={"interval": 0.2})
    thread.start()
    try:
        yield outcomes
    finally:
        stop.set()
        thread.join(timeout=30)


@pytest.fixture
def with_reference(tmp_path):
    store = Store(str(tmp_path / "watch.duckdb"))
    reference = tmp_path / "reference.csv"
    reference.write_bytes(csv_bytes(frame(2000, "2024-01-01", "r")))
    ingest_file(store, str(reference), model="m", kind="reference", overrides=ROLES)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return store, inbox


def test_a_file_written_in_two_parts_is_ingested_once_complete_and_moved_to_done(with_reference):
    store, inbox = with_reference
    data = csv_bytes(frame(500, "2024-03-04", "p", shift=9.0))
    with watching(inbox, store, settle_seconds=1.5) as outcomes:
        with open(inbox / "day1.csv", "wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            time.sleep(1.0)  # a writer pausing: less than the settle time, so nothing is read yet
            assert batches(store) == [("reference.csv", 2000)]
            handle.write(data[len(data) // 2 :])
        wait_for(lambda: (inbox / "done" / "day1.csv").exists())
        wait_for(lambda: outcomes)
    assert batches(store) == [("reference.csv", 2000), ("day1.csv", 500)]
    assert not (inbox / "day1.csv").exists()
    assert (
        outcomes[0].stored
        and outcomes[0].lines[0] == "day1.csv: stored 500 production rows as batch 2 of 'm'"
    )
    assert any(line.startswith("  alerts: ") for line in outcomes[0].lines)  # the rules ran after it
    assert any(a["rule"] == "feature-drift" and a["scope"] == "age" for a in list_alerts(store, "m"))


def test_with_markers_required_a_file_waits_for_its_done_marker(with_reference):
    store, inbox = with_reference
    with watching(inbox, store, settle_seconds=0.2, require_marker=True):
        (inbox / "day2.csv").write_bytes(csv_bytes(frame(300, "2024-03-11", "q")))
        (inbox / "day3.csv.part").write_bytes(b"id,timestamp\n")  # a temporary name: never touched
        time.sleep(1.5)
        assert (inbox / "day2.csv").exists() and len(batches(store)) == 1
        (inbox / "day2.csv.done").touch()
        wait_for(lambda: (inbox / "done" / "day2.csv").exists())
    assert batches(store)[-1] == ("day2.csv", 300)
    assert not (inbox / "day2.csv.done").exists()  # the marker goes with its file
    assert (inbox / "day3.csv.part").exists()


def test_a_bad_file_goes_to_failed_beside_an_error_text_with_the_clis_message(with_reference):
    store, inbox = with_reference
    lines = csv_bytes(frame(50, "2024-03-04", "b")).decode().splitlines()
    lines[3] += ",surplus"
    with watching(inbox, store, settle_seconds=0.3) as outcomes:
        (inbox / "broken.csv").write_text("\n".join(lines) + "\n")
        (inbox / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\nrest")
        wait_for(lambda: len(outcomes) == 2)
    assert len(batches(store)) == 1  # nothing stored
    error = (inbox / "failed" / "broken.csv.error.txt").read_text()
    assert (
        error
        == "broken.csv: line 4 has 9 fields but the header has 8 columns; fix that row (a missing or extra separator, or an unquoted one inside a value)\n"
    )
    assert (inbox / "failed" / "broken.csv").exists()
    assert (
        "photo.png is a PNG image, not a CSV or Parquet file"
        in (inbox / "failed" / "photo.png.error.txt").read_text()
    )


def test_a_restart_after_storing_but_before_moving_does_not_ingest_twice(with_reference):
    store, inbox = with_reference
    dropped = inbox / "day4.csv"
    dropped.write_bytes(csv_bytes(frame(200, "2024-03-18", "d")))
    ingest_file(store, str(dropped), model="m", kind="production", overrides=ROLES)  # stored, then "crashed"
    before = batches(store)
    with watching(inbox, store, settle_seconds=0.2) as outcomes:
        wait_for(lambda: (inbox / "done" / "day4.csv").exists())
    assert batches(store) == before
    assert not outcomes[0].stored and "already stored as batch 2" in outcomes[0].lines[0]
    again = inbox / "day4.csv"  # the same name once more: kept beside the first in done/
    again.write_bytes(csv_bytes(frame(10, "2024-03-25", "e")))
    with watching(inbox, store, settle_seconds=0.2):
        wait_for(lambda: len(list((inbox / "done").iterdir())) == 2)
    assert len(batches(store)) == len(before) + 1


def test_the_watch_command_runs_until_interrupted(with_reference, tmp_path):
    store, inbox = with_reference
    command = [
        sys.executable,
        "-m",
        "monitoring",
        "watch",
        str(inbox),
        "--model",
        "m",
        "--kind",
        "production",
    ]
    command += [
        "--db",
        store.path,
        "--settle",
        "0.5",
        "--interval",
        "0.2",
        "--id",
        "id",
        "--timestamp",
        "timestamp",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout.readline().startswith(f"watching {inbox} for production files of 'm'")
        (inbox / "day5.csv").write_bytes(csv_bytes(frame(100, "2024-03-25", "f")))
        assert process.stdout.readline().startswith("day5.csv: stored 100 production rows as batch 2")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, process.stdout.read()[-3000:]
    assert (inbox / "done" / "day5.csv").exists()


def test_the_polling_observer_works_where_file_events_do_not(with_reference):
    store, inbox = with_reference
    watcher = FolderWatch(inbox, store, "m", "production", ROLES, settle_seconds=0.3)
    stop, used = threading.Event(), []
    thread = threading.Thread(target=lambda: used.append(watcher.run(stop, interval=0.2, polling=True)))
    thread.start()
    try:
        (inbox / "day6.csv").write_bytes(csv_bytes(frame(60, "2024-03-25", "g")))
        wait_for(lambda: (inbox / "done" / "day6.csv").exists())
    finally:
        stop.set()
        thread.join(timeout=30)
    assert used == ["polling"] and batches(store)[-1] == ("day6.csv", 60)
