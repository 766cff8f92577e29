"""Data quality: missing values per column and window, out-of-range and unparsable values, unseen
categories with examples, and schema changes per batch."""

import streamlit as st

from monitoring import charts
from pages.page import section_page, show_chart, show_table

page = section_page(
    "Data quality",
    "Are the inputs complete and within the ranges the model knows?",
    "data_quality",
    empty="No data quality figures: there are no production rows in this period.",
)
model, quality = page.view.model, page.records

for metric, title, note, none in [
    (
        "missing_share",
        "Missing values",
        "Share of rows with no value.",
        "No input lacks a value in any window.",
    ),
    (
        "out_of_range_share",
        "Out of range",
        "Share of values outside the reference's 0.1%–99.9% range.",
        "Every value lies within the reference's 0.1%–99.9% range.",
    ),
    ("unparsable_share", "Unparsable", "Share of values that could not be read as the column's type.", None),
]:
    rows = quality[(quality["metric"] == metric) & quality["value"].notna()]
    if rows.empty or (none is None and rows["value"].max() == 0):
        continue
    st.subheader(title)
    if rows["value"].max() == 0:  # an all-zero heatmap would read as one colour of some share
        st.write(none)
        continue
    st.caption(note)
    show_chart(charts.share_heatmap(rows, title), f"{model}-{metric}")

st.subheader("Unseen categories")
unseen = quality[(quality["metric"] == "unseen_category_share") & (quality["count"] > 0)]
if unseen.empty:
    st.write("No category appeared that the reference does not have.")
else:
    table = unseen[["label", "column", "value", "count", "examples"]].assign(
        examples=unseen["examples"].map(lambda e: ", ".join(map(str, e or [])))
    )
    show_table(
        table,
        f"{model}-unseen-categories",
        hide_index=True,
        column_config={
            "label": "Window",
            "column": "Input",
            "value": st.column_config.NumberColumn("Share", format="percent"),
            "count": st.column_config.NumberColumn("Rows", format="localized"),
            "examples": "Examples",
        },
    )

duplicates = quality[(quality["metric"] == "duplicate_id_share") & (quality["count"] > 0)]
if not duplicates.empty:
    st.subheader("Duplicate ids")
    duplicates = duplicates[["label", "column", "count", "value"]]
    show_table(duplicates, f"{model}-duplicate-ids", hide_index=True)

st.subheader("Schema changes")
changes = page.report.frame("schema_changes")
if changes.empty:
    st.write("Every batch had the model's columns and types.")
else:
    names = {c: c.replace("_name", "").capitalize() for c in changes.columns}  # file_name -> File
    show_table(changes, f"{model}-schema-changes", hide_index=True, column_config=names)
