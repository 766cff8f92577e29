"""Models, their columns and their batches: the catalog of what is stored."""

import json

from monitoring.errors import InputError, NotFoundError
from monitoring.schema import TASKS, Column, Model
from monitoring.settings import ModelSettings
from monitoring.store import attached_sql
from monitoring.store.connection import quote, snapshot_answer
from monitoring.windows import WindowSpec


def list_models(con) -> list[Model]:
    rows = con.execute("SELECT name FROM models ORDER BY name").fetchall()
    return [get_model(con, name) for (name,) in rows]


def get_model(con, name: str) -> Model:
    row = con.execute(
        "SELECT id, name, task, settings, data_version FROM models WHERE name = ?", [name]
    ).fetchall()
    if not row:
        known = [n for (n,) in con.execute("SELECT name FROM models ORDER BY name").fetchall()]
        hint = f"known models: {', '.join(known)}" if known else "the database has no models yet"
        raise NotFoundError(f"no model named {name!r}; {hint}")
    model_id, name, task, settings, version = row[0]
    columns = con.execute(
        "SELECT name, role, kind, inferred FROM model_columns WHERE model_id = ? ORDER BY position",
        [model_id],
    ).fetchall()
    return Model(
        id=model_id,
        name=name,
        task=task,
        settings=ModelSettings.from_dict(_readable(json.loads(settings))),
        data_version=version,
        columns=tuple(Column(*c) for c in columns),
    )


def _readable(settings: dict) -> dict:
    """Stored settings as today's rules accept them (a rows:N window below the floor is lifted)."""
    if "window" in settings:
        settings["window"] = WindowSpec.lifted(settings["window"])
    return settings


def model_exists(con, name: str) -> bool:
    return bool(con.execute("SELECT 1 FROM models WHERE name = ?", [name]).fetchall())


def create_model(con, name: str, task: str, settings: ModelSettings) -> int:
    if task not in TASKS:
        raise InputError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    row = con.execute(
        "INSERT INTO models (name, task, settings) VALUES (?, ?, ?) RETURNING id",
        [name, task, json.dumps(settings.to_dict())],
    ).fetchall()
    return row[0][0]


def save_settings(con, model_id: int, settings: ModelSettings) -> None:
    con.execute(
        "UPDATE models SET settings = ?, data_version = data_version + 1 WHERE id = ?",
        [json.dumps(settings.to_dict()), model_id],
    )


def bump_data_version(con, model_id: int) -> None:
    con.execute("UPDATE models SET data_version = data_version + 1 WHERE id = ?", [model_id])


def save_columns(con, model_id: int, columns: list[Column]) -> None:
    con.execute("DELETE FROM model_columns WHERE model_id = ?", [model_id])
    con.executemany(
        "INSERT INTO model_columns VALUES (?, ?, ?, ?, ?, ?)",
        [(model_id, c.name, c.role, c.kind, i, c.inferred) for i, c in enumerate(columns)],
    )


def table_exists(con, table: str) -> bool:
    name = table.strip('"').replace('""', '"')

    def ask() -> bool:
        # DuckDB's own catalog functions answer in half the time of information_schema's views
        found = con.execute(
            "SELECT count(*) FROM (SELECT table_name AS name FROM duckdb_tables() "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal) WHERE name = ?",
            [name],
        ).fetchall()
        return found[0][0] > 0

    return snapshot_answer(con, ("exists", name), ask)


def table_columns(con, table: str) -> list[str]:
    name = table.strip('"').replace('""', '"')

    def ask() -> list[str]:
        rows = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
            [name],
        ).fetchall()
        return [r[0] for r in rows]

    return list(snapshot_answer(con, ("columns", name), ask))


def find_batch_by_hash(con, model_id: int, kind: str, content_hash: str):
    rows = con.execute(
        "SELECT id, file_name, ingested_at FROM batches WHERE model_id = ? AND kind = ? AND content_hash = ?",
        [model_id, kind, content_hash],
    ).fetchall()
    return rows[0] if rows else None


def insert_batch(con, model_id, kind, file_name, content_hash, rows, start_ts, end_ts) -> int:
    found = con.execute(
        "INSERT INTO batches (model_id, kind, file_name, content_hash, rows, start_ts, end_ts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [model_id, kind, file_name, content_hash, rows, start_ts, end_ts],
    ).fetchall()
    return found[0][0]


