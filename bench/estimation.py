"""Performance estimated before labels: ours against NannyML's DLE (regression) and multiclass CBPE.

    python bench/estimation.py                               # 1m and 10m production rows, both tasks
    python bench/estimation.py --sizes 1m --tasks multiclass --timeout 900
    python bench/estimation.py --render-only                 # rewrite the RESULTS.md section

For each task and size, deterministic data is written to bench/out/estimation/ (chunk by chunk,
each chunk from its own seeded generator): a 1M-row labelled reference over 30 days and a
production file of the size over the next 30 days without labels, with 20 numeric features x0..x19
(x0 and x1 drift), 5 categorical c0..c4 (c0 changes its mix), the prediction y_pred and, for
multiclass, proba_a, proba_b, proba_c. Then, each as its own process measured from outside
(bench/run.py's `measure`: wall seconds and peak resident memory, /usr/bin/time -v):
- ours_ingest: both files into a fresh DuckDB file through the CLI (not part of the ratio);
- ours_estimate: `report --sections performance --window day` with the summary cache emptied, so
  the estimator is fitted (regression: 3 models on a 200k sample; multiclass: calibration) and
  every window scored; ours_estimate_cached: the same again;
- nannyml: DLE (mae, mse, rmse, mape; LightGBM, no tuning) or multiclass CBPE (accuracy,
  precision, recall, f1, roc_auc), chunk_period="D", in the comparison venv.
The load average of the machine is recorded before each step: the machine may be shared.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import datagen  # noqa: E402
import run  # noqa: E402

OUT = BENCH / "out" / "estimation"
STORE = OUT / "results.json"
SECTION = "## Estimation before labels: regression and multiclass"
CLASSES = np.array(["a", "b", "c"])
ROLES = {
    "regression": ["--task", "regression", "--target", "y_true"],
    "multiclass": ["--task", "multiclass", "--target", "y_true", "--score", *[f"proba_{c}" for c in CLASSES]],
}
TOOLS = {"regression": "nannyml_dle", "multiclass": "nannyml_cbpe_multiclass"}
COMMON_ROLES = [
    "--id",
    "id",
    "--timestamp",
    "timestamp",
    "--prediction",
    "y_pred",
    "--categorical",
    *datagen.CAT,
]


def _outcomes(task: str, rng, data: dict, rows: int) -> dict:
    """The model's output and the truth: the errors (regression) or the labels (multiclass) depend
    on the features, so that an estimator can learn them."""
    z0, z2, z4 = (data["x0"] - 0.0) / 0.8, (data["x2"] - 2) / 1.2, (data["x4"] - 4) / 1.4
    if task == "regression":
        signal = 50 + 6 * z2 - 4 * z4 + 3 * (data["c1"] == "v0")
        spread = 2 + 3 * np.abs(z0) + 2 * (data["c2"] == "v1")
        return {"y_pred": signal.round(3), "y_true": (signal + spread * rng.normal(size=rows)).round(3)}
    logits = np.column_stack(
        [0.9 * z2 - 0.4 * z0, 0.8 * z4 + 0.5 * (data["c1"] == "v0"), 0.3 * z0 - 0.5 * z2]
    )
    truth = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = (rng.random(rows)[:, None] > np.cumsum(truth, axis=1)).sum(axis=1).clip(0, 2)
    model = np.exp(1.5 * logits) / np.exp(1.5 * logits).sum(axis=1, keepdims=True)  # overconfident
    found = {f"proba_{c}": model[:, i].round(4) for i, c in enumerate(CLASSES[:-1])}
    found["proba_c"] = (1 - found["proba_a"] - found["proba_b"]).clip(0).round(4)  # they sum to 1
    return {**found, "y_pred": CLASSES[model.argmax(axis=1)], "y_true": CLASSES[labels]}


def make_chunk(task: str, kind: str, rows: int, index: int) -> pa.Table:
    first = index * datagen.CHUNK
    count = min(datagen.CHUNK, rows - first)
    rng = np.random.default_rng([7, 0 if kind == "reference" else 1, index, len(task)])
    position = (np.arange(first, first + count) + rng.random(count)) / rows
    drift = position if kind == "production" else np.zeros(count)
    start = datagen.PRODUCTION_START if kind == "production" else datagen.REFERENCE_START
    data = {
        "id": np.arange(first, first + count) + (0 if kind == "production" else 10**12),
        "timestamp": start + (position * datagen.DAYS * 86_400_000).astype("timedelta64[ms]"),
    }
    data.update(datagen._numeric(rng, count, drift))
    data.update(datagen._categorical(rng, count, drift))
    data.update(_outcomes(task, rng, data, count))
    if kind == "production":
        data.pop("y_true")  # labels have not arrived
    return pa.table(data)


def path_of(task: str, kind: str, rows: int) -> Path:
    return OUT / f"{task}_{kind}_{datagen.size_label(rows)}.parquet"


def write(task: str, kind: str, rows: int) -> Path:
    path = path_of(task, kind, rows)
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial, writer = path.with_suffix(".partial"), None
    for index in range((rows + datagen.CHUNK - 1) // datagen.CHUNK):
        table = make_chunk(task, kind, rows, index)
        writer = writer or pq.ParquetWriter(partial, table.schema)
        writer.write_table(table)
    writer.close()
    partial.replace(path)
    return path


def ingest(task: str, db: str, reference: str, production: str) -> None:
    """Our ingest of both files into a fresh database (run as its own measured process)."""
    sys.path.insert(0, str(BENCH.parent))
    from monitoring.cli import main as cli

    for suffix in ("", ".wal"):
        Path(db + suffix).unlink(missing_ok=True)
    for kind, path in (("reference", reference), ("production", production)):
        roles = COMMON_ROLES + ROLES[task]
        if kind == "production":  # without labels: the target named by the reference
            roles = [r for r in roles if r not in ("--target", "y_true")]
        if cli(["ingest", path, "--db", db, "--model", "bench", "--kind", kind, *roles]):
            sys.exit(2)


def steps(task: str, rows: int, args) -> list[tuple[str, list[str]]]:
    reference, production = (
        str(path_of(task, "reference", args.reference_rows)),
        str(path_of(task, "production", rows)),
    )
    label = datagen.size_label(rows)
    db, report = str(OUT / f"{task}_{label}.duckdb"), str(OUT / f"{task}_{label}.json")
    ours = [sys.executable, str(BENCH / "tools" / "ours_report.py"), "--db", db, "--output", report]
    ours += ["--sections", "performance"]
    files = ["--reference", reference, "--production", production]
    return [
        ("ours_ingest", [sys.executable, __file__, "--ingest", task, "--db", db, *files]),
        ("ours_estimate", ours),
        ("ours_estimate_cached", ours),
        ("nannyml", [*_threads(args), args.python, str(BENCH / "tools" / f"{TOOLS[task]}.py"), *files]),
    ]


def _capped(args) -> list[str]:
    """Every step runs under an address-space cap (prlimit), so that a tool running out of room
    fails alone instead of pushing a shared machine into the kernel's out-of-memory killer."""
    return ["prlimit", f"--as={int(args.memory_cap_gb * 2**30)}"] if args.memory_cap_gb else []


