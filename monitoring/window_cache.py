"""Results kept by content, so that an ingest recomputes only what its batch touched.

`for_reference` keeps a result of the reference for as long as its batches are unchanged;
`per_window` keeps each window's records for as long as the window's own batches are.

A window's token names what its rows come from: its production batches, the label batches and
the reference batches. The cache key names everything else a result depends on: the area, the
model's columns and settings, the window size, the period and the chosen reference. Used for the
drift summaries and for the sections whose records each belong to one window.
"""

import hashlib
import json
from dataclasses import replace
from datetime import timedelta

from monitoring.store import attached_sql, catalog, window_sql
from monitoring.store.cache import as_stored, cached_for
from monitoring.windows import Period, Window, WindowSpec

DAY = WindowSpec("day")


def cache_key(area: str, context, *parts, sliced: bool = True) -> str:
    """The one way to name a kept result: its area, the reference and baseline it was made from,
    the segment and the grouping column (unless `sliced` is False: a result of the whole baseline),
    and every other thing it depends on (`parts`), e.g. `drift:ref2:reference:seg:by:500:<columns>`."""
    names = [area, f"ref{context.reference_batch}", str(context.baseline)]
    if sliced:
        names += [f"seg{context.segment.text if context.segment else ''}", f"by{context.by or ''}"]
    return ":".join([*names, *map(str, parts)])


def window_key_prefix(area: str, context, *parts) -> str:
    """The start of the key of each window's result: `cache_key` plus the window size and period."""
    return cache_key(area, context, *parts, context.spec, context.period.start, context.period.end, "window:")


def baseline_token(con, context) -> str:
    """What the baseline's rows come from: the reference batches, or for a period of production
    (and for `previous` without a reference) the production and label batches."""
    model, kind = context.model, context.baseline.kind
    if kind == "reference" or (kind == "previous" and window_sql.has_rows(con, model, "reference")):
        return catalog.batch_token(con, model.id, "reference", context.reference_batch)
    production = catalog.batch_token(con, model.id, "production")
    return f"production:{production}|labels:{catalog.batch_token(con, model.id, 'labels')}"


def for_reference(con, context, key: str, compute):
    """`compute()`, kept under `key` for as long as the context's baseline rows are unchanged.
    The report holds it too, for its other sections and passes (its snapshot does not show what it
    stored): a pass per few windows asked for the baseline's performance again each time. Results
    of the reference are small (at 10M rows the largest, the drift bins, 0.3 MB)."""
    token = baseline_token(con, context)

    def computed(_) -> dict:
        return {key: compute()}

    return cached_for(con, context.model.id, {key: token}, computed, context.cache, hold=True)[key]


def window_tokens(con, context) -> dict:
    """{window key: token} for the context's windows (one pass, remembered for the report)."""
    if "window_tokens" not in context.memo:
        context.memo["window_tokens"] = _window_tokens(con, context)
    return context.memo["window_tokens"]


def _window_tokens(con, context) -> dict:
    model = context.model
    batches = context.memo.get("window_batches")  # listed with the windows (context.make_context)
    if batches is None:
        source, params = context.production(con)
        batches = window_sql.group_batches(con, source, params, window_sql.WINDOW)
    labels = catalog.batch_token(con, model.id, "labels")
    reference = baseline_token(con, context)
    production = attached_sql.attached_token(con, model.id, "production")  # '' when stored
    by_index = {w.index: w for w in context.windows}
    tokens = {}
    # only the context's windows: one that appeared since they were listed is not in this report
    for window in context.windows:
        found = batches.get(window.key)
        if found is None:
            continue
        tokens[window.key] = f"{found}|labels:{labels}|reference:{reference}" + (
            f"|{production}" if production else ""
        )
        before = by_index.get(window.index - 1)
        if context.previous and before is not None:  # its baseline is the window before
            tokens[window.key] += f"|previous:{batches.get(before.key)}"
    return tokens


def in_days(context) -> bool:
    """Whether the context's windows are whole days (weeks, months) whose counts can be kept per
    day: a week's bin counts are the sum of its days', so a new day in a week computes that day."""
    return context.spec.unit in ("week", "month") and context.model.column("timestamp") is not None


