"""Duplicate ids per window: the hash-aggregate form gives the counts of the window-function form."""

import duckdb
import numpy as np

from monitoring.store.quality_sql import duplicate_ids
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
