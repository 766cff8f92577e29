"""Our ingest: the reference and the production file into a fresh DuckDB file, through the CLI."""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from datagen import ROLES  # noqa: E402

from monitoring.cli import main as cli  # noqa: E402


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
    started = time.perf_counter()
    for suffix in ("", ".wal"):
        Path(args.db + suffix).unlink(missing_ok=True)
    for kind, path in (("reference", args.reference), ("production", args.production)):
        code = cli(["ingest", path, "--db", args.db, "--model", args.model, "--kind", kind, *role_flags()])
        if code:
            sys.exit(code)
    print(f'{{"inner_seconds": {time.perf_counter() - started:.3f}}}')


if __name__ == "__main__":
    main()
