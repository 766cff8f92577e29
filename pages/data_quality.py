"""Data quality: missing values per column and window, out-of-range and unparsable values, unseen
categories with examples, and schema changes per batch."""

import streamlit as st

from monitoring import charts
from pages import common
from pages.downloads import chart_downloads, table_download

view = common.page_header("Data quality", "Are the inputs complete and within the ranges the model knows?")
if view is None:
    st.stop()
report = common.report(view)
windows = common.windows(report)
quality = common.records(report, "data_quality", "Data quality")
if quality is None:
    st.stop()
if quality.empty:
    st.info("No data quality figures: there are no production rows in this period.")
    st.stop()
quality = charts.with_windows(quality, windows)

for metric, title, note in [
    ("missing_share", "Missing values", "Share of rows with no value."),
    ("out_of_range_share", "Out of range", "Share of values outside the reference's 0.1%–99.9% range."),
    ("unparsable_share", "Unparsable", "Share of values that could not be read as the column's type."),
]:
    rows = quality[(quality["metric"] == metric) & quality["value"].notna()]
    if rows.empty or (metric == "unparsable_share" and rows["value"].max() == 0):
        continue
    st.subheader(title)
    st.caption(note)
    chart = charts.share_heatmap(rows, title)
    st.altair_chart(chart, width="stretch")
    chart_downloads(chart, f"{view.model}-{metric}")

st.subheader("Unseen categories")
unseen = quality[(quality["metric"] == "unseen_category_share") & (quality["count"] > 0)]
if unseen.empty:
    st.write("No category appeared that the reference does not have.")
else:
    table = unseen[["label", "column", "value", "count", "examples"]].assign(
        examples=unseen["examples"].map(lambda e: ", ".join(map(str, e or [])))
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Window",
            "column": "Input",
            "value": st.column_config.NumberColumn("Share", format="percent"),
            "count": st.column_config.NumberColumn("Rows", format="localized"),
            "examples": "Examples",
        },
    )
    table_download(table, f"{view.model}-unseen-categories")

duplicates = quality[(quality["metric"] == "duplicate_id_share") & (quality["count"] > 0)]
if not duplicates.empty:
    st.subheader("Duplicate ids")
    duplicates = duplicates[["label", "column", "count", "value"]]
    st.dataframe(duplicates, hide_index=True, width="stretch")
    table_download(duplicates, f"{view.model}-duplicate-ids")

st.subheader("Schema changes")
changes = common.records(report, "schema_changes", "Schema changes")
if changes is not None:
    if changes.empty:
        st.write("Every batch had the model's columns and types.")
    else:
        names = {c: c.replace("_name", "").capitalize() for c in changes.columns}  # file_name -> File
        st.dataframe(changes, hide_index=True, width="stretch", column_config=names)
        table_download(changes, f"{view.model}-schema-changes")
