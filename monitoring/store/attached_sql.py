"""Attached datasets: a model's rows of one kind read in place from Parquet files, never copied.

The model's table of that kind is a view over `read_parquet(...)` that casts each column as an
ingest would and adds `__batch` (the attachment's batch id) and `__invalid`, so every query of the
store reads it like a stored table. The files are listed again for each report: their names,
sizes and modification times make the token under which summaries are kept.
"""

import glob
import hashlib
import os
import re
from pathlib import Path

from monitoring.errors import InputError, SchemaError
from monitoring.store.connection import quote

STAGE = "__stage"
SAMPLE_ROWS = 100_000
HIVE_FOLDER = re.compile(r"[^/\\]=[^/\\]*[/\\]")  # a folder named like day=2024-01-01


def parquet_files(path: str) -> list[str]:
    """The Parquet files of a file, a glob or a folder (searched recursively), sorted."""
    target = Path(path)
    if target.is_dir():
        found = [str(p) for p in target.rglob("*.parquet") if p.is_file()]
    elif glob.has_magic(path):
        found = [p for p in glob.glob(path, recursive=True) if os.path.isfile(p)]
    else:
        found = [path] if target.is_file() else []
    if not found:
        raise InputError(
            f"{path} holds no Parquet files; give a .parquet file, a glob such as "
            "'logs/*.parquet' or a folder of Parquet files (day=2024-01-01/ partitions are read as columns)"
        )
    return sorted(found)


def reader_pattern(path: str) -> str:
    """What read_parquet reads for `path`: a folder becomes every .parquet file below it."""
    if Path(path).is_dir():
        return str(Path(path).resolve() / "**" / "*.parquet")
    if glob.has_magic(path):
        return os.path.abspath(path)
    return str(Path(path).resolve())


def is_partitioned(files: list[str]) -> bool:
    return any(HIVE_FOLDER.search(f) for f in files)


def partition_columns(files: list[str]) -> list[str]:
    """The names of the Hive partition folders (day=2024-01-01 -> day) the files lie in."""
    names = []
    for part in Path(files[0]).parts[:-1]:
        if "=" in part and part.split("=", 1)[0] not in names:
            names.append(part.split("=", 1)[0])
    return names


def fingerprint(pattern: str) -> str:
    """A digest of the names, sizes and modification times of the files `pattern` matches now."""
    digest = hashlib.sha1()
    for name in sorted(glob.glob(pattern, recursive=True)):
        if os.path.isfile(name):
            info = os.stat(name)
            digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reader(files_or_pattern, hive: bool) -> str:
    if isinstance(files_or_pattern, list):
        source = "[" + ", ".join(_literal(f) for f in files_or_pattern) + "]"
    else:
        source = _literal(files_or_pattern)
    return f"read_parquet({source}, hive_partitioning={'true' if hive else 'false'})"


def check_same_schema(con, files: list[str], path: str) -> None:
    """Refuse files whose columns (names and types) differ from those of the first file."""
    rows = con.execute(
        "SELECT file_name, string_agg(name || ' ' || type, ', ' ORDER BY name) "
        "FROM parquet_schema(?) WHERE num_children IS NULL GROUP BY file_name",
        [files],
    ).fetchall()
    by_file = dict(rows)
    first = by_file.get(files[0])
    for name in files[1:]:
        if by_file.get(name) != first:
            raise SchemaError(
                f"{path}: the schema of {name} ({by_file.get(name)}) differs from that of {files[0]} "
                f"({first}); attach files of one schema (rewrite the odd ones, or attach them apart)"
            )


def stage_sample(con, files: list[str], hive: bool) -> None:
    """The first SAMPLE_ROWS rows of the dataset as the stage that ingest profiles and checks."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {STAGE} AS SELECT * FROM {_reader(files, hive)} LIMIT {SAMPLE_ROWS}"
    )


def dataset_rows(con, pattern: str, hive: bool) -> int:
    """Rows in the dataset, from the files' footers (no scan)."""
    return con.execute(f"SELECT count(*) FROM {_reader(pattern, hive)}").fetchall()[0][0]


def create_view(
    con, table: str, pattern: str, hive: bool, expressions: dict[str, str], batch_id: int
) -> None:
    """The model's table of one kind as a view that reads the files at each query."""
    columns = [f"{cast} AS {quote(name)}" for name, cast in expressions.items()]
    columns += [f"{int(batch_id)}::INTEGER AS __batch", "NULL::VARCHAR[] AS __invalid"]
    con.execute(f"CREATE VIEW {table} AS SELECT {', '.join(columns)} FROM {_reader(pattern, hive)}")


def save_attachment(
    con, model_id: int, kind: str, path: str, pattern: str, hive: bool, batch_id: int
) -> None:
    con.execute(
        "INSERT INTO attached_datasets VALUES (?, ?, ?, ?, ?, ?, current_localtimestamp())",
        [model_id, kind, path, pattern, hive, batch_id],
    )


def attachments(con, model_id: int) -> dict[str, dict]:
    """{kind: {"path", "pattern", "hive", "batch"}} of the model's attached datasets."""
    rows = con.execute(
        "SELECT kind, path, pattern, hive, batch_id FROM attached_datasets WHERE model_id = ? ORDER BY kind",
        [model_id],
    ).fetchall()
    return {
        kind: {"path": path, "pattern": pattern, "hive": hive, "batch": batch}
        for kind, path, pattern, hive, batch in rows
    }


def attached_token(con, model_id: int, kind: str) -> str:
    """The fingerprint of the attached dataset of `kind` ('' when that kind is stored)."""
    found = attachments(con, model_id).get(kind)
    return f"files:{fingerprint(found['pattern'])}" if found else ""


def view_definition(con, table: str) -> str | None:
    name = table.strip('"').replace('""', '"')
    rows = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]).fetchall()
    return rows[0][0] if rows else None


def detach(con, model_id: int, table: str, batch_id: int) -> None:
    con.execute(f"DROP VIEW IF EXISTS {table}")
    con.execute("DELETE FROM attached_datasets WHERE model_id = ? AND batch_id = ?", [model_id, batch_id])


def list_attached(con, model_name: str):
    """The attached datasets of a model as a DataFrame: kind, path, files, batch id, when."""
    frame = con.execute(
        "SELECT a.kind, a.path, a.pattern, a.hive AS partitioned, a.batch_id, a.attached_at "
        "FROM attached_datasets a JOIN models m ON m.id = a.model_id WHERE m.name = ? ORDER BY a.kind",
        [model_name],
    ).df()
    frame.insert(2, "files", [len(glob.glob(p, recursive=True)) for p in frame["pattern"]])
    return frame.drop(columns=["pattern"])
