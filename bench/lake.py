"""Attached Parquet datasets and `report --engine spark`, at 10M and 50M production rows.

    python bench/lake.py --sizes 10m           # writes the "## Attached datasets and Spark" section
    python bench/lake.py --sizes 10m,50m --no-write
    python bench/lake.py --sizes 50m --engines spark --time-limit 180   # compare with the kept DuckDB report

Data: bench/datagen.py's binary classifier logs (33 columns), production written as a
Hive-partitioned dataset (day=YYYY-MM-DD/, one file per day and chunk), the reference as one
100k-row file. Steps, each its own process, timed from outside; peak memory is the largest sum of
the resident memory of the process and all its descendants (the Spark JVM included), sampled
every 0.2 s:
1. attach: `python -m monitoring attach` of the reference and the production dataset (no copy);
2. duckdb: `python -m monitoring report` over the attached dataset (every section, empty cache);
3. spark: the same report with `--engine spark --spark-master local[2]` (a fresh database with
   the same attachments, empty cache), then both reports compared (counts, statistics to 1e-9).
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from datagen import CHUNK, ROLES, make_chunk, parse_size, size_label  # noqa: E402

OUT = BENCH / "out" / "lake"
REFERENCE_ROWS = 100_000
ROLE_FLAGS = [
    "--id", ROLES["id"], "--timestamp", ROLES["timestamp"], "--target", ROLES["target"],
    "--prediction", ROLES["prediction"], "--score", *ROLES["score"], "--latency", ROLES["latency"],
    "--status", ROLES["status"], "--sensitive", *ROLES["sensitive"], "--categorical", *ROLES["categorical"],
    "--task", ROLES["task"],
]  # fmt: skip


def write_lake(rows: int) -> Path:
    """The production logs as day=YYYY-MM-DD/chunk-N.parquet files (kept if already complete)."""
    folder = OUT / f"production_{size_label(rows)}"
    done = folder / "_complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    for index in range((rows + CHUNK - 1) // CHUNK):
        table = make_chunk("production", rows, index)
        days = pc.strftime(table["timestamp"], format="%Y-%m-%d")
        for day in pc.unique(days).to_pylist():
            part = folder / f"day={day}"
            part.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.filter(pc.equal(days, day)), part / f"chunk-{index:04d}.parquet")
    done.touch()
    return folder


def write_reference() -> Path:
    path = OUT / "reference_100k.parquet"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.concat_tables([make_chunk("reference", REFERENCE_ROWS, 0)]), path)
    return path


def descendants_rss(pid: int) -> int:
    """Resident bytes of `pid` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total


def measured(argv: list[str], output: Path | None = None, stop_at: float = math.inf) -> dict:
    """Run `python -m monitoring argv`; wall seconds and peak MB of its process tree. A step still
    running at `stop_at` (epoch seconds) is stopped and reported unfinished."""
    start, peak = time.time(), 0
    sink = open(output, "w") if output else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    child = subprocess.Popen(
        [sys.executable, "-m", "monitoring", *argv],
        cwd=ROOT,
        stdout=sink,
        stderr=subprocess.PIPE,
        start_new_session=True,  # stopping it stops its Spark JVM too
    )
    stopped = False
    while child.poll() is None:
        peak = max(peak, descendants_rss(child.pid))
        if time.time() > stop_at and not stopped:
            os.killpg(child.pid, 9)
            stopped = True
        time.sleep(0.2)
    if output:
        sink.close()
    found = {"seconds": round(time.time() - start, 1), "peak_mb": round(peak / 2**20)}
    if stopped:
        return {**found, "finished": False}
    error = child.stderr.read().decode()[-2000:]
    if child.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({child.returncode}): {error}")
    return {**found, "finished": True}


