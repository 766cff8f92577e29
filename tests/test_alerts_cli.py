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


ESCAPES = "\x1b]0;PWNED\x07\x1b[2J"


def test_terminal_escapes_from_a_file_are_printed_visibly_not_raw(tmp_path, capsys):
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "data" / "examples" / "predictions.csv"
    db = str(tmp_path / "escapes.duckdb")
    assert main(["ingest", str(example), "--db", db, "--model", "m", "--kind", "reference"]) == 0
    lines = example.read_text().splitlines()
    evil = tmp_path / "evil.csv"
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        row[header.index("id")] = "e" + row[header.index("id")]
        row[header.index("region")] = ESCAPES
    evil.write_text("\n".join(",".join(row) for row in [header, *rows]) + "\n")
    capsys.readouterr()
    printed = []
    for argv in (
        ["ingest", str(evil), "--model", "m", "--kind", "production"],
        ["alerts", "--model", "m"],
        ["check", "--model", "m", "--fail-on", "low"],
    ):
        main([*argv, "--db", db])
        out, err = capsys.readouterr()
        assert "\x1b" not in out + err and "\x07" not in out + err
        printed.append(out)
    assert all(r"\x1b]0;PWNED\x07\x1b[2J" in out for out in printed)


def test_printable_shows_control_characters_as_escapes():
    from monitoring.cli.output import printable

    assert printable("a\x1b[31mb\x07c\x9bd\x00e\tf\ng") == r"a\x1b[31mb\x07c\x9bd\x00e\x09f\x0ag"
    assert printable("line\n\tindent", keep="\n\t") == "line\n\tindent"
    assert printable("naïve, 東京 ✓") == "naïve, 東京 ✓"


def test_the_cli_prints_only_through_say():
    from pathlib import Path

    import monitoring.cli

    folder = Path(monitoring.cli.__file__).parent
    printing = [path.name for path in folder.glob("*.py") if "print(" in path.read_text()]
    assert printing == ["output.py"]


def test_bidirectional_controls_are_printed_as_escapes():
    from monitoring.cli.output import printable

    assert printable("abc\u202edef\u2066") == "abc\\u202edef\\u2066"  # U+202E would turn the line around
