"""SQL of freshness: when the last production row, batch and label arrived, and how many of the
predictions old enough to have their label still lack it."""

from datetime import datetime

from monitoring.schema import Model
from monitoring.store.catalog import table_columns, table_exists
from monitoring.store.connection import quote
from monitoring.store.window_sql import LABEL


def last_production(con, model: Model) -> datetime | None:
    """The newest production row's timestamp."""
    timestamp = model.column("timestamp")
    if timestamp is None or not table_exists(con, model.table("production")):
        return None
    ts = quote(timestamp.name)
    return con.execute(f"SELECT max({ts}) FROM {model.table('production')}").fetchall()[0][0]


def last_batch(con, model: Model) -> datetime | None:
    """When the newest batch of any kind was ingested."""
    return con.execute("SELECT max(ingested_at) FROM batches WHERE model_id = ?", [model.id]).fetchall()[0][0]


def last_label(con, model: Model) -> datetime | None:
    """When the newest label arrived: the newest labels batch, or the newest production batch
    whose rows carry their target."""
    found = con.execute(
        "SELECT max(ingested_at) FROM batches WHERE model_id = ? AND kind = 'labels' AND rows > 0",
        [model.id],
    ).fetchall()[0][0]
    target, production = model.column("target"), model.table("production")
    if (
        target is None
        or not table_exists(con, production)
        or target.name not in table_columns(con, production)
    ):
        return found
    logged = con.execute(
        f"SELECT max(b.ingested_at) FROM batches b WHERE b.model_id = ? AND b.id IN "
        f"(SELECT DISTINCT __batch FROM {production} WHERE {quote(target.name)} IS NOT NULL)",
        [model.id],
    ).fetchall()[0][0]
    return max((t for t in (found, logged) if t is not None), default=None)


def overdue_labels(
    con, model: Model, source: str, params: list, due: datetime
) -> tuple[int, int, datetime | None]:
    """(rows made before `due`, those of them without a label, the oldest such unlabelled row's time).

    `source` is the production source of window_sql (with __label, the label joined by id).
    """
    ts = quote(model.column("timestamp").name)
    row = con.execute(
        f"SELECT count(*), count(*) FILTER ({LABEL} IS NULL), min({ts}) FILTER ({LABEL} IS NULL) "
        f"FROM ({source}) WHERE {ts} < ?",
        [*params, due],
    ).fetchall()[0]
    return int(row[0]), int(row[1]), row[2]
