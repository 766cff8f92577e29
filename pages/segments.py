"""Segments: where the model does worst (ranked against the rest), the metric per segment over
time, a link that opens any page filtered to a segment, and the saved segments."""

from urllib.parse import urlencode

import streamlit as st

from monitoring import segment_api, segment_charts, segment_summary, summary
from pages import common
from pages.access import can_edit
from pages.frame import PAGES
from pages.page import section_page, show_chart, show_table
from pages.text import literal

page = section_page(
    "Segments",
    "Where does it go wrong? Every value of the segment, sensitive and version columns against the rest.",
    "weak_segments",
    empty="No segments to rank: mark segment, sensitive or version columns (Upload's role preview) "
    "and give the model labels or scores.",
)
view, report, weak = page.view, page.report, page.records
store = common.get_store()
labels = {w["index"]: report.window_label(w["index"]) for w in report.windows}
when = st.selectbox(
    "Period",
    [None, *labels],
    format_func=lambda i: "whole period" if i is None else labels[i],
    key="seg_when",
)
rows = weak[weak["window"].isna()] if when is None else weak[weak["window"] == when]
metric = summary.NAMES.get(rows["metric"].iloc[0], rows["metric"].iloc[0]) if not rows.empty else ""
sentence = segment_summary.segment_sentence(report)
if sentence:
    st.info(literal(sentence), icon=":material/target:")

st.subheader("Weakest first")
st.caption(
    f"{metric} inside each segment minus the rest of the rows, with its 95% interval (black line). "
    "Realized where the window has labels, else estimated; small segments (grey flag) never alert."
)
shown = rows[rows["flag"].isna()].head(15)
if not shown.empty:
    show_chart(segment_charts.weak_segment_bars(shown, metric), f"{view.model}-weak-segments")
titles = {path: title for _, path, title, _ in PAGES[:7]}
a, b = st.columns(2)
picked = a.selectbox("Segment to open", rows["segment"].tolist(), key="seg_pick")
target = b.selectbox("On page", list(titles), format_func=titles.get, key="seg_target")


def _link(segment: str | None, page: str) -> str:
    """A link to `page` with this view filtered to `segment` (relative: it works behind a proxy)."""
    path = "" if page == PAGES[0][1] else page.removeprefix("pages/").removesuffix(".py")  # the default: /
    return f"./{path}?{urlencode(view.query(segment=segment))}"


if picked:  # a real link: it opens a fresh page, copied or bookmarked it shows the same
    st.link_button("Open it there", _link(picked, target), icon=":material/open_in_new:")
table = rows.assign(open=[_link(s, target) for s in rows["segment"]], flag=rows["flag"].fillna(""))
show_table(
    table[
        [
            "rank",
            "segment",
            "kind",
            "value",
            "rest_value",
            "difference",
            "lower",
            "upper",
            "rows",
            "drift_share",
            "flag",
            "open",
        ]
    ],
    f"{view.model}-weak-segments",
    hide_index=True,
    column_config={
        "open": st.column_config.LinkColumn("Open", display_text="open ↗"),
        "rank": "Rank",
        "segment": "Segment",
        "kind": "Figure",
        "value": st.column_config.NumberColumn("Inside", format="%.3f"),
        "rest_value": st.column_config.NumberColumn("Rest", format="%.3f"),
        "difference": st.column_config.NumberColumn("Difference", format="%+.3f"),
        "lower": st.column_config.NumberColumn("Lower", format="%+.3f"),
        "upper": st.column_config.NumberColumn("Upper", format="%+.3f"),
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "flag": "Flag",
        "drift_share": st.column_config.ProgressColumn(
            "Inputs drifted", format="percent", min_value=0, max_value=1
        ),
    },
)
st.subheader("The metric per segment over time")
with common.shown_errors():
    columns = segment_api.group_columns_of(store, view.model)
column = st.segmented_control("Column", columns, default=columns[0] if columns else None, key="seg_column")
if column:
    grouped = common.report(view, by=column)
    perf = grouped.frame("performance")
    primary = grouped.primary_metric
    if primary and not perf.empty:
        perf = perf[(perf["metric"] == primary) & perf["value"].notna()]
        perf = perf.sort_values("kind", key=lambda k: k != "realized", kind="stable")  # realized first
        perf = perf.drop_duplicates(["window", "segment"]).sort_values("window")
        whole = perf[perf["segment"].isna()].drop_duplicates("window").set_index("window")["value"]
        parts = perf[perf["segment"].notna()]
        parts = parts.assign(whole=parts["window"].map(whole))
        st.caption(
            f"{summary.NAMES.get(primary, primary)} per {report.unit} in each value of {literal(column)} "
            "(solid where realized, dashed where estimated; grey points where the segment is small), the whole model in grey."
        )
        show_chart(
            segment_charts.small_multiples(parts, summary.NAMES.get(primary, primary)),
            f"{view.model}-{column}-multiples",
        )

st.subheader("Saved segments")
with common.shown_errors():
    saved = segment_api.list_segments(store, view.model)
if saved:
    st.dataframe({"name": [n for n, _ in saved], "conditions": [c for _, c in saved]}, hide_index=True)
if can_edit():
    with st.form("save_segment"):
        a, b = st.columns([1, 2])
        name = a.text_input("Name", placeholder="islands-large-loans")
        conditions = b.text_input("Conditions", placeholder="region=islands & loan_amount >= 20000")
        if st.form_submit_button("Save segment", icon=":material/save:") and can_edit():
            with common.shown_errors():
                found = segment_api.save_segment(store, view.model, name, conditions)
            st.cache_data.clear()
            common.rerun_with_notice(f"Saved segment {found.name}: {found.text}")
