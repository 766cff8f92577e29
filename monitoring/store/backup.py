"""Copy a whole store into a new database file (a backup, or a file copy of an in-memory store)."""

from pathlib import Path

from monitoring.errors import InputError
from monitoring.store.ingest_sql import literal


def copy_to(store, path: str) -> None:
    """Write every table of `store` into a new DuckDB file at `path`."""
    if Path(path).exists():
        raise InputError(f"{path} already exists; choose a new file name for the copy")
    with store.connect() as con:
        source = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f"ATTACH {literal(str(path))} AS __copy")
        try:
            con.execute(f"COPY FROM DATABASE {source} TO __copy")
        finally:
            con.execute("DETACH __copy")
