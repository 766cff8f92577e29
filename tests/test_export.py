"""CSV export neutralises spreadsheet formulas; charts render to PNG and SVG offline."""

import io

import altair as alt
import pandas as pd
import pytest

from monitoring.export import chart_bytes, neutralise_cell, to_csv_bytes


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_get_an_apostrophe(text):
    assert neutralise_cell(text) == "'" + text


def test_csv_keeps_numbers_and_neutralises_text():
    frame = pd.DataFrame({"=HYPERLINK(1)": ["=cmd|' /C calc'!A0", "safe", "-1"], "value": [-1.5, 2.0, 3.0]})
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), dtype=str)
    assert list(back.columns) == ["'=HYPERLINK(1)", "value"]
    assert back.iloc[:, 0].tolist() == ["'=cmd|' /C calc'!A0", "safe", "'-1"]
    assert back["value"].tolist() == ["-1.5", "2.0", "3.0"]  # numbers stay numbers


def test_chart_png_and_svg():
    chart = alt.Chart(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]})).mark_line().encode(x="x", y="y")
    assert chart_bytes(chart, "png").startswith(b"\x89PNG")
    assert b"<svg" in chart_bytes(chart, "svg")[:200]
    with pytest.raises(ValueError):
        chart_bytes(chart, "gif")


def test_csv_of_a_pivot_table_keeps_its_rows_and_joins_column_levels():
    frame = pd.DataFrame(
        {
            "label": ["w1", "w1", "w2"],
            "metric": ["acc", "f1", "acc"],
            "kind": ["real"] * 3,
            "value": [0.9, 0.8, 0.7],
        }
    )
    table = frame.pivot_table(index="label", columns=["metric", "kind"], values="value", sort=False)
    back = pd.read_csv(io.BytesIO(to_csv_bytes(table)))
    assert list(back.columns) == ["label", "acc real", "f1 real"]
    assert back["label"].tolist() == ["w1", "w2"] and back["acc real"].tolist() == [0.9, 0.7]
    filtered = frame[frame["value"] < 0.9]  # a filtered frame's index is not a column
    assert list(pd.read_csv(io.BytesIO(to_csv_bytes(filtered))).columns) == list(frame.columns)
