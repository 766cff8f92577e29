"""Altair chart builders: pure functions from report records (DataFrames) to charts. No Streamlit."""

import altair as alt
import pandas as pd

STATUS_COLORS = {"healthy": "#16a34a", "warning": "#d97706", "critical": "#dc2626", "unknown": "#9ca3af"}
SEVERITY_COLORS = {"critical": "#b91c1c", "high": "#ea580c", "medium": "#d97706", "low": "#2563eb"}
SERIES_COLORS = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444"]
DRIFT_SCALE = alt.Scale(domain=[0, 1, 2], range=["#eef2ff", "#fde68a", "#b91c1c"], clamp=True)
_WORDS = "replace(datum.label, /_/g, ' ')"  # a legend label expression: demographic_parity -> words


def _bar_x(title: str = "Window") -> alt.X:
    return alt.X("label:O", title=title, sort=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))


def _x(windows_frame: pd.DataFrame, title: str = "Window") -> alt.X:
    """Time on x, one tick per window start labelled as the window (in UTC, as stored)."""
    if "start" in windows_frame and windows_frame["start"].notna().all() and len(windows_frame):
        starts = pd.to_datetime(windows_frame["start"].drop_duplicates().sort_values())
        hourly = bool((starts.dt.hour != 0).any())
        axis = alt.Axis(
            values=[_utc(t) for t in starts],
            format="%Y-%m-%d %H:%M" if hourly else "%Y-%m-%d",
            labelAngle=-45,
            labelOverlap=True,
        )
        return alt.X("start:T", title=title, scale=alt.Scale(type="utc"), axis=axis)
    return alt.X("label:N", title=title, sort=None)


def _utc(t: pd.Timestamp) -> alt.DateTime:
    return alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute, utc=True)


def _lines(title: str) -> list[str]:
    """An axis title on two lines, the part in brackets (the unit) below, so it fits short charts."""
    return title.replace(" (", "\n(").split("\n")


def sparkline(frame: pd.DataFrame, y: str, color: str = "#2563eb", height: int = 60) -> alt.Chart:
    """A small trend line without axes, for the executive summary."""
    return (
        alt.Chart(frame)
        .mark_area(
            line={"color": color},
            color=alt.Gradient(
                gradient="linear",
                x1=1,
                x2=1,
                y1=1,
                y2=0,
                stops=[alt.GradientStop(color="white", offset=0), alt.GradientStop(color=color, offset=1)],
            ),
            opacity=0.35,
        )
        .encode(
            x=alt.X("start:T", axis=None),
            y=alt.Y(f"{y}:Q", axis=None, scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("label:N", title="Window"), alt.Tooltip(f"{y}:Q", format=".3f")],
        )
        .properties(height=height)
    )


def metric_over_time(frame: pd.DataFrame, title: str) -> alt.Chart:
    """One metric per window: realized and estimated lines, the estimate's band, the baseline."""
    base = alt.Chart(frame).encode(x=_x(frame))
    band = (
        base.transform_filter("datum.lower != null")
        .mark_area(opacity=0.15, color="#f97316")
        .encode(y=alt.Y("lower:Q", title=title, scale=alt.Scale(zero=False)), y2="upper:Q")
    )
    lines = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False)),
        color=alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=["realized", "estimated"], range=["#2563eb", "#f97316"]),
        ),
        strokeDash=alt.StrokeDash(
            "kind:N", title=None, scale=alt.Scale(domain=["realized", "estimated"], range=[[1, 0], [5, 3]])
        ),
        tooltip=[
            "label:N",
            "kind:N",
            alt.Tooltip("value:Q", format=".3f"),
            alt.Tooltip("baseline:Q", format=".3f"),
            "labelled_rows:Q",
        ],
    )
    # no x: one horizontal line (named at its left end), not a rule per window
    level = alt.Chart(frame).encode(y="mean(baseline):Q")
    baseline = level.mark_rule(color="#6b7280", strokeDash=[4, 4]) + level.mark_text(
        text="baseline", align="left", dx=4, dy=-7, color="#6b7280"
    )
    return (band + lines + baseline).properties(height=260)


def value_over_time(frame: pd.DataFrame, title: str = "Business value") -> alt.Chart:
    """Business value per window: realized and estimated lines, the estimate's band, and the
    baseline per window (the reference's value per row times the window's rows, so it moves)."""
    kinds = alt.Scale(domain=["realized", "estimated", "baseline"], range=["#2563eb", "#f97316", "#6b7280"])
    dashes = alt.Scale(domain=["realized", "estimated", "baseline"], range=[[1, 0], [5, 3], [2, 2]])
    columns = ["window", "label", "start", "kind", "value", "lower", "upper"]
    values = frame[frame["value"].notna()][columns]
    # one baseline per window: the estimate's (all rows) where there is one, else the realized one's
    expected = frame[frame["baseline"].notna()].sort_values("kind").drop_duplicates("window")
    expected = expected.assign(
        kind="baseline", value=expected["baseline"], lower=float("nan"), upper=float("nan")
    )
    data = pd.concat([values, expected[columns]], ignore_index=True).astype({"lower": float, "upper": float})
    base = alt.Chart(data).encode(x=_x(data))
    band = (
        base.transform_filter("datum.lower != null")
        .mark_area(opacity=0.15, color="#f97316")
        .encode(y=alt.Y("lower:Q", title=title), y2="upper:Q")
    )
    lines = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title=title),
        color=alt.Color("kind:N", title=None, scale=kinds),
        strokeDash=alt.StrokeDash("kind:N", title=None, scale=dashes),
        tooltip=["label:N", "kind:N", alt.Tooltip("value:Q", format=",.0f")],
    )
    return (band + lines).properties(height=260)


