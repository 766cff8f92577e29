"""The daily routine: ingest one more day of production logs, then the drift report.

The new day is the production file's last day moved one day later (written to a temporary
Parquet file before the clock starts). Ingest (which also evaluates the alert rules) and the
report reuse the stored reference summary and the summaries of the windows the new batch does
not touch, so only the new day is computed.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from monitoring.cli import main as cli  # noqa: E402


def next_day_file(production: str, folder: str) -> str:
    """The last day's rows of `production`, one day later and with fresh ids, as Parquet."""
    path = str(Path(folder) / "next_day.parquet")
    duckdb.sql(
        f"COPY (SELECT * REPLACE (timestamp + INTERVAL 1 DAY AS timestamp, id + 1000000000000 AS id) "
        f"FROM read_parquet('{production}') WHERE timestamp >= (SELECT date_trunc('day', max(timestamp)) "
        f"FROM read_parquet('{production}'))) TO '{path}' (FORMAT parquet)"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--production", required=True, help="the production file the database holds")
    parser.add_argument("--db", required=True)
    parser.add_argument("--output", required=True, help="where the JSON report goes")
    parser.add_argument("--model", default="bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        day = next_day_file(args.production, folder)
        started = time.perf_counter()
        if cli(["ingest", day, "--db", args.db, "--model", args.model, "--kind", "production"]):
            sys.exit(1)
        ingested = time.perf_counter()
    report = ["report", "--model", args.model, "--window", "day", "--db", args.db, "--sections", "drift"]
    if cli([*report, "-o", args.output]):
        sys.exit(1)
    windows = len(json.loads(Path(args.output).read_text())["windows"])
    seconds = {"ingest": round(ingested - started, 3), "report": round(time.perf_counter() - ingested, 3)}
    print(json.dumps({"windows": windows, "inner_seconds": seconds}))


if __name__ == "__main__":
    main()
