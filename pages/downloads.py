"""Download buttons for any chart (PNG, SVG) and any table (CSV with formulas neutralised).

The bytes are made only when a button is clicked: Streamlit (>= 1.52) calls a callable `data`
on click, so a page with many charts loads as fast as without the buttons.
"""

import re

import altair as alt
import pandas as pd
import streamlit as st

from monitoring.export import chart_bytes, to_csv_bytes

_MIME = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv"}


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "download"


def _button(fmt: str, make, slug: str, first: bool) -> None:
    st.download_button(
        fmt.upper(),
        make,
        f"{slug}.{fmt}",
        _MIME[fmt],
        key=f"{fmt}_{slug}",
        type="tertiary",
        icon=":material/download:" if first else None,
        on_click="ignore",
        help=f"Download as {fmt.upper()}",
    )


def _row():
    return st.container(horizontal=True, horizontal_alignment="right", gap="small")


def chart_downloads(chart: alt.TopLevelMixin, name: str, data: pd.DataFrame | None = None) -> None:
    """One discreet row of PNG and SVG buttons under a chart (plus CSV of `data` when given)."""
    slug = _slug(name)
    with _row():
        _button("png", lambda: chart_bytes(chart, "png"), slug, True)
        _button("svg", lambda: chart_bytes(chart, "svg"), slug, False)
        if data is not None:
            _button("csv", lambda: to_csv_bytes(data), slug, False)


def table_download(frame: pd.DataFrame, name: str) -> None:
    """A discreet CSV button under a table; cells a spreadsheet would run as formulas are neutralised."""
    with _row():
        _button("csv", lambda: to_csv_bytes(frame), _slug(name), True)
