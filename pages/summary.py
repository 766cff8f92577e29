"""Executive summary: one status per area in plain words, headline figures, open alerts, trends."""

import pandas as pd
import streamlit as st

from monitoring import charts, retraining, segment_summary, summary
from monitoring.alerts.history import list_alerts
from monitoring.freshness import model_freshness
from monitoring.portfolio import since
from pages import common
from pages.downloads import table_download
from pages.page import section_page, show_chart, show_table
from pages.text import literal

BADGES = {
    summary.HEALTHY: ("green", ":material/check_circle:"),
    summary.WARNING: ("orange", ":material/warning:"),
    summary.CRITICAL: ("red", ":material/error:"),
    summary.UNKNOWN: ("gray", ":material/help:"),
}


page = section_page("Executive summary", "Is the model still right, has the world changed, is it healthy?")
view, report = page.view, page.report
windows = report.windows_frame()
slo = report.settings.latency_slo_ms
cols = st.columns(5)
for col, status in zip(cols, summary.statuses(report, slo), strict=True):
    with col.container(border=True, height="stretch"):
        color, icon = BADGES[status.status]
        st.markdown(f"**{status.area.capitalize()}**")
        st.badge(status.status, color=color, icon=icon)
        st.write(literal(status.sentence))  # names columns and categories from the user's files

retrain = retraining.retraining(report)
SAY = {
    "retrain now": st.warning,
    "wait for labels": st.info,
    "watch": st.info,
    "no need": st.success,
}  # st.error: errors only
SAY[retrain.verdict](literal(retrain.sentence), icon=":material/model_training:")
if retrain.verdict in ("watch", "wait for labels"):  # "retrain now" already says both reasons
    st.caption("Why: " + literal("; ".join(retrain.reasons)) + ".")

st.subheader("Freshness")
with common.shown_errors():
    fresh = model_freshness(common.get_store(), view.model)  # now, not from the cached report
f1, f2, f3, f4 = st.columns(4)
ages = [("production", "the newest prediction"), ("batch", "the last batch"), ("label", "the last label")]
for column, (key, what) in zip((f1, f2, f3), ages, strict=True):
    when = fresh[f"last_{key}"]
    column.metric(
        f"Since {what}",
        since(fresh[f"hours_since_{key}"], suffix=""),
        border=True,
        help=f"{when[:16].replace('T', ' ')} UTC" if when else "none yet",
    )
share = fresh["overdue_unlabelled_share"]
f4.metric(
    "Labels overdue",
    "—" if share is None else f"{share:.0%}",
    border=True,
    help=f"Share of predictions older than {fresh['label_delay_days']:g} days (the expected label delay) "
    "that have no label yet.",
)

st.subheader("Headline figures")
found = summary.headline(report)
worth = summary.value_headline(report)
rows, labelled = summary.served(report)
with common.shown_errors():
    open_alerts = pd.DataFrame(list_alerts(common.get_store(), view.model, ("open",)))
a, b, c, d, *e = st.columns(5 if worth else 4)
if found:
    lower_better = not found["metric"].endswith("_score")
    change = None if found["baseline"] is None else found["value"] - found["baseline"]
    a.metric(
        found["name"] + (" (estimated)" if found["kind"] == "estimated" else ""),
        f"{found['value']:.3g}",  # 0.654 or 138, never 137.999
        None if change is None else f"{change:+.3g} vs baseline",
        delta_color="inverse" if lower_better else "normal",
        border=True,
    )
else:
    a.metric("Performance", "—", border=True)
b.metric("Predictions served", f"{rows:,}", border=True)
c.metric(
    "Labelled",
    "—" if labelled is None else f"{labelled:.0%}",
    border=True,
    help="Share of this period's predictions whose true outcome has arrived.",
)
d.metric("Open alerts", len(open_alerts), border=True)
if worth:
    estimated = "estimated " if worth["kind"] == "estimated" else ""
    e[0].metric(
        "Business value",  # longer labels are cut in a fifth of the page; the sentence below says more
        f"{worth['value']:,.0f}",
        None
        if worth["baseline"] is None
        else f"{summary.compact(worth['value'] - worth['baseline'])} vs expected",
        border=True,
        help=f"What the latest window's predictions were worth ({estimated}by the model's value matrix), "
        "against the reference's value per prediction times the same number of predictions.",
    )
    st.caption(worth["sentence"])

where = [
    found
    for found in (segment_summary.segment_sentence(report), segment_summary.challenger_sentence(report))
    if found
]
if where:
    st.subheader("Where it goes wrong")
    for sentence, target, icon in zip(
        where,
        ("pages/segments.py", "pages/versions.py"),
        (":material/target:", ":material/compare_arrows:"),
        strict=False,
    ):
        box, link = st.columns([5, 1], vertical_alignment="center")
        box.info(literal(sentence), icon=icon)
        link.page_link(
            target, label="Segments" if "segments" in target else "Versions", icon=":material/arrow_forward:"
        )

left, right = st.columns([3, 2])
with left:
    st.subheader("Trends")
    perf = report.frame("performance")
    if found is not None:
        line = perf[(perf["metric"] == found["metric"]) & perf["value"].notna()]
        st.caption(f"{found['name']} per {report.unit}")
        chart = charts.sparkline(line.drop_duplicates("window", keep="first"), "value")
        show_chart(chart, f"{view.model}-{found['metric']}-trend")
    shares = report.frame("dataset_drift")
    if not shares.empty:
        st.caption(f"Share of inputs that drifted, per {report.unit}")
        show_chart(charts.sparkline(shares, "share_drifted", color="#d97706"), f"{view.model}-drift-trend")
    st.caption(f"Predictions per {report.unit}")
    chart = charts.sparkline(windows.assign(value=windows["rows"]), "value", color="#10b981")
    show_chart(chart, f"{view.model}-predictions-trend")
with right:
    st.subheader("Open alerts")
    if open_alerts.empty:
        st.success("Nothing needs attention.", icon=":material/check_circle:")
    else:
        counts = open_alerts["severity"].value_counts()
        st.write("  ·  ".join(f"**{counts.get(s, 0)}** {s}" for s in charts.SEVERITY_COLORS))
        st.dataframe(
            open_alerts[["severity", "message"]].head(8),
            hide_index=True,
            width="stretch",
            column_config={"severity": "Severity", "message": "What happened"},
        )
        table_download(open_alerts, f"{view.model}-open-alerts")  # every open alert, not only the 8 shown
        st.page_link("pages/alerts.py", label="All alerts", icon=":material/notifications:")
    st.subheader("Inputs that changed most")
    top = summary.top_drifted(report)
    if top.empty:
        st.write("No input drifted in this period.")
    else:
        show_table(
            top,
            f"{view.model}-top-drifted",
            hide_index=True,
            column_config={
                "column": "Input",
                "drifted_windows": st.column_config.NumberColumn("Windows drifted"),
                "share": st.column_config.ProgressColumn(
                    "Share of windows", format="percent", min_value=0, max_value=1
                ),
            },
        )
        st.page_link("pages/drift.py", label="Drift in depth", icon=":material/timeline:")
