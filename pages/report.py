"""Report: a self-contained HTML report (works offline, small enough to email) and the JSON."""

import streamlit as st

from monitoring.html_report import build_html_report
from pages import common
from pages.page import header

view = header("Report", "One file to share: the summary in plain words, key charts and open alerts.")
key = ("report_html", view)
if st.button("Build the HTML report", type="primary", icon=":material/description:"):
    with st.spinner("Building the report…"), common.shown_errors():
        st.session_state[key] = build_html_report(common.get_store(), view.request())
page = st.session_state.get(key)
if page:
    st.download_button(
        f"Download HTML ({len(page.encode()) / 1e6:.1f} MB)",
        lambda: page,
        f"{view.model}-report.html",
        "text/html",
        icon=":material/download:",
    )
    st.caption("Opens in any browser, with no network and nothing to install.")
report = common.report(view)
st.download_button(
    "Download JSON",
    report.to_json,  # made only when clicked
    f"{view.model}-report.json",
    "application/json",
)
