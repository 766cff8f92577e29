"""Distributions: one column in a window against the reference (or another window), with quantiles."""

import streamlit as st

from monitoring import charts
from monitoring.distributions import column_distribution
from pages import common
from pages.page import section_page, show_chart, show_table
from pages.text import literal

page = section_page(
    "Distributions",
    "An input's values in a window, overlaid on the reference.",
    "drift",
    empty="No distributions to compare: they need a reference batch and production rows in this period.",
)
model, report = page.view.model, page.report
columns = list(dict.fromkeys(page.records["column"]))
labels = {w["index"]: report.window_label(w["index"]) for w in report.windows}
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
    dist = column_distribution(common.get_store(), page.view.request(), column, window, against)
if dist.shares.empty:
    st.info(f"'{literal(column)}' has no values to show (all missing, or the reference is empty).")
    st.stop()
show_chart(charts.distribution_overlay(dist.shares, dist.kind), f"{model}-{column}-distribution")

if dist.kind == "numeric" and not dist.quantiles.empty:
    st.subheader("Quantiles")
    st.caption(
        "Read from the reference's 1,000 quantile bins, so accurate to about 0.1% of the rows; "
        "values beyond the reference range show at its edge."
    )
    table = dist.quantiles.assign(quantile=[f"{q:.0%}" for q in dist.quantiles["quantile"]])
    table = table.set_index("quantile").T.round(4).rename_axis("series")
    show_table(table, f"{model}-{column}-quantiles")
else:
    st.subheader("Shares per category")
    table = dist.shares.pivot_table(index="bin", columns="series", values="share", sort=False)
    show_table(
        table,
        f"{model}-{column}-shares",
        column_config={c: st.column_config.NumberColumn(format="percent") for c in table.columns},
    )
