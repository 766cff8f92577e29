"""What app.py draws around every page: page config, sign-in, the navigation and the sidebar's view.

It lives here rather than in app.py so that a page can draw it too when Streamlit runs the page
without app.py (see `_framed` in pages/page.py).
"""

from pathlib import Path

import streamlit as st

from monitoring import catalog_api
from pages import common, upload_files, view
from pages.access import can_edit, sign_in, signed_in_box

ICON = str(Path(__file__).with_name("icon.png"))  # served by the app: a :material: icon loads from Google

# The page list, in one place: (section, file, title, Material icon). The first is the default,
# except that with two or more models the portfolio comes first (page_order).
PAGES = (
    ("Overview", "pages/summary.py", "Executive summary", "dashboard"),
    ("Overview", "pages/portfolio.py", "Portfolio", "table_view"),
    ("Model health", "pages/performance.py", "Performance", "speed"),
    ("Model health", "pages/drift.py", "Drift", "timeline"),
    ("Model health", "pages/distributions.py", "Distributions", "bar_chart"),
    ("Model health", "pages/fairness.py", "Fairness", "balance"),
    ("Model health", "pages/data_quality.py", "Data quality", "rule"),
    ("Model health", "pages/operations.py", "Operations", "dns"),
    ("Where", "pages/segments.py", "Segments", "pie_chart"),
    ("Where", "pages/versions.py", "Versions", "compare_arrows"),
    ("Alerts", "pages/alerts.py", "Alerts", "notifications"),
    ("Data", "pages/upload.py", "Upload", "upload"),
    ("Data", "pages/batches.py", "Batches and settings", "storage"),
    ("Share", "pages/report.py", "Report", "share"),
)
EDITOR_ONLY = ("pages/upload.py",)  # viewers do not get these pages, so no URL reaches them either


PORTFOLIO = "pages/portfolio.py"


def page_order(models: int) -> list[tuple[str, str, str, str]]:
    """PAGES in navigation order: with two or more models the portfolio comes first (the default)."""
    if models < 2:
        return list(PAGES)
    portfolio = [p for p in PAGES if p[1] == PORTFOLIO]
    return portfolio + [p for p in PAGES if p[1] != PORTFOLIO]


def pages(models: int = 0) -> dict[str, list[st.Page]]:
    """The pages by section, as the sidebar lists them, for the signed-in user's role; the first
    is the default page."""
    found: dict[str, list[st.Page]] = {}
    for number, (section, path, title, icon) in enumerate(page_order(models)):
        if path in EDITOR_ONLY and not can_edit():
            continue
        page = st.Page(path, title=title, icon=f":material/{icon}:", default=number == 0)
        found.setdefault(section, []).append(page)
    return found


def frame() -> st.Page:
    """Draw the frame and return the page the URL asks for (stops at the sign-in form)."""
    st.set_page_config(page_title="Model monitoring", page_icon=ICON, layout="wide")
    if not sign_in():  # the sign-in form, or a discreet note in local single-user mode
        st.stop()
    # Navigation first: the selectors drawn after it belong to the entry file, whose query
    # parameters Streamlit keeps on a page switch, so every page's URL carries the view.
    with common.shown_errors():
        models = len(catalog_api.model_names(common.get_store()))
    page = st.navigation(pages(models), expanded=True)  # every page listed, none behind "View more"
    signed_in_box()
    if page.url_path != "upload":
        upload_files.leave()  # the Upload page's copies on disk go when the user leaves it
    with common.shown_errors():
        view.sidebar(common.get_store())
    return page
