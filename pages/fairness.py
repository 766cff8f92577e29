"""Fairness: per-group figures for a sensitive attribute, the four-fifths line, disparities over time."""

import streamlit as st

from monitoring import charts
from pages.page import section_page, show_chart, show_table
from pages.text import literal

page = section_page(
    "Fairness",
    "Does the model treat groups alike?",
    "fairness",
    empty="No sensitive attribute is set for this model. Mark one (e.g. gender) in Upload's role preview.",
)
model, groups = page.view.model, page.records
disparities = page.report.frame("fairness_disparities")

attribute = st.segmented_control(
    "Attribute",
    list(dict.fromkeys(groups["attribute"])),
    key="fair_attribute",
    default=groups["attribute"].iloc[0],
    format_func=literal,
)
overall = groups[(groups["attribute"] == attribute) & groups["window"].isna()]
metrics = [m for m in dict.fromkeys(overall["metric"]) if m != "count"]
metric = st.selectbox("Metric", metrics, key="fair_metric", format_func=lambda m: m.replace("_", " "))
rows = overall[overall["metric"] == metric]
small = rows[rows["flag"].notna()]
show_chart(charts.group_bars(rows, metric, metric == "selection_rate"), f"{model}-{attribute}-{metric}")
st.caption(
    "The whisker on each bar is the group's 95% interval: groups whose whiskers overlap may not differ."
)
if metric == "selection_rate":
    st.caption(
        "The red line is 80% of the highest group's rate: a group below it fails the four-fifths rule."
    )
if not small.empty:
    st.warning(f"Too few rows to judge: {', '.join(map(literal, small['group']))} (shown grey).")


def _interval(row) -> str:
    """' 95% intervals: difference 0.101 to 0.139, ratio 0.61 to 0.69.' where the record has them."""
    parts = []
    for name, digits in (("difference", 3), ("ratio", 2)):
        low, high = getattr(row, f"{name}_lower", None), getattr(row, f"{name}_upper", None)
        if low is not None and high is not None and low == low and high == high:
            parts.append(f"{name} {low:.{digits}f} to {high:.{digits}f}")
    return f" 95% intervals: {', '.join(parts)}." if parts else ""


if not disparities.empty:
    mine = disparities[disparities["attribute"] == attribute]
    whole = mine[mine["window"].isna()]
    st.subheader("Disparities over the period")
    cols = st.columns(max(1, len(whole)))
    for col, row in zip(cols, whole.itertuples(), strict=False):
        col.metric(
            row.metric.replace("_", " "),
            f"{row.ratio:.2f}" if row.ratio == row.ratio else "—",
            f"difference {row.difference:.3f}" if row.difference == row.difference else None,
            delta_color="off",
            delta_arrow="off",  # a gap between groups, not a rise
            border=True,
            help="Ratio of the lowest to the highest group; "
            + ("passes" if row.passes else "fails")
            + "."
            + _interval(row),
        )
    per_window = mine[mine["window"].notna()]
    if not per_window.empty:
        st.subheader("Disparities per window")
        st.caption("Shaded: each ratio's 95% interval (Katz); the red line is the four-fifths rule.")
        show_chart(charts.disparity_over_time(per_window), f"{model}-{attribute}-disparities")

with st.expander("All group figures"):
    table = overall.pivot_table(index="group", columns="metric", values="value")
    show_table(table.round(4), f"{model}-{attribute}-groups")
