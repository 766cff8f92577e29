"""The page scaffold: one call draws a page's header and gives it the view, the report and its
section; one call per chart or table draws it with its download buttons.

    page = section_page("Drift", "Has the world changed?", "drift", empty="No drift figures ...")
    show_chart(charts.drift_heatmap(page.records), "drift-heatmap")

A page with nothing to show (no model yet, an empty period, an empty section) says what to do and
stops here, so a page script only draws what it has.
"""

import sys
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from streamlit.runtime.pages_manager import PagesManager

from monitoring.report import Report
from pages import common
from pages.downloads import chart_downloads, table_download
from pages.frame import frame
from pages.text import literal
from pages.view import View, current


@dataclass(frozen=True)
class Page:
    view: View
    report: Report
    records: pd.DataFrame  # the page's section, with window labels (empty without a section)


def _framed() -> None:
    """Draw the frame (sign-in, navigation, sidebar) when Streamlit ran this page without app.py.

    A fresh server's first run (and every AppTest run), seeing a pages/ folder, runs the URL's page
    file on its own (the folder mode of old) until st.navigation is called, which leaves that mode.
    `PagesManager` is private to Streamlit: this is the one place that reads it. A session's first
    such run starts over at once through app.py: widgets drawn in it get other ids than in every
    later run, so a value typed into one of them (a new model's name) would be lost on the next
    rerun. AppTest, which runs every run this way with stable ids, needs no restart.
    """
    if PagesManager.uses_pages_directory:
        frame()
        if "streamlit.testing.v1" not in sys.modules:  # AppTest keeps its ids stable: no restart
            st.rerun()


def header(title: str, caption: str, *, need_model: bool = True) -> View | None:
    """Title, caption and the sidebar's view. Without any model: None, or (when the page needs
    one) the way to get one, and stop."""
    _framed()
    st.title(title)
    st.caption(caption)
    common.show_notice()
    found = current()
    if found is None and need_model:
        common.empty_database()
        st.stop()
    if found is not None and (found.segment or found.baseline):
        parts = [f"Segment {literal(found.segment)}"] if found.segment else []
        parts += [f"baseline {literal(found.baseline)}"] if found.baseline else []
        st.badge(" · ".join(parts), icon=":material/filter_alt:", color="violet")
    return found


def section_page(title: str, caption: str, section: str | None = None, *, empty: str = "") -> Page:
    """Header, view and report; stops with `empty` (or a default) when the period or section is empty."""
    view = header(title, caption)
    report = common.report(view)
    if not report.windows:
        st.info("No production predictions in this period. Widen the period or upload production data.")
        st.stop()
    if section is None:
        return Page(view, report, pd.DataFrame())
    if section not in report:
        st.info(
            f"{title} is not computed yet for this version of the app.", icon=":material/hourglass_empty:"
        )
        st.stop()
    records = report.frame(section)
    if records.empty:
        st.info(empty or f"No {title.lower()} figures in this period.")
        st.stop()
    return Page(view, report, records)


def show_chart(chart: alt.TopLevelMixin, name: str, *, data: pd.DataFrame | None = None, **options):
    """The chart, full width, with its PNG and SVG buttons (and CSV of `data`); returns the event."""
    event = st.altair_chart(chart, **{"width": "stretch", **options})
    chart_downloads(chart, name, data)
    return event


def show_table(frame: pd.DataFrame | Styler, name: str, **options):
    """The table (a DataFrame or its Styler), full width, with its CSV button; returns the
    selection event when `on_select` asks for one."""
    event = st.dataframe(frame, **{"width": "stretch", **options})
    table_download(frame.data if isinstance(frame, Styler) else frame, name)
    return event
