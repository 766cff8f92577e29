"""The view chosen in the sidebar (model, window, period, reference, baseline, segment), bound to
the URL.

The frame (pages/frame.py, run by app.py) draws the selectors before the page runs: Streamlit keeps
the query parameters of the entry file's widgets on a page switch, so the URL carries the view on
every page and a copied link reproduces it. The page reads the result with `current()`.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import streamlit as st

from monitoring import catalog_api, segment_api
from monitoring.report import ReportRequest
from monitoring.store import Store
from monitoring.windows import Period

WINDOWS = ("default", "hour", "day", "week", "month", "batch")
BASELINES = ("default", "reference", "previous")
ALL_REFERENCE = "all"
WHOLE = "all"  # the segment selector's "every row"
_CURRENT = "_current_view"


@dataclass(frozen=True)
class View:
    """The model, window, period and reference chosen in the sidebar (URL: model, window, start, ...)."""

    model: str
    task: str
    data_version: int
    window: str | None
    start: date | None
    end: date | None
    reference: int | None
    segment: str | None = None  # conditions (region=north) or a saved segment's name
    baseline: str | None = None  # reference, previous or period:A..B (None: the model's setting)

    def request(self, **changes) -> ReportRequest:
        """The report of this view (`changes`, e.g. by=COL or sections=..., on top)."""
        values = {
            "window": self.window,
            "period": self.period,
            "reference_batch": self.reference,
            "segment": self.segment,
            "baseline": self.baseline,
        }
        return ReportRequest(self.model, **{**values, **changes})

    def query(self, **changes) -> dict:
        """The view as URL query parameters (defaults left out), e.g. for a link to another page."""
        values = {
            "model": self.model,
            "window": self.window,
            "start": self.start and self.start.isoformat(),
            "end": self.end and self.end.isoformat(),
            "reference": self.reference,
            "baseline": self.baseline,
            "segment": self.segment,
            **changes,
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    @property
    def period(self) -> Period:
        start = datetime.combine(self.start, time()) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), time()) if self.end else None
        return Period(start, end)


def current() -> View | None:
    """The view the sidebar holds in this run; None when the database has no model."""
    return st.session_state.get(_CURRENT)


def sidebar(store: Store) -> View | None:
    """Draw the selectors (from the frame, before the page runs) and remember the view.

    Draws nothing and returns None when no model is stored. Library errors propagate, so the
    caller shows them in its one place.
    """
    st.session_state[_CURRENT] = None
    names = catalog_api.model_names(store)
    if not names:
        return None
    side = st.sidebar
    first = names.index(catalog_api.most_urgent_model(store) or names[0])  # where a bare URL opens
    name = side.selectbox("Model", names, index=first, key="model", bind="query-params")
    info = catalog_api.model_info(store, name)
    window = _window_selector(info.model.settings.window)
    first, last = (v.date() if v else None for v in (info.first, info.last))
    # one date a row: side by side, the sidebar cuts them off
    shared = {"value": None, "min_value": first, "max_value": last, "format": "YYYY-MM-DD"}
    start = side.date_input("From", key="start", bind="query-params", **shared)
    end = side.date_input("To", key="end", bind="query-params", **shared)
    refs = {str(i): f"batch {i}: {f}" for i, f in info.reference_batches}
    reference = side.selectbox(
        "Reference",
        (ALL_REFERENCE, *refs),
        key="reference",
        bind="query-params",
        format_func=lambda r: "all reference batches" if r == ALL_REFERENCE else refs.get(r, r),
        help="What production is compared with: the training or validation data you uploaded.",
    )
    baseline = side.selectbox(
        "Baseline",
        BASELINES,
        key="baseline",
        bind="query-params",
        accept_new_options=True,
        format_func=lambda b: f"model setting ({info.model.settings.baseline})" if b == "default" else b,
        help="Compared with: the reference, the previous window, or type period:2024-03-01..2024-03-31.",
    )
    segment = side.selectbox(
        "Segment",
        (WHOLE, *segment_choices(store, name, info.model.data_version)),
        key="segment",
        bind="query-params",
        accept_new_options=True,
        format_func=lambda s: "every row" if s == WHOLE else s,
        help="Only the rows of one segment, on every page: pick a value, or type conditions such as "
        "region=north & age >= 30 (the Segments page saves them under a name).",
    )
    side.caption(
        f"{info.model.task} model · data version {info.model.data_version}. No dates: all of it. "
        "The address bar holds this view on every page: copy it to share."
    )
    view = View(
        name,
        info.model.task,
        info.model.data_version,
        None if window == "default" else window,
        start,
        end,
        None if reference in (None, ALL_REFERENCE) else int(reference),
        None if segment in (None, WHOLE) else segment,
        None if baseline in (None, "default") else baseline,
    )
    st.session_state[_CURRENT] = view
    return view


@st.cache_data(show_spinner=False, max_entries=32)
def segment_choices(_store: Store, model: str, data_version: int) -> list[str]:
    """Saved segments, then every value of the segment, sensitive and version columns (kept per
    data version: listing the values reads the production rows)."""
    saved = [name for name, _ in segment_api.list_segments(_store, model)]
    values = []
    for column in segment_api.group_columns_of(_store, model):
        values += [name for name, _ in segment_api.group_values(_store, model, column)]
    return saved + values


def _window_selector(default: str) -> str:
    return st.sidebar.selectbox(
        "Window",
        WINDOWS,
        key="window",
        bind="query-params",
        format_func=lambda w: f"model setting ({default})" if w == "default" else w,
        help="How production rows are grouped: per hour, day, week, month or ingested batch.",
    )
