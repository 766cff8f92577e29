"""A process killed (SIGKILL) in the middle of an ingest leaves no half batch: the database opens,
every stored batch holds exactly its rows, and the same file can be ingested again whole."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring.store import Store, catalog

ROOT = Path(__file__).resolve().parent.parent
ROWS = 300_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> str:
    rng = np.random.default_rng(3)
    path = tmp_path_factory.mktemp("crash") / "big.csv"
    stamps = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, ROWS), unit="s")
    score = rng.uniform(0, 1, ROWS).round(4)
    pd.DataFrame(
        {
            "id": np.arange(ROWS),
            "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
            "x": rng.normal(size=ROWS).round(4),
            "region": rng.choice(["north", "south"], ROWS),
            "score": score,
            "prediction": (score > 0.5).astype(int),
        }
    ).to_csv(path, index=False)
    return str(path)


def ingest_command(path: str, db: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "monitoring",
        "ingest",
        path,
        "--model",
        "m",
        "--kind",
        "production",
        "--db",
        db,
    ]


def consistent(db: str) -> list[tuple[int, int, int]]:
    """(batch, rows the catalog says, rows stored) for every batch; they must agree."""
    with Store(db).connect() as con:
        if not catalog.model_exists(con, "m"):
            return []
        table = catalog.get_model(con, "m").table("production")
        batches = con.execute("SELECT id, rows FROM batches ORDER BY id").fetchall()
        found = []
        for batch, rows in batches:
            (stored,) = con.execute(f"SELECT count(*) FROM {table} WHERE __batch = ?", [batch]).fetchall()[0]
            found.append((batch, rows, stored))
        return found


@pytest.mark.parametrize("after", [0.5, 1.5, 3.0])
def test_a_killed_ingest_leaves_no_half_batch_and_the_file_goes_in_whole_afterwards(
    big_file, tmp_path, after
):
    db = str(tmp_path / "crash.duckdb")
    process = subprocess.Popen(
        ingest_command(big_file, db), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    for batch, rows, stored in consistent(db):
        assert rows == stored == ROWS, (batch, rows, stored)  # a batch is there whole, or not at all
    done = subprocess.run(ingest_command(big_file, db), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [(rows, stored) for _, rows, stored in consistent(db)] == [(ROWS, ROWS)]
