"""Distributions: one column in a window against the reference (or another window), with quantiles."""

import streamlit as st

from monitoring import charts
from monitoring.distributions import column_distribution
from monitoring.drift.section import monitored_columns
from pages import common
from pages.downloads import chart_downloads, table_download
from pages.text import literal

view = common.page_header("Distributions", "An input's values in a window, overlaid on the reference.")
if view is None:
    st.stop()
report = common.report(view)
windows = common.windows(report)
if windows.empty:
    st.info("No production rows in this period. Widen the period or upload production data.")
    st.stop()
model = common.catalog_api.get_model(common.get_store(), view.model)
columns = [c.name for c in monitored_columns(model)]
if not columns:
    st.info("This model has no numeric or categorical column to show.")
    st.stop()
labels = dict(zip(windows["index"], windows["label"], strict=True))
indexes = list(labels)

a, b, c = st.columns(3)
column = a.selectbox("Column", columns, key="dist_column")
window = b.selectbox("Window", indexes, index=len(indexes) - 1, format_func=labels.get, key="dist_window")
against = c.selectbox(
    "Compared with",
    [None, *indexes],
    format_func=lambda i: "reference" if i is None else labels[i],
    key="dist_against",
)
with common.shown_errors():
    dist = column_distribution(common.get_store(), view.request(), column, window, against)
if dist.shares.empty:
    st.info(f"'{literal(column)}' has no values to show (all missing, or the reference is empty).")
    st.stop()
chart = charts.distribution_overlay(dist.shares, dist.kind)
st.altair_chart(chart, width="stretch")
chart_downloads(chart, f"{view.model}-{column}-distribution")

if dist.kind == "numeric" and not dist.quantiles.empty:
    st.subheader("Quantiles")
    st.caption(
        "Read from the reference's 1,000 quantile bins, so accurate to about 0.1% of the rows; "
        "values beyond the reference range show at its edge."
    )
    table = dist.quantiles.assign(quantile=[f"{q:.0%}" for q in dist.quantiles["quantile"]])
    table = table.set_index("quantile").T.round(4)
    st.dataframe(table, width="stretch")
    table_download(table.rename_axis("series"), f"{view.model}-{column}-quantiles")
else:
    st.subheader("Shares per category")
    table = dist.shares.pivot_table(index="bin", columns="series", values="share", sort=False)
    st.dataframe(table.style.format("{:.1%}"), width="stretch")
    table_download(table, f"{view.model}-{column}-shares")
