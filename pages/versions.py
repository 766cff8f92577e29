"""Versions: champion against challenger over the same windows: traffic share, the metric with its
comparison (paired by id on shadow traffic), latency, errors and drift per version."""

import pandas as pd
import streamlit as st

from monitoring import catalog_api, segment_charts, segment_summary, summary, versions
from pages import common
from pages.page import section_page, show_chart, show_table
from pages.text import literal

page = section_page(
    "Versions",
    "Is the new model version better than the old one on the same traffic?",
    "versions",
    empty="Nothing to compare: this model has no version column, or one version in this period.",
)
view, report, compared = page.view, page.report, page.records
with common.shown_errors():
    column = catalog_api.get_model(common.get_store(), view.model).column("version")
grouped = common.report(view, by=column.name)
sentence = segment_summary.challenger_sentence(report)
if sentence:
    st.info(literal(sentence), icon=":material/compare_arrows:")


def per_version(section: str, metric: str | None = None, field: str = "value"):
    frame = grouped.frame(section)
    frame = frame[frame["segment"].notna()]
    if metric is not None:
        frame = frame[frame["metric"] == metric]
    frame = frame[frame[field].notna()].copy()
    return frame.assign(version=frame["segment"].str.split("=", n=1).str[1], value=frame[field])


st.subheader("Comparisons over the whole period")
st.caption(
    "b minus a with its 95% interval. Paired: both versions scored the same requests (shadow "
    "traffic), tested with McNemar's exact test (accuracy) or a paired t-test (error); unpaired: "
    "separate traffic, Newcombe's interval and a z-test (or Welch's t-test)."
)
period = compared[compared["window"].isna()]
show_table(
    period[
        [
            "version_a",
            "version_b",
            "metric",
            "value_a",
            "value_b",
            "value",
            "difference",
            "lower",
            "upper",
            "p_value",
            "paired",
            "test",
            "rows",
        ]
    ],
    f"{view.model}-versions",
    hide_index=True,
    column_config={
        "value": st.column_config.NumberColumn("Agreement", format="percent"),
        "difference": st.column_config.NumberColumn("b - a", format="%+.4f"),
        "p_value": st.column_config.NumberColumn("p-value", format="%.2g"),
    },
)

counts = per_version("operations", "prediction_count")
if not counts.empty:
    totals = counts.groupby("window")["value"].transform("sum")
    st.subheader("Traffic share")
    show_chart(
        segment_charts.by_version(
            counts.assign(value=counts["value"] / totals), "Share of predictions", True
        ),
        f"{view.model}-traffic",
    )

intervals = pd.DataFrame(versions.metrics_with_intervals(grouped))
if not intervals.empty:
    st.subheader("Performance per version")
    names = {
        m: summary.NAMES.get(m, m.replace("_score", "").capitalize()) for m in intervals["metric"].unique()
    }
    metric = st.segmented_control(
        "Metric", list(names), default=list(names)[0], format_func=names.get, key="ver_metric"
    )
    rows = intervals[intervals["metric"] == (metric or list(names)[0])]
    rows = rows.merge(
        grouped.windows_frame()[["index", "start", "label"]], left_on="window", right_on="index"
    )
    rows = rows.assign(version=rows["segment"].str.split("=", n=1).str[1])
    st.caption("Realized, with the 95% Wilson interval of each version in each window (labelled rows only).")
    show_chart(
        segment_charts.by_version(rows, names[metric or list(names)[0]]), f"{view.model}-versions-metric"
    )
elif grouped.primary_metric:
    primary = grouped.primary_metric
    perf = per_version("performance", primary)
    perf = perf.sort_values("kind", key=lambda k: k != "realized", kind="stable").drop_duplicates(
        ["window", "version"]
    )
    st.subheader(summary.NAMES.get(primary, primary))
    show_chart(
        segment_charts.by_version(perf.sort_values("window"), summary.NAMES.get(primary, primary)),
        f"{view.model}-versions-{primary}",
    )

for section, metric, title, percent in (
    ("operations", "latency_p95", "p95 latency (ms)", False),
    ("operations", "error_rate", "Error rate", True),
    ("dataset_drift", None, "Share of inputs drifted", True),
):
    frame = per_version(section, metric, "share_drifted" if section == "dataset_drift" else "value")
    if not frame.empty:
        st.subheader(title)
        show_chart(
            segment_charts.by_version(frame, title, percent), f"{view.model}-versions-{metric or section}"
        )
