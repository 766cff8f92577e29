"""Prediction logs as a lake would keep them: reference and labels as Parquet files, production
as Parquet partitioned by day (day=2024-03-01/part-0.parquet)."""

from pathlib import Path

import pandas as pd

from monitoring.demo import credit_frames


def write_partitioned(frame: pd.DataFrame, folder: Path, name: str = "part-0.parquet") -> Path:
    """`frame` as one file per day under `folder`/day=YYYY-MM-DD/."""
    for day, rows in frame.groupby(frame["timestamp"].dt.strftime("%Y-%m-%d")):
        part = folder / f"day={day}"
        part.mkdir(parents=True, exist_ok=True)
        rows.to_parquet(part / name, index=False)
    return folder


def credit_lake(root: Path, per_day: int = 60, reference_rows: int = 1500, days: int | None = None) -> dict:
    """{kind: path} of the credit demo written as a lake under `root`, and the frames under "frames"."""
    reference, production, labels = credit_frames(per_day=per_day, reference_rows=reference_rows)
    if days is not None:
        production = production[
            production["timestamp"] < production["timestamp"].min().normalize() + pd.Timedelta(days=days)
        ]
        labels = labels[labels["request_id"].isin(set(production["request_id"]))]
    root.mkdir(parents=True, exist_ok=True)
    reference.to_parquet(root / "reference.parquet", index=False)
    labels.to_parquet(root / "labels.parquet", index=False)
    write_partitioned(production, root / "production")
    return {
        "reference": str(root / "reference.parquet"),
        "production": str(root / "production"),
        "labels": str(root / "labels.parquet"),
        "frames": {"reference": reference, "production": production, "labels": labels},
    }