def _threads(args) -> list[str]:
    """NannyML's LightGBM and scikit-learn run on OpenMP; on a busy machine its threads wait on each
    other (our fits took 10-20x longer with 2 threads than with one), so both tools get one thread
    unless told otherwise (ours sets it itself)."""
    return [] if args.nannyml_threads == 0 else ["env", f"OMP_NUM_THREADS={args.nannyml_threads}"]


def load_results() -> dict:
    return json.loads(STORE.read_text()) if STORE.exists() else {}


def measure_all(args) -> None:
    for task in args.tasks.split(","):
        write(task, "reference", args.reference_rows)
        for size in args.sizes.split(","):
            rows = datagen.parse_size(size)
            write(task, "production", rows)
            for step, command in steps(task, rows, args):
                command = [*_capped(args), *command]
                if step == "nannyml" and args.skip_tools or step != "nannyml" and args.skip_ours:
                    continue
                if step == "ours_estimate":  # not timed: nothing cached for the timed run
                    subprocess.run([*command, "--forget"], check=True)
                load = round(os.getloadavg()[0], 2)
                result = run.measure(command, args.timeout)
                result.update(load_before=load, rows=rows, limit_s=args.timeout, cap_gb=args.memory_cap_gb)
                if step == "nannyml":
                    result["threads"] = args.nannyml_threads or "default"
                result["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
                found = load_results()
                found.setdefault(task, {}).setdefault(datagen.size_label(rows), {})[step] = result
                STORE.write_text(json.dumps(found, indent=1))
                print(
                    f"[{task} {size}] {step}: {result['status']} {result['seconds']} s {result['peak_mb']} MB load {load}",
                    flush=True,
                )


def _cell(result: dict | None, key: str) -> str:
    if not result:
        return "not run"
    if result.get("status") != "ok":
        cap = f" ({result['cap_gb']:g} GB address-space cap)" if result.get("cap_gb") else ""
        return result.get("status", "") + cap
    return str(result[key])


def _ratio(theirs: dict | None, ours: dict | None, key: str) -> str:
    if not theirs or not ours or theirs.get("status") != "ok" or ours.get("status") != "ok":
        return "–"
    return f"{theirs[key] / ours[key]:.1f}×"


def render(results: dict) -> str:
    lines = [
        SECTION,
        "",
        "Rerun: `python bench/estimation.py --sizes 1m,10m` (see its docstring). Each step is its own process,",
        "measured from outside: wall seconds and peak resident memory (MB). Reference: 1,000,000 labelled rows;",
        "production: the size, no labels, daily windows (30). Ours: `report --sections performance`",
        "with the summary cache emptied (fit + every window), then again (cached). NannyML reads the",
        "Parquet files itself; ours reads the DuckDB file our ingest made (ingest shown apart).",
        "Ratios: NannyML's figure divided by ours (3.0× = NannyML took three times as long or as much memory).",
        "NannyML ran with OMP_NUM_THREADS=1 unless the table says otherwise (ours fits and scores on one",
        "thread itself): on a busy machine OpenMP threads wait on each other; on this machine NannyML's DLE",
        "at 100k rows took 78 s on one thread and 134 s with its default threads.",
        f"Machine: {run._machine()}.",
        "",
    ]
    names = {
        "regression": "Regression: ours (direct loss estimation) vs NannyML DLE",
        "multiclass": "Multiclass: ours (CBPE) vs NannyML multiclass CBPE",
    }
    for task, sizes in results.items():
        lines += [
            f"### {names[task]}",
            "",
            "| production rows | ours s | ours MB | ours cached s | NannyML s | NannyML MB | time ÷ ours | memory ÷ ours | our ingest s | load avg (ours / NannyML) | measured |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for found in sorted(sizes.values(), key=lambda steps: next(iter(steps.values()))["rows"]):
            ours, theirs = found.get("ours_estimate"), found.get("nannyml")
            rows = next(iter(found.values()))["rows"]
            loads = f"{(ours or {}).get('load_before', '–')} / {(theirs or {}).get('load_before', '–')}"
            if theirs and theirs.get("threads") not in (None, 1):
                loads += f" (NannyML threads: {theirs['threads']})"
            lines.append(
                f"| {rows:,} | {_cell(ours, 'seconds')} | {_cell(ours, 'peak_mb')} "
                f"| {_cell(found.get('ours_estimate_cached'), 'seconds')} | {_cell(theirs, 'seconds')} "
                f"| {_cell(theirs, 'peak_mb')} | {_ratio(theirs, ours, 'seconds')} | {_ratio(theirs, ours, 'peak_mb')} "
                f"| {_cell(found.get('ours_ingest'), 'seconds')} | {loads} | {(ours or theirs or {}).get('measured_at', '')} |"
            )
        lines.append("")
    return "\n".join(lines + [NOTES])


NOTES = """Notes on the runs recorded here (2026-12-01, 16:17-17:04 UTC):

- The machine was shared: load averages 5-10 on 2 cores (before each step, in the table). Times
  are upper bounds; the ratios are the steadier figures. Some of our own test runs overlapped
  NannyML's first 10M regression attempt, and short screenshot runs its second.
- NannyML's DLE at 10M rows first ran under a 12 GB address-space cap (our safety margin on a shared
  machine) and failed with MemoryError after 508 s at 10.3 GB; the row above is the rerun under an
  18 GB cap, which finished at 16.2 GB. The 1M rows ran without a cap.
- Target of the issue at 10M rows (at least as fast, at most a quarter of the memory): regression
  9.0x faster with 0.047 of the memory, multiclass 11.8x faster with 0.090 of it: met.
- The work differs: our DLE fits 3 models (absolute, squared, percentage error; RMSE from MSE) on a
  200,000-row hash sample of the 1M reference, NannyML's fits 4 LightGBM models (mae, mse, rmse,
  mape) on all of it. Ours also computes bands for every metric and the realized metrics (none
  here: no labels). Multiclass: ours 8 metrics (accuracy, macro and weighted precision, recall,
  F1, macro ROC AUC), NannyML 5 (accuracy, macro precision, recall, F1, ROC AUC).
- The estimates agree. First day at 1M rows: MAE ours 5.2584 (band 5.200-5.317), NannyML 5.2583,
  true 5.2345 (the labels the files withhold, recomputed from the generator); accuracy ours 0.5842,
  NannyML 0.5860, true 0.5848 (NannyML's plain normalisation sits higher, as in our simulation). At
  10M: MAE ours 5.2577, NannyML 5.2593; accuracy ours 0.5828, NannyML 0.5845.
- "our ingest" includes the alert rules evaluated after it, i.e. a full report (drift, performance
  with the estimate, data quality...), so ingest + ours counts the estimate twice.
- The cached rows are the same report again: per-window sums and the fitted models are kept in
  the store, so a new day costs only its rows."""


def write_section(text: str) -> None:
    old = run.RESULTS.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = (
        pattern.sub(lambda _: text.rstrip() + "\n\n", old)
        if pattern.search(old)
        else old.rstrip() + "\n\n" + text
    )
    run.RESULTS.write_text(new.rstrip() + "\n", encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--tasks", default="regression,multiclass")
    parser.add_argument("--reference-rows", type=datagen.parse_size, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--nannyml-threads", type=int, default=1, help="OMP_NUM_THREADS for NannyML; 0: its default"
    )
    parser.add_argument(
        "--memory-cap-gb", type=float, default=12, help="address-space cap of every step (0: none)"
    )
    parser.add_argument("--skip-tools", action="store_true")
    parser.add_argument("--skip-ours", action="store_true")
    parser.add_argument("--python", default=os.environ.get("BENCH_PYTHON", "/work/bench-venv/bin/python"))
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument("--ingest", choices=list(ROLES), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--production", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ingest:
        ingest(args.ingest, args.db, args.reference, args.production)
        return
    if not args.render_only:
        measure_all(args)
    write_section(render(load_results()))
    print(f"wrote the '{SECTION[3:]}' section of bench/RESULTS.md")


if __name__ == "__main__":
    main()
