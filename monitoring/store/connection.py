"""Opening the database: short-lived connections with a retry while another process holds it."""

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from monitoring.errors import StoreBusyError
from monitoring.settings import default_db_path
from monitoring.store.schema import migrate

MEMORY = ":memory:"
LOCK_WAIT_SECONDS = 60.0


def quote(identifier: str) -> str:
    """Quote a column or table name from a user file so that it is never read as SQL."""
    return '"' + str(identifier).replace('"', '""') + '"'


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


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
        if self.path == MEMORY:
            self._memory_con = duckdb.connect(MEMORY)
            migrate(self._memory_con)
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            with self.connect() as con:
                migrate(con)

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    @property
    def exists(self) -> bool:
        return self.path == MEMORY or Path(self.path).exists()

    @contextmanager
    def connect(self):
        """Yield a connection; wait (with back-off) while another process holds the file."""
        if self._memory_con is not None:
            cursor = self._memory_con.cursor()
            cursor.execute("SET TimeZone = 'UTC'")
            try:
                yield cursor
            finally:
                cursor.close()
            return
        con = self._open_with_retry()
        con.execute("SET TimeZone = 'UTC'")
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self):
        """Yield a connection inside one transaction: all of the work is stored, or none of it."""
        with self.connect() as con:
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
                if not _is_lock_error(error):
                    raise
                if time.monotonic() > deadline:
                    raise StoreBusyError(
                        f"the database {self.path} has been held by another process for "
                        f"{self.lock_wait:.0f} s; wait for it to finish and try again"
                    ) from error
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
