"""The counts drift is computed from, for the whole (filtered) population and each value of the
grouping column, in the baseline and in every window.

The bins of a numeric column are those of the whole baseline (its quantiles), also for a segment:
a segment is the same slice of the baseline counted on those bins, so that `--segment
region=north` and the `region=north` records of `--by region` are the same figures. A segment's
row count, mean and std (for the method it gets and the Wasserstein scale) are its own.

Everything is kept in the store: the baseline's profile for as long as its rows are unchanged, and
each window's counts (per value when grouped) for as long as the window's batches are.
"""

import hashlib
import math
from dataclasses import dataclass, replace

import numpy as np

from monitoring.context import WHOLE
from monitoring.store import drift_sql, window_sql
from monitoring.store.cache import cached_for
from monitoring.store.segment_sql import SEGMENT
from monitoring.window_cache import (
    by_window,
    cache_key,
    days_of,
    for_reference,
    in_days,
    window_key_prefix,
    window_tokens,
)

# What one query may hold in histogram state: a numeric column's state per group is its bins
# (up to ~570 edges, kept twice) and a categorical one's its categories.
HISTOGRAM_BUDGET = 96 * 2**20
STATE_BYTES = 2 * 8 * (drift_sql.EDGE_BINS + 80) + 512
CATEGORY_BYTES = 4096


@dataclass(frozen=True)
class Summaries:
    """`edges`: {column: bins and stats of the whole baseline}; `reference` and each window of
    `windows` (by window index): {WHOLE or value: {column: summary}}."""

    edges: dict
    reference: dict
    windows: dict


def info_for(edges: dict, summary: dict | None, sliced: bool = True) -> dict:
    """A numeric column's bins with the rows, mean, std and distinct values of one slice (none
    when the slice has no baseline rows; the whole baseline's own when not `sliced`)."""
    if not sliced:
        return edges
    if not summary or "rows" not in summary:
        return {**edges, "rows": 0, "mean": None, "std": 0.0, "distinct": 0}
    distinct = int(np.count_nonzero(summary["counts"]))  # one value per bin below 6 distinct values
    return {
        **edges,
        "rows": summary["rows"],
        "mean": summary["mean"],
        "std": summary["std"],
        "distinct": distinct,
    }


def combine(summaries: list[dict]) -> dict:
    """The summary of the union of slices: counts and sums added, mean and std pooled."""
    found: dict = {}
    for summary in summaries:
        for name, part in summary.items():
            found[name] = _add(found.get(name), part)
    return found


def _add(total: dict | None, part: dict) -> dict:
    if total is None:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in part.items()}
    if "counts" not in part:
        return {k: total.get(k, 0) + part.get(k, 0) for k in set(total) | set(part)}
    added = {
        "counts": (np.asarray(total["counts"]) + np.asarray(part["counts"])).tolist(),
        "below": total["below"] + part["below"],
        "above": total["above"] + part["above"],
    }
    if "rows" in part:
        added.update(_pooled(total, part))
    return added


def _pooled(a: dict, b: dict) -> dict:
    n = a["rows"] + b["rows"]
    if not n:
        return {"rows": 0, "mean": None, "std": 0.0}
    mean_a, mean_b = a["mean"] or 0.0, b["mean"] or 0.0
    mean = (a["rows"] * mean_a + b["rows"] * mean_b) / n
    squares = sum(s["rows"] * (s["std"] ** 2 + (m - mean) ** 2) for s, m in ((a, mean_a), (b, mean_b)))
    return {"rows": n, "mean": mean, "std": math.sqrt(squares / n)}


def summaries(con, context, columns) -> Summaries:
    """The counts of the monitored `columns` (see the module docstring)."""
    numeric = [c.sql_name for c in columns if c.kind == "numeric"]
    categorical = [c.sql_name for c in columns if c.kind == "categorical"]
    names = hashlib.sha1(repr((numeric, categorical)).encode()).hexdigest()[:12]

    def profile() -> dict:
        source, params = context.reference(con, sliced=False)
        return drift_sql.reference_profile(con, source, params, numeric, categorical)

    key = cache_key("drift", context, drift_sql.EDGE_BINS, names, "reference", sliced=False)
    found = for_reference(con, context, key, profile)
    edges = found["edges"]
    reference = _reference_slices(con, context, edges, categorical, found["counts"], names)
    return Summaries(edges, reference, _window_slices(con, context, edges, categorical, names))


