import pytest

from monitoring.cli import main


@pytest.fixture
def credit_db(small_credit, tmp_path):
    """A credit database file with days 0-34 (a latency incident in the last week)."""
    from monitoring.store import Store

    path = str(tmp_path / "credit.duckdb")
    small_credit(until_day=35, store=Store(path))
    return path


def test_check_exit_codes(credit_db, capsys):
    assert main(["check", "--db", credit_db, "--model", "credit", "--fail-on", "high"]) == 1
    out = capsys.readouterr().out
    assert "HIGH" in out and "p95 latency was" in out and "in the week of 1 Apr 2024" in out
    assert main(["rules", "import", "--db", credit_db, "--model", "credit", _only_low(credit_db)]) == 0
    capsys.readouterr()
    assert main(["check", "--db", credit_db, "--model", "credit", "--fail-on", "medium"]) == 0
    assert "no open alerts at or above medium" in capsys.readouterr().out
    assert main(["check", "--db", credit_db, "--model", "nope"]) == 2
    assert "no model named 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--db", credit_db, "--model", "credit", "--fail-on", "severe"])
    assert exit_info.value.code == 2


def _only_low(db: str) -> str:
    from pathlib import Path

    path = Path(db).with_name("rules.yaml")
    path.write_text("rules:\n- {name: drift, metric: feature_drift, comparison: flagged, severity: low}\n")
    return str(path)


def test_ack_resolve_and_list(credit_db, capsys):
    main(["check", "--db", credit_db, "--model", "credit"])
    capsys.readouterr()
    assert main(["ack", "1", "--db", credit_db, "--by", "ana", "--note", "looking"]) == 0
    assert "alert #1 is now acknowledged (by ana)" in capsys.readouterr().out
    assert main(["alerts", "--db", credit_db, "--model", "credit", "--status", "acknowledged"]) == 0
    listed = capsys.readouterr().out.strip().splitlines()
    assert len(listed) == 1 and "#1 " in listed[0] and "[acknowledged by ana]" in listed[0]
    assert main(["resolve", "42", "--db", credit_db, "--by", "ana"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["rules", "export", "--db", credit_db, "--model", "credit"])  # no FILE
    assert exit_info.value.code == 2
    assert main(["rules", "list", "--db", credit_db]) == 2
    assert "needs --model NAME" in capsys.readouterr().err


def test_ingest_evaluates_the_rules(credit_db, tmp_path, capsys):
    import pandas as pd

    from monitoring.demo import START, credit_frames

    _, production, _ = credit_frames(per_day=300, reference_rows=3000)
    later = production[production["timestamp"] >= START + pd.Timedelta(days=35)]
    path = tmp_path / "later.parquet"
    later.to_parquet(path, index=False)
    assert main(["ingest", "--db", credit_db, "--model", "credit", "--kind", "production", str(path)]) == 0
    out = capsys.readouterr().out
    assert "alerts:" in out and "resolved" in out
