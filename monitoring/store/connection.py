"""Opening the database: short-lived connections with a retry while another process holds it."""

import os
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path

import duckdb

from monitoring.errors import InputError, StoreBusyError
from monitoring.schema import quote  # noqa: F401 (the store's quoting rule, re-exported)
from monitoring.settings import default_db_path
from monitoring.store.cache import forget_other_code
from monitoring.store.tables import migrate

MEMORY = ":memory:"
LOCK_WAIT_SECONDS = 60.0
MEMORY_LIMIT_ENV_VAR = "MONITORING_MEMORY_LIMIT"
# DuckDB's own default (80% of RAM) lets its block cache grow with every file ingested; a fixed
# limit keeps peak memory flat (bigger work spills to <db>.tmp). Not applied to `:memory:`, whose
# data must fit in memory anyway.
DEFAULT_MEMORY_LIMIT = "256MB"
# An ingest writes every row once: with twice the room DuckDB stores 10M rows in about half the
# time (fewer evictions while it compresses the row groups); still well under 1 GB of peak memory.
DEFAULT_INGEST_MEMORY_LIMIT = "512MB"
# One writer at a time per database within this process: DuckDB lets threads of one process share
# a file, but two transactions that touch the same rows conflict and one of them is lost.
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(key: str) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


# Bytes 8-11 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"


def _not_a_database(path: str) -> InputError:
    return InputError(
        f"{path} is not a DuckDB database file; give the path of a database file (a new path creates one)"
    )


def _refuse_non_database(path: Path) -> None:
    """DuckDB fails on a folder with an IO error and opens a CSV or Parquet file as read-only views.

    Files shorter than the magic are left to DuckDB, which waits for the lock of another process
    that may be creating the database right now (see _open_with_retry).
    """
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a DuckDB database; give the path of a database file in it")
    if path.is_file() and path.stat().st_size >= 12:
        with open(path, "rb") as handle:
            if handle.read(12)[8:] != DUCKDB_MAGIC:
                raise _not_a_database(str(path))


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


def memory_limit() -> str:
    """DuckDB's memory limit for database files: $MONITORING_MEMORY_LIMIT (e.g. 2GB) or 256MB."""
    return os.environ.get(MEMORY_LIMIT_ENV_VAR) or DEFAULT_MEMORY_LIMIT


UNIT_BYTES = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50, "EiB": 2**60}


def memory_limit_bytes(con) -> float:
    """The connection's memory limit in bytes (DuckDB shows it as e.g. '244.1 MiB'; no limit, -1,
    as '16383.9 PiB')."""
    shown = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    number, unit = shown.split()
    return float(number) * UNIT_BYTES[unit]


def ingest_memory_limit() -> str:
    """The limit while a file is ingested: $MONITORING_MEMORY_LIMIT when set, else 512MB."""
    return os.environ.get(MEMORY_LIMIT_ENV_VAR) or DEFAULT_INGEST_MEMORY_LIMIT


class Store:
    """A DuckDB database file (or `:memory:`), opened for each unit of work.

    Each `connect()` yields a fresh connection (a cursor for `:memory:`), so threads never share
    one, and the file is released when the work is done so another process can write.
    """

    def __init__(self, path: str | None = None, *, lock_wait: float = LOCK_WAIT_SECONDS):
        self.path = str(path or default_db_path())
        self.lock_wait = lock_wait
        self._memory_con = None
        self._guard = threading.Lock()
        memory = self.path == MEMORY
        self._write_guard = self._guard if memory else _write_lock(str(Path(self.path).resolve()))
        if self.path == MEMORY:
            self._memory_con = duckdb.connect(MEMORY)
            migrate(self._memory_con)
        else:
            _refuse_non_database(Path(self.path))
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            with self.connect() as con:
                migrate(con)
                forget_other_code(con)

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    @property
    def in_memory(self) -> bool:
        return self.path == MEMORY

    @property
    def exists(self) -> bool:
        return self.path == MEMORY or Path(self.path).exists()

    @contextmanager
    def connect(self):
        """Yield a connection; wait (with back-off) while another process holds the file."""
        if self._memory_con is not None:
            cursor = self._memory_con.cursor()
            cursor.execute("SET TimeZone = 'UTC'")
            cursor.execute("SET enable_progress_bar = false")
            try:
                yield cursor
            finally:
                cursor.close()
            return
        con = self._open_with_retry()
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET memory_limit = ?", [memory_limit()])
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def held(self):
        """Keep the database open for the block: every connect() inside joins the one open
        database instead of opening the file (reading its metadata) and checkpointing it on close,
        which cost a CLI ingest about a second at 10M rows over its dozen connections. The
        checkpoint happens once, when the block ends; another process waits for the whole block."""
        if self._memory_con is not None:
            yield
            return
        con = self._open_with_retry()
        try:
            yield
        finally:
            con.close()

    @contextmanager
    def transaction(self):
        """Yield a connection inside one transaction: all of the work is stored, or none of it.

        Transactions of one process on one database run one after the other (see _WRITE_LOCKS);
        other processes wait for the file in connect().
        """
        with self._write_guard, self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def _open_with_retry(self):
        deadline = time.monotonic() + self.lock_wait
        delay = 0.02
        while True:
            try:
                return duckdb.connect(self.path)
            except duckdb.IOException as error:
                if "not a valid DuckDB database file" in str(error):
                    raise _not_a_database(self.path) from None
                if not _is_lock_error(error):
                    raise
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"the database {self.path} has been held by another process for "
                        f"{self.lock_wait:.0f} s; wait for it to finish and try again"
                    ) from error
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


# Catalog answers (which tables exist, their columns) of each connection inside a read snapshot:
# they cannot change there, and a report asks about a hundred times (1 ms each).
_SNAPSHOT_CATALOG: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@contextmanager
def read_snapshot(con):
    """Read everything inside from one snapshot of the database (a transaction that writes nothing)."""
    con.execute("BEGIN TRANSACTION")
    _SNAPSHOT_CATALOG[con] = {}
    try:
        yield
    finally:
        _SNAPSHOT_CATALOG.pop(con, None)
        con.execute("ROLLBACK")


def snapshot_answer(con, question: tuple, ask):
    """`ask()`, asked once per read snapshot of `con` (every time outside one)."""
    answers = _SNAPSHOT_CATALOG.get(con)
    if answers is None:
        return ask()
    if question not in answers:
        answers[question] = ask()
    return answers[question]
