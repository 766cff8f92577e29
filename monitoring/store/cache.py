"""Summaries kept in the store, each valid while its content token is unchanged.

A token names what a summary was made from, e.g. the ids of the batches a reference or a window
is made of. An ingest that does not touch them leaves them valid, which is how the reference is
summarised once and a new batch only recomputes the windows it falls in (see window_cache.py).
"""

import json

CONTENT_VERSION = -1  # stored in the data_version column, which older entries keyed on


def _plain(value):
    """numpy scalars as Python numbers; anything else JSON cannot hold (dates) as text."""
    return value.item() if hasattr(value, "item") else str(value)


def as_stored(value):
    """`value` as it reads back from the cache, so fresh and kept results look the same."""
    return json.loads(json.dumps(value, default=_plain))


def cached_for(con, model_id: int, tokens: dict[str, str], compute_missing) -> dict:
    """{key: value} for every key of `tokens`, computing only the keys whose token changed.

    `compute_missing(keys)` returns {key: value} for the keys not stored with their current token;
    each is stored (replacing the stale entry under the same key).
    """
    if not tokens:
        return {}
    rows = con.execute(
        "SELECT key, payload FROM summary_cache WHERE model_id = ? AND data_version = ? "
        "AND key IN (SELECT unnest(?::VARCHAR[]))",
        [model_id, CONTENT_VERSION, list(tokens)],
    ).fetchall()
    found = {}
    for key, payload in rows:
        entry = json.loads(payload)
        if entry["token"] == tokens[key]:
            found[key] = entry["value"]
    missing = [key for key in tokens if key not in found]
    if missing:
        computed = compute_missing(missing)
        rows = []
        for key in missing:
            found[key] = computed.get(key, {})
            entry = {"token": tokens[key], "value": found[key]}
            rows.append([model_id, key, CONTENT_VERSION, json.dumps(entry, default=_plain)])
        con.executemany("INSERT OR REPLACE INTO summary_cache VALUES (?, ?, ?, ?)", rows)
    return found
