"""The store: schema, transactions, quoting, and two processes writing one database file."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from monitoring.errors import StoreBusyError
from monitoring.ingest.pipeline import ingest_file
from monitoring.store import Store, catalog, quote
from monitoring.store.connection import _is_lock_error
from monitoring.store.tables import MIGRATIONS, migrate, schema_version

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "predictions.csv"
HOLD = """
import sys, time
from monitoring.store import Store
store = Store(sys.argv[1])
with store.connect() as con:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""
APP = """
import sys, time
from monitoring.ingest.pipeline import ingest_file
from monitoring.store import Store
store = Store(sys.argv[1])
with store.connect() as con:
    print("holding", flush=True)
    time.sleep(1.0)
print(ingest_file(store, sys.argv[2], model="m", kind="production").summary(), flush=True)
"""


def _log(path: Path, tag: str, rows: int) -> str:
    frame = pd.DataFrame(
        {
            "id": [f"{tag}{i}" for i in range(rows)],
            "timestamp": pd.Timestamp("2024-05-01") + pd.to_timedelta(range(rows), unit="s"),
            "age": [20 + i % 50 for i in range(rows)],
            "prediction": [i % 2 for i in range(rows)],
        }
    )
    frame.to_csv(path, index=False)
    return str(path)


def _cli(db: str, file: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "monitoring", "ingest", file, "--db", db, "--model", "m"]
    return subprocess.Popen(
        [*command, "--kind", "production"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stored(db: str) -> tuple[int, int]:
    with Store(db).connect() as con:
        batches = catalog.list_batches(con, "m")
        rows = con.execute('SELECT count(*) FROM "m1_production"').fetchall()[0][0]
    return len(batches), rows


def test_schema_is_versioned_and_migrate_is_idempotent(store):
    with store.connect() as con:
        assert schema_version(con) == len(MIGRATIONS)
        migrate(con)
        assert schema_version(con) == len(MIGRATIONS)
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"meta", "models", "model_columns", "batches", "schema_changes", "summary_cache"} <= tables


def test_quote_keeps_any_name_an_identifier(store):
    names = ['a"; DROP TABLE models; --', "x'y", "sp ace", "ünï", '""']
    with store.connect() as con:
        con.execute(f"CREATE TEMP TABLE t ({', '.join(quote(n) + ' INTEGER' for n in names)})")
        found = [r[0] for r in con.execute("DESCRIBE t").fetchall()]
        assert con.execute("SELECT count(*) FROM models").fetchall() == [(0,)]
    assert found == names


def test_transaction_rolls_back_everything_on_error(store):
    with pytest.raises(RuntimeError), store.transaction() as con:
        con.execute("INSERT INTO models (name, task) VALUES ('x', 'binary')")
        raise RuntimeError("boom")
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM models").fetchall() == [(0,)]


@pytest.mark.parametrize("where", ["memory", "file"])
def test_threads_ingesting_at_once_lose_nothing(tmp_path, where):
    store = Store(":memory:" if where == "memory" else str(tmp_path / "db.duckdb"))
    files = [_log(tmp_path / f"f{i}.csv", f"t{i}-", 500) for i in range(5)]
    ingest_file(store, files[0], model="m", kind="production")
    errors = []

    def work(path):
        try:
            ingest_file(store, path, model="m", kind="production")
        except Exception as error:  # noqa: BLE001 - the test reports any
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f,)) for f in files[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.connect() as con:
        assert con.execute('SELECT count(*), count(DISTINCT __batch) FROM "m1_production"').fetchall() == [
            (2500, 5)
        ]


def test_lock_error_text_of_this_duckdb_is_recognised(tmp_path):
    db = str(tmp_path / "db.duckdb")
    Store(db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, db, "5"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(duckdb.IOException) as raised:
            duckdb.connect(db)
        assert _is_lock_error(raised.value)
        with pytest.raises(StoreBusyError, match="held by another process"):
            Store(db, lock_wait=0.3)
    finally:
        holder.kill()
        holder.wait()


def test_two_cli_ingests_at_once_both_succeed(tmp_path):
    db = str(tmp_path / "db.duckdb")
    Store(db)
    first, second = (_log(tmp_path / f"{tag}.csv", tag, 100_000) for tag in ("a", "b"))
    processes = [_cli(db, first), _cli(db, second)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert all("stored 100,000 production rows" in out for out, _ in outputs)
    assert _stored(db) == (2, 200_000)


def test_app_holding_the_file_and_cli_ingest_both_succeed(tmp_path):
    db = str(tmp_path / "db.duckdb")
    Store(db)
    app_file, cli_file = _log(tmp_path / "app.csv", "app", 2000), _log(tmp_path / "cli.csv", "cli", 2000)
    app = subprocess.Popen(
        [sys.executable, "-c", APP, db, app_file], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert app.stdout.readline().strip() == "holding"
    started = time.monotonic()
    cli = _cli(db, cli_file)
    cli_out, cli_err = cli.communicate(timeout=120)
    waited = time.monotonic() - started
    app_out, _ = app.communicate(timeout=120)
    assert (cli.returncode, app.returncode) == (0, 0), cli_err
    assert "stored 2,000 production rows" in cli_out and "stored 2,000 production rows" in app_out
    assert waited > 0.5  # the CLI waited for the app to let go of the file, then wrote
    assert _stored(db) == (2, 4000)


def test_file_connections_get_a_memory_limit(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "db.duckdb"))
    with store.connect() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchall() == [("244.1 MiB",)]
    monkeypatch.setenv("MONITORING_MEMORY_LIMIT", "1GB")
    with store.connect() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchall() == [("953.6 MiB",)]


def test_connections_inside_held_share_one_open_database_checkpointed_when_it_ends(tmp_path):
    store = Store(str(tmp_path / "m.duckdb"))
    log = Path(store.path + ".wal")
    with store.held():
        with store.transaction() as con:
            con.execute("CREATE TABLE t AS SELECT range AS i FROM range(10)")
        assert log.exists()  # the writer's close did not checkpoint: the database stayed open
        with store.connect() as con:
            assert con.execute("SELECT count(*) FROM t").fetchall() == [(10,)]
    assert not log.exists()
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM t").fetchall() == [(10,)]
