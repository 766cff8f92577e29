"""`python -m monitoring settings`: show a model's settings and set its value matrix from a file."""

import json
from pathlib import Path

import pytest

from monitoring.cli import main
from monitoring.store import Store
from monitoring.store.catalog import get_model

EXAMPLE = str(Path(__file__).resolve().parent.parent / "data" / "examples" / "predictions.csv")
MATRIX = {"true_positive": 5, "false_positive": -2, "false_negative": -10, "true_negative": 1}


@pytest.fixture
def db(tmp_path, capsys):
    path = str(tmp_path / "settings.duckdb")
    assert (
        main(["ingest", EXAMPLE, "--db", path, "--model", "m", "--kind", "production", "--task", "binary"])
        == 0
    )
    capsys.readouterr()  # what the ingest said
    return path


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _stored(db: str) -> dict:
    with Store(db).connect() as con:
        return get_model(con, "m").settings.value_matrix


def test_the_value_matrix_is_set_from_a_json_file_and_removed_again(capsys, db, tmp_path):
    path = tmp_path / "value.json"
    path.write_text(json.dumps(MATRIX))
    code, out, _ = _run(capsys, "settings", "--model", "m", "--db", db, "--value-matrix", str(path))
    assert code == 0 and out.startswith(f"set the value matrix from {path}\n")
    assert json.loads(out.split("\n", 1)[1])["value_matrix"] == MATRIX and _stored(db) == MATRIX
    code, out, _ = _run(capsys, "settings", "--model", "m", "--db", db, "--no-value-matrix")
    assert code == 0 and out.startswith("removed the value matrix") and _stored(db) == {}
    code, out, _ = _run(capsys, "settings", "--model", "m", "--db", db)
    assert code == 0 and json.loads(out)["window"] == "week"


@pytest.mark.parametrize(
    "content, message",
    [
        ("{bad", "is not JSON (Expecting property name enclosed in double quotes at line 1, column 2)"),
        ('{"cost_per_unit_error": 2}', "cost_per_unit_error is for regression models, this one is binary"),
        ('{"true_positive": "lots"}', "true_positive must be a number, not 'lots'"),
        ("[1, 2]", "a value matrix must be a JSON object"),
    ],
)
def test_a_bad_value_matrix_file_is_refused_and_changes_nothing(capsys, db, tmp_path, content, message):
    path = tmp_path / "value.json"
    path.write_text(content)
    code, out, err = _run(capsys, "settings", "--model", "m", "--db", db, "--value-matrix", str(path))
    assert code == 2 and out == "" and message in err and err.startswith("error: ")
    assert _stored(db) == {}


def test_a_missing_value_matrix_file_is_named(capsys, db, tmp_path):
    code, _, err = _run(
        capsys, "settings", "--model", "m", "--db", db, "--value-matrix", str(tmp_path / "no.json")
    )
    assert code == 2 and "no.json does not exist; give the path of a JSON file" in err


def test_models_names_the_class_of_each_probability_column(capsys, tmp_path):
    path = tmp_path / "router.csv"
    rows = "\n".join(f"r{i},2024-01-01T00:0{i}:00,a,0.7,0.3" for i in range(5))
    path.write_text(f"id,timestamp,prediction,proba_a,billing_proba\n{rows}\n")
    db = str(tmp_path / "router.duckdb")
    assert main(["ingest", str(path), "--db", db, "--model", "r", "--kind", "production"]) == 0
    capsys.readouterr()
    code, out, _ = _run(capsys, "models", "--db", db)
    assert code == 0
    assert (
        "  proba_a: score of class 'a', numeric" in out and "  billing_proba: score of class 'billing'" in out
    )