def days_of(con, context, windows: list[Window]):
    """The same context with the days of `windows` (weeks or months) that hold rows as its
    windows: the days' keys and tokens are those of a daily report, which then shares what they keep."""
    days = []
    for window in windows:
        day = window.start
        while day < window.end:
            days.append(day)
            day += timedelta(days=1)
    # a day's index is its ordinal, the same whichever weeks are asked: records kept per day hold it
    listed = [Window(day.toordinal(), day, day, day + timedelta(days=1), 0) for day in days]
    daily = replace(
        context,
        settings=replace(context.settings, window=str(DAY)),  # as a daily report's (in key_prefix)
        spec=DAY,
        windows=listed,
        window_index={w.key: w.index for w in listed},
        only=None,
        span=Period(days[0], days[-1] + timedelta(days=1)) if days else None,
        memo={},
    )
    tokens = window_tokens(con, daily)  # remembered in the days' memo
    return replace(daily, windows=[w for w in listed if w.key in tokens])


def by_window(windows: list[Window], by_day: dict) -> dict:
    """{window key: [the value of each of its days in `by_day` ({day: value}), oldest first]}."""
    found = {w.key: [] for w in windows}
    for day in sorted(by_day):
        window = next((w for w in windows if w.start <= day < w.end), None)
        if window is not None:
            found[window.key].append(by_day[day])
    return found


def key_prefix(context, area: str, *extra) -> str:
    """The part of the cache key shared by every window of one result: it also names the model's
    columns and settings (as a digest), which every section's records depend on."""
    model = context.model
    described = json.dumps(
        [[c.name, c.role, c.kind] for c in model.columns] + [context.settings.to_dict(), *map(str, extra)],
        default=str,
    )
    return window_key_prefix(area, context, hashlib.sha1(described.encode()).hexdigest()[:16])


def in_passes(windows, rows_per_pass: int | None) -> list[list]:
    """Consecutive windows in groups of at most `rows_per_pass` rows (a larger window alone; all in
    one group without a limit)."""
    if rows_per_pass is None:
        return [list(windows)]
    passes, size = [[]], 0
    for window in windows:
        if passes[-1] and size + window.rows > rows_per_pass:
            passes.append([])
            size = 0
        passes[-1].append(window)
        size += window.rows
    return passes


def per_window(
    con, context, area: str, compute, keys: tuple[str, ...], *extra, rows_per_pass: int | None = None
) -> dict:
    """{section key: records} of `compute(con, context)`, computed only for windows not kept.

    Every record of the `keys` sections must belong to one window (its "window" index) and depend
    on that window's rows, the reference and what `key_prefix` covers (plus `extra`). With
    `rows_per_pass`, the windows to compute go to `compute` in groups of at most that many rows:
    what a section holds per row (per distinct score, every latency) then stays bounded.
    """
    if not context.windows:
        return compute(con, context)
    tokens = window_tokens(con, context)
    prefix = key_prefix(context, area, *extra)
    by_key = {prefix + str(w.key): w for w in context.windows}

    def missing(names) -> dict:
        windows = [by_key[name] for name in names]
        split = {name: {key: [] for key in keys} for name in names}
        for group in in_passes(windows, rows_per_pass):
            found = compute(con, context.restricted(group))
            # only the group's own windows: with `previous` the pass also holds the window before
            name_of = {w.index: prefix + str(w.key) for w in group}
            for key in keys:
                for record in found.get(key, []):
                    # rows of a window that appeared since the windows were listed have no index here
                    if record["window"] in name_of:
                        split[name_of[record["window"]]][key].append(record)
        return as_stored(split)

    # a window without a token lost its rows since it was listed: computed, not kept
    tokens_by_name = {name: tokens.get(w.key) for name, w in by_key.items()}
    kept = cached_for(con, context.model.id, tokens_by_name, missing, context.cache)
    return {key: [r for name in by_key for r in kept[name][key]] for key in keys}
