"""Performance: each metric over time against its baseline, realized beside estimated, the labelled
share, and the confusion matrix of a chosen window."""

import streamlit as st

from monitoring import charts
from monitoring.alerts.messages import humanize
from pages.page import section_page, show_chart, show_table

page = section_page(
    "Performance",
    "Each metric per window against the reference baseline.",
    "performance",
    empty="No performance figures: this model needs labels (or scores to estimate from) and a reference.",
)
model, report, perf = page.view.model, page.report, page.records
windows = report.windows_frame()
metrics = list(dict.fromkeys(perf["metric"]))
names = {m: humanize(m) for m in metrics}  # accuracy_score -> Accuracy, roc_auc_macro_score -> ROC AUC macro
chosen = st.pills(
    "Metrics", metrics, selection_mode="multi", default=metrics[:2], format_func=names.get, key="perf_metrics"
)
if (perf["kind"] == "estimated").any():
    st.caption(
        "Estimates (dashed, with their band) assume the reference's relation between inputs and outcomes. "
        "Where the realized line leaves the band, that relation has changed: only labels can show it."
    )
for metric in chosen or metrics[:1]:
    rows = perf[(perf["metric"] == metric) & perf["value"].notna()]
    st.markdown(f"**{names[metric]}**")
    if rows.empty:
        st.caption("No value in any window (too few labels and nothing to estimate from).")
        continue
    show_chart(charts.metric_over_time(rows, names[metric]), f"{model}-{metric}")

st.subheader("Labels")
first = perf[perf["metric"] == metrics[0]].groupby("window", as_index=False)["labelled_rows"].max()
labels = first.merge(windows[["index", "rows", "label", "start"]], left_on="window", right_on="index")
labels["value"] = labels["labelled_rows"] / labels["rows"].where(labels["rows"] > 0)
st.caption(
    "Share of each window's predictions whose true outcome has arrived. Recent windows wait for labels; "
    "their performance is estimated before the labels arrive (dashed line)."
)
show_chart(
    charts.bars_over_time(labels, "Labelled", percent=True, color="#10b981"), f"{model}-labelled-share"
)

matrix = report.frame("confusion_matrix")
if not matrix.empty:
    st.subheader("Confusion matrix")
    have = windows[windows["index"].isin(matrix["window"].dropna().unique())]
    options = [None, *have["index"].tolist()]
    labels_by_index = dict(zip(have["index"], have["label"], strict=True))
    picked = st.selectbox(
        "Window",
        options,
        index=len(options) - 1,
        key="perf_window",
        format_func=lambda i: "reference" if i is None else labels_by_index[i],
    )
    cells = matrix[matrix["window"].isna()] if picked is None else matrix[matrix["window"] == picked]
    if cells.empty:
        st.caption("No labelled rows in this window yet.")
    else:
        show_chart(charts.confusion_matrix(cells), f"{model}-confusion-matrix", width="content")
elif page.view.task == "regression":
    st.subheader("Bias")
    bias = perf[(perf["metric"] == "mean_residual") & perf["value"].notna()]
    st.caption("Mean residual (prediction minus truth) per window: above zero the model over-predicts.")
    if not bias.empty:
        show_chart(charts.metric_over_time(bias, "Mean residual"), f"{model}-mean-residual")

worth = report.frame("business_value")
if not worth.empty:
    st.subheader("Business value")
    st.caption(
        "What each window's predictions were worth by the model's value matrix: realized from the labels, "
        "estimated before they arrive (dashed, with its band), against the reference's value per prediction."
    )
    show_chart(charts.value_over_time(worth), f"{model}-business-value")

with st.expander("All figures"):
    table = perf.pivot_table(index=["label"], columns=["metric", "kind"], values="value", sort=False)
    show_table(table.round(4), f"{model}-performance")
