"""Altair charts of why drift matters: impact per input, the model's attention, and the
multivariate reconstruction error per window. Pure functions from report records; no Streamlit."""

import altair as alt
import pandas as pd

MOVED, STILL = "#b91c1c", "#94a3b8"


def impact_bars(frame: pd.DataFrame, limit: int = 10) -> alt.Chart:
    """One window's inputs by impact (drift × share of the model's attention), largest first;
    red bars drifted (drift at least 1)."""
    data = frame[frame["column"].notna() & frame["impact"].notna()].nlargest(limit, "impact")
    data = data.assign(state=["drifted" if d >= 1 else "within its threshold" for d in data["drift"]])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("impact:Q", title="Impact (drift × share of the model's attention)"),
            y=alt.Y("column:N", title=None, sort="-x", axis=alt.Axis(labelLimit=200)),
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(domain=["drifted", "within its threshold"], range=[MOVED, STILL]),
            ),
            tooltip=[
                alt.Tooltip("column:N", title="input"),
                alt.Tooltip("drift:Q", title="drift (1 = its threshold)", format=".2f"),
                alt.Tooltip("importance:Q", title="share of attention", format=".0%"),
                alt.Tooltip("impact:Q", format=".3f"),
                "rank:Q",
            ],
        )
        .properties(height=alt.Step(22))
    )


def attention_bars(frame: pd.DataFrame, limit: int = 15) -> alt.Chart:
    """Each input's share of the model's attention (the surrogate's permutation importance)."""
    data = frame.nlargest(limit, "share")
    return (
        alt.Chart(data)
        .mark_bar(color="#6366f1")
        .encode(
            x=alt.X("share:Q", title="Share of the model's attention", axis=alt.Axis(format="%")),
            y=alt.Y("column:N", title=None, sort="-x", axis=alt.Axis(labelLimit=200)),
            tooltip=[
                alt.Tooltip("column:N", title="input"),
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("importance:Q", title="drop in fit when shuffled", format=".4f"),
            ],
        )
        .properties(height=alt.Step(20))
    )


def reconstruction_chart(frame: pd.DataFrame) -> alt.Chart:
    """Mean reconstruction error per window (points red where drifted) inside the reference band
    (mean ± 3 std of reference chunks), the reference's mean dashed."""
    data = frame.assign(state=["drifted" if d else "within the band" for d in frame["drifted"]])
    x = alt.X("label:O", title="Window", sort=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    band = (
        alt.Chart(data)
        .mark_area(opacity=0.15, color="#2563eb")
        .encode(x=x, y=alt.Y("lower_threshold:Q", title="Reconstruction error"), y2="threshold:Q")
    )
    reference = (
        alt.Chart(data).mark_line(strokeDash=[4, 4], color="#2563eb").encode(x=x, y="reference_error:Q")
    )
    line = (
        alt.Chart(data)
        .mark_line(color="#334155")
        .encode(x=x, y=alt.Y("statistic:Q", scale=alt.Scale(zero=False)))
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=60)
        .encode(
            x=x,
            y="statistic:Q",
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(domain=["drifted", "within the band"], range=[MOVED, "#334155"]),
            ),
            tooltip=[
                "label:N",
                alt.Tooltip("statistic:Q", title="mean error", format=".4f"),
                alt.Tooltip("lower_threshold:Q", title="lower line", format=".4f"),
                alt.Tooltip("threshold:Q", title="upper line", format=".4f"),
                "rows:Q",
                "drifted:N",
            ],
        )
    )
    return (band + reference + line + points).properties(height=240)