def _reference_slices(con, context, edges, categorical, whole_counts, names) -> dict:
    if context.segment is None and context.by is None:
        return {WHOLE: whole_counts}

    def compute() -> list:
        source, params = context.reference(con)
        group = SEGMENT if context.baseline_by else None
        counts = drift_sql.grouped_counts(con, source, params, group, edges, categorical, False, True)
        return [[value, summary] for value, summary in counts.items()]

    key = cache_key("drift-slices", context, drift_sql.EDGE_BINS, names, "reference")
    found = for_reference(con, context, key, compute)
    return _by_value(found, context, whole_counts, bool(context.baseline_by))


def _by_value(pairs: list, context, whole_counts: dict, grouped: bool) -> dict:
    """{WHOLE and each value: summary} from [[value, summary], ...] of one query, grouped or not."""
    found = {value: summary for value, summary in pairs}
    if not grouped:
        return {WHOLE: found.get(None, {})}
    if context.segment is None and whole_counts is not None:
        found[WHOLE] = whole_counts
    else:
        found[WHOLE] = combine([summary for value, summary in pairs])
    return found


def _parts(context, windows: list, numeric: int, categorical: int) -> list[list]:
    """`windows` in parts whose counts fit in memory at once: DuckDB keeps a histogram's bins per
    group and cannot spill them, and grouping by a column's values multiplies the groups."""
    groups = 1 + len(context.segment_values) if context.by else 1
    per_window = groups * (numeric * STATE_BYTES + categorical * CATEGORY_BYTES)
    size = max(1, HISTOGRAM_BUDGET // max(per_window, 1))
    return [windows[i : i + size] for i in range(0, len(windows), size)]


def _window_slices(con, context, edges, categorical, names) -> dict:
    kept = _kept_counts(con, context, edges, categorical, names)
    return {
        context.index_of(key): _by_value(pairs, context, None, bool(context.by))
        for key, pairs in kept.items()
        if pairs
    }


def _kept_counts(con, context, edges, categorical, names) -> dict:
    """{window key: [[value, summary], ...]}, each window's kept while its batches are; a week's
    or a month's are the sums of its days' (kept per day too, under a daily report's keys)."""
    tokens = window_tokens(con, context)
    prefix = window_key_prefix("drift", context, drift_sql.EDGE_BINS, names, f"stats{context.previous}")
    keys = {prefix + str(window): window for window in tokens}
    group = [window_sql.WINDOW, SEGMENT] if context.by else window_sql.WINDOW

    def production(missing) -> dict:
        wanted = {keys[k] for k in missing}
        windows = [w for w in context.windows if w.key in wanted]
        if in_days(context):
            days = _kept_counts(con, days_of(con, context, windows), edges, categorical, names)
            return {prefix + str(key): _summed(parts) for key, parts in by_window(windows, days).items()}
        found: dict = {prefix + str(key): [] for key in wanted}
        for part in _parts(context, windows, len(edges), len(categorical)):
            source, params = context.restricted(part).production(con)
            counts = drift_sql.grouped_counts(
                con, source, params, group, edges, categorical, True, context.previous
            )
            for key, summary in counts.items():
                window, value = key if context.by else (key, None)
                if window in wanted:
                    found[prefix + str(window)].append([value, summary])
        if context.by:
            _keep_wholes(con, context, names, {keys[k]: pairs for k, pairs in found.items()}, tokens)
        return found

    # (a drift section after weak segments finds the sums they kept in context.cache)
    kept = cached_for(
        con, context.model.id, {k: tokens[w] for k, w in keys.items()}, production, context.cache
    )
    return {keys[k]: pairs for k, pairs in kept.items()}


def _keep_wholes(con, context, names, grouped: dict, tokens: dict) -> None:
    """Keep the ungrouped counts of windows just counted per value, as the sums over the values
    (every row is in one group, missing values in theirs): the report without grouping (the
    drift section after weak segments) then reads them instead of counting again."""
    whole = replace(context, by=None)
    prefix = window_key_prefix("drift", whole, drift_sql.EDGE_BINS, names, f"stats{context.previous}")
    keys = {prefix + str(window): window for window in grouped}

    def summed(missing) -> dict:
        return {k: _summed([[[None, s] for _, s in grouped[keys[k]]]]) for k in missing}

    cached_for(
        con, context.model.id, {k: tokens[w] for k, w in keys.items()}, summed, context.cache, hold=True
    )


def _summed(days: list[list]) -> list[list]:
    """[[value, summary], ...] of a window from those of its days: counts added, stats pooled, in
    the order the window's own query gives (values with missing last, categories sorted)."""
    by_value: dict = {}
    for pairs in days:
        for value, summary in pairs:
            by_value.setdefault(value, []).append(summary)
    ordered = sorted(by_value, key=lambda v: (v is None, v))
    return [[value, _sorted_categories(combine(by_value[value]))] for value in ordered]


def _sorted_categories(summary: dict) -> dict:
    return {name: part if "counts" in part else dict(sorted(part.items())) for name, part in summary.items()}
