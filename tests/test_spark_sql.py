"""The DuckDB-to-Spark SQL layer of `report --engine spark` (store/spark_engine.py): the traps
measured on this stack, each turned into what Spark 4 runs the same way. Text only: the Spark
runs are in test_spark.py."""

from datetime import datetime

import pytest

from monitoring.store.spark_engine import bind, literal, to_spark


def test_parameters_are_written_in_as_literals_and_question_marks_in_text_are_left_alone():
    sql = "SELECT '?' AS q, x FROM t WHERE a = ? AND b IN (SELECT unnest(?)) AND c = ?::DOUBLE[]"
    bound = bind(sql, ["it's", [datetime(2024, 1, 2, 3, 4, 5)], [0.5, 1.0]])
    assert bound == (
        "SELECT '?' AS q, x FROM t WHERE a = ('it''s') AND b IN (SELECT unnest(([TIMESTAMP '2024-01-02 03:04:05'])))"
        " AND c = ([CAST(0.5 AS DOUBLE), CAST(1.0 AS DOUBLE)])::DOUBLE[]"
    )
    with pytest.raises(ValueError, match="2 placeholders for 1 parameters"):
        bind("SELECT ? + ?", [1])


def test_a_decimal_literal_stays_double_arithmetic_on_spark():
    assert to_spark("SELECT 2.0 * x FROM t") == "SELECT CAST(2.0 AS DOUBLE) * x FROM t"
    assert literal(float("inf")) == "CAST('inf' AS DOUBLE)"


def test_division_by_zero_gives_null_on_spark_as_on_duckdb():
    assert to_spark("SELECT a / b FROM t") == "SELECT a / NULLIF(b, 0) FROM t"


def test_duckdb_list_functions_become_their_spark_twins_with_one_based_indexes():
    spark = to_spark("SELECT list_extract(c, j), list_position(['a', 'b'], p), list_sum(c) FROM t")
    assert spark == (
        "SELECT ELEMENT_AT(c, CAST(j AS INT)), ARRAY_POSITION(ARRAY('a', 'b'), p), "
        "AGGREGATE(c, CAST(0 AS DOUBLE), (acc, x) -> acc + x) FROM t"
    )


def test_exact_quantiles_stay_exact_on_spark():
    assert to_spark("SELECT quantile_cont(x, [0.5, 0.99]) FROM t") == (
        "SELECT PERCENTILE(x, ARRAY(CAST(0.5 AS DOUBLE), CAST(0.99 AS DOUBLE))) FROM t"
    )


def test_several_unnests_of_one_row_become_one_zipped_generator():
    assert to_spark("SELECT w, unnest(range(1, 3)) AS k, unnest(s) AS step FROM t") == (
        "SELECT w, INLINE(ARRAYS_ZIP(SEQUENCE(1, 2), s)) AS (k, step) FROM t"
    )


def test_isfinite_is_spelled_out_for_spark():
    assert to_spark("SELECT CASE WHEN isfinite(x) THEN x END FROM t") == (
        "SELECT CASE WHEN (NOT ISNAN(x) AND ABS(x) < DOUBLE('inf')) THEN x END FROM t"
    )


def test_a_hash_of_a_whole_row_by_its_alias_hashes_its_columns_on_spark():
    sql = "SELECT *, row_number() OVER (ORDER BY ts, hash(__row)) AS n FROM (SELECT 1 AS a) __row"
    assert to_spark(sql) == (
        "SELECT *, ROW_NUMBER() OVER (ORDER BY ts NULLS LAST, HASH(__row.*) NULLS LAST) AS n FROM (SELECT 1 AS a) AS __row"
    )
