"""Ingest reads a clean file once to store it: a profile of its first rows, then the insert that checks every row."""

from contextlib import contextmanager

import pandas as pd
import pytest

from monitoring.errors import InputError, SchemaError
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.store import Store
from monitoring.store.connection import ingest_memory_limit


class CountingConnection:
    """A real DuckDB connection that remembers the statements that read the staged file."""

    def __init__(self, con, seen: list[str]):
        self._con, self._seen = con, seen

    def execute(self, query, *args, **kwargs):
        if "FROM __stage" in str(query) and not str(query).startswith("DESCRIBE"):
            self._seen.append(str(query))
        return self._con.execute(query, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def _counting(store: Store, seen: list[str]):
    opened = store.transaction

    @contextmanager
    def transaction():
        with opened() as con:
            yield CountingConnection(con, seen)

    store.transaction = transaction
    return store


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(rows)],
            "timestamp": pd.date_range("2024-01-01", periods=rows, freq="min").astype(str),
            "x": [i * 0.5 for i in range(rows)],
            "city": ["north", "south"] * (rows // 2),
            "prediction": [i % 2 for i in range(rows)],
        }
    )


def test_a_clean_csv_is_read_once_to_profile_and_once_to_store(tmp_path):
    path = tmp_path / "logs.csv"
    _frame(1000).to_csv(path, index=False)
    seen: list[str] = []
    store = _counting(Store(str(tmp_path / "db.duckdb")), seen)
    result = ingest_file(store, str(path), model="m", kind="production")
    assert result.rows == 1000
    assert len(seen) == 2, seen
    assert seen[0].startswith("SELECT count(*)") and seen[1].startswith("INSERT INTO")


def test_an_ingest_gets_512mb_unless_a_limit_is_set_and_leaves_the_row_order_setting_as_it_was(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("MONITORING_MEMORY_LIMIT", raising=False)
    assert ingest_memory_limit() == "512MB"
    monkeypatch.setenv("MONITORING_MEMORY_LIMIT", "1GB")
    assert ingest_memory_limit() == "1GB"
    store = Store(":memory:")
    path = tmp_path / "logs.csv"
    _frame(100).to_csv(path, index=False)
    ingest_file(store, str(path), model="m", kind="production")
    with store.connect() as con:
        assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(True,)]


# A file longer than the profile's sample: the checks that ride on the insert see every row.
SAMPLE = 50


@pytest.fixture
def small_sample(monkeypatch):
    from monitoring.ingest import one_pass

    monkeypatch.setattr(one_pass, "SAMPLE_ROWS", SAMPLE)


def _batches(store: Store) -> list:
    with store.connect() as con:
        return con.execute("SELECT id FROM batches").fetchall()


def test_a_clean_parquet_file_is_profiled_on_its_first_rows_and_read_once_to_store(tmp_path, small_sample):
    first, path = tmp_path / "first.parquet", tmp_path / "logs.parquet"
    _frame(200).iloc[:100].to_parquet(first, index=False)
    _frame(200).to_parquet(path, index=False)
    seen: list[str] = []
    store = _counting(Store(str(tmp_path / "db.duckdb")), seen)
    ingest_file(store, str(first), model="m", kind="production")  # the model knows every column now
    seen.clear()
    result = ingest_file(store, str(path), model="m", kind="production")
    assert result.rows == 200
    profiles = [q for q in seen if q.startswith("SELECT count(*), ")]
    assert len(profiles) == 1 and f"LIMIT {SAMPLE}" in profiles[0]
    assert [q for q in seen if q.startswith("INSERT INTO")] and len(seen) == 3, seen  # + the footer's count


def test_a_bad_number_after_the_sampled_rows_is_refused_with_its_row_named_and_nothing_stored(
    tmp_path, small_sample
):
    frame = _frame(200)
    frame["x"] = frame["x"].astype(object)
    frame.loc[149, "x"] = "oops"
    path = tmp_path / "logs.csv"
    frame.to_csv(path, index=False)
    store = Store(str(tmp_path / "db.duckdb"))
    with pytest.raises(
        SchemaError, match=r"column 'x' is numeric .* 1 non-numeric value\(s\), e.g. 'oops' in row 150"
    ):
        ingest_file(store, str(path), model="m", kind="production")
    assert _batches(store) == []