def batch_token(con, model_id: int, kind: str, batch_id: int | None = None) -> str:
    """The ids of a model's batches of one kind (or just `batch_id`), as text.

    Batch ids are never reused, so the token changes whenever such a batch is added or deleted.
    """
    where, params = "", [model_id, kind]
    if batch_id is not None:
        where, params = " AND id = ?", [*params, batch_id]
    rows = con.execute(
        f"SELECT id FROM batches WHERE model_id = ? AND kind = ?{where} ORDER BY id", params
    ).fetchall()
    token = ",".join(str(r[0]) for r in rows)
    attached = attached_sql.attached_token(con, model_id, kind)  # new files change an attached kind
    return f"{token}|{attached}" if attached else token


def update_batch(con, batch_id: int, rows: int, start_ts, end_ts) -> None:
    """Set a batch's row count and time span once its rows are stored."""
    con.execute(
        "UPDATE batches SET rows = ?, start_ts = ?, end_ts = ? WHERE id = ?",
        [rows, start_ts, end_ts, batch_id],
    )


def insert_schema_changes(con, batch_id: int, changes: list[tuple[str, str, str]]) -> None:
    if changes:
        con.executemany(
            "INSERT INTO schema_changes VALUES (?, ?, ?, ?)",
            [(batch_id, column, change, detail) for column, change, detail in changes],
        )


BATCH_QUERY = """
SELECT b.id, m.name AS model, b.kind, b.file_name, b.rows, b.start_ts, b.end_ts,
       b.ingested_at, b.content_hash,
       (SELECT count(*) FROM schema_changes s WHERE s.batch_id = b.id) AS schema_changes
FROM batches b JOIN models m ON m.id = b.model_id
WHERE m.name = ?
ORDER BY b.id
"""


def list_batches(con, model_name: str):
    """The batches of a model as a DataFrame, oldest first."""
    return con.execute(BATCH_QUERY, [model_name]).df()


def list_schema_changes(con, model_id: int):
    return con.execute(
        "SELECT s.batch_id, b.file_name, s.column_name, s.change, s.detail "
        "FROM schema_changes s JOIN batches b ON b.id = s.batch_id "
        "WHERE b.model_id = ? ORDER BY s.batch_id, s.column_name",
        [model_id],
    ).df()


def columns_added(con, model_id: int) -> dict[str, int]:
    """{column: the batch that added it to the model} for columns a later file brought."""
    rows = con.execute(
        "SELECT s.column_name, min(s.batch_id) FROM schema_changes s JOIN batches b ON b.id = s.batch_id "
        "WHERE b.model_id = ? AND s.change = 'added' GROUP BY 1",
        [model_id],
    ).fetchall()
    return dict(rows)


def delete_batch(con, model: Model, batch_id: int) -> int:
    """Delete one batch and its rows; call inside a transaction. Returns the rows removed."""
    found = con.execute(
        "SELECT kind, rows FROM batches WHERE id = ? AND model_id = ?", [batch_id, model.id]
    ).fetchall()
    if not found:
        raise NotFoundError(f"model {model.name!r} has no batch {batch_id}")
    kind, rows = found[0]
    table = model.table(kind)
    if attached_sql.attachments(con, model.id).get(kind, {}).get("batch") == batch_id:
        attached_sql.detach(con, model.id, table, batch_id)  # the files stay where they are
    elif table_exists(con, table):
        con.execute(f"DELETE FROM {table} WHERE __batch = ?", [batch_id])
    added = con.execute(
        "SELECT column_name FROM schema_changes WHERE batch_id = ? AND change = 'added'", [batch_id]
    ).fetchall()
    con.execute("DELETE FROM schema_changes WHERE batch_id = ?", [batch_id])
    con.execute("DELETE FROM batches WHERE id = ?", [batch_id])
    for (name,) in added:
        _forget_unused_column(con, model, name)
    bump_data_version(con, model.id)
    return rows


def _forget_unused_column(con, model: Model, name: str) -> None:
    """Take a column that a deleted batch added off the model, unless other rows hold values of it."""
    tables = [
        t for t in (model.table("reference"), model.table("production")) if name in table_columns(con, t)
    ]
    for table in tables:
        if con.execute(f"SELECT count({quote(name)}) FROM {table}").fetchall()[0][0]:
            return
    for table in tables:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {quote(name)}")
    con.execute("DELETE FROM model_columns WHERE model_id = ? AND name = ?", [model.id, name])


