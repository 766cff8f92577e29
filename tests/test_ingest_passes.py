"""Ingest reads a clean file twice: one profiling pass (rows, counts, longest texts) and the insert."""

from contextlib import contextmanager

import pandas as pd
import pytest

from monitoring.errors import InputError
from monitoring.ingest.pipeline import ingest_file
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


def test_a_too_long_category_is_still_refused_with_its_row_named(tmp_path):
    frame = _frame(10)
    frame.loc[7, "city"] = "x" * 10_001
    path = tmp_path / "logs.csv"
    frame.to_csv(path, index=False)
    store = Store(str(tmp_path / "db.duckdb"))
    with pytest.raises(InputError, match="column 'city' holds a value of 10,001 characters in row 8"):
        ingest_file(store, str(path), model="m", kind="production")


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
