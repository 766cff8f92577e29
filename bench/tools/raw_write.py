"""The physical limit of an ingest: DuckDB writes the file into a new table, nothing else.

`CREATE TABLE t AS SELECT * FROM read_parquet(file)` (or read_csv with its own type detection)
into a fresh database file, with the settings our ingest uses: memory_limit 512MB and the file's
row order not kept. No casts, no checks, no hash: what our ingest is set against.
"""

import argparse
import json
import time
from pathlib import Path

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--file", required=True, help="a Parquet or CSV file")
    parser.add_argument("--db", required=True, help="DuckDB file, replaced if it exists")
    args = parser.parse_args()
    for suffix in ("", ".wal"):
        Path(args.db + suffix).unlink(missing_ok=True)
    literal = "'" + args.file.replace("'", "''") + "'"
    reader = f"read_csv({literal})" if args.file.endswith(".csv") else f"read_parquet({literal})"
    con = duckdb.connect(args.db)
    con.execute("SET memory_limit = '512MB'")
    con.execute("SET preserve_insertion_order = false")
    started = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM {reader}")
    con.close()
    seconds = time.perf_counter() - started
    rows = duckdb.connect(args.db, read_only=True).execute("SELECT count(*) FROM t").fetchall()[0][0]
    Path(args.db).unlink()
    print(json.dumps({"rows": rows, "inner_seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
