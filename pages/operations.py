"""Operations: latency p50/p95/p99 with the SLO line, throughput and error rate per window."""

import streamlit as st

from monitoring import charts
from pages.page import section_page, show_chart

page = section_page(
    "Operations",
    "Is the service fast and reliable?",
    "operations",
    empty="No operations figures: there are no production rows in this period.",
)
model, ops = page.view.model, page.records
slo = page.report.settings.latency_slo_ms

latency = ops[ops["metric"].isin(["latency_p50", "latency_p95", "latency_p99"]) & ops["value"].notna()]
last = ops[ops["window"] == ops["window"].max()].set_index("metric")["value"]
a, b, c = st.columns(3)
a.metric(
    "p95 latency (latest)",
    "—" if last.get("latency_p95") is None else f"{last['latency_p95']:.0f} ms",
    border=True,
    help=f"Objective: {slo:.0f} ms",
)
b.metric(
    "Error rate (latest)", "—" if last.get("error_rate") is None else f"{last['error_rate']:.2%}", border=True
)
c.metric("Predictions (latest)", f"{int(last.get('prediction_count', 0)):,}", border=True)

st.subheader("Latency")
if latency.empty:
    st.caption("This model's logs have no latency column.")
else:
    st.caption(f"The red line is the latency objective ({slo:.0f} ms), set in Batches and settings.")
    show_chart(charts.latency_chart(latency, slo), f"{model}-latency")

for metric, title, percent in [
    ("throughput_per_second", "Throughput (predictions per second)", False),
    ("error_rate", "Error rate", True),
]:
    rows = ops[(ops["metric"] == metric) & ops["value"].notna()]
    if rows.empty:
        continue
    st.subheader(title)
    chart = charts.bars_over_time(rows, title, percent, "#dc2626" if percent else "#6366f1")
    show_chart(chart, f"{model}-{metric}")
