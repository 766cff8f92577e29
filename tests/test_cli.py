"""`python -m monitoring` ingest, models, batches and demo, against real database files."""

import json
from pathlib import Path

import pytest

from monitoring.cli import main
from monitoring.store import Store, catalog

EXAMPLE = str(Path(__file__).resolve().parent.parent / "data" / "examples" / "predictions.csv")


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cli.duckdb")


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_then_again_is_recognised(capsys, db):
    code, out, _ = _run(capsys, "ingest", EXAMPLE, "--db", db, "--model", "m", "--kind", "production")
    assert code == 0 and out.startswith("predictions.csv: stored 12 production rows as batch 1 of 'm'\n")
    code, out, _ = _run(capsys, "ingest", EXAMPLE, "--db", db, "--model", "m", "--kind", "production")
    assert code == 0 and "already stored as batch 1 of model 'm'; nothing was added" in out


def test_bad_file_exits_2_with_the_message(capsys, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nxxxx")
    code, out, err = _run(capsys, "ingest", str(bad), "--db", db, "--model", "m", "--kind", "production")
    assert code == 2 and out == ""
    assert err.startswith("error: bad.csv is a PNG image, not a CSV or Parquet file")


def test_role_flags_and_models_listing(capsys, db, tmp_path):
    weird = tmp_path / "weird.csv"
    weird.write_text(Path(EXAMPLE).read_text().replace("region", '"a""; DROP TABLE models; --"'))
    flags = ["--categorical", "age", "--ignore", "status", "--task", "binary", "--latency", "latency_ms"]
    code, _, _ = _run(
        capsys, "ingest", str(weird), "--db", db, "--model", "m", "--kind", "production", *flags
    )
    assert code == 0
    code, out, _ = _run(capsys, "models", "--db", db)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "m (binary)"
    assert "  age: feature, categorical" in lines
    assert "  status: ignore, categorical" in lines
    assert '  a"; DROP TABLE models; --: feature, categorical (inferred)' in lines
    assert "  id: id, id (inferred)" in lines


def test_batches_lists_each_file(capsys, db, tmp_path):
    main(["ingest", EXAMPLE, "--db", db, "--model", "m", "--kind", "production"])
    labels = tmp_path / "labels.csv"
    labels.write_text("id,target\nr1,1\nr2,0\nzz,1\n")
    code, out, _ = _run(capsys, "ingest", str(labels), "--db", db, "--model", "m", "--kind", "labels")
    assert code == 0
    assert "warning: 1 of 3 labels match no stored prediction by 'id'" in out
    code, out, _ = _run(capsys, "batches", "--db", db, "--model", "m")
    assert code == 0
    header, first, second = out.splitlines()
    assert header.split()[:5] == ["id", "model", "kind", "file_name", "rows"]
    assert first.split()[:5] == ["1", "m", "production", "predictions.csv", "12"]
    assert second.split()[:5] == ["2", "m", "labels", "labels.csv", "3"]


def test_unknown_model_is_an_error(capsys, db):
    code, _, err = _run(capsys, "batches", "--db", db, "--model", "nope")
    assert code == 2 and "no model named 'nope'; the database has no models yet" in err


def test_database_comes_from_the_environment(capsys, monkeypatch, tmp_path):
    path = tmp_path / "env.duckdb"
    monkeypatch.setenv("MONITORING_DB", str(path))
    code, _, _ = _run(capsys, "ingest", EXAMPLE, "--model", "m", "--kind", "reference")
    assert code == 0 and path.exists()
    with Store(str(path)).connect() as con:
        assert catalog.list_batches(con, "m")["kind"].tolist() == ["reference"]


def test_several_files_in_one_command(capsys, db, tmp_path):
    second = tmp_path / "second.csv"
    second.write_text(Path(EXAMPLE).read_text().replace("\nr", "\ns"))
    code, out, _ = _run(
        capsys, "ingest", EXAMPLE, str(second), "--db", db, "--model", "m", "--kind", "production"
    )
    assert code == 0
    assert [line for line in out.splitlines() if not line.startswith(" ")] == [
        "predictions.csv: stored 12 production rows as batch 1 of 'm'",
        "second.csv: stored 12 production rows as batch 2 of 'm'",
    ]
    with Store(db).connect() as con:
        assert con.execute('SELECT count(DISTINCT id) FROM "m1_production"').fetchall() == [(24,)]


def test_demo_command_seeds_the_three_models(capsys, db):
    code, out, _ = _run(capsys, "demo", "--db", db)
    assert code == 0
    stored = [line for line in out.splitlines() if ": stored " in line]
    assert len(stored) == 8 and "of 'credit'" in out and "of 'bikes'" in out and "of 'tickets'" in out
    with Store(db).connect() as con:
        assert [m.name for m in catalog.list_models(con)] == ["bikes", "credit", "tickets"]


def test_report_sections_picks_the_areas(capsys, db, tmp_path):
    main(["ingest", EXAMPLE, "--db", db, "--model", "m", "--kind", "reference"])
    main(["ingest", EXAMPLE, "--db", db, "--model", "m", "--kind", "production"])
    out = tmp_path / "report.json"
    code, _, _ = _run(
        capsys, "report", "--db", db, "--model", "m", "--sections", "drift,operations", "-o", str(out)
    )
    report = json.loads(out.read_text())
    assert code == 0 and {"drift", "dataset_drift", "operations"} <= set(report)
    assert not {"performance", "fairness", "data_quality"} & set(report)
    code, _, err = _run(capsys, "report", "--db", db, "--model", "m", "--sections", "drift,nope")
    assert code == 2 and "unknown section 'nope'; use some of drift, performance" in err


def test_a_cli_ingest_keeps_the_database_open_from_the_ingest_to_the_end_of_the_rules(
    capsys, db, monkeypatch
):
    import monitoring.cli.data as data

    logged = []  # whether the ingest's write is still in the log (not checkpointed) when the rules run
    real = data.report_after_ingest

    def report_after_ingest(store, model):
        logged.append(Path(db + ".wal").exists())
        return real(store, model)

    monkeypatch.setattr(data, "report_after_ingest", report_after_ingest)
    code, out, _ = _run(capsys, "ingest", EXAMPLE, "--db", db, "--model", "m", "--kind", "production")
    assert code == 0 and "stored" in out
    assert logged == [True]  # one checkpoint, at the end, not one per connection
    assert not Path(db + ".wal").exists()
