"""What app.py draws around every page: page config, sign-in, the navigation and the sidebar's view.

It lives here rather than in app.py so that a page can draw it too when Streamlit runs the page
without app.py (see `_framed` in pages/common.py).
"""

from pathlib import Path

import streamlit as st

from pages import common, upload_files, view
from pages.access import can_edit, sign_in

ICON = str(Path(__file__).with_name("icon.png"))  # served by the app: a :material: icon loads from Google


def pages() -> dict[str, list[st.Page]]:
    """The pages by section, as the sidebar lists them."""
    found = {
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
        "Share": [st.Page("pages/report.py", title="Report", icon=":material/share:")],
    }
    if not can_edit():  # viewers do not get the editor-only page, so no URL reaches it either
        found["Data"] = [p for p in found["Data"] if p.url_path != "upload"]
    return found


def frame() -> st.Page:
    """Draw the frame and return the page the URL asks for (stops at the sign-in form)."""
    st.set_page_config(page_title="Model monitoring", page_icon=ICON, layout="wide")
    if not sign_in():  # the sign-in form, or a discreet note in local single-user mode
        st.stop()
    # Navigation first: the selectors drawn after it belong to the entry file, whose query
    # parameters Streamlit keeps on a page switch, so every page's URL carries the view.
    page = st.navigation(pages())
    if page.url_path != "upload":
        upload_files.leave()  # the Upload page's copies on disk go when the user leaves it
    with common.shown_errors():
        view.sidebar(common.get_store())
    return page
