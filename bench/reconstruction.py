"""What the PCA reconstruction drift costs: our report with it against the same report without it.

    python bench/reconstruction.py                         # 1m and 10m production rows
    python bench/reconstruction.py --sizes 1m --timeout 900
    python bench/reconstruction.py --sizes 10m --reuse-db   # the database of an earlier run

For each size, bench/datagen.py's deterministic data (a 1M-row reference, 20 numeric and 5
categorical features, the production file of the size; written once to bench/out/pipeline/) goes
into a fresh DuckDB file through our CLI (bench/tools/ours_ingest.py, not part of the ratio). Then,
in one run, each report is its own process measured from outside (bench/run.py's `measure`: wall
seconds and peak resident memory), with the summary cache emptied before it ("nothing cached": the
PCA is fitted, its reference lines computed and every window scanned):
- the drift sections alone (`--sections drift`), with `multivariate_drift` set to `none` and to
  `pca_reconstruction`;
- the full report (every section, the surrogate importances included in both), likewise.
The two settings alternate (none, pca, none, pca), and each ratio divides the mean of the PCA runs
by the mean of the runs without: the machine may be shared, and its load is recorded.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import datagen  # noqa: E402
import run  # noqa: E402

STORE = datagen.OUT.parent / "reconstruction" / "results.json"
SECTION = "## PCA reconstruction drift: its cost"
TOOLS = BENCH / "tools"
ROUNDS = 2


def set_multivariate(db: str, value: str) -> None:
    from dataclasses import replace

    from monitoring.catalog_api import save_settings
    from monitoring.store import Store, catalog

    store = Store(db)
    with store.connect() as con:
        current = catalog.get_model(con, "bench").settings
    save_settings(store, "bench", replace(current, multivariate_drift=value))


def report_step(db: str, sections: str | None) -> list[str]:
    output = str(datagen.OUT.parent / "reconstruction" / "report.json")
    step = [sys.executable, str(TOOLS / "ours_report.py"), "--db", db, "--output", output]
    return step + (["--sections", sections] if sections else [])


def measure(command: list[str], timeout: float) -> dict:
    """Wall seconds, CPU seconds (user + system: steadier than wall time on a shared machine) and
    peak resident MB of `command`, from GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        wrapped = [run.GNU_TIME, "-f", "%e %U %S %M", "-o", timing.name, *command]
        try:
            done = subprocess.run(wrapped, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {
                "status": f"over the {timeout:.0f} s limit",
                "seconds": None,
                "cpu": None,
                "peak_mb": None,
            }
        wall, user, system, peak_kb = timing.read().split()[-4:]
    status = "ok" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["failed"])[-1][:160]
    return {
        "status": status,
        "seconds": float(wall),
        "cpu": round(float(user) + float(system), 2),
        "peak_mb": round(int(peak_kb) / 1024, 1),
    }


def forget(db: str) -> None:
    run.measure([sys.executable, str(TOOLS / "ours_report.py"), "--db", db, "--output", "-", "--forget"], 120)


def run_size(rows: int, timeout: float, reuse: bool) -> dict:
    reference = datagen.reference_path(1_000_000)
    production = datagen.production_path(rows)
    if not reference.exists():
        datagen.write("reference", 1_000_000, reference)
    if not production.exists():
        datagen.write("production", rows, production)
    db = str(datagen.OUT.parent / "reconstruction" / f"bench_{datagen.size_label(rows)}.duckdb")
    ingest = [sys.executable, str(TOOLS / "ours_ingest.py"), "--reference", str(reference)]
    found = {}
    if not (reuse and Path(db).exists()):
        found["ingest"] = run.measure([*ingest, "--production", str(production), "--db", db], timeout * 3)
    found["load_before"] = os.getloadavg()[0]
    for sections in ("drift", None):
        for _ in range(ROUNDS):
            for value in ("none", "pca_reconstruction"):
                set_multivariate(db, value)
                forget(db)
                result = measure(report_step(db, sections), timeout)
                found.setdefault(f"{sections or 'full'}:{value}", []).append(result)
                print(sections or "full", value, result, flush=True)
    found["load_after"] = os.getloadavg()[0]
    found["measured"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return found


def _mean(results: list[dict], key: str) -> float | None:
    values = [r.get(key) for r in results if r["status"] == "ok" and r.get(key) is not None]
    return sum(values) / len(values) if len(values) == len(results) else None


def render(results: dict) -> str:
    lines = [
        SECTION,
        "",
        "`python bench/reconstruction.py --sizes " + ",".join(results) + "` (see the script's docstring). "
        "Reports with nothing cached, daily windows, 1M reference rows, 25 features and the sensitive "
        f"attribute; each figure is the mean of {ROUNDS} runs in the same run, the two settings "
        "alternating. CPU is user + system seconds (steadier than wall time on a shared machine); "
        "the load average of the machine before and after is recorded.",
        "",
        "| production rows | report | wall s without / with PCA | ratio | CPU s without / with | ratio "
        "| peak MB without / with | ratio | load before/after | measured |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for size, found in results.items():
        for sections in ("drift", "full"):
            base, pca = found[f"{sections}:none"], found[f"{sections}:pca_reconstruction"]
            cells = []
            for key in ("seconds", "cpu", "peak_mb"):
                a, b = _mean(base, key), _mean(pca, key)
                cells.append(f"{_fmt(a)} / {_fmt(b)} | " + (f"{b / a:.2f}" if a and b else "–"))
            label = "drift sections" if sections == "drift" else "full report"
            lines.append(
                f"| {size} | {label} | {' | '.join(cells)} | "
                f"{found['load_before']:.1f} / {found['load_after']:.1f} | {found['measured']} |"
            )
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    return "–" if value is None else f"{value:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="1m,10m")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--reuse-db", action="store_true", help="keep a database an earlier run ingested")
    args = parser.parse_args()
    STORE.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(STORE.read_text()) if STORE.exists() else {}
    for size in args.sizes.split(","):
        results[size] = run_size(datagen.parse_size(size), args.timeout, args.reuse_db)
        STORE.write_text(json.dumps(results, indent=2))
    text = render(results)
    print(text)
    path = BENCH / "RESULTS.md"
    current = path.read_text()
    start = current.find(SECTION)
    if start >= 0:
        end = current.find("\n## ", start + len(SECTION))
        current = current[:start] + current[end + 1 :] if end >= 0 else current[:start]
    path.write_text(current.rstrip("\n") + "\n\n" + text)


if __name__ == "__main__":
    main()
