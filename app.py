"""The dashboard's entry point: page config and navigation only."""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Model monitoring", page_icon=":material/monitoring:", layout="wide")

PAGES = {
    "Overview": [
        st.Page("pages/summary.py", title="Executive summary", icon=":material/dashboard:", default=True),
    ],
    "Model health": [
        st.Page("pages/performance.py", title="Performance", icon=":material/speed:"),
        st.Page("pages/drift.py", title="Drift", icon=":material/timeline:"),
        st.Page("pages/distributions.py", title="Distributions", icon=":material/bar_chart:"),
        st.Page("pages/fairness.py", title="Fairness", icon=":material/balance:"),
        st.Page("pages/data_quality.py", title="Data quality", icon=":material/rule:"),
        st.Page("pages/operations.py", title="Operations", icon=":material/dns:"),
    ],
    "Alerts": [st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:")],
    "Data": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload:"),
        st.Page("pages/batches.py", title="Batches and settings", icon=":material/storage:"),
    ],
}
if (Path(__file__).parent / "pages" / "report.py").exists():  # the sharing page lands separately
    PAGES["Share"] = [st.Page("pages/report.py", title="Report", icon=":material/share:")]

from pages.access import can_edit, sign_in  # noqa: E402

if not sign_in():  # the sign-in form, or a discreet note in local single-user mode
    st.stop()
if not can_edit():  # viewers do not get the editor-only page, so no URL reaches it either
    PAGES["Data"] = [p for p in PAGES["Data"] if p.url_path != "upload"]
st.navigation(PAGES).run()
