"""What every page shares: the store, errors shown in one place, the page header, the cached report.

The sidebar's view (model, window, period, reference, bound to the URL) is in pages/view.py; its
names are importable from here too.
"""

import logging
import secrets
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from monitoring import catalog_api  # noqa: F401  (pages use common.catalog_api)
from monitoring.errors import MonitoringError
from monitoring.report import build_report
from monitoring.settings import default_db_path
from monitoring.store import Store
from pages.access import can_edit
from pages.view import ALL_REFERENCE, WINDOWS, View, current  # noqa: F401  (re-exported)


def get_store() -> Store:
    """The app's store; a database file that does not exist yet starts as the seeded demo."""
    _framed()
    return _open_store(default_db_path())


def _framed() -> None:
    """Draw the frame (sign-in, navigation, sidebar) when Streamlit ran this page without app.py.

    A fresh server's first run (and every AppTest run), seeing a pages/ folder, runs the URL's page
    file on its own (the folder mode of old) until st.navigation is called, which leaves that mode.
    """
    if PagesManager.uses_pages_directory:
        from pages.frame import frame  # here, not at the top: the frame imports this module

        frame()


@st.cache_resource(show_spinner="Opening the database (a new one starts with the demo models)…")
def _open_store(path: str) -> Store:
    fresh = path != ":memory:" and not Path(path).exists()
    store = Store(path)
    if fresh:
        from monitoring.demo import seed_demo

        seed_demo(store, evaluate_alerts=True)
    return store


_LOG = logging.getLogger("monitoring.app")


@contextmanager
def shown_errors():
    """Show a MonitoringError as a readable message and stop the page.

    Any other exception (a bug) shows a short message with a reference; its traceback, which
    holds server paths and SQL, goes to the server log only.
    """
    try:
        yield
    except MonitoringError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()
    except Exception:
        reference = secrets.token_hex(4)
        _LOG.exception("unexpected error, reference %s", reference)
        st.error(
            f"Something went wrong on the server (reference {reference}). The details are in the "
            "server log: tell whoever runs the app.",
            icon=":material/error:",
        )
        st.stop()


def page_header(title: str, caption: str) -> View | None:
    """Title, caption and the view from the sidebar; None (after saying what to do) when empty."""
    _framed()
    st.title(title)
    st.caption(caption)
    found = current()
    if found is None:
        empty_database()
    return found


def empty_database() -> None:
    """What to do when the database holds no model yet."""
    st.info(
        "No model is stored yet. Load the demo to look around, or upload your own prediction logs.",
        icon=":material/info:",
    )
    if not can_edit():
        st.caption("Ask an editor to load the demo or upload prediction logs.")
        return
    if st.button("Seed demo", type="primary", icon=":material/science:"):
        from monitoring.demo import seed_demo

        with st.spinner("Loading the demo models (about a minute)…"), shown_errors():
            seed_demo(get_store(), evaluate_alerts=True)
        st.rerun()
    st.page_link("pages/upload.py", label="Upload a file", icon=":material/upload:")


@st.cache_data(show_spinner="Computing the report…", max_entries=64)
def _cached_report(path: str, model: str, data_version: int, window, start, end, reference) -> dict:
    view = View(model, "", data_version, window, start, end, reference)
    return build_report(_open_store(path), view.request())


def report(view: View) -> dict:
    """The report for the view, cached on (model, data version, window, period, reference)."""
    with shown_errors():
        return _cached_report(
            default_db_path(),
            view.model,
            view.data_version,
            view.window,
            view.start,
            view.end,
            view.reference,
        )


def records(report: dict, key: str, what: str) -> pd.DataFrame | None:
    """A report section as a DataFrame, or None after saying it is not computed yet."""
    if key not in report:
        st.info(f"{what} is not computed yet for this version of the app.", icon=":material/hourglass_empty:")
        return None
    return pd.DataFrame(report[key])


def windows(report: dict) -> pd.DataFrame:
    """The report's windows with a readable label."""
    frame = pd.DataFrame(report.get("windows", []), columns=["index", "start", "end", "rows"])
    frame["start"] = pd.to_datetime(frame["start"])
    frame["label"] = [
        f"window {i}" if pd.isna(s) else s.strftime("%Y-%m-%d %H:%M" if s.hour else "%Y-%m-%d")
        for i, s in zip(frame["index"], frame["start"], strict=True)
    ]
    return frame
