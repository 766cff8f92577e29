"""Summaries kept in the store, each valid while its content token is unchanged.

A token names what a summary was made from, e.g. the ids of the batches a reference or a window
is made of. An ingest that does not touch them leaves them valid, which is how the reference is
summarised once and a new batch only recomputes the windows it falls in (see window_cache.py).
Summaries computed by other code (an upgrade, a fix) are all dropped when the store is opened: a
changed statistic must never hide behind a kept one.
"""

import functools
import hashlib
import json
import threading
from pathlib import Path

import duckdb

CONTENT_VERSION = -1  # stored in the data_version column, which older entries keyed on
# Reports of one process (the app's sessions) write the cache without the store's write lock (an
# ingest holds that for its whole run). Two writes of one key that overlap make DuckDB refuse one
# of them (duplicate key / "Failed to commit"), ON CONFLICT clauses included, so the writes take
# turns; each is one short statement. Another process cannot have the file open at the same time.
_CACHE_WRITES = threading.Lock()


CODE_KEY = "summaries_code"


@functools.cache
def code_fingerprint() -> str:
    """What the kept summaries are computed by: the monitoring package's source and DuckDB's version."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1(duckdb.__version__.encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def forget_other_code(con) -> None:
    """Drop every kept summary (and whole report) when other code computed them."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [CODE_KEY]).fetchall()
    if row and row[0][0] == code_fingerprint():
        return
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM summary_cache")
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [CODE_KEY, code_fingerprint()])
    con.execute("COMMIT")


def _plain(value):
    """numpy scalars as Python numbers; anything else JSON cannot hold (dates) as text."""
    return value.item() if hasattr(value, "item") else str(value)


def as_stored(value):
    """`value` as it reads back from the cache, so fresh and kept results look the same."""
    return json.loads(json.dumps(value, default=_plain))


# A report holds the model's kept payloads (read in one scan) up to this size; above it each
# lookup reads the store, as before.
HELD_BYTES = 64 * 2**20


class ReportCache:
    """The summary cache as one report reads it.

    Reading one payload costs DuckDB a scan of every payload in the table (it decompresses the
    whole column), so the model's entries are read once, the first time any is asked for (unless
    they pass HELD_BYTES). A report reads one snapshot, which does not show what the report
    stored itself: `written` holds what it stored and will read again."""

    def __init__(self):
        self.payloads: dict[int, dict[str, str] | None] = {}
        self.written: dict[str, tuple[str, object]] = {}

    def stored(self, con, model_id: int, keys: list[str]) -> list[tuple[str, str]]:
        """(key, payload) of the `keys` that are stored."""
        if model_id not in self.payloads:
            rows = _select(con, model_id, None)
            held = sum(len(payload) for _, payload in rows) <= HELD_BYTES
            self.payloads[model_id] = dict(rows) if held else None
        held = self.payloads[model_id]
        if held is None:
            return _select(con, model_id, keys)
        return [(key, held[key]) for key in keys if key in held]


def _select(con, model_id: int, keys: list[str] | None) -> list[tuple[str, str]]:
    """(key, payload) of the model's entries, or of `keys` only."""
    where, params = "", [model_id, CONTENT_VERSION]
    if keys is not None:
        where, params = " AND key IN (SELECT unnest(?::VARCHAR[]))", [*params, keys]
    return con.execute(
        f"SELECT key, payload FROM summary_cache WHERE model_id = ? AND data_version = ?{where}", params
    ).fetchall()


def cached_for(
    con,
    model_id: int,
    tokens: dict[str, str | None],
    compute_missing,
    report: ReportCache | None = None,
    hold: bool = False,
) -> dict:
    """{key: value} for every key of `tokens`, computing only the keys whose token changed.

    `compute_missing(keys)` returns {key: value} for the keys not stored with their current token;
    each is stored (replacing the stale entry under the same key). A token of None means the
    content is unknown (it changed while the report was read): computed, never stored.
    `report`: the report's view of the cache (see ReportCache); `hold`: keep what is computed
    here in it, for other sections of the report to read (small results only: held to its end).
    """
    if not tokens:
        return {}
    rows = report.stored(con, model_id, list(tokens)) if report else _select(con, model_id, list(tokens))
    found = {}
    for key, payload in rows:
        entry = json.loads(payload)
        if entry["token"] == tokens[key]:
            found[key] = entry["value"]
    for key, (token, value) in (report.written if report else {}).items():
        if key in tokens and key not in found and token == tokens[key]:
            found[key] = value
    missing = [key for key in tokens if key not in found]
    if missing:
        computed = compute_missing(missing)
        entries = {}
        for key in missing:
            found[key] = computed.get(key, {})
            if tokens[key] is not None:
                entries[key] = json.dumps({"token": tokens[key], "value": found[key]}, default=_plain)
                if hold and report:
                    report.written[key] = (tokens[key], found[key])
        _store(con, model_id, entries)
    return found


def _store(con, model_id: int, entries: dict[str, str]) -> None:
    """Write {key: payload} in statements of at most STATEMENT_BYTES each, committed at once.

    The write goes through its own connection (a cursor), outside any transaction `con` is in:
    a report reads one snapshot (see report.build_report), and a write there could collide at its
    commit with entries other reports stored since the snapshot began. Large payloads (a window's
    counts per value of a grouping column) go in several statements, so that no statement needs
    more memory than DuckDB's limit allows.
    """
    if not entries:
        return
    with _CACHE_WRITES, con.cursor() as writer:
        for part in _parts(entries):
            writer.execute(
                "INSERT OR REPLACE INTO summary_cache SELECT ?, unnest(?::VARCHAR[]), ?, unnest(?::VARCHAR[])",
                [model_id, list(part), CONTENT_VERSION, list(part.values())],
            )


STATEMENT_BYTES = 8 * 2**20


def _parts(entries: dict[str, str]) -> list[dict[str, str]]:
    parts, current, size = [], {}, 0
    for key, payload in entries.items():
        if current and size + len(payload) > STATEMENT_BYTES:
            parts.append(current)
            current, size = {}, 0
        current[key] = payload
        size += len(payload)
    return parts + [current]


def kept_entry(con, model_id: int, key: str) -> tuple[str, object] | None:
    """(token, value) stored under `key` whatever its token, or None: for a result that can be
    brought up to date from an older one (see monitoring/duplicates.py)."""
    rows = con.execute(
        "SELECT payload FROM summary_cache WHERE model_id = ? AND data_version = ? AND key = ?",
        [model_id, CONTENT_VERSION, key],
    ).fetchall()
    if not rows:
        return None
    entry = json.loads(rows[0][0])
    return entry["token"], entry["value"]


def keep(con, model_id: int, key: str, token: str, value) -> None:
    """Store `value` under `key` with its `token` (replacing what was there)."""
    _store(con, model_id, {key: json.dumps({"token": token, "value": value}, default=_plain)})


def forget_other_versions(con, model_id: int, prefix: str, version: str) -> None:
    """Drop the model's entries under `prefix` whose key does not end in `:version` (results made
    from data that has since changed: never read again, and about a megabyte each at 10M rows)."""
    with _CACHE_WRITES, con.cursor() as writer:
        writer.execute(
            "DELETE FROM summary_cache WHERE model_id = ? AND starts_with(key, ?) AND NOT suffix(key, ?)",
            [model_id, prefix, f":{version}"],
        )
