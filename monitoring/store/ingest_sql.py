"""SQL for ingest: stage a file as a view, profile it, find bad values, append its rows."""

import duckdb

from monitoring.schema import Column, ColumnProfile
from monitoring.store.catalog import table_columns, table_exists
from monitoring.store.connection import ingest_memory_limit, quote

STAGE = "__stage"
MAX_LINE_BYTES = 2 << 20  # the longest CSV line (row) DuckDB's reader is asked to take
SQL_TYPES = {"numeric": "DOUBLE", "categorical": "VARCHAR", "id": "VARCHAR", "timestamp": "TIMESTAMP"}


def literal(text: str) -> str:
    """A string literal for the few places DuckDB does not take a parameter (table functions)."""
    return "'" + text.replace("'", "''") + "'"


def stage_file(
    con,
    path: str,
    file_format: str,
    delimiter: str = ",",
    gzip: bool = False,
    columns: tuple = (),
    skip: int = 0,
) -> None:
    """Expose the file as the view __stage, read by DuckDB from its path (never through pandas).

    A CSV is read as text with the header's names given (`columns`), so DuckDB does not sniff:
    every row must have as many fields as the header, and no row is mistaken for the header.
    """
    if file_format == "parquet":
        source = f"read_parquet({literal(path)})"
    elif file_format == "jsonl":
        source = f"read_json({literal(path)}, format='newline_delimited', sample_size=-1)"
    else:
        compression = ", compression='gzip'" if gzip else ""
        if columns:
            types = ", ".join(f"{literal(name)}: 'VARCHAR'" for name in columns)
            shape = f"auto_detect=false, columns={{{types}}}, skip={int(skip)}"
        else:
            shape = "all_varchar=true"
        source = (
            f"read_csv({literal(path)}, {shape}, header=true, delim={literal(delimiter)}, "
            f"quote='\"', escape='\"', strict_mode=true, null_padding=false, "
            f"max_line_size={MAX_LINE_BYTES}{compression})"
        )
    con.execute(f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT * FROM {source}")
    if file_format == "jsonl":  # a key whose values mix types reads as JSON: take its values as text
        mixed = [name for name, sql_type in stage_columns(con) if sql_type == "JSON"]
        if mixed:
            replaced = ", ".join(f"{quote(name)} ->> '$' AS {quote(name)}" for name in mixed)
            con.execute(f"CREATE OR REPLACE TEMP VIEW {STAGE} AS SELECT * REPLACE ({replaced}) FROM {source}")


def stage_columns(con) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {STAGE}").fetchall()]


def _as_text(name: str) -> str:
    return f"NULLIF(trim(CAST({quote(name)} AS VARCHAR)), '')"


def is_nested_type(sql_type: str) -> bool:
    """A Parquet list, array, struct, map or union column."""
    return sql_type.endswith("]") or sql_type.startswith(("STRUCT", "MAP", "UNION"))


def _text_of(name: str, sql_type: str) -> str:
    """The value as text: nested values as JSON (`[1, 2]`, `{"a": 1}`), so they are categories."""
    if is_nested_type(sql_type):
        return f"CAST(to_json({quote(name)}) AS VARCHAR)"
    if is_number_type(sql_type) or is_time_type(sql_type) or sql_type == "BOOLEAN":
        return f"CAST({quote(name)} AS VARCHAR)"  # never blank nor padded: no trim needed
    return _as_text(name)


NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
WHOLE_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


def _base_type(sql_type: str) -> str:
    """DECIMAL(18,3) -> DECIMAL, UBIGINT -> BIGINT, TIMESTAMP WITH TIME ZONE -> TIMESTAMP..."""
    base = sql_type.split("(")[0]
    return base[1:] if base.startswith("U") and base[1:] in WHOLE_TYPES else base


def is_number_type(sql_type: str) -> bool:
    return _base_type(sql_type) in NUMBER_TYPES


def is_time_type(sql_type: str) -> bool:
    return sql_type.startswith("TIMESTAMP") or sql_type == "DATE"


def _text_to_time(text: str, numbers_tried: bool = False) -> str:
    """Text as TIMESTAMPTZ, or NULL; only text starting with a digit is tried (dates always do),
    which spares the slow cast on ids and labels. With `numbers_tried` (the profile, which reads
    every column as a number anyway), text that reads as a number is not tried either: a number
    is never a date (a date needs two separators), so both forms accept the same values."""
    number = f" AND TRY_CAST({text} AS DOUBLE) IS NULL" if numbers_tried else ""
    return f"CASE WHEN {text} >= '0' AND {text} < ':'{number} THEN TRY_CAST({text} AS TIMESTAMPTZ) END"


def _profile_parts(name: str, sql_type: str, i: int) -> tuple[str, list[str]]:
    """(the column's projection, its six aggregates) for profile_stage's single pass."""
    base = _base_type(sql_type)
    value = f"c{i}"
    if base in NUMBER_TYPES:
        whole = f"count({value})" if base in WHOLE_TYPES else f"count_if({value} = floor({value}))"
        counts = [f"count({value})", f"count({value})", whole, f"approx_count_distinct({value})", "0", "0"]
        return f"{quote(name)} AS {value}", counts
    if base == "BOOLEAN":
        counts = [f"count({value})", f"count({value})", "0", f"approx_count_distinct({value})", "0", "0"]
        return f"{quote(name)} AS {value}", counts
    if is_time_type(sql_type):
        counts = [f"count({value})", "0", "0", f"approx_count_distinct({value})", f"count({value})", "0"]
        return f"{quote(name)} AS {value}", counts
    number = f"n{i}"
    counts = [
        f"count({value})",
        f"count({number})",
        f"count_if({number} = floor({number}))",
        f"approx_count_distinct({value})",
        f"count({_text_to_time(value, numbers_tried=True)})",
        f"max(length({value}))",
    ]
    text = _text_of(name, sql_type)
    return f"{text} AS {value}, TRY_CAST({text} AS DOUBLE) AS {number}", counts


# Columns profiled per pass: one query of thousands of aggregates runs out of memory (and time)
# in DuckDB's optimizer; a file of up to this many columns is still read once.
PROFILE_COLUMNS_PER_PASS = 100


def profile_stage(
    con, columns: list[tuple[str, str]], sample_rows: int | None = None
) -> tuple[int, list[ColumnProfile]]:
    """The staged rows and, per column, counts of values, numbers, whole numbers, distinct values
    and dates, each counted the way parse_expression reads it (so bad values are `non_null -
    numeric` for a numeric column and `non_null - timestamps` for a timestamp), and the length of
    its longest text. One pass per 100 columns: the file is read once, nothing is counted twice.
    With `sample_rows`, only the file's first rows are read (and counted)."""
    rows, profiles = 0, []
    for start in range(0, len(columns), PROFILE_COLUMNS_PER_PASS):
        rows, found = _profile_pass(con, columns[start : start + PROFILE_COLUMNS_PER_PASS], sample_rows)
        profiles += found
    return rows, profiles


def _profile_pass(
    con, columns: list[tuple[str, str]], sample_rows: int | None
) -> tuple[int, list[ColumnProfile]]:
    projections, aggregates = [], ["count(*)"]
    for i, (name, sql_type) in enumerate(columns):
        projection, counts = _profile_parts(name, sql_type, i)
        projections.append(projection)
        aggregates += counts
    source = STAGE if sample_rows is None else f"(SELECT * FROM {STAGE} LIMIT {int(sample_rows)})"
    query = f"SELECT {', '.join(aggregates)} FROM (SELECT {', '.join(projections)} FROM {source})"
    rows, *found = con.execute(query).fetchall()[0]
    profiles = []
    for i, (name, sql_type) in enumerate(columns):
        counts = [int(v or 0) for v in found[i * 6 : i * 6 + 6]]
        profiles.append(ColumnProfile(name, sql_type, *counts))
    return int(rows), profiles


def cast_expression(name: str, kind: str, sql_type: str, is_class_label: bool = False) -> str:
    """How a staged column becomes the stored type; values that do not fit become NULL, and so do
    numbers that are not finite (NaN, inf, -inf, 1e400): they are stored as missing."""
    parsed = parse_expression(name, kind, sql_type, is_class_label)
    if kind == "numeric" and (sql_type == "BOOLEAN" or _base_type(sql_type) in WHOLE_TYPES):
        return parsed  # always finite
    if kind == "numeric":
        return f"CASE WHEN isfinite({parsed}) THEN {parsed} END"
    return parsed


def parse_expression(name: str, kind: str, sql_type: str, is_class_label: bool = False) -> str:
    """The staged column read as `kind`; NULL where a value does not fit (a bad value).

    profile_stage counts exactly the values these expressions accept.
    """
    text = _text_of(name, sql_type)
    if kind == "numeric":
        if sql_type == "BOOLEAN" or is_number_type(sql_type):
            return f"CAST({quote(name)} AS DOUBLE)"
        return f"TRY_CAST({text} AS DOUBLE)"
    if kind == "timestamp":
        if is_time_type(sql_type):
            return f"CAST({quote(name)} AS TIMESTAMP)"
        return f"CAST({_text_to_time(text)} AS TIMESTAMP)"
    if is_class_label:
        if _base_type(sql_type) in WHOLE_TYPES:
            return f"CAST({quote(name)} AS VARCHAR)"
        number = f"TRY_CAST({text} AS DOUBLE)"
        return (
            f"CASE WHEN {number} = floor({number}) AND abs({number}) < 1e15 "
            f"THEN CAST(CAST({number} AS BIGINT) AS VARCHAR) ELSE lower({text}) END"
        )
    return text


def can_be_bad(kind: str, sql_type: str) -> bool:
    """Whether a value of this staged type can fail to read as `kind` (text read as a number or
    a time can; a Parquet number read as a number cannot)."""
    if kind == "numeric":
        return not (sql_type == "BOOLEAN" or is_number_type(sql_type))
    return kind == "timestamp" and not is_time_type(sql_type)


def can_be_long(sql_type: str) -> bool:
    """Whether the value read as text can be longer than a label may be (text and nested values)."""
    return sql_type == "VARCHAR" or is_nested_type(sql_type) or sql_type in ("BLOB", "JSON")


# What an INSERT's own checks raise (through DuckDB's error()) when a row breaks a rule: the
# statement stops at the first such row; the caller then explains it with a scan of the file.
ROW_CHECK = "monitoring row check: "


class RowCheckFailed(Exception):
    """A row of the staged file broke a rule checked while it was stored (see guarded)."""


def guarded(
    name: str, kind: str, sql_type: str, expression: str, refuse_bad: bool, max_chars: int | None = None
) -> str:
    """`expression` (the stored value of a staged column), stopping the statement at the first row
    whose value does not read as `kind` (when `refuse_bad`) or, for a label, whose text is over
    `max_chars` characters: the checks ride on the one pass that stores the rows."""
    problems = []
    if refuse_bad and can_be_bad(kind, sql_type):
        problems.append(
            f"({_as_text(name)} IS NOT NULL AND {parse_expression(name, kind, sql_type)} IS NULL)"
        )
    if max_chars is not None and kind in ("categorical", "id") and can_be_long(sql_type):
        text = _text_of(name, sql_type)
        raw = (
            quote(name) if sql_type == "VARCHAR" else text
        )  # strlen counts bytes: never fewer than characters
        problems.append(f"(strlen({raw}) > {int(max_chars)} AND length({text}) > {int(max_chars)})")
    if not problems:
        return expression
    stop = f"error({literal(ROW_CHECK + name)})"
    return f"CASE WHEN {' OR '.join(problems)} THEN {stop} ELSE {expression} END"


def parsed_apart(kind: str, sql_type: str) -> bool:
    """Text read as a number or a time: parsed once in an inner projection (see parse_apart), as
    the stored value, its check and its finiteness all read the parsed value."""
    return sql_type == "VARCHAR" and kind in ("numeric", "timestamp")


def parse_apart(name: str, kind: str, alias: str) -> str:
    """The inner projection `alias` of a text column read as `kind` (what parse_expression reads:
    the cast skips blanks around a number itself, so the trimmed text is cast only where the
    value alone does not read)."""
    if kind == "numeric":
        value = quote(name)
        # trim written once: DuckDB would compute a repeated subexpression for every row
        return f"coalesce(TRY_CAST({value} AS DOUBLE), TRY_CAST(trim({value}) AS DOUBLE)) AS {alias}"
    return f"{parse_expression(name, kind, 'VARCHAR')} AS {alias}"


def checked_parse(name: str, kind: str, alias: str, refuse_bad: bool) -> str:
    """The stored value of a column parsed apart as `alias`: NULL for numbers that are not finite,
    and (with `refuse_bad`) the statement stopped at the first text that does not read."""
    whens = []
    if refuse_bad:
        bad = f"{alias} IS NULL AND {quote(name)} IS NOT NULL AND trim({quote(name)}) <> ''"
        whens.append(f"WHEN {bad} THEN error({literal(ROW_CHECK + name)})")
    whens.append(f"WHEN isfinite({alias}) THEN {alias}" if kind == "numeric" else f"ELSE {alias}")
    return f"CASE {' '.join(whens)} END"


def stage_row_count(con) -> int:
    """The staged file's rows (for Parquet from its footer, without reading the data)."""
    return con.execute(f"SELECT count(*) FROM {STAGE}").fetchall()[0][0]


def set_batch_hash(con, batch_id: int, content_hash: str) -> None:
    """The batch's content hash, once the hash (computed beside the insert) is known."""
    con.execute("UPDATE batches SET content_hash = ? WHERE id = ?", [content_hash, batch_id])


def first_bad_value(con, name: str, kind: str, sql_type: str) -> tuple[int, str] | None:
    """The data row number (1 = first row after the header) and value of the first bad value."""
    return first_row_where(con, name, kind, sql_type, "value IS NOT NULL AND parsed IS NULL")


def first_row_where(
    con, name: str, kind: str, sql_type: str, condition: str, params: list | None = None
) -> tuple[int, str] | None:
    """(data row number, value as text) of the first staged row where `condition` holds; the
    condition sees `value` (the text) and `parsed` (the value read as `kind`)."""
    cast = parse_expression(name, kind, sql_type)
    row = con.execute(
        f"SELECT row_no, value FROM (SELECT row_number() OVER () AS row_no, "
        f"{_as_text(name)} AS value, {cast} AS parsed FROM {STAGE}) "
        f"WHERE {condition} ORDER BY row_no LIMIT 1",
        params or [],
    ).fetchall()
    return row[0] if row else None


def ensure_row_table(con, table: str, columns: list[Column]) -> list[str]:
    """Create the table or add the new columns to it; returns the column names it has."""
    if not table_exists(con, table):
        defs = [f"{quote(c.name)} {SQL_TYPES[c.kind]}" for c in columns]
        defs += ["__batch INTEGER NOT NULL", "__invalid VARCHAR[]"]
        con.execute(f"CREATE TABLE {table} ({', '.join(defs)})")
        return table_columns(con, table)
    existing = set(table_columns(con, table))
    for column in columns:
        if column.name not in existing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {quote(column.name)} {SQL_TYPES[column.kind]}")
    return table_columns(con, table)


def use_ingest_memory(con) -> None:
    """Give an ingest's connection (of a database file) the ingest's memory limit."""
    con.execute("SET memory_limit = ?", [ingest_memory_limit()])


# Up to this many rows a batch is appended by one thread: each thread leaves a partial row group,
# and the checkpoint at close merges them (about 0.5 s at 35 columns, whatever the batch's size),
# longer than a second thread saves on a batch this small (measured at 10M stored rows).
ONE_THREAD_ROWS = 4 * 122_880


def insert_rows(
    con,
    table: str,
    expressions: dict[str, str],
    batch_id: int,
    invalid: str,
    parsed: tuple = (),
    rows: int | None = None,
) -> int:
    """Append the staged rows and return how many: `expressions` maps each stored column to its
    cast of the file. Raises RowCheckFailed when a guarded expression stops the statement (the
    transaction is then aborted: only a rollback is left). `parsed` are inner projections (see
    parse_apart) the expressions may read; `rows`, the staged rows if known, picks the threads.

    The rows may land in another order than the file's (both cores write row groups as they come,
    and closing the database then needs no reordering); every query that shows rows orders them."""
    names = [quote(n) for n in expressions] + ["__batch", "__invalid"]
    values = list(expressions.values()) + [str(int(batch_id)), invalid]
    con.execute("SET preserve_insertion_order = false")
    one_thread = rows is not None and rows <= ONE_THREAD_ROWS
    if one_thread:
        con.execute("SET threads = 1")
    try:
        source = f"(SELECT *, {', '.join(parsed)} FROM {STAGE})" if parsed else STAGE
        query = f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(values)} FROM {source}"
        return con.execute(query).fetchall()[0][0]
    except duckdb.InvalidInputException as error:
        if ROW_CHECK not in str(error):
            raise
        raise RowCheckFailed(str(error).split(ROW_CHECK, 1)[1]) from None
    finally:
        if one_thread:  # a global setting: another connection resets it, also after a failure
            with con.cursor() as other:
                other.execute("RESET threads")
        try:
            con.execute("RESET preserve_insertion_order")
        except duckdb.TransactionException:
            pass  # the failed statement aborted the transaction; the rollback follows


def invalid_list_expression(checks: dict[str, str]) -> str:
    """A VARCHAR[] naming the columns whose value failed to parse in this row (NULL if none)."""
    if not checks:
        return "NULL"
    items = [f"CASE WHEN {cond} THEN {literal(name)} END" for name, cond in checks.items()]
    return f"NULLIF(list_filter([{', '.join(items)}], lambda x: x IS NOT NULL), [])"
