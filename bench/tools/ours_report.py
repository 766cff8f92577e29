"""Our report (every registered section, or some) over daily windows, through the CLI."""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitoring.cli import main as cli  # noqa: E402


def forget_summaries(db: str) -> None:
    """Empty the summary cache, so that the report computes everything from the stored rows."""
    from monitoring.store import Store

    with Store(db).connect() as con:
        con.execute("DELETE FROM summary_cache")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--output", required=True, help="where the JSON report goes")
    parser.add_argument("--model", default="bench")
    parser.add_argument("--window", default="day")
    parser.add_argument("--sections", help="e.g. drift (default: all)")
    parser.add_argument("--by", help="also every figure per value of this column")
    parser.add_argument("--forget", action="store_true", help="only empty the summary cache and stop")
    args = parser.parse_args()
    if args.forget:  # run.py does this before the timed run: "nothing cached"
        forget_summaries(args.db)
        return
    started = time.perf_counter()
    command = ["report", "--model", args.model, "--window", args.window, "--db", args.db, "-o", args.output]
    command += ["--sections", args.sections] if args.sections else []
    code = cli(command + (["--by", args.by] if args.by else []))
    if code:
        sys.exit(code)
    with open(args.output, encoding="utf-8") as handle:
        report = json.load(handle)
    sections = {key: len(value) for key, value in report.items() if isinstance(value, list)}
    seconds = round(time.perf_counter() - started, 3)
    print(json.dumps({"inner_seconds": seconds, "windows": len(report["windows"]), "sections": sections}))


if __name__ == "__main__":
    main()