@pytest.mark.parametrize(
    "rows, bad_row, suffix", [(10, 7, "csv"), (200, 180, "parquet")]
)  # inside the sampled first rows, and after them
def test_a_too_long_category_is_refused_with_its_row_named(tmp_path, small_sample, rows, bad_row, suffix):
    frame = _frame(rows)
    frame.loc[bad_row, "city"] = "y" * 10_001
    path = tmp_path / f"logs.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    store = Store(str(tmp_path / "db.duckdb"))
    row = f"row {bad_row + 1}"
    with pytest.raises(InputError, match=f"column 'city' holds a value of 10,001 characters in {row}"):
        ingest_file(store, str(path), model="m", kind="production")
    assert _batches(store) == []


def test_a_bad_value_after_the_sample_is_kept_as_missing_and_named_when_asked(tmp_path, small_sample):
    frame = _frame(200)
    frame["x"] = frame["x"].astype(object)
    frame.loc[120, "x"] = "n/a"
    path = tmp_path / "logs.csv"
    frame.to_csv(path, index=False)
    store = Store(str(tmp_path / "db.duckdb"))
    ingest_file(store, str(path), model="m", kind="production", keep_bad_values=True)
    with store.connect() as con:
        kept = con.execute(
            'SELECT id, x, __invalid FROM "m1_production" WHERE __invalid IS NOT NULL'
        ).fetchall()
    assert kept == [("r120", None, ["x"])]


def test_whole_numbers_with_few_values_in_the_sample_are_counted_over_the_whole_file(tmp_path, small_sample):
    frame = _frame(200)
    frame["code"] = [i // 10 for i in range(200)]  # 5 values in the first 50 rows, 20 in all
    frame["level"] = [i % 3 for i in range(200)]  # 3 values everywhere: a code
    path = tmp_path / "logs.parquet"
    frame.to_parquet(path, index=False)
    result = ingest_file(Store(str(tmp_path / "db.duckdb")), str(path), model="m", kind="production")
    kinds = {c.name: c.kind for c in result.columns}
    assert kinds["code"] == "numeric" and kinds["level"] == "categorical"


def test_ids_missing_from_the_sampled_rows_but_present_later_are_accepted_and_all_empty_ids_refused(
    tmp_path, small_sample
):
    frame = _frame(200)
    frame["id"] = [None] * 60 + [f"r{i}" for i in range(60, 200)]
    path = tmp_path / "logs.parquet"
    frame.to_parquet(path, index=False)
    store = Store(str(tmp_path / "db.duckdb"))
    assert ingest_file(store, str(path), model="m", kind="production").rows == 200
    frame["id"] = None
    frame["timestamp"] = pd.date_range("2024-02-01", periods=200, freq="min").astype(str)
    frame.to_parquet(path, index=False)
    with pytest.raises(SchemaError, match="the id column 'id' is empty in every row"):
        ingest_file(store, str(path), model="m", kind="production")
    assert len(_batches(store)) == 1


def test_the_same_file_again_is_found_by_its_hash_after_the_insert_and_leaves_nothing(tmp_path, small_sample):
    path = tmp_path / "logs.parquet"
    _frame(200).to_parquet(path, index=False)
    store = Store(str(tmp_path / "db.duckdb"))
    first = ingest_file(store, str(path), model="m", kind="production")
    again = ingest_file(store, str(path), model="m", kind="production")
    assert again.duplicate_of == first.batch_id and again.batch_id is None
    with store.connect() as con:
        assert con.execute('SELECT count(*) FROM "m1_production"').fetchall() == [(200,)]
        assert con.execute("SELECT count(*) FROM batches WHERE content_hash = ''").fetchall() == [(0,)]


def test_numbers_in_text_read_once_keep_their_blanks_rule_and_non_finite_numbers_become_missing(tmp_path):
    frame = _frame(6)
    frame["x"] = [" 1.5 ", "\u00a02.5", "inf", "", "NaN", "7"]
    path = tmp_path / "logs.csv"
    frame.to_csv(path, index=False)
    store = Store(str(tmp_path / "db.duckdb"))
    ingest_file(store, str(path), model="m", kind="production", overrides=RoleOverrides(numeric=["x"]))
    with store.connect() as con:
        stored = con.execute('SELECT x FROM "m1_production" ORDER BY id').fetchall()
    assert [row[0] for row in stored] == [1.5, 2.5, None, None, None, 7.0]
