"""Roles right the first time on a NannyML-style car-loan file, and fixable afterwards from the CLI:
`roles`, `roles --set`, `rename-model`, `delete-model`, each all or nothing."""

import json

import numpy as np
import pandas as pd
import pytest

from monitoring.cli import main
from monitoring.store import Store, catalog


def car_loan_files(folder, rows: int = 3000) -> dict[str, str]:
    """The column names of NannyML's car-loan example (our own generated data)."""
    rng = np.random.default_rng(7)

    def frame(n, start, first_id):
        proba = rng.uniform(0, 1, n).round(4)
        stamps = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.integers(0, 42 * 86400, n)), unit="s")
        return pd.DataFrame(
            {
                "id": np.arange(first_id, first_id + n),
                "car_value": rng.normal(40000, 9000, n).round(0),
                "salary_range": rng.choice(["0 - 20K €", "20K - 40K €", "40K - 60K €", "60K+ €"], n),
                "debt_to_income_ratio": rng.uniform(0, 1, n).round(3),
                "loan_length": rng.choice([12, 24, 36, 48, 60, 72], n),
                "repaid_loan_on_prev_car": rng.choice([True, False], n),
                "size_of_downpayment": rng.choice(["0%", "10%", "20%", "30%"], n),
                "driver_tenure": rng.uniform(0, 10, n).round(2),
                "repaid": (rng.uniform(0, 1, n) < proba).astype(int),
                "timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"),
                "y_pred_proba": proba,
                "y_pred": (proba > 0.5).astype(int),
            }
        )

    reference, analysis = frame(rows, "2018-01-01", 0), frame(rows, "2018-03-01", rows)
    paths = {name: str(folder / f"{name}.csv") for name in ("reference", "analysis", "analysis_targets")}
    reference.to_csv(paths["reference"], index=False)
    analysis.drop(columns="repaid").to_csv(paths["analysis"], index=False)
    analysis[["id", "repaid"]].to_csv(paths["analysis_targets"], index=False)
    return paths


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def roles_of(capsys, db, model="car") -> dict[str, str]:
    code, out, _ = run(capsys, "roles", "--model", model, "--format", "json", "--db", db)
    assert code == 0
    return {c["name"]: c["role"] for c in json.loads(out)}


def performance_kinds(capsys, db) -> set[str]:
    code, out, _ = run(capsys, "report", "--model", "car", "--sections", "performance", "--db", db)
    assert code == 0
    return {r["kind"] for r in json.loads(out)["performance"] if r["value"] is not None}


@pytest.fixture
def car(tmp_path, capsys):
    files = car_loan_files(tmp_path)
    db = str(tmp_path / "car.duckdb")
    for name, kind in (("reference", "reference"), ("analysis", "production")):
        code, _, err = run(capsys, "ingest", files[name], "--model", "car", "--kind", kind, "--db", db)
        assert code == 0, err
    return db, files


def test_car_loan_names_get_score_prediction_id_and_timestamp_with_no_role_flags(capsys, car):
    db, _ = car
    roles = roles_of(capsys, db)
    assert (roles["y_pred_proba"], roles["y_pred"]) == ("score", "prediction")
    assert (roles["id"], roles["timestamp"]) == ("id", "timestamp")


def test_setting_the_target_afterwards_gives_estimated_then_realized_performance(capsys, car):
    db, files = car
    assert performance_kinds(capsys, db) == set()  # no target yet: nothing to estimate against
    code, out, _ = run(capsys, "roles", "--model", "car", "--set", "repaid=target", "--db", db)
    assert code == 0 and "1 role change(s) stored" in out
    assert roles_of(capsys, db)["repaid"] == "target"
    assert performance_kinds(capsys, db) == {"estimated"}
    code, _, err = run(
        capsys, "ingest", files["analysis_targets"], "--model", "car", "--kind", "labels", "--db", db
    )
    assert code == 0, err
    assert performance_kinds(capsys, db) == {"estimated", "realized"}


