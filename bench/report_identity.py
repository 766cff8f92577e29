"""The JSON report of both demo models under every window setting, before and after a change.

    python bench/report_identity.py snapshot DIR     # seed a demo database once, write the reports
    python bench/report_identity.py compare DIR      # rerun them on a copy of that database, diff

`snapshot` seeds `DIR/demo.duckdb` and writes one JSON file per (model, window, threshold mode)
through the CLI, so the comparison does not depend on any module path. `compare` copies the same
database, empties its summary cache (so nothing is read back from the code that made the
snapshot), reruns every report and prints each difference. `generated_at` and `settings` (a key
added by the layout change) are left out of the comparison, and so is every key the snapshot does
not have (a section added since, e.g. `freshness`): those are listed. A report refused now (e.g.
past the 2,000-window cap) is listed as refused. Numbers count as equal within a
relative 1e-9: DuckDB sums in parallel, so the same code on the same data differs in the last
digits from run to run (about 1e-14 seen), and that is not a change.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("credit", "bikes")
WINDOWS = ("hour", "day", "week", "month", "batch", "rows:2000")
THRESHOLDS = ("fixed", "calibrated")
IGNORED = ("generated_at", "settings")
TOLERANCE = 1e-9


def _cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"python -m monitoring {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def _reports(db: Path):
    for model in MODELS:
        for window in WINDOWS:
            for threshold in THRESHOLDS:
                args = ("report", "--model", model, "--window", window, "--threshold", threshold)
                try:
                    report = json.loads(_cli(*args, "--db", str(db)))
                except SystemExit as refused:  # e.g. more windows than a report may hold (2,000)
                    yield (
                        f"{model}_{window.replace(':', '-')}_{threshold}.json",
                        str(refused).splitlines()[-1],
                    )
                    continue
                for key in IGNORED:
                    report.pop(key, None)
                yield f"{model}_{window.replace(':', '-')}_{threshold}.json", report


def snapshot(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "demo.duckdb"
    db.unlink(missing_ok=True)
    _cli("demo", "--db", str(db))
    for name, report in _reports(db):
        if isinstance(report, str):
            print("refused", name, report)
            continue
        (folder / name).write_text(json.dumps(report, indent=1, sort_keys=True, default=str))
        print("wrote", name)


def _differences(before, after, path="") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after)):
            found += _differences(before.get(key), after.get(key), f"{path}.{key}")
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in _differences(b, a, f"{path}[{i}]")
        ]
    if _numbers(before, after) and abs(before - after) <= TOLERANCE * max(1.0, abs(before), abs(after)):
        return []
    return [] if before == after else [f"{path}: {str(before)[:120]} -> {str(after)[:120]}"]


def _numbers(*values) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def compare(folder: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "demo.duckdb"
        shutil.copy(folder / "demo.duckdb", db)
        with duckdb.connect(str(db)) as con:
            con.execute("DELETE FROM summary_cache")
        failures = refused = 0
        added: set = set()
        for name, report in _reports(db):
            if isinstance(report, str):
                print(f"{name}: refused now ({report})")
                refused += 1
                continue
            before = json.loads((folder / name).read_text())
            after = json.loads(json.dumps(report, sort_keys=True, default=str))
            added |= set(after) - set(before)  # sections added since the snapshot: listed, not compared
            after = {key: value for key, value in after.items() if key in before}
            found = _differences(before, after)
            failures += bool(found)
            print(f"{name}: {'identical' if not found else f'{len(found)} differences'}")
            for line in found[:10]:
                print("   ", line)
    total = len(MODELS) * len(WINDOWS) * len(THRESHOLDS)
    print(f"{failures} of {total} reports differ; {refused} refused now; new keys: {sorted(added) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("snapshot", "compare"):
        raise SystemExit(__doc__)
    folder = Path(sys.argv[2])
    sys.exit(snapshot(folder) if sys.argv[1] == "snapshot" else compare(folder))
