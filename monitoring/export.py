"""Downloads: CSV that spreadsheets cannot execute, and charts as PNG or SVG bytes (vl-convert)."""

import altair as alt
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Prefix an apostrophe to a string a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV with formula-like text cells (and column names) neutralised.

    A named index (a pivot table's rows) becomes columns; MultiIndex column names are joined.
    """
    named = frame.index.nlevels > 1 or frame.index.name is not None
    safe = frame.reset_index() if named else frame
    safe = safe.copy()
    safe.columns = [neutralise_cell(_column_name(c)) for c in safe.columns]
    for i in range(safe.shape[1]):
        column = safe.iloc[:, i]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            safe.isetitem(i, column.map(neutralise_cell))
    return safe.to_csv(index=False).encode("utf-8")


def _column_name(column) -> str:
    if isinstance(column, tuple):
        return " ".join(str(part) for part in column if str(part))
    return str(column)


def chart_bytes(chart: alt.TopLevelMixin, fmt: str = "png", scale: float = 2.0) -> bytes:
    """The chart rendered as PNG or SVG bytes, offline."""
    import vl_convert  # deferred: a large native module, loaded only when a download is clicked

    spec = chart.to_dict()
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"unknown chart format {fmt!r}: use 'png' or 'svg'")
