"""Portfolio: every model in one table, worst first; a row leads to that model's summary."""

import streamlit as st

from monitoring import catalog_api, portfolio, summary
from monitoring.alerts.rules import SEVERITIES
from monitoring.charts import STATUS_COLORS
from pages import common
from pages.page import header, show_table
from pages.view import View

header("Portfolio", "Every model at a glance: status per area, freshness, open alerts and the trend.")
store = common.get_store()


def cached_report(name: str):
    model = catalog_api.get_model(store, name)
    return common.report(View(name, model.task, model.data_version, None, None, None, None))


with common.shown_errors():
    table = portfolio.portfolio(store, cached_report)
areas = list(summary.AREAS)
shown = table[["link", "task", *areas, "headline", "trend", "last_data", *SEVERITIES, "retraining"]]


def _colour(status) -> str:
    color = STATUS_COLORS.get(status)
    return f"color: {color}; font-weight: 600" if color else ""


styled = shown.style.map(_colour, subset=areas).map(
    lambda n: "font-weight: 700" if isinstance(n, int) and n > 0 else "", subset=list(SEVERITIES)
)
st.caption(
    "Click a model to open its summary (in a new tab), or pick a row to open it here. Click a heading to sort."
)
event = show_table(
    styled,
    "portfolio",
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="portfolio_table",
    column_config={
        "link": st.column_config.LinkColumn("Model", display_text=r"model=([^&]*)", pinned=True),
        "task": "Task",
        **{area: area.capitalize() for area in areas},
        "headline": st.column_config.TextColumn("Headline", width="medium"),
        "trend": st.column_config.LineChartColumn("Trend", width="small"),
        "last_data": st.column_config.TextColumn("Last data", help="Time since the newest production row."),
        **{s: st.column_config.NumberColumn(s.capitalize(), help=f"Open {s} alerts") for s in SEVERITIES},
        "retraining": st.column_config.TextColumn("Retraining", help="The summary's retraining verdict."),
    },
)
picked = event.selection.rows if event else []
if picked:
    st.switch_page("pages/summary.py", query_params={"model": table.iloc[picked[0]]["model"]})
