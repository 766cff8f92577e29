"""Download buttons for any chart (PNG, SVG) and any table (CSV with formulas neutralised)."""

import re

import altair as alt
import pandas as pd
import streamlit as st

from monitoring.export import chart_bytes, to_csv_bytes


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "download"


def chart_downloads(chart: alt.TopLevelMixin, name: str) -> None:
    """PNG and SVG download buttons for a chart (rendered only when clicked)."""
    slug = _slug(name)
    left, right = st.columns(2, width=260)
    left.download_button(
        "PNG",
        lambda: chart_bytes(chart, "png"),
        f"{slug}.png",
        "image/png",
        key=f"png_{slug}",
        icon=":material/image:",
    )
    right.download_button(
        "SVG", lambda: chart_bytes(chart, "svg"), f"{slug}.svg", "image/svg+xml", key=f"svg_{slug}"
    )


def table_download(frame: pd.DataFrame, name: str) -> None:
    """A CSV download button for a table; cells a spreadsheet would run as formulas are neutralised."""
    slug = _slug(name)
    st.download_button(
        "CSV", to_csv_bytes(frame), f"{slug}.csv", "text/csv", key=f"csv_{slug}", icon=":material/download:"
    )
