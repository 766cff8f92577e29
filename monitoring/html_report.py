"""A self-contained HTML report: summary in plain words, key charts, open alerts; works offline.

All charts share ONE inlined Vega bundle (vl-convert); no CDN, no web fonts. Every string that
can come from a user (model, column, category and alert text) goes through html.escape, and the
chart specs are embedded as JSON with `<` escaped so no markup can break out of the script tag.
"""

import html
import json
from datetime import datetime
from functools import lru_cache

import altair as alt
import pandas as pd

from monitoring import charts, retraining, segment_summary, summary
from monitoring.alerts.history import list_alerts
from monitoring.distributions import column_distribution
from monitoring.report import build_report

_SNIPPET = """
for (const node of document.querySelectorAll("script.vl-spec")) {
  const spec = JSON.parse(node.textContent);
  vegaEmbed("#" + node.dataset.target, spec, {actions: false, renderer: "svg"})
    .catch((error) => { document.getElementById(node.dataset.target).textContent = String(error); });
}
"""
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1000px;
color:#111827;padding:0 1rem}h1{margin-bottom:.2rem}.meta{color:#6b7280;font-size:.9rem}
.status{display:flex;gap:.6rem;align-items:baseline;margin:.3rem 0}.pill{border-radius:1rem;padding:.1rem .6rem;
color:#fff;font-size:.8rem;text-transform:uppercase}table{border-collapse:collapse;font-size:.9rem}
td,th{border-bottom:1px solid #e5e7eb;padding:.3rem .6rem;text-align:left}.chart{margin:.5rem 0 1.5rem}
"""


@lru_cache(maxsize=1)
def _bundle() -> str:
    import vl_convert  # deferred: a large native module, loaded only when a report is built

    return vl_convert.javascript_bundle(_SNIPPET)


def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


def _spec_json(chart: alt.TopLevelMixin) -> str:
    text = json.dumps(chart.to_dict())
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def report_charts(report, latency_slo_ms: float | None = None) -> list[tuple[str, alt.TopLevelMixin]]:
    """The key charts of a report, as (title, chart) pairs; charts whose data is missing are left out."""
    found = []
    metric = report.primary_metric
    perf = report.frame("performance")
    if metric and not perf.empty:
        rows = perf[(perf["metric"] == metric) & perf["value"].notna()]
        if not rows.empty:
            name = summary.NAMES.get(metric, metric)
            found.append((f"Performance over time: {name}", charts.metric_over_time(rows, name)))
    worth = report.frame("business_value")
    if not worth.empty and worth["value"].notna().any():
        found.append(("Business value per window", charts.value_over_time(worth)))
    drift = report.frame("drift")
    if not drift.empty:
        features = drift[drift["role"] == "feature"]
        if not features.empty:
            found.append(("Drift per input and window", charts.drift_heatmap(features, select=False)))
    found.extend(_fairness_chart(report))
    found.extend(_latency_chart(report, latency_slo_ms))
    return [(title, chart.properties(width=860)) for title, chart in found]


def _fairness_chart(report) -> list:
    groups = report.frame("fairness")
    if groups.empty or "window" not in groups:
        return []
    overall = groups[groups["window"].isna() & (groups["metric"] == "selection_rate")]
    if overall.empty:
        return []
    attribute = overall["attribute"].iloc[0]
    rows = overall[overall["attribute"] == attribute]
    return [(f"Fairness: selection rate by {attribute}", charts.group_bars(rows, "selection_rate", True))]


def _latency_chart(report, slo_ms: float | None) -> list:
    ops = report.frame("operations")
    if ops.empty:
        return []
    names = ["latency_p50", "latency_p95", "latency_p99"]
    latency = ops[ops["metric"].isin(names) & ops["value"].notna()]
    if latency.empty:
        return []
    title = "Latency p50, p95 and p99 (ms)"
    if slo_ms is not None:
        title += f": objective {slo_ms:,.0f} ms (red dashed line)"
    return [(title, charts.latency_chart(latency, slo_ms))]


def _summary_html(report, slo_ms: float | None) -> str:
    items = []
    for status in summary.statuses(report, *([] if slo_ms is None else [slo_ms])):
        color = charts.STATUS_COLORS.get(status.status, "#9ca3af")
        items.append(
            f'<div class="status"><span class="pill" style="background:{color}">{_esc(status.status)}</span>'
            f"<b>{_esc(status.area.capitalize())}</b> {_esc(status.sentence)}</div>"
        )
    retrain = retraining.retraining(report)
    items.append(f"<p><b>Retraining:</b> {_esc(retrain.sentence)}</p>")
    worth = summary.value_headline(report)
    if worth:
        items.append(f"<p>{_esc(worth['sentence'])}</p>")
    rows, labelled = summary.served(report)
    share = "" if labelled is None else f", {labelled:.0%} of them with a label so far"
    items.append(f"<p>{rows:,} predictions served in the period{_esc(share)}.</p>")
    top = summary.top_drifted(report)
    if not top.empty:
        names = ", ".join(_esc(c) for c in top["column"])
        items.append(f"<p>Inputs that changed most: {names}.</p>")
    for sentence in (segment_summary.segment_sentence(report), segment_summary.challenger_sentence(report)):
        if sentence:
            items.append(f"<p>{_esc(sentence)}</p>")
    return "\n".join(items)


def _alerts_html(alerts: list[dict]) -> str:
    if not alerts:
        return "<p>No open alerts.</p>"
    head = "<tr><th>Severity</th><th>First seen</th><th>Alert</th><th>Recommended action</th></tr>"
    body = "".join(
        f"<tr><td>{_esc(a.get('severity'))}</td><td>{_esc(a.get('first_seen'))}</td>"
        f"<td>{_esc(a.get('message'))}</td><td>{_esc(a.get('action'))}</td></tr>"
        for a in alerts
    )
    return f"<table>{head}{body}</table>"


def _when(value) -> str:
    """An ISO time as a plain date (or date and minute)."""
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d %H:%M" if (stamp.hour or stamp.minute) else "%Y-%m-%d")


def reference_text(reference: dict | None) -> str:
    """The reference in words, e.g. 'batch 3, 10,000 rows, no timestamps'."""
    if not reference or not reference.get("rows"):
        return "none stored"
    batches = [str(b) for b in reference.get("batches") or []]
    parts = [f"batch{'es' if len(batches) > 1 else ''} {', '.join(batches)}"] if batches else []
    parts.append(f"{reference['rows']:,} rows")
    if reference.get("start") and reference.get("end"):
        parts.append(f"{_when(reference['start'])} to {_when(reference['end'])}")
    else:
        parts.append("no timestamps")
    return ", ".join(parts)


def _period_html(report) -> str:
    windows = report.windows
    starts = [w.get("start") for w in windows if w.get("start")]
    ends = [w.get("end") for w in windows if w.get("end")]
    span = f"{_when(starts[0])} to {_when(ends[-1])}" if starts and ends else "all production rows"
    made = report.get("generated_at") or datetime.now().isoformat(timespec="seconds")
    segment = f"<br>Segment: {_esc(report.get('segment'))} only" if report.get("segment") else ""
    baseline = report.get("baseline") or "reference"
    return (
        f"<p class='meta'>Period: {_esc(span)} · {len(windows)} windows of {_esc(report.unit)}{segment}"
        f"<br>Baseline: {_esc(baseline)} · Reference: {_esc(reference_text(report.get('reference')))}"
        f"<br>Generated: {_esc(made.replace('T', ' '))}</p>"
    )


def render_html(
    report: dict,
    alerts: list[dict] | None = None,
    extra_charts: list | None = None,
    *,
    latency_slo_ms: float | None = None,
) -> str:
    """The report as one self-contained HTML page (a string); the SLO is the model's latency objective."""
    chart_list = report_charts(report, latency_slo_ms) + list(extra_charts or [])
    blocks = []
    for number, (title, chart) in enumerate(chart_list):
        blocks.append(
            f"<h3>{_esc(title)}</h3><div class='chart' id='chart{number}'></div>"
            f'<script type="application/json" class="vl-spec" data-target="chart{number}">'
            f"{_spec_json(chart)}</script>"
        )
    title = f"Model monitoring report: {report.get('model')}" + (
        f" ({report['segment']})" if report.get("segment") else ""
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_esc(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{_esc(title)}</h1>{_period_html(report)}"
        f"<h2>Summary</h2>{_summary_html(report, latency_slo_ms)}<h2>Open alerts</h2>{_alerts_html(alerts or [])}"
        f"<h2>Charts</h2>{''.join(blocks)}"
        f'<script type="module">{_bundle()}</script></body></html>'
    )


def distribution_charts(store, request, report, limit: int = 2) -> list:
    """Overlays of the most drifted inputs, reference against the last window."""
    top = summary.top_drifted(report, limit)
    last = report.latest_window
    if top.empty or last is None:
        return []
    found = []
    for column in top["column"]:
        dist = column_distribution(store, request, column, last)
        found.append(
            (
                f"Distribution of {column}: reference vs last window",
                charts.distribution_overlay(dist.shares, dist.kind).properties(width=600),
            )
        )
    return found


def build_html_report(store, request) -> str:
    """Compute the report for `request` and render it as a self-contained HTML page."""
    report = build_report(store, request)
    alerts = list_alerts(store, request.model, ("open",))
    slo = report.settings.latency_slo_ms
    return render_html(report, alerts, distribution_charts(store, request, report), latency_slo_ms=slo)
