"""Progress with the step named: a bar on a terminal (stderr), nothing in a pipe or a file."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from monitoring.ingest.pipeline import ingest_file
from monitoring.progress import TerminalBar
from monitoring.report import ReportRequest, build_report
from monitoring.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _logs(path: Path, rows: int = 200) -> Path:
    pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(rows)],
            "timestamp": pd.date_range("2024-01-01", periods=rows, freq="h"),
            "x": [i * 0.5 for i in range(rows)],
            "prediction": [i % 2 for i in range(rows)],
        }
    ).to_parquet(path, index=False)
    return path


def test_an_ingest_and_a_report_name_each_step_in_order(tmp_path):
    heard: list[tuple[str, float]] = []
    store = Store(str(tmp_path / "db.duckdb"))
    ingest_file(
        store,
        str(_logs(tmp_path / "logs.parquet")),
        model="m",
        kind="production",
        progress=lambda *a: heard.append(a),
    )
    steps = [step for step, _ in heard]
    assert steps[0] == "reading and checking logs.parquet"
    assert "storing 200 rows of logs.parquet" in steps and steps[-1] == "stored logs.parquet"
    assert [f for _, f in heard] == sorted(f for _, f in heard) and heard[-1][1] == 1.0
    heard.clear()
    build_report(store, ReportRequest("m", sections=("drift", "operations")), lambda *a: heard.append(a))
    assert heard == [("computing drift", 0.0), ("computing operations", 0.5)]


def _drained(fd: int) -> str:
    """All a pseudo-terminal holds: one read may return only part of what was written (the rest
    follows a moment later), so read until a read after a pause finds nothing."""
    chunks, paused = [], False
    while True:
        try:
            chunks.append(os.read(fd, 4096))
            paused = False
        except BlockingIOError:
            if paused:
                return b"".join(chunks).decode()
            time.sleep(0.2)
            paused = True


def test_the_bar_is_drawn_on_a_terminal_and_wiped_at_the_end():
    leader, follower = os.openpty()
    with open(follower, "w") as terminal:
        with TerminalBar(terminal, delay=0) as bar:
            bar("storing the rows", 0.5)
        os.set_blocking(leader, False)
        shown = _drained(leader)
    os.close(leader)
    assert "[############------------]  50% storing the rows" in shown
    assert shown.endswith("\r")  # wiped: what follows starts on a clean line


def test_short_work_and_a_pipe_show_no_bar(tmp_path):
    with open(tmp_path / "log.txt", "w") as file:
        with TerminalBar(file, delay=0) as bar:
            bar("storing the rows", 0.5)
    assert (tmp_path / "log.txt").read_text() == ""
    leader, follower = os.openpty()
    os.set_blocking(leader, False)
    with open(follower, "w") as terminal:
        with TerminalBar(terminal, delay=60) as bar:
            bar("storing the rows", 0.5)  # before the delay: nothing
        with pytest.raises(BlockingIOError):  # nothing was written to the terminal
            os.read(leader, 4096)
    os.close(leader)


def test_the_cli_ingest_writes_no_bar_into_a_pipe(tmp_path):
    path = _logs(tmp_path / "logs.parquet")
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", "ingest", str(path), "--db", str(tmp_path / "db.duckdb")]
        + ["--model", "m", "--kind", "production"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "stored 200 production rows" in done.stdout
    assert "[#" not in done.stderr and "\r" not in done.stderr + done.stdout
