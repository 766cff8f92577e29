"""Duplicate ids per window: the hash-aggregate form gives the counts of the window-function form, and the counts a new batch adds bring kept counts up to date."""

import duckdb
import numpy as np

from monitoring.store.quality_sql import duplicate_ids, duplicate_ids_joining
from monitoring.store.segment_sql import SEGMENT
from monitoring.store.window_sql import WINDOW


def _rows(con) -> str:
    rng = np.random.default_rng(3)
    n = 3000
    con.execute("CREATE TABLE logs (rid VARCHAR, version VARCHAR, w INTEGER, region VARCHAR)")
    ids = [None if rng.random() < 0.05 else f"r{int(i)}" for i in rng.integers(0, 2500, n)]
    versions = [None if rng.random() < 0.1 else str(v) for v in rng.integers(1, 3, n)]
    con.executemany(
        "INSERT INTO logs VALUES (?, ?, ?, ?)",
        [
            [ids[i], versions[i], int(rng.integers(0, 6)), ["north", "south"][int(rng.integers(0, 2))]]
            for i in range(n)
        ],
    )
    return f"SELECT *, w AS {WINDOW}, region AS {SEGMENT} FROM logs"


def _by_window_function(con, source: str, version: bool, segment: bool) -> dict:
    partition = "rid, version" if version else "rid"
    keys = f"{WINDOW}, {SEGMENT}" if segment else WINDOW
    rows = con.execute(
        f"SELECT {keys}, count_if(n > 1) FROM (SELECT {keys}, count(*) OVER (PARTITION BY {partition}) AS n "
        f"FROM ({source}) WHERE rid IS NOT NULL) GROUP BY ALL"
    ).fetchall()
    return {tuple(r[:-1]): r[-1] for r in rows if r[-1]}


def test_duplicate_counts_equal_those_of_counting_every_ids_rows():
    con = duckdb.connect()
    source = _rows(con)
    for version in (False, True):
        for segment in (False, True):
            found = duplicate_ids(
                con, source, [], "rid", version="version" if version else None, segment=segment
            )
            width = 2 if segment else 1
            counted = {tuple(r[:width]): r[-1] for r in found if r[-1]}
            expected = _by_window_function(con, source, version, segment)
            assert counted == expected and sum(expected.values()) > 100, (version, segment)


def test_the_counts_a_new_batch_adds_bring_the_older_counts_to_those_of_a_count_from_scratch():
    con = duckdb.connect()
    source = _rows(con)
    con.execute("ALTER TABLE logs ADD COLUMN __batch INTEGER")
    con.execute("UPDATE logs SET __batch = CASE WHEN w = 5 OR hash(rid) % 7 = 0 THEN 2 ELSE 1 END")
    before = f"SELECT * FROM ({source}) WHERE __batch = 1"
    for version in (None, "version"):
        for segment in (False, True):
            width = 2 if segment else 1
            kept = {
                tuple(r[:width]): r[-1]
                for r in duplicate_ids(con, before, [], "rid", version=version, segment=segment)
            }
            added = duplicate_ids_joining(con, source, [], "rid", [2], version=version, segment=segment)
            for row in added:
                kept[tuple(row[:width])] = kept.get(tuple(row[:width]), 0) + row[-1]
            expected = _by_window_function(con, source, version is not None, segment)
            assert {k: v for k, v in kept.items() if v} == expected and added, (version, segment)


def test_a_report_after_a_new_batch_counts_duplicate_ids_from_the_kept_counts_as_from_scratch(tmp_path):
    import pandas as pd

    from monitoring.ingest.pipeline import ingest_file
    from monitoring.report import ReportRequest, build_report
    from monitoring.store import Store

    def day(start: str, ids: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "id": ids,
                "timestamp": pd.date_range(start, periods=len(ids), freq="h").astype(str),
                "x": [float(i) for i in range(len(ids))],
                "prediction": [i % 2 for i in range(len(ids))],
            }
        )

    store = Store(str(tmp_path / "db.duckdb"))
    files = [
        day("2024-01-01", [f"a{i}" for i in range(20)] + ["a1", "a2"]),  # two repeated within the day
        day("2024-01-02", [f"b{i}" for i in range(20)] + ["a3"]),  # a3 repeats one of day 1
        day("2024-01-03", [f"c{i}" for i in range(20)] + ["a1", "b4"]),  # a1 a third time, b4 again
    ]

    def duplicates() -> dict:
        report = build_report(store, ReportRequest(model="m", window="day", sections=("data_quality",)))
        found = [r for r in report.records("data_quality") if r["metric"] == "duplicate_id_share"]
        return {r["window"]: r["count"] for r in found}

    for number, frame in enumerate(files):
        path = tmp_path / f"day{number}.csv"
        frame.to_csv(path, index=False)
        ingest_file(store, str(path), model="m", kind="production")
        counted = duplicates()  # the first report counts from scratch, later ones add the new batch
    assert counted == {0: 5, 1: 2, 2: 2}
    with store.connect() as con:
        con.execute("DELETE FROM summary_cache")
    assert duplicates() == counted
