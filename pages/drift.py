"""Drift: a feature x window heatmap (click a cell for its distribution), dataset drift over time,
prediction and target drift apart, and which method `auto` chose and why."""

import pandas as pd
import streamlit as st

from monitoring import charts
from monitoring.distributions import column_distribution
from pages import common
from pages.downloads import chart_downloads, table_download
from pages.text import literal

view = common.page_header(
    "Drift", "Has the world changed? Each input per window, compared with the reference."
)
if view is None:
    st.stop()
report = common.report(view)
windows = common.windows(report)
drift = common.records(report, "drift", "Drift")
if drift is None:
    st.stop()
if drift.empty:
    st.info("No drift figures: drift needs a reference batch and production rows in this period.")
    st.stop()
drift = charts.with_windows(drift, windows)
features = drift[drift["role"] == "feature"]

st.subheader("Inputs per window")
st.caption(
    "Colour is the statistic relative to its threshold: dark red cells drifted. "
    "Hover for method, statistic, p-value and threshold; click a cell to see that input's distribution."
)
heatmap = charts.drift_heatmap(features)
event = st.altair_chart(heatmap, on_select="rerun", key="drift_heatmap", width="stretch")
chart_downloads(heatmap, f"{view.model}-drift-heatmap")
picked = (event.selection.get("cell") or [None])[0] if event and event.selection else None
if picked:
    column, window = picked["column"], int(picked["window"])
    label = windows.set_index("index")["label"].get(window, window)
    st.markdown(f"**{literal(column)}** in {label} against the reference")
    with common.shown_errors():
        dist = column_distribution(common.get_store(), view.request(), column, window)
    chart = charts.distribution_overlay(dist.shares, dist.kind)
    st.altair_chart(chart, width="stretch")
    chart_downloads(chart, f"{view.model}-{column}-{label}")
    st.page_link("pages/distributions.py", label="Compare other windows", icon=":material/bar_chart:")

dataset = common.records(report, "dataset_drift", "Dataset drift")
if dataset is not None and not dataset.empty:
    st.subheader("Share of inputs that drifted")
    share = common.catalog_api.get_model(common.get_store(), view.model).settings.dataset_drift_share
    st.caption(f"A window counts as drifted when at least {share:.0%} of its inputs drift (red line).")
    chart = charts.share_over_time(
        charts.with_windows(dataset, windows), "share_drifted", "Inputs drifted", share
    )
    st.altair_chart(chart, width="stretch")
    chart_downloads(chart, f"{view.model}-dataset-drift")

st.subheader("Prediction and target drift")
outputs = drift[drift["role"].isin(["prediction", "target"])]
if outputs.empty:
    st.caption("This model has no prediction or target column to watch.")
else:
    outputs = outputs.assign(column=outputs["role"] + ": " + outputs["column"])
    chart = charts.statistic_lines(outputs)
    st.altair_chart(chart, width="stretch")
    chart_downloads(chart, f"{view.model}-output-drift")

with st.expander("Methods: what `auto` chose and why"):
    methods = drift.drop_duplicates("column")[["column", "role", "kind", "method", "threshold", "reason"]]
    st.dataframe(methods, hide_index=True, width="stretch")
    table_download(methods, f"{view.model}-drift-methods")
with st.expander("All figures"):
    table = pd.pivot_table(features, index="column", columns="label", values="statistic", sort=False)
    st.dataframe(table.round(4), width="stretch")
    table_download(table, f"{view.model}-drift")
