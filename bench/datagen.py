"""Deterministic benchmark data: a binary classifier's logs, written as Parquet in chunks.

    python bench/datagen.py --sizes 100k,1m      # writes bench/out/pipeline/production_100k.parquet, ...

Every file is made chunk by chunk (CHUNK rows at a time, each chunk from its own seeded
generator), so the same size always gives the same bytes and 10M or 50M rows never need more
memory than one chunk. Columns: id, timestamp, 20 numeric features x0..x19, 5 categorical
features c0..c4, the sensitive attribute `group`, the target y_true, the score y_score, the
prediction y_pred, latency_ms and status. The reference covers the 30 days before production;
production covers 30 days with gradual drift (x0 shifts up to 0.5 std, x1 widens, c0 changes
its mix), a concept shift that lowers accuracy, and 1% errors.
"""

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent / "out" / "pipeline"
CHUNK = 250_000
DAYS = 30
NUM = [f"x{i}" for i in range(20)]
CAT = [f"c{i}" for i in range(5)]
GROUPS = np.array(["A", "B", "C"])
REFERENCE_START = np.datetime64("2026-01-01T00:00:00", "ms")
PRODUCTION_START = np.datetime64("2026-01-31T00:00:00", "ms")
ROLES = {
    "task": "binary",
    "id": "id",
    "timestamp": "timestamp",
    "target": "y_true",
    "prediction": "y_pred",
    "score": ["y_score"],
    "latency": "latency_ms",
    "status": "status",
    "sensitive": ["group"],
    "categorical": CAT,
}


def parse_size(text: str) -> int:
    """'100k' -> 100_000, '1m' -> 1_000_000, '2500' -> 2500."""
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def size_label(rows: int) -> str:
    """1_000_000 -> '1m', 100_000 -> '100k'."""
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def _numeric(rng: np.random.Generator, rows: int, drift: np.ndarray) -> dict:
    data = {}
    for i, name in enumerate(NUM):
        values = rng.normal(i, 1 + i / 10, rows) if i % 3 else rng.lognormal(0, 0.5, rows)
        data[name] = values
    data["x0"] = data["x0"] + 0.5 * 0.6 * drift
    data["x1"] = 1 + (data["x1"] - 1) * (1 + 0.3 * drift)
    return data


def _categorical(rng: np.random.Generator, rows: int, drift: np.ndarray) -> dict:
    data = {}
    for i, name in enumerate(CAT):
        levels = np.array([f"v{j}" for j in range(3 + i)])
        weights = np.linspace(1, 2, len(levels))
        weights = weights / weights.sum()
        if i == 0:
            pick = rng.random(rows) < 0.5 * drift
            codes = np.where(pick, 0, rng.choice(len(levels), rows, p=weights))
        else:
            codes = rng.choice(len(levels), rows, p=weights)
        data[name] = levels[codes]
    return data


def _outcomes(rng: np.random.Generator, data: dict, drift: np.ndarray) -> dict:
    """Score from the features (fixed model); the truth moves away from it as drift grows."""
    group = rng.choice(3, len(drift), p=[0.5, 0.3, 0.2])
    logit = 0.8 * (data["x2"] - 2) / 1.2 - 0.6 * (data["x4"] - 4) / 1.4 + 0.4 * (data["c1"] == "v0")
    logit = logit - 0.3 * (group == 1)
    score = 1 / (1 + np.exp(-logit))
    truth = logit + 1.5 * drift * (data["x7"] - 7) / 1.7 + 0.4 * (group == 2)
    y_true = (rng.random(len(drift)) < 1 / (1 + np.exp(-truth))).astype(np.int64)
    return {
        "group": GROUPS[group],
        "y_true": y_true,
        "y_score": score,
        "y_pred": (score >= 0.5).astype(np.int64),
        "latency_ms": rng.lognormal(3.0, 0.4, len(drift)),
        "status": np.where(rng.random(len(drift)) < 0.01, "error", "ok"),
    }


def make_chunk(kind: str, rows: int, index: int, seed: int = 0, segments: int = 0) -> pa.Table:
    """Rows [index*CHUNK, index*CHUNK + n) of a `kind` file of `rows` rows, as an Arrow table.

    `segments` > 0 adds the column `shop` with that many values (s00, s01, ...; the first ones more
    frequent), drawn after every other column so that the other columns stay the same."""
    first = index * CHUNK
    count = min(CHUNK, rows - first)
    rng = np.random.default_rng([seed, 0 if kind == "reference" else 1, index])
    position = (np.arange(first, first + count) + rng.random(count)) / rows
    drift = position if kind == "production" else np.zeros(count)
    start = PRODUCTION_START if kind == "production" else REFERENCE_START
    offset_ms = (position * DAYS * 86_400_000).astype("timedelta64[ms]")
    id_base = 0 if kind == "production" else 10**12
    data = {"id": np.arange(first, first + count) + id_base, "timestamp": start + offset_ms}
    data.update(_numeric(rng, count, drift))
    data.update(_categorical(rng, count, drift))
    data.update(_outcomes(rng, data, drift))
    if segments:
        weights = 1 / np.arange(1, segments + 1) ** 0.5
        names = np.array([f"s{i:02d}" for i in range(segments)])
        data["shop"] = names[rng.choice(segments, count, p=weights / weights.sum())]
    return pa.table(data)


def write(kind: str, rows: int, path: Path, seed: int = 0, segments: int = 0) -> Path:
    """Write the file chunk by chunk; a file already there with the right row count is kept."""
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    writer = None
    for index in range((rows + CHUNK - 1) // CHUNK):
        table = make_chunk(kind, rows, index, seed, segments)
        writer = writer or pq.ParquetWriter(partial, table.schema)
        writer.write_table(table)
    writer.close()
    partial.replace(path)
    return path


def _suffix(segments: int) -> str:
    return f"_shop{segments}" if segments else ""


def reference_path(rows: int, segments: int = 0) -> Path:
    return OUT / f"reference_{size_label(rows)}{_suffix(segments)}.parquet"


def production_path(rows: int, segments: int = 0) -> Path:
    return OUT / f"production_{size_label(rows)}{_suffix(segments)}.parquet"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="100k,1m,10m", help="production rows, comma-separated")
    parser.add_argument("--reference-rows", default="1m")
    args = parser.parse_args(argv)
    reference_rows = parse_size(args.reference_rows)
    print(write("reference", reference_rows, reference_path(reference_rows)))
    for size in args.sizes.split(","):
        rows = parse_size(size)
        print(write("production", rows, production_path(rows)))


if __name__ == "__main__":
    main()