def drift_heatmap(frame: pd.DataFrame, select: bool = True) -> alt.Chart:
    """Columns x windows, coloured by statistic / threshold (1 is the line); click selects a cell."""
    data = frame.assign(
        score=frame["statistic"] / frame["threshold"].where(frame["threshold"] > 0),
    )
    data.loc[data["method"].isin(["ks", "chisquare", "ztest"]) & data["p_value"].notna(), "score"] = (
        data["threshold"] / data["p_value"].clip(lower=1e-12)
    ).clip(upper=2)
    cell = alt.selection_point(name="cell", fields=["column", "window"], on="click")
    chart = (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("label:O", title="Window", sort=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
            y=alt.Y("column:N", title=None, sort=None, axis=alt.Axis(labelOverlap=False, labelLimit=200)),
            color=alt.Color("score:Q", title="Statistic / threshold", scale=DRIFT_SCALE),
            opacity=alt.condition(cell, alt.value(1), alt.value(0.45)) if select else alt.value(1),
            tooltip=[
                "column:N",
                "label:N",
                "method:N",
                alt.Tooltip("statistic:Q", format=".4f"),
                alt.Tooltip("p_value:Q", format=".3g"),
                alt.Tooltip("threshold:Q", format=".3g"),
                "drifted:N",
            ],
        )
        .properties(height=alt.Step(22))
    )
    return chart.add_params(cell) if select else chart


def share_over_time(frame: pd.DataFrame, y: str, title: str, line: float | None = None) -> alt.Chart:
    """A share (0..1) per window as bars, with an optional threshold line."""
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#6366f1")
        .encode(
            x=_bar_x(),
            y=alt.Y(f"{y}:Q", title=title, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=["label:N", alt.Tooltip(f"{y}:Q", format=".1%")],
        )
    )
    if line is None:
        return bars.properties(height=200)
    rule = (
        alt.Chart(pd.DataFrame({"y": [line]})).mark_rule(color="#dc2626", strokeDash=[4, 4]).encode(y="y:Q")
    )
    return (bars + rule).properties(height=200)


def statistic_lines(frame: pd.DataFrame, title: str = "Drift statistic") -> alt.Chart:
    """Drift statistic per window for a few columns (prediction or target), with their thresholds."""
    base = alt.Chart(frame).encode(x=_x(frame), color=alt.Color("column:N", title=None))
    lines = base.mark_line(point=True).encode(
        y=alt.Y("statistic:Q", title=title),
        tooltip=["column:N", "label:N", "method:N", alt.Tooltip("statistic:Q", format=".4f"), "drifted:N"],
    )
    rules = (  # no x: one horizontal threshold line per column
        alt.Chart(frame).mark_rule(strokeDash=[4, 4]).encode(y="mean(threshold):Q", color="column:N")
    )
    return (lines + rules).properties(height=280)


def distribution_overlay(frame: pd.DataFrame, kind: str) -> alt.Chart:
    """Two distributions overlaid: histogram bars (numeric) or side-by-side bars (categorical)."""
    color = alt.Color("series:N", title=None, scale=alt.Scale(range=SERIES_COLORS), sort=None)
    tooltip = ["series:N", "bin:N", alt.Tooltip("share:Q", format=".1%"), "count:Q"]
    if kind == "numeric":
        return (
            alt.Chart(frame)
            .mark_bar(opacity=0.5, binSpacing=0)
            .encode(
                x=alt.X("start:Q", title="Value", bin="binned"),
                x2="end:Q",
                y=alt.Y("share:Q", title="Share of rows", axis=alt.Axis(format="%"), stack=None),
                color=color,
                tooltip=tooltip,
            )
            .properties(height=300)
        )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("bin:N", title=None, sort="-y"),
            xOffset=alt.XOffset("series:N", sort=None),
            y=alt.Y("share:Q", title="Share of rows", axis=alt.Axis(format="%")),
            color=color,
            tooltip=tooltip,
        )
        .properties(height=300)
    )


def confusion_matrix(frame: pd.DataFrame) -> alt.Chart:
    """Counts per (true, predicted) class with the numbers written in the cells."""
    base = alt.Chart(frame).encode(x=alt.X("predicted:N", title="Predicted"), y=alt.Y("true:N", title="True"))
    cells = base.mark_rect().encode(color=alt.Color("count:Q", scale=alt.Scale(scheme="blues"), legend=None))
    text = base.mark_text(fontSize=16).encode(
        text="count:Q", color=alt.condition("datum.count > 0", alt.value("#111827"), alt.value("#111827"))
    )
    return (cells + text).properties(height=220, width=260)


