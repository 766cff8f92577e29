"""A small binary model with segment, sensitive and version columns, made by code: the data the
segment, baseline, weak-segment and version tests share. `islands` is a small region where the
model is wrong far more often in production than elsewhere."""

import numpy as np
import pandas as pd

from monitoring.ingest.roles import RoleOverrides

REGIONS = ["north", "south", "east", "islands"]
SHARES = [0.4, 0.3, 0.25, 0.05]
ROLES = RoleOverrides(
    task="binary",
    id="id",
    timestamp="ts",
    score=["score"],
    prediction="prediction",
    target="label",
    latency="latency_ms",
    status="status",
    version="version",
    sensitive=["gender"],
    segment=["region"],
    categorical=["channel"],
)


def frame(rng, n: int, start: str, *, weak: bool = False, prefix: str = "") -> pd.DataFrame:
    """`n` scored rows over 4 weeks from `start`; with `weak`, islands' outcomes are mostly flipped."""
    score = rng.random(n).round(2)  # many ties, as real scores rounded for logging
    label = (rng.random(n) < score).astype(int)
    region = rng.choice(REGIONS, n, p=SHARES)
    if weak:
        flip = (region == "islands") & (rng.random(n) < 0.8)
        label = np.where(flip, 1 - label, label)
    return pd.DataFrame(
        {
            "id": [f"{prefix}{start}-{i}" for i in range(n)],
            "ts": pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.uniform(0, 28 * 86400, n)), unit="s"),
            "x": rng.normal(size=n).round(3),
            "amount": rng.gamma(2.0, 50.0, n).round(1),
            "channel": rng.choice(["web", "app", "branch"], n),
            "region": region,
            "gender": rng.choice(["F", "M"], n),
            "version": "1",
            "latency_ms": rng.lognormal(4, 0.3, n).round(1),
            "status": np.where(rng.random(n) < 0.01, "error", "ok"),
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "label": label,
        }
    )


def make_store(store, ingest_frame, *, production_rows: int = 12000, seed: int = 0):
    """Reference (3,000 rows in December) and production (4 weeks from 1 Jan 2024) of model `m`."""
    rng = np.random.default_rng(seed)
    reference = frame(rng, 3000, "2023-12-01")
    production = frame(rng, production_rows, "2024-01-01", weak=True)
    ingest_frame(store, production, model="m", kind="production", overrides=ROLES)
    ingest_frame(store, reference, model="m", kind="reference", overrides=ROLES)
    return reference, production
