"""Duplicate-id counts per window, brought up to date after an ingest instead of recounted.

A row is a duplicate when its id occurs more than once in the period, so a new batch can change
the counts of every window (its ids may repeat older ones). Counting from scratch needs a hash
aggregate over every id of the period (seconds at 10M rows); instead the counts are kept with the
production batches they cover, and a later report adds what the new batches bring
(quality_sql.duplicate_ids_joining: only their ids are looked up). A deleted batch, another
period, window size, segment or column roles (all in the key) mean a count from scratch.
"""

from monitoring.store import attached_sql, catalog, quality_sql
from monitoring.store.cache import keep, kept_entry
from monitoring.window_cache import key_prefix


def duplicate_rows(con, context, id_column: str, version: str | None) -> list[tuple]:
    """quality_sql.duplicate_ids over the context's period, from the kept counts where it can."""
    source, params = context.production(con)
    segment = bool(context.by)
    model = context.model

    def from_scratch() -> list[tuple]:
        return quality_sql.duplicate_ids(con, source, params, id_column, version=version, segment=segment)

    if context.only is not None or attached_sql.attached_token(con, model.id, "production"):
        return from_scratch()  # a part of the period, or files that change without batches
    key = key_prefix(context, "duplicates", version or "")
    batches = [int(b) for b in catalog.batch_token(con, model.id, "production").split(",") if b]
    kept = kept_entry(con, model.id, key)
    covered = [int(b) for b in kept[0].split(",") if b] if kept else None
    if covered is None or not set(covered) <= set(batches):
        rows = _as_text_keys(from_scratch())
    else:
        rows = [tuple(row) for row in kept[1]]
        new = sorted(set(batches) - set(covered))
        if new:
            added = quality_sql.duplicate_ids_joining(
                con, source, params, id_column, new, version=version, segment=segment
            )
            rows = _summed(rows, _as_text_keys(added))
    token = ",".join(map(str, batches))
    if kept is None or kept[0] != token:
        keep(con, model.id, key, token, rows)
    by_text = {str(w.key): w.key for w in context.windows}
    return [(by_text.get(row[0], row[0]), *row[1:]) for row in rows]


def _as_text_keys(rows: list[tuple]) -> list[tuple]:
    """Window keys as text, as they read back from the cache (times are not JSON)."""
    return [(str(row[0]), *row[1:]) for row in rows]


def _summed(rows: list[tuple], added: list[tuple]) -> list[tuple]:
    """Counts per cell (every field but the last), added up."""
    totals: dict = {}
    for row in [*rows, *added]:
        cell = tuple(row[:-1])
        totals[cell] = totals.get(cell, 0) + row[-1]
    return [(*cell, count) for cell, count in sorted(totals.items(), key=lambda item: str(item[0]))]
