"""SQL asked of one stored batch after its rows are in: its time span, rows without a time or
outside the period, ids with conflicting labels, labels without a prediction, filled values."""

from monitoring.store.catalog import table_exists
from monitoring.store.connection import quote


def non_null_count(con, table: str, column: str, batch_id: int) -> int:
    return con.execute(
        f"SELECT count({quote(column)}) FROM {table} WHERE __batch = ?", [batch_id]
    ).fetchall()[0][0]


def time_problems(con, table: str, timestamp: str, batch_id: int, earliest, latest) -> tuple[int, int]:
    """(rows without a time, times before `earliest` or at/after `latest`) of one stored batch."""
    ts = quote(timestamp)
    return con.execute(
        f"SELECT count_if({ts} IS NULL), count_if(coalesce({ts} < ? OR {ts} >= ?, false)) FROM {table} WHERE __batch = ?",
        [earliest, latest, batch_id],
    ).fetchall()[0]


def conflicting_labels(con, table: str, batch_id: int) -> tuple[int, str, list[str]] | None:
    """(ids with more than one distinct label in the batch, the first such id, two of its labels)."""
    rows = con.execute(
        f"SELECT count(*) OVER (), id, list(DISTINCT target ORDER BY target)[:2] FROM {table} "
        "WHERE __batch = ? GROUP BY id HAVING count(DISTINCT target) > 1 ORDER BY id LIMIT 1",
        [batch_id],
    ).fetchall()
    return rows[0] if rows else None


def batch_time_span(con, table: str, timestamp: str | None, batch_id: int):
    if timestamp is None:
        return None, None
    row = con.execute(
        f"SELECT min({quote(timestamp)}), max({quote(timestamp)}) FROM {table} WHERE __batch = ?",
        [batch_id],
    ).fetchall()
    return row[0]


def unmatched_label_count(
    con, labels_table: str, production_table: str, id_column: str, batch_id: int
) -> int:
    if not table_exists(con, production_table):
        return con.execute(f"SELECT count(*) FROM {labels_table} WHERE __batch = ?", [batch_id]).fetchall()[
            0
        ][0]
    return con.execute(
        f"SELECT count(*) FROM {labels_table} l WHERE l.__batch = ? AND NOT EXISTS "
        f"(SELECT 1 FROM {production_table} p WHERE p.{quote(id_column)} = l.id)",
        [batch_id],
    ).fetchall()[0][0]