def group_bars(frame: pd.DataFrame, metric: str, four_fifths: bool) -> alt.Chart:
    """A fairness metric per group; for selection rate, the four-fifths line (0.8 x the highest)."""
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=metric.replace("_", " "), axis=alt.Axis(format="%")),
            y=alt.Y("group:N", title=None, sort="-x"),
            color=alt.condition("datum.flag != null", alt.value("#9ca3af"), alt.value("#2563eb")),
            tooltip=["group:N", alt.Tooltip("value:Q", format=".3f"), "count:Q", "flag:N"],
        )
    )
    height = 70 + 36 * len(frame)  # the axis and its title take about 70px of the chart's height
    if not four_fifths or frame.empty:
        return bars.properties(height=height)
    line = pd.DataFrame({"x": [0.8 * frame["value"].max()], "text": ["four-fifths line"]})
    rule = alt.Chart(line).mark_rule(color="#dc2626", strokeDash=[4, 4]).encode(x="x:Q")
    return (bars + rule).properties(height=height)


def disparity_over_time(frame: pd.DataFrame, line: float | None = 0.8) -> alt.Chart:
    """Disparity ratios per window, one line per metric, with the four-fifths line."""
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=_x(frame),
            y=alt.Y(
                "ratio:Q", title=_lines("Ratio (lowest / highest group)"), scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color("metric:N", title=None, legend=alt.Legend(labelExpr=_WORDS)),
            tooltip=["label:N", "metric:N", alt.Tooltip("ratio:Q", format=".3f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"y": [line]})).mark_rule(color="#dc2626", strokeDash=[4, 4]).encode(y="y:Q")
    )
    return (lines + rule).properties(height=280)


def share_heatmap(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Columns x windows coloured by a share (missing values, out of range)."""
    return (
        alt.Chart(frame)
        .mark_rect(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("label:O", title="Window", sort=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
            y=alt.Y("column:N", title=None),
            color=alt.Color(
                "value:Q",
                title=title,
                scale=alt.Scale(range=["#f8fafc", "#fb923c", "#b91c1c"], interpolate="rgb", domainMin=0),
                legend=alt.Legend(format="%"),
            ),
            tooltip=["column:N", "label:N", alt.Tooltip("value:Q", title=title, format=".2%"), "count:Q"],
        )
        .properties(height=alt.Step(22))
    )


def latency_chart(frame: pd.DataFrame, slo_ms: float | None) -> alt.Chart:
    """Latency p50/p95/p99 per window, with the SLO line."""
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=_x(frame),
            y=alt.Y("value:Q", title="Latency (ms)"),
            color=alt.Color(
                "metric:N",
                title=None,
                sort=["latency_p50", "latency_p95", "latency_p99"],
                legend=alt.Legend(labelExpr="replace(datum.label, 'latency_', '')"),
            ),
            tooltip=["label:N", "metric:N", alt.Tooltip("value:Q", format=".1f")],
        )
    )
    if slo_ms is None:
        return lines.properties(height=260)
    rule = (
        alt.Chart(pd.DataFrame({"y": [slo_ms]})).mark_rule(color="#dc2626", strokeDash=[4, 4]).encode(y="y:Q")
    )
    return (lines + rule).properties(height=260)


def bars_over_time(
    frame: pd.DataFrame, title: str, percent: bool = False, color: str = "#6366f1"
) -> alt.Chart:
    """One value per window as bars."""
    axis = alt.Axis(format="%") if percent else alt.Axis()
    return (
        alt.Chart(frame)
        .mark_bar(color=color)
        .encode(
            x=_bar_x(),
            y=alt.Y("value:Q", title=_lines(title), axis=axis),
            tooltip=["label:N", alt.Tooltip("value:Q", format=".2%" if percent else ",.2f")],
        )
        .properties(height=260)  # the rotated window labels take about 80px of it
    )


def alert_timeline(frame: pd.DataFrame) -> alt.Chart:
    """Each alert at the window it is about (else when first seen), one row per rule, by severity."""
    at = "window_start" if "window_start" in frame and frame["window_start"].notna().all() else "first_seen"
    frame = frame.assign(**{at: pd.to_datetime(frame[at])})
    shown = ["rule", "severity", "status", "message", "window_label", "first_seen"]
    return (
        alt.Chart(frame)
        .mark_point(filled=True, size=160, opacity=0.9)
        .encode(
            x=alt.X(
                f"{at}:T",
                title="Window" if at == "window_start" else "First seen",
                scale=alt.Scale(type="utc", padding=20),
                axis=alt.Axis(format="%Y-%m-%d", labelAngle=-45, labelOverlap=True),
            ),
            y=alt.Y("rule:N", title=None),
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=list(SEVERITY_COLORS), range=list(SEVERITY_COLORS.values())),
            ),
            tooltip=[c for c in shown if c in frame],
        )
        .properties(height=60 + 30 * frame["rule"].nunique())
    )
