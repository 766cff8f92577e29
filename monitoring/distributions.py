"""A column's distribution in the reference and in a window, from the drift summaries (no raw rows)."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitoring.context import ReportRequest, make_context
from monitoring.drift.section import comparable_columns, drift_summaries
from monitoring.errors import InputError

DISPLAY_BINS = 30
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
MAX_CATEGORIES = 20


@dataclass(frozen=True)
class Distribution:
    column: str
    kind: str
    shares: pd.DataFrame  # series, bin (label), start, end, share, count
    quantiles: pd.DataFrame  # quantile, then one column per series (numeric only)


def column_distribution(store, request: ReportRequest, column: str, window: int, against: int | None = None):
    """Reference (or window `against`) and window `window` distributions of `column`."""
    with store.connect() as con:
        context = make_context(con, request)
        found = [c for c in comparable_columns(con, context.model) if c.name == column]
        if not found:
            raise InputError(
                f"model {context.model.name!r} has no column {column!r} in both its reference and "
                "its production rows; pick another column"
            )
        col = found[0]
        edges, ref_summary, windows = drift_summaries(con, context, found)
    labels = {w.index: w.label for w in context.windows}
    series = {"reference": ref_summary.get(col.sql_name)} if against is None else {}
    if against is not None:
        series[labels.get(against, f"window {against}")] = windows.get(str(against), {}).get(col.sql_name)
    series[labels.get(window, f"window {window}")] = windows.get(str(window), {}).get(col.sql_name)
    if col.kind == "numeric":
        info = edges.get(col.sql_name) or {"edges": []}
        return _numeric(col.name, info["edges"], series)
    return _categorical(col.name, series)


def _numeric(name: str, edges: list, series: dict) -> Distribution:
    edges = np.asarray(edges, dtype=float)
    if edges.size < 2:
        return Distribution(name, "numeric", pd.DataFrame(), pd.DataFrame())
    lo, hi = edges[0], edges[-1]
    width = (hi - lo) / DISPLAY_BINS or 1.0
    mids = np.concatenate([[lo], (edges[:-1] + edges[1:]) / 2, [hi]])
    slots = np.clip(((mids - lo) / width).astype(int), 0, DISPLAY_BINS - 1)
    slots[-1] = DISPLAY_BINS  # values above the reference's largest value get a bar of their own
    rows, quantiles = [], {"quantile": list(QUANTILES)}
    for label, summary in series.items():
        counts = np.asarray((summary or {}).get("counts") or np.zeros(edges.size + 1), dtype=float)
        binned = np.bincount(slots, weights=counts, minlength=DISPLAY_BINS + 1)
        total = counts.sum()
        for i, count in enumerate(binned):
            start = lo + i * width
            name_ = f"above {hi:.4g} (reference max)" if i == DISPLAY_BINS else f"{start:.4g}"
            rows.append(
                {
                    "series": label,
                    "bin": name_,
                    "start": start,
                    "end": start + width,
                    "count": int(count),
                    "share": count / total if total else 0.0,
                }
            )
        quantiles[label] = [_quantile(edges, counts, q) for q in QUANTILES]
    frame = pd.DataFrame(rows)
    overflow = frame["bin"].str.startswith("above")
    if frame.loc[overflow, "count"].sum() == 0:
        frame = frame[~overflow]
    return Distribution(name, "numeric", frame.reset_index(drop=True), pd.DataFrame(quantiles))


def _quantile(edges: np.ndarray, counts: np.ndarray, q: float) -> float | None:
    """The reference edge at which the cumulative count first reaches q of the total."""
    total = counts.sum()
    if not total:
        return None
    position = int(np.searchsorted(np.cumsum(counts), q * total, side="left"))
    return float(edges[min(position, edges.size - 1)])


def _categorical(name: str, series: dict) -> Distribution:
    totals: dict[str, float] = {}
    for summary in series.values():
        for category, count in (summary or {}).items():
            totals[category] = totals.get(category, 0) + count
    keep = sorted(totals, key=totals.get, reverse=True)[:MAX_CATEGORIES]
    rows = []
    for label, summary in series.items():
        summary = summary or {}
        total = sum(summary.values())
        for category in keep:
            count = summary.get(category, 0)
            rows.append(
                {
                    "series": label,
                    "bin": category,
                    "start": None,
                    "end": None,
                    "count": int(count),
                    "share": count / total if total else 0.0,
                }
            )
    return Distribution(name, "categorical", pd.DataFrame(rows), pd.DataFrame())