def differences(a, b, path="") -> list:
    if isinstance(a, dict) and isinstance(b, dict):
        skip = {  # the clock, and when each database attached the dataset (its batch time)
            "generated_at",
            "checked_at",
            "hours_since_production",
            "hours_since_batch",
            "hours_since_label",
            "last_batch",
            "last_label",
        }
        return [
            d
            for k in sorted((set(a) | set(b)) - skip)
            for d in differences(a.get(k), b.get(k), f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [path]
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, (int, float)):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [path]
    return [] if a == b else [path]


def run_size(rows: int, engines: list[str], limit_s: float, stop_at: float = math.inf) -> dict:
    """Write (or keep) the lake, then attach and report with each engine. An engine left out
    keeps the report of its last run, so the comparison still runs (say so when quoting it)."""
    started = time.time()
    lake, reference = write_lake(rows), write_reference()
    files = sum(1 for _ in lake.rglob("*.parquet"))
    megabytes = sum(p.stat().st_size for p in lake.rglob("*.parquet")) / 2**20
    found = {"rows": rows, "files": files, "mb": round(megabytes), "write_s": round(time.time() - started)}
    print(json.dumps(found), flush=True)
    for engine in engines:
        db = OUT / f"{engine}_{size_label(rows)}.duckdb"
        db.unlink(missing_ok=True)
        attach = measured(
            ["attach", str(reference), "--db", str(db), "--model", "m", "--kind", "reference", *ROLE_FLAGS]
        )
        attach_production = measured(
            ["attach", str(lake), "--db", str(db), "--model", "m", "--kind", "production", *ROLE_FLAGS]
        )
        found[f"{engine}_attach"] = {"seconds": round(attach["seconds"] + attach_production["seconds"], 1)}
        extra = ["--engine", "spark", "--spark-master", "local[2]"] if engine == "spark" else []
        report = OUT / f"report_{engine}_{size_label(rows)}.json"
        found[engine] = measured(
            ["report", "--db", str(db), "--model", "m", "--window", "day", *extra],
            report,
            min(time.time() + limit_s, stop_at),
        )
        print(json.dumps({engine: found[engine], "at": time.strftime("%H:%M:%S")}), flush=True)
        if not found[engine]["finished"]:
            return found
    duck = json.loads((OUT / f"report_duckdb_{size_label(rows)}.json").read_text())
    spark = json.loads((OUT / f"report_spark_{size_label(rows)}.json").read_text())
    found["differences"] = len(differences(duck, spark))
    found["windows"] = len(duck["windows"])
    return found


def section(results: list[dict]) -> str:
    lines = [
        "## Attached datasets and Spark",
        "",
        "Rerun: `python bench/lake.py --sizes 10m,50m` (needs requirements-spark.txt and Java 17). "
        "Production is a Hive-partitioned Parquet dataset (one folder per day, one file per day and "
        "250k-row chunk) attached in place; the reference is a 100k-row file. Each step is its own "
        "process; peak MB is the largest resident memory of the process tree (the Spark JVM included). "
        "Both reports have every section, daily windows, an empty summary cache.",
        "",
        "| rows | files | MB | windows | attach s | DuckDB report s | DuckDB peak MB | Spark local[2] report s | Spark peak MB | report differences |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['files']} | {r['mb']} | {r['windows']} | {r['duckdb_attach']['seconds']} | "
            f"{r['duckdb']['seconds']} | {r['duckdb']['peak_mb']} | {r['spark']['seconds']} | "
            f"{r['spark']['peak_mb']} | {r['differences']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="10m")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    parser.add_argument(
        "--engines",
        default="duckdb,spark",
        help="engines to run; one left out keeps its last report for the comparison, and RESULTS.md is left alone",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=60,
        metavar="MIN",
        help="a report still running after this is stopped",
    )
    parser.add_argument(
        "--stop-at",
        metavar="HH:MM",
        help="UTC time of day: a Spark step still running then is stopped and "
        "reported unfinished (with how long it ran), and RESULTS.md is left alone",
    )
    args = parser.parse_args(argv)
    stop_at = _epoch(args.stop_at) if args.stop_at else math.inf
    engines = args.engines.split(",")
    results = []
    for size in args.sizes.split(","):
        results.append(run_size(parse_size(size), engines, args.time_limit * 60, stop_at))
        print(json.dumps(results[-1]), flush=True)
    if any(not r.get(e, {}).get("finished", False) for r in results for e in ("duckdb", "spark")):
        return  # a step unfinished or not run: the figures above are recorded by hand, not as a table row
    text = section(results)
    print(text)
    if not args.no_write:
        path = BENCH / "RESULTS.md"
        current = path.read_text()
        start = current.find("## Attached datasets and Spark")
        if start >= 0:
            end = current.find("\n## ", start + 1)
            current = current[:start] + current[end + 1 :] if end >= 0 else current[:start]
        path.write_text(current.rstrip("\n") + "\n\n" + text)


def _epoch(clock: str) -> float:
    """Today's HH:MM (UTC) as epoch seconds."""
    hours, minutes = (int(part) for part in clock.split(":"))
    now = time.gmtime()
    return time.mktime((now.tm_year, now.tm_mon, now.tm_mday, hours, minutes, 0, 0, 0, 0)) - time.timezone


if __name__ == "__main__":
    main()
