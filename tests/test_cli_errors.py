"""Mistakes on the command line give one `error: ...` line and exit 2, never a traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.cli import main
from monitoring.store import Store, catalog

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "data" / "examples" / "predictions.csv")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cli_errors") / "cli.duckdb")
    assert main(["ingest", EXAMPLE, "--db", path, "--model", "m", "--kind", "production"]) == 0
    return path


def _error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
    return err


def test_a_start_date_that_is_no_date_is_an_error_line(capsys, db):
    assert main(["report", "--db", db, "--model", "m", "--start", "2024-13-45"]) == 2
    err = _error_line(capsys)
    assert "--start '2024-13-45' is not a date" in err and "2024-03-01" in err


def test_an_end_date_that_is_no_date_is_an_error_line(capsys, db):
    assert main(["report", "--db", db, "--model", "m", "--end", "next week"]) == 2
    assert "--end 'next week' is not a date" in _error_line(capsys)


def test_a_folder_as_database_is_an_error_line(capsys, tmp_path):
    assert main(["models", "--db", str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder, not a DuckDB database" in _error_line(capsys)


def test_a_csv_file_as_database_is_an_error_line_and_the_file_is_untouched(capsys, tmp_path):
    csv = tmp_path / "predictions.csv"
    csv.write_bytes(Path(EXAMPLE).read_bytes())
    assert main(["models", "--db", str(csv)]) == 2
    assert f"{csv} is not a DuckDB database file" in _error_line(capsys)
    assert csv.read_bytes() == Path(EXAMPLE).read_bytes()


def test_an_empty_file_as_database_is_an_error_line(capsys, tmp_path):
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    assert main(["models", "--db", str(empty)]) == 2
    assert f"{empty} is not a DuckDB database file" in _error_line(capsys)


def test_output_into_a_missing_folder_is_an_error_line(capsys, db, tmp_path):
    target = tmp_path / "missing" / "report.json"
    assert main(["report", "--db", db, "--model", "m", "--sections", "operations", "-o", str(target)]) == 2
    err = _error_line(capsys)
    assert f"cannot write {target}" in err and "create the folder" in err


def test_a_folder_given_to_ingest_is_refused_before_any_file_is_stored(capsys, db, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text(Path(EXAMPLE).read_text().replace("\nr", "\nq"))
    args = ["ingest", str(other), str(tmp_path), "--db", db, "--model", "m", "--kind", "production"]
    assert main(args) == 2
    err = _error_line(capsys)
    assert f"{tmp_path} is a folder" in err and "give the files in it" in err
    with Store(db).connect() as con:
        assert len(catalog.list_batches(con, "m")) == 1


def test_the_command_exits_2_with_one_line_and_no_traceback(tmp_path):
    command = [sys.executable, "-m", "monitoring", "report", "--model", "m", "--start", "2024-13-45"]
    done = subprocess.run(
        [*command, "--db", str(tmp_path / "x.duckdb")], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: --start '2024-13-45' is not a date")
    assert done.stderr.count("\n") == 1
