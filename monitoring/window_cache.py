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

from monitoring.store import attached_sql, catalog, window_sql
from monitoring.store.cache import as_stored, cached_for


def cache_key(area: str, context, *parts) -> str:
    """The one way to name a kept result: its area, the reference it was made from, and every other
    thing it depends on (`parts`), e.g. `drift:ref2:500:<columns>:reference`."""
    return ":".join([area, f"ref{context.reference_batch}", *map(str, parts)])


def window_key_prefix(area: str, context, *parts) -> str:
    """The start of the key of each window's result: `cache_key` plus the window size and period."""
    return cache_key(area, context, *parts, context.spec, context.period.start, context.period.end, "window:")


def for_reference(con, context, key: str, compute):
    """`compute()`, kept under `key` for as long as the context's reference batches are unchanged."""
    token = catalog.batch_token(con, context.model.id, "reference", context.reference_batch)
    return cached_for(con, context.model.id, {key: token}, lambda _: {key: compute()})[key]


def window_tokens(con, context) -> dict:
    """{window key: token} for the context's windows (one pass, remembered for the report)."""
    if "window_tokens" not in context.memo:
        context.memo["window_tokens"] = _window_tokens(con, context)
    return context.memo["window_tokens"]


def _window_tokens(con, context) -> dict:
    model = context.model
    source, params = context.production(con)
    batches = window_sql.group_batches(con, source, params, window_sql.WINDOW)
    labels = catalog.batch_token(con, model.id, "labels")
    reference = catalog.batch_token(con, model.id, "reference", context.reference_batch)
    production = attached_sql.attached_token(con, model.id, "production")  # '' when stored
    # only the context's windows: one that appeared since they were listed is not in this report
    return {
        key: f"{found}|labels:{labels}|reference:{reference}" + (f"|{production}" if production else "")
        for key, found in batches.items()
        if key in context.window_index
    }


def key_prefix(context, area: str, *extra) -> str:
    """The part of the cache key shared by every window of one result: it also names the model's
    columns and settings (as a digest), which every section's records depend on."""
    model = context.model
    described = json.dumps(
        [[c.name, c.role, c.kind] for c in model.columns] + [context.settings.to_dict(), *map(str, extra)],
        default=str,
    )
    return window_key_prefix(area, context, hashlib.sha1(described.encode()).hexdigest()[:16])


def per_window(con, context, area: str, compute, keys: tuple[str, ...], *extra) -> dict:
    """{section key: records} of `compute(con, context)`, computed only for windows not kept.

    Every record of the `keys` sections must belong to one window (its "window" index) and depend
    on that window's rows, the reference and what `key_prefix` covers (plus `extra`).
    """
    if not context.windows:
        return compute(con, context)
    tokens = window_tokens(con, context)
    prefix = key_prefix(context, area, *extra)
    by_key = {prefix + str(w.key): w for w in context.windows}

    def missing(names) -> dict:
        windows = [by_key[name] for name in names]
        found = compute(con, context.restricted(windows))
        split = {name: {key: [] for key in keys} for name in names}
        name_of = {w.index: prefix + str(w.key) for w in windows}
        for key in keys:
            for record in found.get(key, []):
                # rows of a window that appeared since the windows were listed have no index here
                if record["window"] in name_of:
                    split[name_of[record["window"]]][key].append(record)
        return as_stored(split)

    # a window without a token lost its rows since it was listed: computed, not kept
    kept = cached_for(con, context.model.id, {name: tokens.get(w.key) for name, w in by_key.items()}, missing)
    return {key: [r for name in by_key for r in kept[name][key]] for key in keys}
