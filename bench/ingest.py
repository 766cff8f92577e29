"""Ingest benchmark: rows per second and peak memory for Parquet files of growing size.

Each measurement runs in a fresh child process; its peak resident memory (ru_maxrss) is read from
outside with os.wait4, so the figure covers everything the process touched. The same file read
with pandas.read_parquet is measured the same way, for comparison.

    python bench/ingest.py                      # 100k, 1M and 5M rows; writes bench/RESULTS.md
    python bench/ingest.py --sizes 100000 --no-write
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Ingest"
CHUNK = 250_000
NUMERIC = 20
CATEGORICAL = 4

INGEST = """
import json, sys, time
from monitoring.ingest.pipeline import ingest_file
from monitoring.store import Store
store = Store(sys.argv[2])
start = time.perf_counter()
result = ingest_file(store, sys.argv[1], model="bench", kind="production")
print(json.dumps({"seconds": time.perf_counter() - start, "rows": result.rows}))
"""
PANDAS = """
import json, sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_parquet(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start, "rows": len(frame)}))
"""
BASELINE = """
import json
import pandas, monitoring.ingest.pipeline
print(json.dumps({"seconds": 0.0, "rows": 0}))
"""


def _chunk(rng: np.random.Generator, start: int, rows: int) -> pa.Table:
    """30 columns: id, timestamp, prediction, score, latency, status, version, 20 numeric, 3 text."""
    index = np.arange(start, start + rows)
    columns = {
        "id": pa.array([f"req-{i:09d}" for i in index]),
        "timestamp": pa.array(np.datetime64("2024-01-01") + index.astype("timedelta64[s]")),
        "prediction": pa.array(rng.integers(0, 2, rows)),
        "score": pa.array(rng.random(rows).round(4)),
        "latency_ms": pa.array(rng.lognormal(4.8, 0.4, rows).round(1)),
        "status": pa.array(np.where(rng.random(rows) < 0.01, "error", "ok")),
        "model_version": pa.array(np.where(index % 2 == 0, "1.0", "1.1")),
    }
    for j in range(NUMERIC):
        columns[f"num_{j}"] = pa.array(rng.normal(j, 1 + j / 10, rows).round(3))
    for j in range(CATEGORICAL - 1):
        columns[f"cat_{j}"] = pa.array(rng.choice(["north", "south", "east", "west", "online"], rows))
    return pa.table(columns)


def make_file(path: Path, rows: int, seed: int = 0) -> None:
    """Write the file in chunks, so that even 5M rows never sit in memory at once."""
    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, rows, CHUNK):
        table = _chunk(rng, start, min(CHUNK, rows - start))
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def measure(script: str, *args: str) -> dict:
    """Run `script` in a child process; its own timing plus peak RSS (MB) from os.wait4."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"child failed: {err.decode()[-2000:]}")
    found = json.loads(out.decode().strip().splitlines()[-1])
    found["peak_mb"] = usage.ru_maxrss / 1024
    return found


def run(sizes: list[int], folder: Path) -> list[dict]:
    baseline = measure(BASELINE)["peak_mb"]
    rows = []
    for size in sizes:
        path = folder / f"logs_{size}.parquet"
        make_file(path, size)
        db = folder / f"bench_{size}.duckdb"
        ingest = measure(INGEST, str(path), str(db))
        assert ingest["rows"] == size, ingest
        pandas = measure(PANDAS, str(path))
        rows.append(
            {
                "rows": size,
                "file_mb": path.stat().st_size / 1e6,
                "ingest_s": ingest["seconds"],
                "ingest_mb": ingest["peak_mb"],
                "pandas_s": pandas["seconds"],
                "pandas_mb": pandas["peak_mb"],
                "baseline_mb": baseline,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        path.unlink()
        db.unlink()
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| rows | file MB | ingest s | rows/s | ingest peak MB | pandas.read_parquet s "
        "| pandas peak MB | time ingest/pandas | memory ingest/pandas |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['rows']:,} | {r['file_mb']:.0f} | {r['ingest_s']:.2f} | {r['rows'] / r['ingest_s']:,.0f} "
            f"| {r['ingest_mb']:.0f} | {r['pandas_s']:.2f} | {r['pandas_mb']:.0f} "
            f"| {r['ingest_s'] / r['pandas_s']:.1f} | {r['ingest_mb'] / r['pandas_mb']:.2f} |"
        )
    return "\n".join(lines)


def section(rows: list[dict], cpus: int, load: tuple[float, float]) -> str:
    return (
        f"{SECTION}\n\n"
        f"`python bench/ingest.py` ({time.strftime('%Y-%m-%d')}, {cpus} cores, load average "
        f"{load[0]:.1f} before and {load[1]:.1f} after the run: other work shares the CPU, so "
        "the times are upper bounds and the ratios are the steadier figures). Parquet production logs, "
        f"30 columns ({NUMERIC} numeric features, {CATEGORICAL - 1} text features, id, timestamp, "
        "prediction, score, latency, status, version). *ingest* is `ingest_file` into a new database "
        "file (validate, infer roles, one transaction); *pandas* is only `pandas.read_parquet` of the "
        "same file, nothing stored. Peak MB is the child process's peak resident memory (ru_maxrss "
        f"via os.wait4), including the interpreter and imports (~{rows[0]['baseline_mb']:.0f} MB for "
        "`import pandas, monitoring.ingest.pipeline` alone). DuckDB's memory limit for database files is "
        "512 MB (MONITORING_MEMORY_LIMIT), so ingest memory levels off while pandas grows with the "
        "file.\n\n" + table(rows) + "\n"
    )


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the ## Ingest section of RESULTS.md (other sections are left as they are)."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    start = old.find(SECTION + "\n")
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        following = old.find("\n## ", start + len(SECTION))
        rest = old[following + 1 :] if following >= 0 else ""
        new = old[:start] + text + ("\n" + rest if rest else "")
    path.write_text(new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        rows = run(args.sizes, Path(folder))
    text = section(rows, os.cpu_count() or 1, (before, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
