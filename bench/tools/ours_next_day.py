"""The daily routine: ingest one more day of production logs, then the drift report.

The new day is the production file's last day moved two days past the database's newest day
(written to a temporary Parquet file before the clock starts); the day between is ingested first,
untimed: yesterday's routine, whose alert evaluation left the summaries of the rules' windows.
Each run adds two new days (the same day again would be refused as a file already stored). Ingest (which also evaluates the alert rules) and the
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
from monitoring.store import Store, catalog  # noqa: E402


def next_day_file(production: str, folder: str, days: int = 1) -> str:
    """The last day's rows of `production`, `days` later and with fresh ids, as Parquet."""
    path = str(Path(folder) / f"next_day_{days}.parquet")
    duckdb.sql(
        f"COPY (SELECT * REPLACE (timestamp + INTERVAL {days} DAY AS timestamp, id + {days}000000000000 AS id) "
        f"FROM read_parquet('{production}') WHERE timestamp >= (SELECT date_trunc('day', max(timestamp)) "
        f"FROM read_parquet('{production}'))) TO '{path}' (FORMAT parquet)"
    )
    return path


def days_stored_after(production: str, db: str, model: str) -> int:
    """Whole days from the production file's last day to the database's newest production day."""
    last = duckdb.sql(f"SELECT max(timestamp)::DATE FROM read_parquet('{production}')").fetchall()[0][0]
    with Store(db).connect() as con:
        batches = catalog.list_batches(con, model)
    newest = batches.loc[batches["kind"] == "production", "end_ts"].max().date()
    return max((newest - last).days, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--production", required=True, help="the production file the database holds")
    parser.add_argument("--db", required=True)
    parser.add_argument("--output", required=True, help="where the JSON report goes")
    parser.add_argument("--model", default="bench")
    args = parser.parse_args()
    model_kind = [
        "--model",
        args.model,
        "--kind",
        "production",
        "--no-warm",
    ]  # as measured before the warm-up
    stored = days_stored_after(args.production, args.db, args.model)
    with tempfile.TemporaryDirectory() as folder:
        # yesterday's routine, not timed: its ingest evaluated the rules, as every day's does, so
        # the summaries of the rules' windows are kept (a report before may have emptied them)
        if cli(["ingest", next_day_file(args.production, folder, stored + 1), "--db", args.db] + model_kind):
            sys.exit(1)
        day = next_day_file(args.production, folder, stored + 2)
        started = time.perf_counter()
        if cli(["ingest", day, "--db", args.db] + model_kind):
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
