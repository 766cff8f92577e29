"""Model M of the red-team setup, made by code, and helpers for the hardening tests
(test_hardening_data.py, test_hardening_refusals.py, test_hardening_reports.py), whose fixtures
`put` and `model_m` wrap `ingester` and `make_model_m`."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from monitoring import catalog_api
from monitoring.alerts.history import list_alerts
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.report import ReportRequest, build_report


def model_frames(rows: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference (January 2024) and production (March 2024, `age` shifted up) rows of model M,
    like the red-team setup, smaller. Production carries its target for the labels file."""
    rng = np.random.default_rng(seed)

    def make(start, prefix, shift=0):
        seconds = rng.integers(0, 14 * 86400, rows)
        score = rng.uniform(0, 1, rows).round(4)
        return pd.DataFrame(
            {
                "id": [f"{prefix}{i}" for i in range(rows)],
                "timestamp": (pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s")).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "age": rng.normal(40 + shift, 10, rows).round(0),
                "income": rng.lognormal(10.5, 0.4, rows).round(2),
                "region": rng.choice(["north", "south", "east", "west"], rows),
                "gender": rng.choice(["F", "M"], rows),
                "score": score,
                "prediction": (score > 0.5).astype(int),
                "target": (score > 0.5).astype(int),
                "latency_ms": rng.gamma(2, 20, rows).round(1),
            }
        )

    return make("2024-01-01", "r"), make("2024-03-01", "p", shift=8)


def ingester(tmp_path):
    """put(store, frame, kind, name=None, model="M", **options): write `frame` as CSV (or Parquet
    when the name ends in .parquet, or an Arrow table) and ingest it through the real path."""

    def ingest(store, frame, kind, name=None, model="M", **options):
        path = tmp_path / (name or f"{kind}_{len(list(tmp_path.iterdir()))}.csv")
        if isinstance(frame, pa.Table):
            pq.write_table(frame, path)
        elif path.suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return ingest_file(store, str(path), model=model, kind=kind, **options)

    return ingest


def make_model_m(store, put):
    """A store with model M: reference, production (without its target) and labels."""
    reference, production = model_frames()
    put(store, reference, "reference", overrides=RoleOverrides(sensitive=["gender"]))
    put(store, production.drop(columns="target"), "production")
    put(store, production[["id", "target"]], "labels")
    return store


def report(store, **request) -> dict:
    return build_report(store, ReportRequest("M", **request))


def drift_of(found: dict, column: str) -> list[dict]:
    return [r for r in found["drift"] if r["column"] == column]


def new_rows(prefix: str, rows: int = 100) -> pd.DataFrame:
    _, production = model_frames(seed=1)
    part = production.head(rows).drop(columns="target")
    part["id"] = prefix + part["id"]
    return part


def open_alerts(store) -> list[str]:
    return [a["message"] for a in list_alerts(store, "M") if a["status"] == "open"]


def batches_of(store) -> list[int]:
    return list(catalog_api.batches(store, "M")["id"])
