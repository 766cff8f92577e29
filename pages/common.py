"""What every page shares: the store, errors shown in one place, the cached report.

The page scaffold (header, section, charts with downloads) is pages/page.py; the sidebar's view
(model, window, period, reference, bound to the URL) is pages/view.py.
"""

import logging
import secrets
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from monitoring.demo import seed_demo
from monitoring.errors import MonitoringError
from monitoring.report import Report
from monitoring.settings import default_db_path
from monitoring.store import Store
from monitoring.warm import cached_report
from pages.access import can_edit
from pages.view import View


def get_store() -> Store:
    """The app's store; a database file that does not exist yet starts as the seeded demo."""
    return _open_store(default_db_path())


@st.cache_resource(show_spinner="Opening the database (a new one starts with the demo models)…")
def _open_store(path: str) -> Store:
    fresh = path != ":memory:" and not Path(path).exists()
    store = Store(path)
    if fresh:
        seed_demo(store, evaluate_alerts=True)
    return store


_LOG = logging.getLogger("monitoring.app")
_NOTICE = "notice_after_rerun"


def rerun_with_notice(message: str) -> None:
    """Run the page again and say `message` in a toast of the new run. A toast sent just before
    `st.rerun` can be lost when the rerun interrupts its delivery (seen in CI), so the message waits
    in the session."""
    st.session_state[_NOTICE] = message
    st.rerun()


def show_notice() -> None:
    """The message left by `rerun_with_notice`, once: a toast, seen wherever the page is scrolled."""
    message = st.session_state.pop(_NOTICE, None)
    if message:
        st.toast(message, icon=":material/check_circle:", duration="long")


@contextmanager
def database_held():
    """Keep the database open for one run of a page: its dozen reads (sidebar, report, alerts,
    freshness) then join the open database rather than open the file each (see Store.held)."""
    with shown_errors():
        store = get_store()
    with store.held():
        yield


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
        with st.spinner("Loading the demo models (about a minute)…"), shown_errors():
            seed_demo(get_store(), evaluate_alerts=True)
        st.rerun()
    st.page_link("pages/upload.py", label="Upload a file", icon=":material/upload:")


@st.cache_data(show_spinner="Computing the report…", max_entries=64)
def _cached_report(path: str, view: View, by: str | None) -> Report:
    return cached_report(_open_store(path), view.request(by=by))


def report(view: View, by: str | None = None) -> Report:
    """The report for the view (grouped by column `by`), cached on the view (model, data version,
    window, period, reference, baseline, segment) and the grouping; a new session reads it whole
    from the store when the data did not change (monitoring/warm.py), as after an ingest."""
    with shown_errors():
        return _cached_report(default_db_path(), view, by)
