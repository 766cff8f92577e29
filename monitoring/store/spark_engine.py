"""The report's row-level aggregations on Apache Spark (`report --engine spark`).

`SparkConnection` stands where the store's queries expect a DuckDB connection. A query that reads
the model's production rows or labels runs on Spark: its parameters are written in as literals,
the DuckDB SQL is transpiled with SQLGlot and fixed where Spark differs (see `_for_spark`), and the
small result comes back as rows. Everything else (the catalog, the summary cache, alerts, and the
reference's summaries, computed once and kept) runs on the local DuckDB file. Queries whose
aggregate has no Spark twin are written as GROUP BY counts for both engines in the store modules
(e.g. drift_sql.grouped_counts) and only transpiled here.

Spark reads an attached dataset's files itself (the view's casts, transpiled); a kind stored in
DuckDB is copied once to a temporary Parquet file for the session.
"""

import glob
import os
import re
import tempfile
from datetime import date, datetime

import numpy as np
import pandas as pd

from monitoring.errors import InputError
from monitoring.store import attached_sql
from monitoring.store.catalog import table_exists

SPARK_REMOTE_ENV_VAR = "SPARK_REMOTE"
DEFAULT_MASTER = "local[*]"
DRIVER_MEMORY_ENV_VAR = "MONITORING_SPARK_DRIVER_MEMORY"
SUBMITTED_ENV_VAR = "PYSPARK_GATEWAY_PORT"  # set when spark-submit started this Python process
SPARK_KINDS = ("production", "labels", "reference")
ROUTED_KINDS = ("production", "labels")  # a query that reads these runs on Spark
CATALOG_TABLES = ("batches",)  # catalog tables a routed query may join


def spark_session(master: str | None = None):
    """A Spark session: Spark Connect at an sc:// `master` or $SPARK_REMOTE, else `master`
    (default local[*])."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "--engine spark needs pyspark; pip install -r requirements-spark.txt (and Java 17)"
        ) from None
    remote = master if master and master.startswith("sc://") else None
    remote = remote or (None if master else os.environ.get(SPARK_REMOTE_ENV_VAR))
    builder = SparkSession.builder.appName("monitoring-report")
    if remote:  # the server owns the JVM: only session settings can be set from here
        builder = builder.remote(remote)
    else:
        if master or SUBMITTED_ENV_VAR not in os.environ:  # else spark-submit's --master stands
            builder = builder.master(master or DEFAULT_MASTER)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", os.environ.get(DRIVER_MEMORY_ENV_VAR, "4g"))  # local: all of Spark
        )
    session = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
        .getOrCreate()
    )
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    return session


class SparkResult:
    """What a DuckDB result offers the store's queries: fetchall, fetchnumpy, df."""

    def __init__(self, frame):
        self._frame = frame
        self._rows: list[tuple] | None = None
        self._arrow = None

    def fetchall(self) -> list[tuple]:
        if self._rows is None:
            self._rows = [tuple(_plain(v) for v in row) for row in self._frame.collect()]
        return list(self._rows)

    def df(self) -> pd.DataFrame:
        rows = self.fetchall()
        return pd.DataFrame(rows, columns=self._frame.columns)

    def fetchnumpy(self) -> dict:
        """Columns through Arrow: the results fetched this way (a row per distinct score) can be
        millions of rows, too many for Python row objects."""
        if self._arrow is None:
            self._arrow = self._frame.toArrow()
        table = self._arrow
        return {name: _from_arrow(table.column(name)) for name in table.column_names}


