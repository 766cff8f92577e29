"""What every page shares: the store, the sidebar view (bound to the URL), the cached report, errors."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from monitoring import models
from monitoring.errors import MonitoringError
from monitoring.report import ReportRequest, build_report
from monitoring.settings import default_db_path
from monitoring.store import Store
from monitoring.windows import Period
from pages.access import can_edit

WINDOWS = ("default", "hour", "day", "week", "month", "batch")
ALL_REFERENCE = "all"


@dataclass(frozen=True)
class View:
    """The model, window, period and reference chosen in the sidebar."""

    model: str
    task: str
    data_version: int
    window: str | None
    start: date | None
    end: date | None
    reference: int | None

    def request(self) -> ReportRequest:
        return ReportRequest(
            self.model, window=self.window, period=self.period, reference_batch=self.reference
        )

    @property
    def period(self) -> Period:
        start = datetime.combine(self.start, time()) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), time()) if self.end else None
        return Period(start, end)


def get_store() -> Store:
    """The app's store; a database file that does not exist yet starts as the seeded demo."""
    return _open_store(default_db_path())


@st.cache_resource(show_spinner="Opening the database (a new one starts with the demo models)…")
def _open_store(path: str) -> Store:
    fresh = path != ":memory:" and not Path(path).exists()
    store = Store(path)
    if fresh:
        from monitoring.demo import seed_demo

        seed_demo(store, evaluate_alerts=True)
    return store


@contextmanager
def shown_errors():
    """Show a MonitoringError as a readable message and stop the page; real bugs still raise."""
    try:
        yield
    except MonitoringError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()


def sidebar(page: str = "") -> View | None:
    """Draw the sidebar selectors; None (after explaining what to do) when nothing is stored."""
    store = get_store()
    with shown_errors():
        names = models.model_names(store)
    if not names:
        empty_database()
        return None
    saved = st.session_state.get(SAVED, {})
    if saved.get("page") != page:  # a page switch: carry the choices over
        for key in VIEW_KEYS:
            if key not in st.query_params and saved.get(key) is not None:
                st.session_state[key] = saved[key]
    side = st.sidebar
    name = side.selectbox("Model", names, key="model", bind="query-params")
    with shown_errors():
        info = models.model_info(store, name)
    default = info.model.settings.window
    window = side.selectbox(
        "Window",
        WINDOWS,
        key="window",
        bind="query-params",
        format_func=lambda w: f"model setting ({default})" if w == "default" else w,
        help="How production rows are grouped: per hour, day, week, month or ingested batch.",
    )
    first, last = (v.date() if v else None for v in (info.first, info.last))
    col1, col2 = side.columns(2)
    start = col1.date_input(
        "From", value=None, min_value=first, max_value=last, key="start", bind="query-params"
    )
    end = col2.date_input("To", value=None, min_value=first, max_value=last, key="end", bind="query-params")
    refs = {str(i): f"batch {i}: {f}" for i, f in info.reference_batches}
    reference = side.selectbox(
        "Reference",
        (ALL_REFERENCE, *refs),
        key="reference",
        bind="query-params",
        format_func=lambda r: "all reference batches" if r == ALL_REFERENCE else refs.get(r, r),
    )
    side.caption(
        f"{info.model.task} model · data version {info.model.data_version}. The URL holds this view: copy it to share."
    )
    st.session_state[SAVED] = {"page": page, **{k: st.session_state.get(k) for k in VIEW_KEYS}}
    return View(
        name,
        info.model.task,
        info.model.data_version,
        None if window == "default" else window,
        start,
        end,
        None if reference in (None, ALL_REFERENCE) else int(reference),
    )


SAVED = "_saved_view"
VIEW_KEYS = ("model", "window", "start", "end", "reference")  # Streamlit drops the widgets (and
# the URL's query parameters) of a page on a page switch, so the last choices are kept in the session.


def empty_database() -> None:
    """What to do when the database holds no model yet."""
    st.info(
        "No model is stored yet. Load the demo to look around, or upload your own prediction logs.",
        icon=":material/info:",
    )
    if can_edit() and st.button("Seed demo", type="primary", icon=":material/science:"):
        from monitoring.demo import seed_demo

        if can_edit():
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


def page_header(title: str, caption: str) -> View | None:
    """Title, caption and the sidebar; None when the database is empty."""
    st.title(title)
    st.caption(caption)
    return sidebar(title)
