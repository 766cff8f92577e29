"""Drift: a feature x window heatmap (click a cell for its distribution), dataset drift over time,
prediction and target drift apart, and which method `auto` chose and why."""

import pandas as pd
import streamlit as st

from monitoring import charts
from monitoring.distributions import column_distribution
from monitoring.drift.methods import methods_table
from pages import common
from pages.page import section_page, show_chart, show_table
from pages.text import literal

page = section_page(
    "Drift",
    "Has the world changed? Each input per window, compared with the reference.",
    "drift",
    empty="No drift figures: drift needs a reference batch and production rows in this period.",
)
model, report, drift = page.view.model, page.report, page.records
features = drift[drift["role"] == "feature"]

st.subheader("Inputs per window")
st.caption(
    "Colour is the statistic relative to its threshold: dark red cells drifted. "
    "Hover for method, statistic, p-value and threshold; click a cell to see that input's distribution."
)
event = show_chart(
    charts.drift_heatmap(features), f"{model}-drift-heatmap", on_select="rerun", key="drift_heatmap"
)
picked = (event.selection.get("cell") or [None])[0] if event and event.selection else None
if picked:
    column, window = picked["column"], int(picked["window"])
    label = report.window_label(window)
    st.markdown(f"**{literal(column)}** in {label} against the reference")
    with common.shown_errors():
        dist = column_distribution(common.get_store(), page.view.request(), column, window)
    show_chart(charts.distribution_overlay(dist.shares, dist.kind), f"{model}-{column}-{label}")
    st.page_link("pages/distributions.py", label="Compare other windows", icon=":material/bar_chart:")

dataset = report.frame("dataset_drift")
if not dataset.empty:
    st.subheader("Share of inputs that drifted")
    share = report.settings.dataset_drift_share
    st.caption(f"A window counts as drifted when at least {share:.0%} of its inputs drift (red line).")
    chart = charts.share_over_time(dataset, "share_drifted", "Inputs drifted", share)
    show_chart(chart, f"{model}-dataset-drift")

st.subheader("Prediction and target drift")
outputs = drift[drift["role"].isin(["prediction", "target"])]
if outputs.empty:
    st.caption("This model has no prediction or target column to watch.")
else:
    outputs = outputs.assign(column=outputs["role"] + ": " + outputs["column"])
    show_chart(charts.statistic_lines(outputs), f"{model}-output-drift")

with st.expander("Methods: what `auto` chose and why"):
    methods = drift.drop_duplicates("column")[["column", "role", "kind", "method", "threshold", "reason"]]
    show_table(methods, f"{model}-drift-methods", hide_index=True)
    st.caption("Every method the app knows, where it applies and how it decides:")
    show_table(pd.DataFrame(methods_table()), "drift-method-registry", hide_index=True)
with st.expander("All figures"):
    table = pd.pivot_table(features, index="column", columns="label", values="statistic", sort=False)
    show_table(table.round(4), f"{model}-drift")