def _from_arrow(column) -> np.ndarray:
    """An Arrow column as DuckDB's fetchnumpy gives it: typed, NULLs masked."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if pa.types.is_decimal(column.type):
        column = column.cast(pa.float64())
    missing = column.is_null().to_numpy(zero_copy_only=False)
    if (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_timestamp(column.type)
    ):
        filled = pc.fill_null(column, pa.scalar(0, column.type)) if missing.any() else column
        data = filled.to_numpy(zero_copy_only=False)
        return np.ma.masked_array(data, mask=missing) if missing.any() else data
    return np.array(column.to_pylist(), dtype=object)


def _plain(value):
    """Spark's values as DuckDB's: Decimal sums as float, Row structs as tuples."""
    if value.__class__.__name__ == "Decimal":
        return float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class SparkConnection:
    """A DuckDB connection whose queries over the model's production rows run on Spark."""

    engine = "spark"

    def __init__(self, con, spark, model, scratch: str):
        self._con, self.spark, self.model = con, spark, model
        self._scratch = scratch
        self._tables = {model.table(kind): kind for kind in SPARK_KINDS}
        self._views: dict[str, str] = {}
        self._results: dict[str, SparkResult] = {}  # one snapshot: the same query, the same rows

    def __getattr__(self, name):
        return getattr(self._con, name)

    def cursor(self):
        return self._con.cursor()

    def runs_on_spark(self, sql: str) -> bool:
        """Whether `sql` reads the model's production rows or labels (or a view made from them)."""
        routed = any(t in sql for t, kind in self._tables.items() if kind in ROUTED_KINDS)
        return routed or "monitoring_binned_" in sql

    def execute(self, sql: str, params=()):
        if not self.runs_on_spark(sql):
            return self._con.execute(sql, params)
        text = bind(sql, list(params or []))
        for table, kind in self._tables.items():
            if table in text:
                text = text.replace(table, self._view(table, kind))
        for table in CATALOG_TABLES:
            if re.search(rf"\bFROM {table}\b", text):
                text = re.sub(rf"\bFROM {table}\b", f"FROM {self._catalog_view(table)}", text)
        text = to_spark(text)
        if text not in self._results:  # a query several sections ask is one Spark job, not several
            self._results[text] = SparkResult(self.spark.sql(text))
        return self._results[text]

    def binned(
        self,
        source: str,
        params: list,
        named: list[str],
        edges: dict[str, list[float]],
        categorical: list[str],
    ) -> str:
        """A temp view of (__group0.., c0.. as text): numeric values as their histogram bin, found by
        Spark ML's Bucketizer (a binary search; a SQL search tree outgrows Spark's code generator),
        then the categorical values. Bucketizer's buckets are [a, b), the histogram's (a, b]: so it
        buckets -x over the negated edges, and bin = len(edges) - bucket."""
        from pyspark.ml.feature import Bucketizer

        from monitoring.store.drift_sql import binned_select

        numeric = list(edges)
        query = f"SELECT {binned_select(named, numeric, categorical)} FROM ({source})"
        frame = self.execute(query, params)._frame
        if numeric:
            for i in range(len(numeric)):
                frame = frame.withColumn(f"n{i}", _expr(f"coalesce(-x{i}, 0D)"))
            splits = [
                [float("-inf"), *(-e for e in reversed(found)), float("inf")] for found in edges.values()
            ]
            bucketizer = Bucketizer(
                splitsArray=splits,
                inputCols=[f"n{i}" for i in range(len(numeric))],
                outputCols=[f"j{i}" for i in range(len(numeric))],
            )
            frame = bucketizer.transform(frame)
            for i, found in enumerate(edges.values()):
                bin_of = f"CASE WHEN x{i} IS NULL THEN NULL ELSE CAST({len(found)} - CAST(j{i} AS INT) AS STRING) END"
                frame = frame.withColumn(f"c{i}", _expr(bin_of))
        cells = [f"__group{i}" for i in range(len(named))] + [
            f"c{i}" for i in range(len(numeric) + len(categorical))
        ]
        name = f"monitoring_binned_{len(self._views)}"
        self._views[name] = name
        frame.select(*cells).createOrReplaceTempView(name)
        return name

    def _catalog_view(self, table: str) -> str:
        """A small catalog table (the model's batches) copied to Spark for a query that joins it."""
        name = f"monitoring_m{self.model.id}_{table}"
        if name not in self._views.values():
            frame = self._con.execute(f"SELECT * FROM {table} WHERE model_id = ?", [self.model.id]).df()
            self.spark.createDataFrame(frame).createOrReplaceTempView(name)
            self._views[table] = name
        return name

    def _view(self, table: str, kind: str) -> str:
        """The Spark temp view of one of the model's tables (made once per connection)."""
        if table not in self._views:
            name = f"monitoring_m{self.model.id}_{kind}"
            found = attached_sql.attachments(self._con, self.model.id).get(kind)
            if found:
                self._attached_view(name, table, found)
            elif table_exists(self._con, table):
                path = os.path.join(self._scratch, f"{kind}.parquet")
                self._con.execute(f"COPY (SELECT * FROM {table}) TO '{path}' (FORMAT parquet)")
                self.spark.read.parquet(path).createOrReplaceTempView(name)
            self._views[table] = name
        return self._views[table]

    def _attached_view(self, name: str, table: str, found: dict) -> None:
        files = sorted(f for f in glob.glob(found["pattern"], recursive=True) if os.path.isfile(f))
        reader = self.spark.read
        if found["hive"] and os.path.isdir(found["path"]):
            reader = reader.option("basePath", os.path.abspath(found["path"]))
        self.spark.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")  # else Spark refuses them
        frame = reader.parquet(*files)
        for column in self._nanosecond_columns(files[0]):  # as DuckDB casts them: rounded to µs
            frame = frame.withColumn(
                column, _expr(f"CAST(timestamp_micros((`{column}` + 500) div 1000) AS TIMESTAMP_NTZ)")
            )
        frame.createOrReplaceTempView(f"{name}_files")
        definition = attached_sql.view_definition(self._con, table)
        select = re.sub(r"(?is)^CREATE VIEW .*? AS ", "", definition.strip().rstrip(";"))
        select = re.sub(r"(?is)FROM read_parquet\(.*\)$", f"FROM {name}_files", select)
        self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {to_spark(select)}")

    def _nanosecond_columns(self, path: str) -> list[str]:
        rows = self._con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()
        return [row[0] for row in rows if row[1].startswith("TIMESTAMP_NS")]


def _expr(text: str):
    from pyspark.sql.functions import expr

    return expr(text)


