import numpy as np
import pandas as pd
import pytest

from monitoring.context import ReportRequest, make_context
from monitoring.data_quality import data_quality_section
from monitoring.demo import MISSING_DAY, SHIFT_DAY, START
from monitoring.ingest.roles import RoleOverrides

ROLES = RoleOverrides(
    task="regression", id="id", timestamp="ts", prediction="prediction", categorical=["colour"]
)


def _frame(rng, n, start, colours=("red", "blue")):
    return pd.DataFrame(
        {
            "id": [f"{start}-{i}" for i in range(n)],
            "ts": pd.Timestamp(start) + pd.to_timedelta(np.arange(n), unit="min"),
            "size": rng.normal(10, 2, n),
            "colour": rng.choice(list(colours), n),
            "prediction": rng.random(n),
        }
    )


def _table(section):
    return {(r["window"], r["column"], r["metric"]): r for r in section["data_quality"]}


def _section(store, model, window="day"):
    with store.connect() as con:
        context = make_context(con, ReportRequest(model, window=window))
        return data_quality_section(con, context), context


def test_planted_problems_are_counted_exactly(store, ingest_frame):
    rng = np.random.default_rng(0)
    reference = _frame(rng, 5000, "2023-01-01")
    production = _frame(rng, 1000, "2024-01-01", colours=("red", "blue", "green"))
    production.loc[:49, "size"] = np.nan
    production.loc[100:109, "size"] = 1000.0
    production.loc[200:204, "id"] = production.loc[300, "id"]
    ingest_frame(store, reference, model="q", kind="reference", overrides=ROLES)
    ingest_frame(store, production, model="q", kind="production", overrides=ROLES)
    table = _table(_section(store, "q")[0])
    low, high = np.quantile(reference["size"], [0.001, 0.999])
    size = production["size"].dropna()
    outside = ((size < low) | (size > high)).sum()
    assert table[(0, "size", "missing_share")]["value"] == pytest.approx(50 / 1000)
    assert table[(0, "size", "out_of_range_share")]["count"] == outside >= 10
    assert table[(0, "size", "out_of_range_share")]["value"] == pytest.approx(outside / len(size))
    green = (production["colour"] == "green").sum()
    unseen = table[(0, "colour", "unseen_category_share")]
    assert unseen["count"] == green and unseen["examples"] == ["green"]
    assert table[(0, "id", "duplicate_id_share")]["count"] == 6


def test_unparsable_values_and_schema_changes(store, ingest_frame, tmp_path):
    rng = np.random.default_rng(1)
    ingest_frame(store, _frame(rng, 500, "2023-01-01"), model="q", kind="reference", overrides=ROLES)
    production = _frame(rng, 300, "2024-01-01").astype({"size": object})
    production.loc[:2, "size"] = "n/a?"
    production["extra"] = 1.5
    path = tmp_path / "bad.csv"
    production.to_csv(path, index=False)
    from monitoring.ingest.pipeline import ingest_file

    ingest_file(store, str(path), model="q", kind="production", overrides=ROLES, keep_bad_values=True)
    section, _ = _section(store, "q")
    table = _table(section)
    assert table[(0, "size", "unparsable_share")]["count"] == 3
    assert table[(0, "size", "unparsable_share")]["value"] == pytest.approx(3 / 300)
    assert {(c["column"], c["change"]) for c in section["schema_changes"]} >= {("extra", "added")}


def test_demo_missing_spike_and_new_category(demo_store):
    section, context = _section(demo_store, "credit")
    day = {w.index: (w.start - START).days for w in context.windows}
    missing = {
        day[r["window"]]: r["value"]
        for r in section["data_quality"]
        if r["column"] == "employment_years" and r["metric"] == "missing_share"
    }
    assert max(missing, key=missing.get) == MISSING_DAY and missing[MISSING_DAY] > 0.5
    assert max(v for d, v in missing.items() if d != MISSING_DAY) < 0.01
    unseen = {
        day[r["window"]]: r
        for r in section["data_quality"]
        if r["column"] == "region" and r["metric"] == "unseen_category_share"
    }
    assert all(unseen[d]["count"] == 0 for d in range(SHIFT_DAY))
    assert all(unseen[d]["examples"] == ["online"] and unseen[d]["value"] > 0.2 for d in range(SHIFT_DAY, 60))
