"""Tables and their migrations. Every change to the schema is a new entry in MIGRATIONS."""

SCHEMA_VERSION_KEY = "schema_version"

BASE_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS model_ids START 1;
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY DEFAULT nextval('model_ids'),
    name VARCHAR NOT NULL UNIQUE,
    task VARCHAR NOT NULL,
    settings VARCHAR NOT NULL DEFAULT '{}',
    data_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()
);
CREATE TABLE IF NOT EXISTS model_columns (
    model_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    inferred BOOLEAN NOT NULL,
    PRIMARY KEY (model_id, name)
);
CREATE SEQUENCE IF NOT EXISTS batch_ids START 1;
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY DEFAULT nextval('batch_ids'),
    model_id INTEGER NOT NULL,
    kind VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    start_ts TIMESTAMP,
    end_ts TIMESTAMP,
    ingested_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()
);
CREATE TABLE IF NOT EXISTS schema_changes (
    batch_id INTEGER NOT NULL,
    column_name VARCHAR NOT NULL,
    change VARCHAR NOT NULL,
    detail VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS summary_cache (
    model_id INTEGER NOT NULL,
    key VARCHAR NOT NULL,
    data_version INTEGER NOT NULL,
    payload VARCHAR NOT NULL,
    PRIMARY KEY (model_id, key)
);
"""

ALERT_TABLES = """
CREATE TABLE IF NOT EXISTS alert_rules (
    model_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    rule VARCHAR NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS alert_ids START 1;
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY DEFAULT nextval('alert_ids'),
    model_id INTEGER NOT NULL,
    key VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    window_start VARCHAR,
    window_label VARCHAR NOT NULL,
    value DOUBLE,
    threshold DOUBLE,
    message VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    changed_by VARCHAR NOT NULL,
    note VARCHAR NOT NULL DEFAULT '',
    delivery VARCHAR,
    UNIQUE (model_id, key)
);
CREATE TABLE IF NOT EXISTS alert_events (
    alert_id INTEGER NOT NULL,
    "at" TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    who VARCHAR NOT NULL,
    note VARCHAR NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS webhook_ids START 1;
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY DEFAULT nextval('webhook_ids'),
    model_id INTEGER NOT NULL,
    url VARCHAR NOT NULL,
    min_severity VARCHAR NOT NULL
);
"""

SEGMENT_TABLES = """
CREATE TABLE IF NOT EXISTS segments (
    model_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    conditions VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
    PRIMARY KEY (model_id, name)
);
"""

MIGRATIONS = [BASE_TABLES]
MIGRATIONS.append(ALERT_TABLES)  # 2: alert rules, alert history and webhooks
MIGRATIONS.append("ALTER TABLE alerts ADD COLUMN action VARCHAR;")  # 3: the rule's recommended action
MIGRATIONS.append(SEGMENT_TABLES)  # 4: saved segments (slices) per model
MIGRATIONS.append(  # 5: Parquet datasets read in place (see attached_sql.py)
    "CREATE TABLE IF NOT EXISTS attached_datasets (model_id INTEGER NOT NULL, kind VARCHAR NOT NULL, "
    "path VARCHAR NOT NULL, pattern VARCHAR NOT NULL, hive BOOLEAN NOT NULL, batch_id INTEGER NOT NULL, "
    "attached_at TIMESTAMP NOT NULL, PRIMARY KEY (model_id, kind));"
)


def schema_version(con) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = ?", [SCHEMA_VERSION_KEY]).fetchall()
    return int(row[0][0]) if row else 0


def migrate(con) -> None:
    """Bring the database up to the newest schema, one migration per transaction."""
    current = schema_version(con)
    for version, ddl in enumerate(MIGRATIONS[current:], start=current + 1):
        con.execute("BEGIN TRANSACTION")
        con.execute(ddl)
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [SCHEMA_VERSION_KEY, str(version)])
        con.execute("COMMIT")
