"""Performance, fairness and operations metrics: ours (SQL-pushed) against sklearn + Fairlearn on pandas.

    python bench/metrics.py --sizes 1m,10m

Data: bench/datagen.py (a binary classifier's logs, continuous scores, 3 groups, 30 days;
reference 1M rows). Each size is ingested once into bench/out/metrics_<size>.duckdb (not timed).
Then, each in its own process measured from outside (wall time, peak RSS via os.wait4):
- ours: `performance` (realized + CBPE estimate), `fairness` and `operations` sections with daily
  windows, from the DuckDB file;
- pandas: /work/bench-venv/bin/python reads the Parquet files and computes the same numbers per
  day and for the whole period with scikit-learn (accuracy, precision, recall, F1, ROC AUC,
  average precision, log loss, confusion matrix, reference baseline), Fairlearn (MetricFrame per
  group per day and overall, demographic parity and equalized odds) and numpy (latency
  percentiles, error rate). No estimation on that side, so ours does strictly more work.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
COMPARISON_PYTHON = "/work/bench-venv/bin/python"
REFERENCE_ROWS = 1_000_000


def run_ours(db: str) -> None:
    from monitoring.context import ReportRequest, make_context
    from monitoring.fairness import fairness_section
    from monitoring.operations import operations_section
    from monitoring.performance.section import performance_section
    from monitoring.store import Store

    with Store(db).connect() as con:
        context = make_context(con, ReportRequest("bench", window="day"))
        performance = performance_section(con, context)["performance"]
        fairness = fairness_section(con, context)["fairness_disparities"]
        operations = operations_section(con, context)["operations"]
    whole = {r["metric"]: r["difference"] for r in fairness if r["window"] is None}
    auc = [r["value"] for r in performance if r["metric"] == "roc_auc_score" and r["kind"] == "realized"]
    p99 = [r["value"] for r in operations if r["metric"] == "latency_p99"]
    print(json.dumps({"days": len(context.windows), "first_auc": auc[0], "first_p99": p99[0], **whole}))


def run_pandas(reference: str, production: str) -> None:
    import numpy as np
    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn import metrics

    columns = ["timestamp", "group", "y_true", "y_score", "y_pred", "latency_ms", "status"]
    ref = pd.read_parquet(reference, columns=columns)
    frame = pd.read_parquet(production, columns=columns)

    def scores(part):
        y, p, s = part["y_true"], part["y_pred"], part["y_score"]
        return {
            "accuracy": metrics.accuracy_score(y, p),
            "precision": metrics.precision_score(y, p, zero_division=0),
            "recall": metrics.recall_score(y, p),
            "f1": metrics.f1_score(y, p),
            "roc_auc": metrics.roc_auc_score(y, s),
            "average_precision": metrics.average_precision_score(y, s),
            "log_loss": metrics.log_loss(y, s, labels=[0, 1]),
            "confusion": metrics.confusion_matrix(y, p, labels=[0, 1]).tolist(),
        }

    baseline = scores(ref)
    day = frame["timestamp"].dt.floor("D").rename("day")
    daily = [scores(part) for _, part in frame.groupby(day, sort=True)]
    fair = {
        "selection_rate": selection_rate,
        "accuracy": metrics.accuracy_score,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "false_negative_rate": false_negative_rate,
        "precision": metrics.precision_score,
    }
    y, p, g = frame["y_true"], frame["y_pred"], frame["group"]
    MetricFrame(metrics=fair, y_true=y, y_pred=p, sensitive_features=g)
    MetricFrame(metrics=fair, y_true=y, y_pred=p, sensitive_features=g, control_features=day)
    dp = demographic_parity_difference(y, p, sensitive_features=g)
    eo = equalized_odds_difference(y, p, sensitive_features=g)
    for _, part in frame.groupby(day, sort=True):
        demographic_parity_difference(part["y_true"], part["y_pred"], sensitive_features=part["group"])
        equalized_odds_difference(part["y_true"], part["y_pred"], sensitive_features=part["group"])
    ops = frame.groupby(day, sort=True).agg(
        p99=("latency_ms", lambda v: np.percentile(v.dropna(), 99)),
        errors=("status", lambda v: (v == "error").mean()),
    )
    print(
        json.dumps(
            {
                "days": len(daily),
                "first_auc": daily[0]["roc_auc"],
                "first_p99": float(ops["p99"].iloc[0]),
                "demographic_parity": dp,
                "equalized_odds": eo,
                "baseline_auc": baseline["roc_auc"],
            }
        )
    )


def measure(command: list[str]) -> dict:
    """Run a command; wall seconds, peak RSS MB (ru_maxrss of the child) and its JSON line."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command} failed with status {status}")
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "result": json.loads(output.strip().splitlines()[-1]),
    }


def prepare(rows: int) -> tuple[Path, Path, Path]:
    from bench import datagen
    from monitoring.ingest.pipeline import ingest_file
    from monitoring.ingest.roles import RoleOverrides
    from monitoring.store import Store

    reference = datagen.write("reference", REFERENCE_ROWS, datagen.reference_path(REFERENCE_ROWS))
    production = datagen.write("production", rows, datagen.production_path(rows))
    db = datagen.OUT / f"metrics_{datagen.size_label(rows)}.duckdb"
    if not db.exists():
        store, roles = Store(str(db)), RoleOverrides(**datagen.ROLES)
        ingest_file(store, str(production), model="bench", kind="production", overrides=roles)
        ingest_file(store, str(reference), model="bench", kind="reference", overrides=roles)
    return reference, production, db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--ours-only", action="store_true", help="skip the sklearn + Fairlearn side")
    parser.add_argument("--ours", help=argparse.SUPPRESS)
    parser.add_argument("--pandas", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours:
        return run_ours(args.ours)
    if args.pandas:
        return run_pandas(*args.pandas)
    from bench.datagen import parse_size

    print(
        "| rows | ours s | ours peak MB | sklearn+fairlearn s | their peak MB | time ours/theirs | memory ours/theirs |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        rows = parse_size(size)
        reference, production, db = prepare(rows)
        run_db = db.with_suffix(".run.duckdb")
        shutil.copy(db, run_db)  # a fresh copy: nothing cached from an earlier run
        ours = measure([sys.executable, __file__, "--ours", str(run_db)])
        if args.ours_only:
            print(json.dumps({"rows": rows, "ours": ours}), file=sys.stderr)
            print(f"| {rows:,} | {ours['seconds']:.1f} | {ours['peak_mb']:.0f} | not run | | | |", flush=True)
            continue
        theirs = measure([COMPARISON_PYTHON, __file__, "--pandas", str(reference), str(production)])
        print(json.dumps({"rows": rows, "ours": ours, "theirs": theirs}), file=sys.stderr)
        print(
            f"| {rows:,} | {ours['seconds']:.1f} | {ours['peak_mb']:.0f} | {theirs['seconds']:.1f} | "
            f"{theirs['peak_mb']:.0f} | {ours['seconds'] / theirs['seconds']:.2f} | "
            f"{ours['peak_mb'] / theirs['peak_mb']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
