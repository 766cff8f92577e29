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
    """The frame as UTF-8 CSV with formula-like text cells (and column names) neutralised."""
    safe = frame.copy()
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    for name in safe.columns:
        if safe[name].dtype == object or pd.api.types.is_string_dtype(safe[name]):
            safe[name] = safe[name].map(neutralise_cell)
    return safe.to_csv(index=False).encode("utf-8")


def chart_bytes(chart: alt.TopLevelMixin, fmt: str = "png", scale: float = 2.0) -> bytes:
    """The chart rendered as PNG or SVG bytes, offline."""
    import vl_convert

    spec = chart.to_dict()
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"unknown chart format {fmt!r}: use 'png' or 'svg'")