def snapshot(db: str) -> tuple:
    """Everything a refused change must leave as it was: columns, column types, row counts."""
    with Store(db).connect() as con:
        model = catalog.get_model(con, "car")
        types = con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE {model.table('reference')})"
        ).fetchall()
        rows = con.execute(f"SELECT count(*) FROM {model.table('production')}").fetchall()
        return model.columns, types, rows, model.data_version


@pytest.mark.parametrize(
    "change, message",
    [
        (["repaid=prediction"], "only one column can be the prediction"),
        (["salary_range=feature:numeric"], "cannot become numeric: 6,000 stored value(s) are not numbers"),
        (["timestamp=feature"], "decides which window each row is in"),
        (["nope=target"], "has no column 'nope'"),
        (["repaid=boss"], "unknown role 'boss'"),
        (["y_pred=prediction:numeric"], "a prediction of a binary model is categorical"),
        (["repaid"], "write COLUMN=ROLE"),
    ],
)
def test_a_change_that_cannot_apply_is_refused_and_nothing_changes(capsys, car, change, message):
    db, _ = car
    before = snapshot(db)
    code, _, err = run(capsys, "roles", "--model", "car", "--set", *change, "--db", db)
    assert code == 2 and message in err, err
    assert snapshot(db) == before


def test_the_id_of_a_model_with_labels_cannot_be_taken_away(capsys, car):
    db, files = car
    run(capsys, "roles", "--model", "car", "--set", "repaid=target", "--db", db)
    run(capsys, "ingest", files["analysis_targets"], "--model", "car", "--kind", "labels", "--db", db)
    before = snapshot(db)
    code, _, err = run(capsys, "roles", "--model", "car", "--set", "id=feature", "--db", db)
    assert code == 2 and "keep an id column" in err
    assert snapshot(db) == before


def test_kinds_convert_the_stored_values_both_ways(capsys, car):
    db, _ = car
    assert run(capsys, "roles", "--model", "car", "--set", "loan_length=feature:numeric", "--db", db)[0] == 0
    with Store(db).connect() as con:
        table = catalog.get_model(con, "car").table("reference")
        assert con.execute(f"SELECT typeof(min(loan_length)), min(loan_length) FROM {table}").fetchall()[
            0
        ] == (
            "DOUBLE",
            12.0,
        )
    assert (
        run(capsys, "roles", "--model", "car", "--set", "loan_length=feature:categorical", "--db", db)[0] == 0
    )
    with Store(db).connect() as con:
        assert con.execute(f"SELECT DISTINCT loan_length FROM {table} ORDER BY 1").fetchall()[0] == ("12",)


def test_rename_then_delete_takes_everything_of_one_model_and_nothing_of_another(capsys, car, tmp_path):
    db, files = car
    code, _, err = run(
        capsys, "ingest", files["reference"], "--model", "other", "--kind", "reference", "--db", db
    )
    assert code == 0, err
    with Store(db).connect() as con:
        other = catalog.get_model(con, "other")
        other_rows = con.execute(f"SELECT count(*) FROM {other.table('reference')}").fetchall()
        other_batches = catalog.list_batches(con, "other")
    assert run(capsys, "rename-model", "car", "other", "--db", db)[2].startswith(
        "error: a model named 'other' exists"
    )
    assert run(capsys, "rename-model", "car", "loans", "--db", db)[0] == 0
    code, _, err = run(capsys, "delete-model", "loans", "--db", db)
    assert code == 2 and "add --yes" in err
    assert run(capsys, "delete-model", "loans", "--yes", "--db", db)[0] == 0
    with Store(db).connect() as con:
        assert [m.name for m in catalog.list_models(con)] == ["other"]
        leftovers = con.execute(
            "SELECT (SELECT count(*) FROM batches WHERE model_id <> ?) , (SELECT count(*) FROM alerts WHERE model_id <> ?),"
            " (SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'm1_%')",
            [other.id, other.id],
        ).fetchall()[0]
        assert leftovers == (0, 0, 0)
        assert con.execute(f"SELECT count(*) FROM {other.table('reference')}").fetchall() == other_rows
        assert catalog.list_batches(con, "other").equals(other_batches)
