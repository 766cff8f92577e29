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


def regression_lake(root: Path, days: int = 6) -> dict:
    """A regression model's lake from the credit demo: the loan amount predicted (noisily)."""
    reference, production, _ = credit_frames(per_day=60, reference_rows=1200)
    production = production[
        production["timestamp"] < production["timestamp"].min().normalize() + pd.Timedelta(days=days)
    ]
    frames = {}
    for kind, frame in (("reference", reference), ("production", production)):
        frame = frame.drop(columns=["score", "prediction", "defaulted"], errors="ignore").copy()
        frame["predicted_amount"] = (frame["loan_amount"] * (0.9 + 0.2 * (frame["age"] % 7) / 7)).round(1)
        frames[kind] = frame
    frames["production"].loc[frames["production"].index[::9], "loan_amount"] = 0.0  # MAPE skips zero targets
    root.mkdir(parents=True, exist_ok=True)
    frames["reference"].to_parquet(root / "reference.parquet", index=False)
    write_partitioned(frames["production"], root / "production")
    return {
        "reference": str(root / "reference.parquet"),
        "production": str(root / "production"),
        "frames": frames,
    }


def ticket_lake(root: Path, days: int = 6) -> dict:
    """The tickets demo (multiclass, class probabilities) as a lake."""
    from monitoring.demo_tickets import ticket_frames

    reference, production, labels = ticket_frames(per_day=120, reference_rows=1200)
    production = production[
        production["timestamp"] < production["timestamp"].min().normalize() + pd.Timedelta(days=days)
    ]
    labels = labels[labels["ticket_id"].isin(set(production["ticket_id"]))]
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
