"""Benchmarks side by side: our ingest and full report against Evidently, NannyML and Fairlearn.

    python bench/run.py                                  # 100k, 1m and 10m production rows
    python bench/run.py --sizes 100k --timeout 600       # quick check
    python bench/run.py --sizes 10m,50m --skip-tools     # only our pipeline (growth)
    python bench/run.py --sizes 1m --skip-tools evidently_classification

For each size the same deterministic data is generated (bench/datagen.py), then every step runs
as its own process, measured from outside by /usr/bin/time -v (or os.wait4 where it is missing):
wall seconds and peak resident memory. A step over --timeout seconds is killed and recorded as
such; a crash (e.g. out of memory) is recorded with its exit status. Every measurement is kept in
bench/out/pipeline/results.json (a later run replaces the same size and step), and the "## Full pipeline"
section of bench/RESULTS.md is rewritten from all of them.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import datagen  # noqa: E402
from measure import measure  # noqa: E402
from pipeline_tables import COMPARISONS, OURS, SECTION, render, write_section  # noqa: E402

BENCH = Path(__file__).resolve().parent
TOOLS = BENCH / "tools"
STORE = datagen.OUT / "results.json"
FORGET_FIRST = ("ours_drift", "ours_report")  # run once untimed with --forget: nothing cached


def steps(rows: int, args) -> list[tuple[str, list[str]]]:
    """(step name, command) in the order they run for one size."""
    reference = str(datagen.reference_path(datagen.parse_size(args.reference_rows)))
    production = str(datagen.production_path(rows))
    db = str(datagen.OUT / f"bench_{datagen.size_label(rows)}.duckdb")
    report = str(datagen.OUT / f"report_{datagen.size_label(rows)}.json")
    ours = [sys.executable]
    files = ["--reference", reference, "--production", production]
    report_step = [*ours, str(TOOLS / "ours_report.py"), "--db", db, "--output", report]
    csv = str(csv_path(rows))
    scratch = str(datagen.OUT / f"scratch_{datagen.size_label(rows)}.duckdb")
    found = [
        ("raw_write", [*ours, str(TOOLS / "raw_write.py"), "--file", production, "--db", scratch]),
        ("ours_ingest", [*ours, str(TOOLS / "ours_ingest.py"), *files, "--db", db]),
        ("csv_raw_write", [*ours, str(TOOLS / "raw_write.py"), "--file", csv, "--db", scratch]),
        (
            "csv_ingest",
            [*ours, str(TOOLS / "ingest_only.py"), "--reference", reference]
            + ["--production", csv, "--db", scratch],
        ),
        ("duckdb_pass", [*ours, str(TOOLS / "duckdb_pass.py"), "--db", db]),
        ("ours_drift", [*report_step, "--sections", "drift"]),
        ("ours_drift_cached", [*report_step, "--sections", "drift"]),
        ("ours_report", report_step),
        ("ours_report_cached", report_step),
        (
            "ours_next_day",
            [*ours, str(TOOLS / "ours_next_day.py"), "--production", production, "--db", db]
            + ["--output", report],
        ),
    ]
    for tool in COMPARISONS:
        if tool not in args.skip:
            found.append((tool, [args.python, str(TOOLS / f"{tool}.py"), *files]))
    return found


def csv_path(rows: int) -> Path:
    return datagen.OUT / f"production_{datagen.size_label(rows)}.csv"


def write_csv(rows: int) -> None:
    """The production Parquet file as CSV (DuckDB's COPY), for the CSV ingest steps; kept."""
    import duckdb

    path = csv_path(rows)
    if not path.exists():
        partial = path.with_suffix(".partial")
        source = datagen.production_path(rows)
        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{source}')) TO '{partial}' (HEADER, FORMAT csv)")
        partial.rename(path)


def load_results() -> dict:
    return json.loads(STORE.read_text()) if STORE.exists() else {}


def save_result(results: dict, size: str, step: str, result: dict) -> None:
    """Merge one measurement into the file (re-read first: another run may have written)."""
    results.update(load_results())
    results.setdefault(size, {})[step] = result
    STORE.parent.mkdir(parents=True, exist_ok=True)
    STORE.write_text(json.dumps(results, indent=1))


def run_size(rows: int, args, results: dict) -> None:
    label = datagen.size_label(rows)
    started = time.perf_counter()
    datagen.write("production", rows, datagen.production_path(rows))
    print(f"[{label}] data ready in {time.perf_counter() - started:.1f} s", flush=True)
    for step, command in steps(rows, args):
        if step in OURS and args.skip_ours or args.only and step not in args.only:
            continue
        if step.startswith("csv"):
            write_csv(rows)
        if step in FORGET_FIRST:  # not timed: the report then finds nothing cached
            subprocess.run([*command, "--forget"], check=True)
        load = os.getloadavg()[0]
        result = measure(command, args.timeout)
        result["load"] = [round(load, 1), round(os.getloadavg()[0], 1)]
        result["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        result["rows"] = rows
        result["limit_s"] = args.timeout
        save_result(results, label, step, result)
        print(
            f"[{label}] {step}: {result['status']} {result['seconds']} s {result['peak_mb']} MB", flush=True
        )
        if step == "ours_ingest" and result["status"] != "ok":
            break


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="100k,1m,10m", help="production rows, e.g. 100k,1m,10m,50m")
    parser.add_argument("--reference-rows", default="1m", help="reference rows (default 1m)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per step (default 900)")
    parser.add_argument(
        "--skip-tools",
        nargs="?",
        const=",".join(COMPARISONS),
        default="",
        help="skip comparison tools: all of them, or a comma-separated list of " + ", ".join(COMPARISONS),
    )
    parser.add_argument("--skip-ours", action="store_true", help="run only the comparison tools")
    parser.add_argument(
        "--only", default="", help="run only these steps, e.g. ours_next_day (after a full run)"
    )
    parser.add_argument(
        "--python",
        default=os.environ.get("BENCH_PYTHON", "/work/bench-venv/bin/python"),
        help="interpreter of the comparison venv (default $BENCH_PYTHON or /work/bench-venv/bin/python)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    parser.add_argument(
        "--render-only", action="store_true", help="only rewrite the RESULTS.md section from stored results"
    )
    args = parser.parse_args(argv)
    args.skip = set(filter(None, args.skip_tools.split(",")))
    args.only = set(filter(None, args.only.split(",")))
    unknown = args.skip - set(COMPARISONS)
    if unknown:
        parser.error(f"unknown tools {sorted(unknown)}; choose from {', '.join(COMPARISONS)}")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("MONITORING_MAX_FILE_MB", "100000")  # 10M rows unpack to more than 2 GB
    reference_rows = datagen.parse_size(args.reference_rows)
    datagen.write("reference", reference_rows, datagen.reference_path(reference_rows))
    results = load_results()
    for size in [] if args.render_only else args.sizes.split(","):
        run_size(datagen.parse_size(size), args, results)
    if not args.no_write:
        write_section(render(results, args.python))
        print(f"wrote the {SECTION!r} section of bench/RESULTS.md")


if __name__ == "__main__":
    main()
