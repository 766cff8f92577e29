"""Summaries kept in the store, valid while the model's data version is unchanged."""

import json


def cached(con, model_id: int, data_version: int, key: str, compute):
    """Return the JSON-able value stored under `key` for this data version, or compute and keep it."""
    row = con.execute(
        "SELECT payload FROM summary_cache WHERE model_id = ? AND key = ? AND data_version = ?",
        [model_id, key, data_version],
    ).fetchall()
    if row:
        return json.loads(row[0][0])
    value = compute()
    con.execute(
        "INSERT OR REPLACE INTO summary_cache VALUES (?, ?, ?, ?)",
        [model_id, key, data_version, json.dumps(value, default=str)],
    )
    return value
