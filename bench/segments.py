"""A report grouped by a 50-value column against the same report unsegmented, at 10M rows.

    python bench/segments.py                     # 10M production rows, shop with 50 values, 2 rounds
    python bench/segments.py --rows 1m --rounds 1

The data is bench/datagen.py's with one more column, `shop` (50 values, the first ones more
frequent), ingested once into bench/out/pipeline/segments_<rows>.duckdb with shop as a segment
column (the ingest is not measured). Each step is its own process (bench/run.py's `measure`:
wall seconds and peak resident memory) with the summary cache emptied first, so every window is
computed ("nothing cached"). The steps run alternately, round after round, so that a change in the
machine's load hits both alike; the load average is read before and after each step. Results go
to bench/out/pipeline/segments.json and the "## Segments" section of bench/RESULTS.md.
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
import run  # noqa: E402

SEGMENTS = 50
SECTIONS = "drift,performance,fairness,operations,data_quality"
STEPS = {
    "plain": ("today's sections, unsegmented", []),
    "by_shop": ("the same sections --by shop (50 values)", ["--by", "shop"]),
    "plain_all": ("every section (with weak_segments and versions), unsegmented", None),
}
OUT = datagen.OUT / "segments.json"
SECTION = "## Segments"


def ingest(rows: int, db: Path) -> None:
    """The reference (1M) and production files with `shop`, into `db` (kept when already there)."""
    if db.exists():
        return
    reference = datagen.write(
        "reference", 1_000_000, datagen.reference_path(1_000_000, SEGMENTS), segments=SEGMENTS
    )
    production = datagen.write("production", rows, datagen.production_path(rows, SEGMENTS), segments=SEGMENTS)
    roles = _flags()
    env = {**os.environ, "MONITORING_MAX_FILE_MB": "8000"}  # the 10M file unpacks to more than 2 GB
    for kind, path in (("reference", reference), ("production", production)):
        command = [
            sys.executable,
            "-m",
            "monitoring",
            "ingest",
            str(path),
            "--db",
            str(db),
            "--model",
            "bench",
        ]
        subprocess.run([*command, "--kind", kind, *roles], check=True, env=env)


def _flags() -> list[str]:
    flags = []
    for role, value in {**datagen.ROLES, "segment": ["shop"], "categorical": [*datagen.CAT, "shop"]}.items():
        flags += [f"--{role}", *(value if isinstance(value, list) else [value])]
    return flags


def step(name: str, db: Path, timeout: float) -> dict:
    _, extra = STEPS[name]
    tool = [
        sys.executable,
        str(run.TOOLS / "ours_report.py"),
        "--db",
        str(db),
        "--output",
        "/tmp/segments-report.json",
    ]
    subprocess.run([*tool, "--forget"], check=True)
    command = tool + (["--sections", SECTIONS, *extra] if extra is not None else [])
    before = os.getloadavg()[0]
    result = run.measure(command, timeout)
    result["load_before"], result["load_after"] = round(before, 2), round(os.getloadavg()[0], 2)
    result["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


def render(found: dict, rows: int) -> str:
    lines = [
        SECTION,
        "",
        f"`python bench/segments.py --rows {datagen.size_label(rows)}`: {rows:,} production and 1,000,000 "
        "reference rows of bench/datagen.py with a column `shop` of 50 values, daily windows (30), nothing "
        "cached before each step; steps alternate round after round. Load average is the machine's "
        "1-minute load before and after the step (2 cores; other sessions share them).",
        "",
        "| round | step | status | wall s | peak MB | load before → after | measured |",
        "|---:|---|---|---:|---:|---|---|",
    ]
    for record in found["runs"]:
        lines.append(
            f"| {record['round']} | {STEPS[record['step']][0]} | {record['status']} | {record['seconds']} | "
            f"{record['peak_mb']} | {record['load_before']} → {record['load_after']} | {record['measured_at']} |"
        )
    lines += ["", *_ratios(found["runs"]), ""]
    return "\n".join(lines)


def _ratios(runs: list[dict]) -> list[str]:
    lines = []
    for number in sorted({r["round"] for r in runs}):
        by = {r["step"]: r for r in runs if r["round"] == number and r["status"] == "ok"}
        if "plain" in by and "by_shop" in by:
            ratio = by["by_shop"]["seconds"] / by["plain"]["seconds"]
            lines.append(
                f"- Round {number}: --by shop took {ratio:.2f}× the unsegmented report "
                f"(target at most 2×), peak {by['by_shop']['peak_mb']:,.0f} MB (target under 1,536 MB)."
            )
    return lines


def write_section(text: str) -> None:
    old = run.RESULTS.read_text(encoding="utf-8")
    start = old.find(SECTION + "\n")
    if start < 0:
        new = old.rstrip() + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text.rstrip() + "\n" + (old[end:] if end >= 0 else "")
    run.RESULTS.write_text(new.rstrip() + "\n", encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rows", default="10m")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", default="plain,by_shop", help="of " + ", ".join(STEPS))
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args(argv)
    rows = datagen.parse_size(args.rows)
    db = datagen.OUT / f"segments_{datagen.size_label(rows)}.duckdb"
    started = time.perf_counter()
    ingest(rows, db)
    print(f"data ready in {time.perf_counter() - started:.0f} s", flush=True)
    found = {"rows": rows, "runs": []}
    for number in range(1, args.rounds + 1):
        for name in args.steps.split(","):
            result = step(name, db, args.timeout)
            found["runs"].append({"round": number, "step": name, **result})
            print(
                number,
                name,
                result["status"],
                result["seconds"],
                result["peak_mb"],
                result["load_before"],
                flush=True,
            )
            OUT.write_text(json.dumps(found, indent=1))
    write_section(render(found, rows))
    print(f"wrote the '{SECTION}' section of bench/RESULTS.md")


if __name__ == "__main__":
    main()
