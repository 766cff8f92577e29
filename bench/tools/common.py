"""What every comparison script shares: the column lists, loading and the daily split.

The scripts run in the comparison venv (pandas 2), so this module imports nothing from
`monitoring` or `bench.datagen`.
"""

import argparse
import json
import sys
import time

NUM = [f"x{i}" for i in range(20)]
CAT = [f"c{i}" for i in range(5)]
LABELS = ["y_true", "y_pred"]


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--reference", required=True, help="reference Parquet file")
    parser.add_argument("--production", required=True, help="production Parquet file")
    return parser.parse_args()


def load(path: str, columns: list[str] | None = None):
    """Read a Parquet file into pandas, categorical/label columns as strings where needed."""
    import pandas as pd

    return pd.read_parquet(path, columns=columns)


def days(frame):
    """(day, rows of that day) pairs in time order: the daily windows a user loops over."""
    key = frame["timestamp"].dt.floor("D")
    for day, part in frame.groupby(key, sort=True):
        yield day, part.reset_index(drop=True)


def done(started: float, **facts) -> None:
    """Print one JSON line the runner keeps as a sanity check of what the tool computed."""
    facts["inner_seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(facts, default=str))
    sys.stdout.flush()
