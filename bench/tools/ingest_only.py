"""One production file ingested into a database that holds the reference: `ingest_file` alone
(no alert rules after it), timed in the process. The reference is ingested first, untimed.

Used for the CSV ingest (the production Parquet file written as CSV by DuckDB before the clock)
and, with a Parquet file, as the library-level figure beside the CLI's.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from datagen import ROLES  # noqa: E402

from monitoring.ingest.pipeline import ingest_file  # noqa: E402
from monitoring.ingest.roles import RoleOverrides  # noqa: E402
from monitoring.store import Store  # noqa: E402


def overrides() -> RoleOverrides:
    """bench/datagen.py's roles, as the CLI's role flags give them."""
    chosen = {role: value for role, value in ROLES.items()}
    return RoleOverrides(**chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--production", required=True, help="a CSV or Parquet file")
    parser.add_argument("--db", required=True, help="DuckDB file, replaced if it exists")
    args = parser.parse_args()
    for suffix in ("", ".wal"):
        Path(args.db + suffix).unlink(missing_ok=True)
    store = Store(args.db)
    ingest_file(store, args.reference, model="bench", kind="reference", overrides=overrides())
    started = time.perf_counter()
    result = ingest_file(store, args.production, model="bench", kind="production", overrides=overrides())
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": result.rows, "inner_seconds": {"production": round(seconds, 3)}}))


if __name__ == "__main__":
    main()