def open_spark(con, model, master: str | None = None):
    """A SparkConnection for `model` over `con`, with a scratch folder for stored kinds."""
    scratch = tempfile.mkdtemp(prefix="monitoring-spark-")
    return SparkConnection(con, spark_session(master), model, scratch)


# ---- the SQL: parameters written in, then DuckDB's dialect turned into Spark's


def literal(value) -> str:
    """A parameter as a DuckDB SQL literal (values only; identifiers never come here)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not np.isfinite(value):
            return f"CAST('{value}' AS DOUBLE)"
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def bind(sql: str, params: list) -> str:
    """`sql` with each `?` placeholder (outside string literals and names) replaced by its value."""
    from sqlglot.tokens import Tokenizer, TokenType

    marks = (TokenType.PLACEHOLDER, TokenType.QDCOLON)  # `?::DOUBLE[]` is one token: `?` then `::`
    tokens = [t for t in Tokenizer(dialect="duckdb").tokenize(sql) if t.token_type in marks]
    if len(tokens) != len(params):
        raise ValueError(f"{len(tokens)} placeholders for {len(params)} parameters")
    pieces, last = [], 0
    for token, value in zip(tokens, params, strict=True):
        pieces += [sql[last : token.start], f"({literal(value)})"]
        last = token.start + 1
    return "".join(pieces) + sql[last:]


def to_spark(sql: str) -> str:
    """DuckDB SQL as Spark SQL: SQLGlot's transpiler plus the fixes `_for_spark` makes."""
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    for node in reversed(list(tree.walk(bfs=False))):  # children first: a fix sees fixed children
        fixed = _for_spark(node)
        if fixed is not node:
            if node is tree:
                tree = fixed
            else:
                node.replace(fixed)
    return tree.sql(dialect="spark")


def _zip_explodes(node):
    """DuckDB unnests several lists of one row side by side; Spark allows one generator per
    select: SELECT inline(arrays_zip(a, b)) AS (x, y) does the same."""
    from sqlglot import exp

    if not isinstance(node, exp.Select):
        return node
    exploded = [e for e in node.expressions if isinstance(e, exp.Alias) and isinstance(e.this, exp.Explode)]
    if len(exploded) < 2:
        return node
    zipped = exp.Anonymous(
        this="inline",
        expressions=[exp.Anonymous(this="arrays_zip", expressions=[e.this.this.copy() for e in exploded])],
    )
    generator = exp.Aliases(this=zipped, expressions=[exp.to_identifier(e.alias) for e in exploded])
    node = node.copy()
    node.set(
        "expressions",
        [e for e in node.expressions if e.alias not in {x.alias for x in exploded}] + [generator],
    )
    return node


def _is_row_alias(arguments) -> bool:
    from sqlglot import exp

    return len(arguments) == 1 and isinstance(arguments[0], exp.Column) and arguments[0].name == "__row"


def _for_spark(node):
    """Where Spark 4 differs from DuckDB in ways SQLGlot keeps (measured on this stack)."""
    from sqlglot import exp

    node = _zip_explodes(node)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "list_sum":
        template = exp.maybe_parse(
            "aggregate(__list, CAST(0 AS DOUBLE), (acc, x) -> acc + x)", dialect="spark"
        )
        return template.transform(
            lambda n: node.expressions[0].copy() if isinstance(n, exp.Column) and n.name == "__list" else n
        )

    if isinstance(node, exp.Literal) and not node.is_string and re.search(r"[.eE]", node.this):
        return exp.cast(node.copy(), "double")  # 2.0 is DECIMAL in Spark: keep the DOUBLE arithmetic
    if isinstance(node, exp.Div):  # Spark 4 raises on division by zero, DuckDB gives NULL
        divisor = exp.func("nullif", node.expression.copy(), exp.Literal.number(0))
        return exp.Div(this=node.this.copy(), expression=divisor)
    name = node.sql_name().lower() if isinstance(node, exp.Func) else ""
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
    if name == "isfinite":
        value = node.expressions[0] if isinstance(node, exp.Anonymous) else node.this
        return exp.condition(
            f"(NOT isnan({value.sql('spark')}) AND abs({value.sql('spark')}) < double('inf'))"
        )
    if name == "hash" and isinstance(node, exp.Anonymous) and _is_row_alias(node.expressions):
        # DuckDB hashes a whole row by its alias; Spark by its columns (another hash function:
        # rows tied on the ORDER BY before it may come in another order, see the README)
        return exp.maybe_parse("hash(__row.*)", dialect="spark")
    if name == "list_position" and isinstance(node, exp.Anonymous):
        return exp.Anonymous(this="array_position", expressions=[e.copy() for e in node.expressions])
    if name == "list_extract" and isinstance(node, exp.Anonymous):  # 1-based in both; SQLGlot keeps the name
        array, index = (e.copy() for e in node.expressions)
        return exp.Anonymous(
            this="element_at", expressions=[array, exp.cast(index, "int")]
        )  # Spark wants INT
    if isinstance(node, exp.PercentileCont) and not isinstance(node.parent, exp.WithinGroup):
        return exp.Anonymous(this="percentile", expressions=[node.this.copy(), node.expression.copy()])
    return node
