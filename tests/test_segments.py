"""Segments as text: parsed and checked before any SQL, saved per model, given on the command line;
bad input is one `error:` line and exit 2."""

import pytest
from segment_setup import make_store

from monitoring.cli import main
from monitoring.errors import InputError
from monitoring.segments import Condition, Slice, parse_slice, value_segment


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        ("region=north", [("region", "=", ("north",))]),
        ("region != north", [("region", "!=", ("north",))]),
        (" region in north, south ", [("region", "in", ("north", "south"))]),
        ("age>=30", [("age", ">=", ("30",))]),
        ("income is missing", [("income", "is missing", ())]),
        ("region=north & age < 30.5", [("region", "=", ("north",)), ("age", "<", ("30.5",))]),
        ("'my col'=3", [("my col", "=", ("3",))]),
        ("region='a & b'", [("region", "=", ("a & b",))]),
        ('x in "a,b",c', [("x", "in", ("a,b", "c"))]),
        ("a=b=c", [("a", "=", ("b=c",))]),
    ],
)
def test_conditions_parse_and_their_text_parses_back_to_the_same_slice(text, conditions):
    found = parse_slice(text)
    assert [(c.column, c.operator, c.values) for c in found.conditions] == conditions
    assert parse_slice(found.text) == Slice(found.conditions)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("region", "is not a condition"),
        ("=north", "names no column"),
        ("region=", "has no value"),
        ("a=1&b=2&c=3&d=4&e=5", "at most 4"),
        ("region='north", "never closed"),
        ("", "at least one condition"),
    ],
)
def test_a_malformed_segment_is_refused_with_what_is_wrong(text, message):
    with pytest.raises(InputError, match=message):
        parse_slice(text)


def test_a_value_name_quotes_what_would_read_as_syntax():
    assert value_segment("region", "north") == "region=north"
    assert value_segment("region", None) == "region is missing"
    assert parse_slice(value_segment("x", "a&b=c")).conditions == (Condition("x", "=", ("a&b=c",)),)


@pytest.fixture
def db(tmp_path, ingest_frame):
    from monitoring.store import Store

    path = str(tmp_path / "segments.duckdb")
    make_store(Store(path), ingest_frame, production_rows=3000)
    return path


def _error_line(capsys) -> str:
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ")
    return err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--segment", "nowhere=1"], "model 'm' has no column 'nowhere'"),
        (["--segment", "region=atlantis"], "segment 'region=atlantis' keeps no production row"),
        (["--segment", "amount>lots"], "'lots' is not a number and 'amount' is numeric"),
        (["--segment", "channel<3"], "< needs a numeric column and 'channel' is categorical"),
        (["--segment", "region"], "model 'm' has no saved segment 'region'"),
        (["--segment", "region=north&"], "has an empty condition"),
        (["--segment", "ts>3"], "'ts' is the time column"),
        (["--by", "amount"], "cannot group by 'amount': it is numeric"),
        (["--by", "nope"], "no column 'nope' to group by; its segment, sensitive and version columns are"),
        (["--baseline", "period:2020-01-01..2020-01-31"], "holds no production rows"),
        (["--baseline", "period:2024-02-01..2024-01-01"], "ends before it starts"),
        (["--baseline", "yesterday"], "unknown baseline 'yesterday'"),
    ],
)
def test_bad_segment_grouping_or_baseline_is_one_error_line_and_exit_2(capsys, db, arguments, message):
    assert main(["report", "--db", db, "--model", "m", "--sections", "operations", *arguments]) == 2
    assert message in _error_line(capsys)


def test_a_saved_segment_is_listed_used_by_name_and_deleted(capsys, db):
    assert (
        main(["segments", "add", "north-big", "region=north", "amount >= 100", "--model", "m", "--db", db])
        == 0
    )
    assert "saved segment 'north-big': region=north&amount>=100" in capsys.readouterr().out
    assert main(["segments", "list", "--model", "m", "--db", db]) == 0
    assert "north-big: region=north&amount>=100" in capsys.readouterr().out
    assert (
        main(["report", "--db", db, "--model", "m", "--segment", "north-big", "--sections", "operations"])
        == 0
    )
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["segment"] == "north-big" and report["segment_conditions"] == "region=north&amount>=100"
    assert main(["segments", "delete", "north-big", "--model", "m", "--db", db]) == 0
    capsys.readouterr()
    assert main(["report", "--db", db, "--model", "m", "--segment", "north-big"]) == 2
    assert "has no saved segment 'north-big'" in _error_line(capsys)


def test_a_saved_segment_on_a_column_the_model_lacks_is_refused(capsys, db):
    assert main(["segments", "add", "bad", "planet=mars", "--model", "m", "--db", db]) == 2
    assert "model 'm' has no column 'planet'" in _error_line(capsys)
    assert main(["segments", "add", "region=x", "region=north", "--model", "m", "--db", db]) == 2
    assert "segment name 'region=x' is not usable" in _error_line(capsys)


def test_segment_values_lists_each_value_with_its_rows(capsys, db):
    assert main(["segments", "values", "region", "--model", "m", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].strip().startswith("region=north:") and any("region=islands" in line for line in lines)
