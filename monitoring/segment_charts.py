"""Altair charts of segments and versions: pure functions from report records (DataFrames)."""

import altair as alt
import pandas as pd

WEAKER, STRONGER = "#dc2626", "#2563eb"
SERIES_COLORS = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444"]  # as charts.py


def weak_segment_bars(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Each segment's difference from the rest with its 95% interval, weakest at the top."""
    order = frame["segment"].tolist()
    data = frame.assign(side=frame["difference"].map(lambda d: "worse" if d < 0 else "better"))
    if title.lower().endswith("error"):
        data["side"] = frame["difference"].map(lambda d: "worse" if d > 0 else "better")
    axis = alt.Axis(labelLimit=260, labelOverlap=False)
    base = alt.Chart(data).encode(y=alt.Y("segment:N", title=None, sort=order, axis=axis))
    color = alt.Color(
        "side:N", title=None, scale=alt.Scale(domain=["worse", "better"], range=[WEAKER, STRONGER])
    )
    tooltip = [
        "segment:N",
        alt.Tooltip("value:Q", format=".3f", title="segment"),
        alt.Tooltip("rest_value:Q", format=".3f", title="rest"),
        alt.Tooltip("difference:Q", format="+.3f"),
        alt.Tooltip("lower:Q", format="+.3f"),
        alt.Tooltip("upper:Q", format="+.3f"),
        alt.Tooltip("rows:Q", format=","),
        alt.Tooltip("drift_share:Q", format=".0%"),
        "kind:N",
    ]
    bars = base.mark_bar(opacity=0.8).encode(
        x=alt.X("difference:Q", title=f"{title}: segment minus the rest"), color=color, tooltip=tooltip
    )
    whiskers = base.mark_rule(color="#111827").encode(x="lower:Q", x2="upper:Q")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#6b7280").encode(x="x:Q")
    return (bars + whiskers + zero).properties(height=alt.Step(22))


def small_multiples(frame: pd.DataFrame, title: str, columns: int = 4) -> alt.Chart:
    """The metric per window, one small chart per segment (same scales): realized solid, estimated
    dashed, small windows' points grey; the whole model as a grey dashed line."""
    x = alt.X("start:T", title=None, axis=alt.Axis(format="%m-%d", labelAngle=-45, tickCount=4))
    y = alt.Y("value:Q", title=title, scale=alt.Scale(zero=False))
    tooltip = [
        "segment:N",
        "label:N",
        alt.Tooltip("value:Q", format=".3f"),
        alt.Tooltip("whole:Q", format=".3f", title="whole model"),
        alt.Tooltip("segment_rows:Q", format=",", title="rows"),
        "kind:N",
        "flag:N",
    ]
    dash = alt.StrokeDash(
        "kind:N", title=None, scale=alt.Scale(domain=["realized", "estimated"], range=[[1, 0], [4, 3]])
    )
    line = alt.Chart().mark_line(color=STRONGER).encode(x=x, y=y, strokeDash=dash)
    points = (
        alt.Chart()
        .mark_point(filled=True, size=24)
        .encode(
            x=x,
            y=y,
            color=alt.condition("datum.flag == 'small'", alt.value("#9ca3af"), alt.value(STRONGER)),
            tooltip=tooltip,
        )
    )
    whole = alt.Chart().mark_line(strokeDash=[2, 2], color="#9ca3af").encode(x=x, y="whole:Q")
    return (
        alt.layer(whole, line, points, data=frame)
        .properties(width=170, height=110)
        .facet(facet=alt.Facet("segment:N", title=None, sort=None), columns=columns)
        .resolve_scale(y="shared")
    )


def by_version(frame: pd.DataFrame, title: str, percent: bool = False) -> alt.Chart:
    """A figure per window, one line per version, with its 95% band where it has lower/upper."""
    axis = alt.Axis(format="%") if percent else alt.Axis()
    color = alt.Color("version:N", title="Version", scale=alt.Scale(range=SERIES_COLORS), sort=None)
    base = alt.Chart(frame).encode(x=alt.X("start:T", title="Window", axis=alt.Axis(format="%Y-%m-%d")))
    tooltip = ["version:N", "label:N", alt.Tooltip("value:Q", format=".1%" if percent else ".3f")]
    if "lower" in frame:
        tooltip += [alt.Tooltip("lower:Q", format=".3f"), alt.Tooltip("upper:Q", format=".3f")]
    lines = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title=title, axis=axis, scale=alt.Scale(zero=False)), color=color, tooltip=tooltip
    )
    if "lower" not in frame:
        return lines.properties(height=240)
    band = base.mark_area(opacity=0.15).encode(y="lower:Q", y2="upper:Q", color=color)
    return (band + lines).properties(height=240)
