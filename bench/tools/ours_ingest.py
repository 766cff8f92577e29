"""Our ingest: the reference and the production file into a fresh DuckDB file, through the CLI."""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from datagen import ROLES  # noqa: E402

import monitoring.cli.data as cli_data  # noqa: E402
from monitoring.cli import main as cli  # noqa: E402

RULES: list[float] = []


def timed_rules(evaluate):
    """The CLI's rule evaluation after an ingest, timed apart from the ingest itself."""

    def run(*args, **kwargs):
        started = time.perf_counter()
        try:
            return evaluate(*args, **kwargs)
        finally:
            RULES.append(time.perf_counter() - started)

    return run


def role_flags() -> list[str]:
    flags = []
    for role, value in ROLES.items():
        flags += [f"--{role.replace('_', '-')}", *(value if isinstance(value, list) else [value])]
    return flags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--production", required=True)
    parser.add_argument("--db", required=True, help="DuckDB file, replaced if it exists")
    parser.add_argument("--model", default="bench")
    args = parser.parse_args()
    cli_data.report_after_ingest = timed_rules(cli_data.report_after_ingest)
    started = time.perf_counter()
    for suffix in ("", ".wal"):
        Path(args.db + suffix).unlink(missing_ok=True)
    seconds = {}
    for kind, path in (("reference", args.reference), ("production", args.production)):
        began = time.perf_counter()
        code = cli(
            [
                "ingest",
                path,
                "--db",
                args.db,
                "--model",
                args.model,
                "--kind",
                kind,
                "--no-warm",
                *role_flags(),
            ]
        )
        if code:
            sys.exit(code)
        seconds[kind] = round(time.perf_counter() - began - RULES[-1], 3)
        seconds[f"{kind}_rules"] = round(RULES[-1], 3)
    seconds["total"] = round(time.perf_counter() - started, 3)
    print(json.dumps({"inner_seconds": seconds}))


if __name__ == "__main__":
    main()
