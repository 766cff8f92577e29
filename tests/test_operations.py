import numpy as np
import pandas as pd
import pytest

from monitoring.context import ReportRequest, make_context
from monitoring.demo import ERROR_DAY, LATENCY_DAY, START
from monitoring.ingest.roles import RoleOverrides
from monitoring.operations import operations_section


def _section(store, model, window="day"):
    with store.connect() as con:
        context = make_context(con, ReportRequest(model, window=window))
        section = operations_section(con, context)
    table = {}
    for r in section["operations"]:
        table.setdefault(r["window"], {})[r["metric"]] = r["value"]
    return table, context


@pytest.mark.parametrize("rows_per_pass", [5_000_000, 500, 1])  # one pass, 4 hours a pass, an hour
def test_quantiles_equal_numpy_and_errors_follow_the_rule(store, ingest_frame, monkeypatch, rows_per_pass):
    monkeypatch.setattr("monitoring.operations.ROWS_PER_PASS", rows_per_pass)
    rng = np.random.default_rng(0)
    n = 2000
    latency = rng.lognormal(5, 0.5, n).round(1)
    latency[:100] = np.nan
    status = rng.choice(["ok", "OK", "Error", " timeout", "503", "200", "failed", "done"], n)
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n) * 30, unit="s"),
            "x": rng.normal(size=n),
            "prediction": rng.random(n),
            "latency_ms": latency,
            "status": status,
        }
    )
    roles = RoleOverrides(
        task="regression",
        id="id",
        timestamp="ts",
        prediction="prediction",
        latency="latency_ms",
        status="status",
    )
    ingest_frame(store, frame, model="ops", kind="production", overrides=roles)
    table, context = _section(store, "ops", window="hour")
    for window in context.windows:
        rows = frame[(frame["ts"] >= window.start) & (frame["ts"] < window.end)]
        got, values = table[window.index], rows["latency_ms"].dropna().to_numpy()
        for q in (50, 95, 99):
            assert got[f"latency_p{q}"] == pytest.approx(np.percentile(values, q), abs=1e-9)
        assert got["latency_max"] == values.max()
        assert got["prediction_count"] == len(rows)
        assert got["throughput_per_second"] == pytest.approx(len(rows) / 3600)
        errors = rows["status"].str.strip().str.lower().isin(["error", "timeout", "failed", "503"])
        assert got["error_rate"] == pytest.approx(errors.mean(), abs=1e-12)
        assert got["missing_latency_share"] == pytest.approx(rows["latency_ms"].isna().mean())


def test_demo_latency_incident_and_error_burst_are_found(demo_store):
    table, context = _section(demo_store, "credit")
    day = {w.index: (w.start - START).days for w in context.windows}
    p99 = {day[w]: m["latency_p99"] for w, m in table.items()}
    errors = {day[w]: m["error_rate"] for w, m in table.items()}
    assert max(p99, key=p99.get) == LATENCY_DAY
    assert p99[LATENCY_DAY] > 3 * np.median(list(p99.values()))
    assert max(errors, key=errors.get) == ERROR_DAY
    assert errors[ERROR_DAY] > 0.05 > max(v for d, v in errors.items() if d != ERROR_DAY)


def test_exact_percentiles_of_windows_larger_than_the_memory_limit_equal_numpy(tmp_path):
    """6M latencies in 3 windows under a 40MB limit: DuckDB's quantile aggregate cannot hold them
    (it does not spill; at 50M rows a week of 12M latencies broke the 256MB default), the ranks of
    the sorted values can; under a limit that holds one window the aggregate computes them a window
    at a time, and all at once under one that holds them all: the same figures each way."""
    import duckdb

    from monitoring.store.operations_sql import exact_quantiles

    con = duckdb.connect(str(tmp_path / "big.duckdb"))
    con.execute("SET memory_limit = '40MB'")
    con.execute("CREATE TABLE t AS SELECT i % 3 AS __window, random() * 100 AS v FROM range(6000000) r(i)")
    with pytest.raises(duckdb.OutOfMemoryException):
        con.execute("SELECT __window, quantile_cont(v, [0.5, 0.95, 0.99]) FROM t GROUP BY 1").fetchall()
    held = {window: 2_000_000 for window in range(3)}
    found = {}
    for limit in ("40MB", "170MB", "1GB"):
        con.execute(f"SET memory_limit = '{limit}'")
        found[limit] = exact_quantiles(con, "SELECT * FROM t", [], "v", ["__window"], held)
    values = con.execute("SELECT __window AS w, v FROM t").fetchnumpy()
    for window in range(3):
        expected = np.percentile(values["v"][values["w"] == window], [50, 95, 99])
        for limit, quantiles in found.items():
            assert quantiles[(window,)] == pytest.approx(expected, abs=1e-9), limit


def test_windows_go_to_the_quantile_aggregate_in_sets_that_fit_and_the_largest_to_the_ranks():
    from monitoring.store.operations_sql import _window_sets

    held = {"a": 3, "b": 4, "c": 20, "d": 5, "e": 1}
    assert _window_sets(held, 8) == [(("a", "b"), True), (("d", "e"), True), (("c",), False)]
    assert _window_sets(held, 100) == [(("a", "b", "c", "d", "e"), True)]


def test_the_memory_limit_reads_in_bytes_whatever_unit_duckdb_shows():
    import duckdb

    from monitoring.store.connection import memory_limit_bytes

    con = duckdb.connect()
    for limit, low, high in (("40MB", 38e6, 41e6), ("2GB", 1.9e9, 2.1e9), ("-1", 1e18, 1e20)):
        con.execute(f"SET memory_limit = '{limit}'")
        assert low <= memory_limit_bytes(con) <= high, limit
