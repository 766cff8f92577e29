"""Drift benchmark: our report vs Evidently DataDriftPreset vs NannyML UnivariateDriftCalculator.

    python bench/drift.py --reference-rows 1000000 --production-rows 1000000

Generates 25 columns (20 numeric, 5 categorical) with drift planted in 3 of them, writes
reference and production Parquet files (production spread over 30 days), ingests them into a
temporary DuckDB file (not timed), then runs each tool as its own process measured from outside
by /usr/bin/time -v (wall time and peak RSS), all on daily windows:
- ours: the drift section of our report (`drift_report` below: make_context + drift_section on
  the DuckDB file, no cache yet), daily windows, written as JSON;
- Evidently 0.7.23: one DataDriftPreset report per day window (what a user must do);
- NannyML 0.13.1: UnivariateDriftCalculator with chunk_period="D".
The comparison tools run in BENCH_PYTHON (default /work/bench-venv/bin/python, see
bench/requirements.txt). Pass --tools to run a subset.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_PYTHON = os.environ.get("BENCH_PYTHON", "/work/bench-venv/bin/python")
NUM = [f"x{i}" for i in range(20)]
CAT = [f"c{i}" for i in range(5)]
DAYS = 30


def make_frames(reference_rows: int, production_rows: int, seed: int = 0):
    """Reference and production frames; x0 shifts 0.5 std, x1 widens, c0 changes its mix."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)

    def frame(n: int, start: str, days: int, drift: bool) -> pd.DataFrame:
        data = {}
        offsets = rng.integers(0, days * 86400, n)
        data["timestamp"] = pd.Timestamp(start) + pd.to_timedelta(np.sort(offsets), unit="s")
        for i, name in enumerate(NUM):
            values = rng.normal(i, 1 + i / 10, n) if i % 3 else rng.lognormal(0, 0.5, n)
            data[name] = values
        if drift:
            data["x0"] = data["x0"] + 0.5 * 0.56
            data["x1"] = data["x1"] * 1.3
        for i, name in enumerate(CAT):
            levels = [f"v{j}" for j in range(3 + i)]
            weights = np.linspace(1, 2, len(levels))
            if drift and i == 0:
                weights = weights[::-1]
            data[name] = rng.choice(levels, n, p=weights / weights.sum())
        return pd.DataFrame(data)

    return frame(reference_rows, "2026-01-01", 60, False), frame(production_rows, "2026-03-01", DAYS, True)


EVIDENTLY = """
import sys, pandas as pd
from evidently import Report, Dataset, DataDefinition
from evidently.presets import DataDriftPreset
NUM, CAT = {num!r}, {cat!r}
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
definition = DataDefinition(timestamp="timestamp", numerical_columns=NUM, categorical_columns=CAT)
ref_ds = Dataset.from_pandas(ref, data_definition=definition)
drifted = 0
for day, part in cur.groupby(cur["timestamp"].dt.floor("D")):
    cur_ds = Dataset.from_pandas(part.reset_index(drop=True), data_definition=definition)
    snap = Report([DataDriftPreset(columns=NUM + CAT)]).run(cur_ds, ref_ds)
    d = snap.dict()
print("evidently windows done")
"""

NANNYML = """
import os, sys
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
import pandas as pd, nannyml as nml
NUM, CAT = {num!r}, {cat!r}
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
calc = nml.UnivariateDriftCalculator(column_names=NUM + CAT, treat_as_categorical=CAT,
    timestamp_column_name="timestamp", continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
    categorical_methods=["chi2", "jensen_shannon"], chunk_period="D")
calc.fit(ref)
res = calc.calculate(cur)
print(len(res.to_df()), "nannyml rows")
"""


def measure(command: list[str]) -> dict:
    """Run `command` under /usr/bin/time -v: wall seconds and peak RSS (MB) of that process."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stderr[-3000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return {"seconds": round(wall, 2), "peak_mb": round(peak / 1024, 1)}


def ingest(folder: Path, ref_path: Path, cur_path: Path) -> Path:
    db = folder / "bench.duckdb"
    for kind, path in (("reference", ref_path), ("production", cur_path)):
        subprocess.run(
            [sys.executable, "-m", "monitoring", "ingest", str(path), "--model", "bench", "--kind", kind,
             "--db", str(db), "--timestamp", "timestamp", "--task", "regression"],
            check=True, cwd=ROOT, capture_output=True,
        )  # fmt: skip
    return db


def run(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reference, production = make_frames(args.reference_rows, args.production_rows)
        ref_path, cur_path = folder / "reference.parquet", folder / "production.parquet"
        reference.to_parquet(ref_path, index=False)
        production.to_parquet(cur_path, index=False)
        del reference, production
        results = {}
        if "ours" in args.tools:
            started = time.perf_counter()
            db = ingest(folder, ref_path, cur_path)
            results["ingest (ours, not in the ratio)"] = {"seconds": round(time.perf_counter() - started, 2)}
            out = folder / "report.json"
            results["ours"] = measure([sys.executable, __file__, "--drift-report", str(db), str(out)])
            report = json.loads(out.read_text())
            results["ours"]["drifted"] = sorted({r["column"] for r in report["drift"] if r["drifted"]})
            print("ours", results["ours"], file=sys.stderr, flush=True)
        for tool, script in (("evidently", EVIDENTLY), ("nannyml", NANNYML)):
            if tool in args.tools:
                path = folder / f"run_{tool}.py"  # not {tool}.py, which would shadow the package
                path.write_text(script.format(num=NUM, cat=CAT))
                results[tool] = measure([BENCH_PYTHON, str(path), str(ref_path), str(cur_path)])
                print(tool, results[tool], file=sys.stderr, flush=True)
        return results


def drift_report(db: str, out: str) -> None:
    """Only the drift section of the report (what the comparison tools compute), written as JSON."""
    sys.path.insert(0, str(ROOT))
    from monitoring.context import ReportRequest, make_context
    from monitoring.drift.section import drift_section
    from monitoring.store import Store

    with Store(db).connect() as con:
        context = make_context(con, ReportRequest("bench", window="day"))
        Path(out).write_text(json.dumps(drift_section(con, context), default=str))


def main() -> None:
    if sys.argv[1:2] == ["--drift-report"]:
        return drift_report(*sys.argv[2:4])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reference-rows", type=int, default=1_000_000)
    parser.add_argument("--production-rows", type=int, default=1_000_000)
    parser.add_argument("--tools", default="ours,evidently,nannyml")
    args = parser.parse_args()
    args.tools = args.tools.split(",")
    results = run(args)
    print(json.dumps(results, indent=2))
    ours = results.get("ours")
    for tool in ("evidently", "nannyml"):
        if ours and tool in results:
            other = results[tool]
            print(
                f"{tool}: {other['seconds'] / ours['seconds']:.1f}x our time, "
                f"{other['peak_mb'] / ours['peak_mb']:.1f}x our peak memory"
            )


if __name__ == "__main__":
    main()