def forget_summaries(con, model_id: int) -> None:
    """Drop every kept summary of the model (they were computed with its old roles)."""
    con.execute("DELETE FROM summary_cache WHERE model_id = ?", [model_id])


def unconvertible(con, model: Model, name: str, kind: str) -> tuple[int, str | None]:
    """How many stored values of `name` would not read as `kind` (numeric), and one of them."""
    if kind != "numeric":
        return 0, None
    count, example = 0, None
    for table in _tables_with(con, model, name):
        column = quote(name)
        bad = f"{column} IS NOT NULL AND TRY_CAST({column} AS DOUBLE) IS NULL"
        found, value = con.execute(
            f"SELECT count_if({bad}), any_value({column}) FILTER ({bad}) FROM {table}"
        ).fetchall()[0]
        count, example = count + int(found or 0), example or value
    return count, example


def convert_column(con, model: Model, name: str, kind: str) -> None:
    """Store `name` as numbers (DOUBLE) or as text, in every table that holds it; whole numbers
    become text without a fraction ('1', not '1.0'), as an ingest writes class labels."""
    if any(attached_sql.view_definition(con, t) for t in _tables_with(con, model, name)):
        raise InputError(
            f"column {name!r} of model {model.name!r} is read from an attached Parquet dataset, whose "
            "types are fixed when it is attached; delete its batch and attach it again with --numeric or --categorical"
        )
    column = quote(name)
    as_text = f"CASE WHEN {column} = floor({column}) THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) ELSE CAST({column} AS VARCHAR) END"
    for table in _tables_with(con, model, name):
        sql_type = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())[
            name
        ]
        if kind == "numeric" and sql_type != "DOUBLE":
            con.execute(f"ALTER TABLE {table} ALTER {column} TYPE DOUBLE USING TRY_CAST({column} AS DOUBLE)")
        elif kind != "numeric" and sql_type == "DOUBLE":
            con.execute(f"ALTER TABLE {table} ALTER {column} TYPE VARCHAR USING {as_text}")


def _tables_with(con, model: Model, name: str) -> list[str]:
    tables = (model.table("reference"), model.table("production"))
    return [t for t in tables if table_exists(con, t) and name in table_columns(con, t)]


def has_batches(con, model_id: int, kind: str) -> bool:
    found = con.execute("SELECT 1 FROM batches WHERE model_id = ? AND kind = ? LIMIT 1", [model_id, kind])
    return bool(found.fetchall())


def rename_model(con, model: Model, new_name: str) -> None:
    if model_exists(con, new_name):
        raise InputError(f"a model named {new_name!r} exists already; choose another name")
    con.execute("UPDATE models SET name = ? WHERE id = ?", [new_name, model.id])


def delete_model(con, model: Model) -> None:
    """Everything of the model, and nothing of any other: its row tables, and its rows in every
    catalog table that has a model_id (alert events and schema changes through their alerts and
    batches). Call inside a transaction."""
    attached = attached_sql.attachments(con, model.id)
    for kind in ("reference", "production", "labels"):
        con.execute(f"DROP {'VIEW' if kind in attached else 'TABLE'} IF EXISTS {model.table(kind)}")
    con.execute(
        "DELETE FROM alert_events WHERE alert_id IN (SELECT id FROM alerts WHERE model_id = ?)", [model.id]
    )
    con.execute(
        "DELETE FROM schema_changes WHERE batch_id IN (SELECT id FROM batches WHERE model_id = ?)", [model.id]
    )
    owned = con.execute(
        "SELECT DISTINCT table_name FROM information_schema.columns "
        "WHERE column_name = 'model_id' AND table_schema = 'main'"
    ).fetchall()
    for (table,) in owned:
        con.execute(f"DELETE FROM {quote(table)} WHERE model_id = ?", [model.id])
    con.execute("DELETE FROM meta WHERE key LIKE ?", [f"%:{model.id}"])
    con.execute("DELETE FROM models WHERE id = ?", [model.id])


def distinct_count(con, table: str, column: str) -> int:
    """Distinct non-missing values of `column` in `table`."""
    return int(con.execute(f"SELECT count(DISTINCT {quote(column)}) FROM {table}").fetchall()[0][0])
