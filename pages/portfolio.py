"""Portfolio: every model in one table, worst first; a row leads to that model's summary."""

import streamlit as st

from monitoring import catalog_api, portfolio, summary
from monitoring.alerts.rules import SEVERITIES
from monitoring.charts import STATUS_COLORS
from pages import common
from pages.page import header, show_table
from pages.view import View

SHORT = {"critical": "Crit.", "high": "High", "medium": "Med.", "low": "Low"}

header("Portfolio", "Every model at a glance: status per area, freshness, open alerts and the trend.")
store = common.get_store()
if st.session_state.pop("_open_summary", False):  # a row was picked: see _open_picked
    # {}: the sidebar's widgets, bound to the URL, write the view back; a plain switch would have to
    # clear parameters bound to widgets, which Streamlit refuses
    st.switch_page("pages/summary.py", query_params={})


def cached_report(name: str):
    model = catalog_api.get_model(store, name)
    return common.report(View(name, model.task, model.data_version, None, None, None, None))


with common.shown_errors():
    table = portfolio.portfolio(store, cached_report)
areas = list(summary.AREAS)
shown = table[["link", *areas, "headline", "trend", "last_data", *SEVERITIES, "retraining"]]


def _colour(status) -> str:
    color = STATUS_COLORS.get(status)
    return f"color: {color}; font-weight: 600" if color else ""


def _open_picked() -> None:
    """Runs before the next script run, so the sidebar's model can still be set (not the URL:
    the model's query parameter belongs to that widget)."""
    rows = st.session_state["portfolio_table"].selection.rows
    if rows:
        st.session_state["model"] = table.iloc[rows[0]]["model"]
        st.session_state["_open_summary"] = True


styled = shown.style.map(_colour, subset=areas).map(
    lambda n: "font-weight: 700" if isinstance(n, int) and n > 0 else "", subset=list(SEVERITIES)
)
st.caption(
    "Pick a row to open that model's summary (or click its name for a new tab). Click a heading to sort."
)
show_table(
    styled,
    "portfolio",
    hide_index=True,
    on_select=_open_picked,
    selection_mode="single-row",
    key="portfolio_table",
    column_config={
        "link": st.column_config.LinkColumn("Model", display_text=r"model=([^&]*)", pinned=True),
        **{area: area.capitalize() for area in areas},
        "headline": st.column_config.TextColumn("Headline", help="The headline metric against its baseline."),
        "trend": st.column_config.LineChartColumn("Trend", width="small"),
        "last_data": st.column_config.TextColumn("Last data", help="Time since the newest production row."),
        **{s: st.column_config.NumberColumn(SHORT[s], help=f"Open {s} alerts", width=40) for s in SEVERITIES},
        "retraining": st.column_config.TextColumn("Retraining", help="The summary's retraining verdict."),
    },
)
