"""The executive summary: one status per area with a sentence in plain words, from a Report."""

from dataclasses import dataclass

import pandas as pd

HEALTHY, WARNING, CRITICAL, UNKNOWN = "healthy", "warning", "critical", "unknown"
AREAS = ("performance", "drift", "data quality", "fairness", "operations")
NAMES = {
    "accuracy_score": "Accuracy",
    "mean_absolute_error": "Mean absolute error",
    "root_mean_squared_error": "RMSE",
    "r2_score": "R²",
}


@dataclass(frozen=True)
class Status:
    area: str
    status: str  # healthy, warning, critical or unknown
    sentence: str


def _latest(report) -> tuple[int | None, str]:
    index = report.latest_window
    if index is None:
        return None, ""
    start = (report.window(index).get("start") or "")[:10]
    return index, f"the latest {report.unit or 'window'} ({start})" if start else "the latest window"


def headline(report) -> dict | None:
    """The primary metric's latest value (realized if it exists, else estimated) and its baseline."""
    metric = report.primary_metric
    if metric is None:
        return None
    perf = pd.DataFrame(report.records("performance"))
    rows = perf[(perf["metric"] == metric) & perf["value"].notna()].sort_values("window")
    if rows.empty:
        return None
    realized = rows[rows["kind"] == "realized"]
    row = (realized if not realized.empty else rows).iloc[-1]
    return {
        "metric": metric,
        "name": NAMES.get(metric, metric),
        "value": row["value"],
        "baseline": row["baseline"],
        "kind": row["kind"],
        "window": int(row["window"]),
    }


def value_headline(report) -> dict | None:
    """The business value of the latest window that has one (realized if its labels are in, else
    estimated), its baseline and a sentence: 'In the week of 29 Apr the model earned 41,300 against
    52,000 expected.' None without a value matrix."""
    found = [r for r in report.records("business_value") if r.get("value") is not None]
    if not found:
        return None
    window = max(r["window"] for r in found)
    mine = [r for r in found if r["window"] == window]
    row = next((r for r in mine if r["kind"] == "realized"), mine[0])
    estimated = row["kind"] == "estimated"
    when = ("on " if report.unit == "day" else "in ") + report.window_phrase(window)
    sentence = f"{when} the model {_worth(row['value'], row['baseline'], estimated)}."
    return {**row, "sentence": sentence[0].upper() + sentence[1:]}


def _worth(value: float, baseline: float | None, estimated: bool) -> str:
    """'earned 41,300 against 52,000 expected', 'cost 3,100 against 2,800 expected', ..."""
    about = "an estimated " if estimated else ""
    done = f"earned {about}{value:,.0f}" if value >= 0 else f"cost {about}{-value:,.0f}"
    if baseline is None:
        return done
    if (value >= 0) == (baseline >= 0):
        return f"{done} against {abs(baseline):,.0f} expected"
    return f"{done} where it was expected to {'earn' if baseline >= 0 else 'cost'} {abs(baseline):,.0f}"


def compact(change: float) -> str:
    """A signed amount short enough for a metric card: +3,842, -622k, +1.2M."""
    if abs(change) >= 1e6:
        return f"{change / 1e6:+.1f}M"
    return f"{change / 1e3:+.0f}k" if abs(change) >= 1e4 else f"{change:+,.0f}"


def performance_status(report) -> Status:
    found = headline(report)
    if found is None:
        return Status(
            "performance", UNKNOWN, "No performance figures yet: no labels and no scores to estimate from."
        )
    value, baseline, name = found["value"], found["baseline"], found["name"]
    estimated = " (estimated, labels not in yet)" if found["kind"] == "estimated" else ""
    if baseline is None or pd.isna(baseline):
        return Status(
            "performance", UNKNOWN, f"{name} is {value:.3g}{estimated}; there is no baseline to compare."
        )
    higher_better = found["metric"].endswith("_score")
    drop = (baseline - value) if higher_better else (value - baseline) / abs(baseline or 1)
    level = CRITICAL if drop > 0.05 else WARNING if drop > 0.02 else HEALTHY
    if higher_better:
        direction = "below" if value < baseline else "above"
        text = f"{name} is {value:.3f}{estimated}, {abs(value - baseline) * 100:.1f} points {direction} its baseline of {baseline:.3f}."
    else:
        text = f"{name} is {value:.4g}{estimated} against {baseline:.4g} on the reference" + (
            f" ({value / baseline:.1f}× as large)." if baseline else "."
        )
    return Status("performance", level, text)


def drift_status(report) -> Status:
    drift = pd.DataFrame(report.records("drift"))
    index, when = _latest(report)
    if drift.empty or index is None:
        return Status("drift", UNKNOWN, "No drift figures yet: a reference and production data are needed.")
    last = drift[drift["window"] == index]
    features = last[(last["role"] == "feature") & last["drifted"].fillna(False).astype(bool)][
        "column"
    ].tolist()
    output = last[(last["role"] == "prediction") & last["drifted"].fillna(False).astype(bool)]
    share = len(features) / max(1, int((last["role"] == "feature").sum()))
    if not features and output.empty:
        return Status("drift", HEALTHY, f"Inputs and predictions look like the reference in {when}.")
    level = CRITICAL if share >= 0.5 or len(features) >= 3 else WARNING
    parts = [f"{len(features)} input(s) changed ({', '.join(features[:3])})"] if features else []
    if not output.empty:
        parts.append("the model's predictions shifted")
    causes = drift_causes(report, index, limit=1)
    cause = f" {causes[0]['sentence']}" if causes else ""
    return Status("drift", level, f"In {when}, " + " and ".join(parts) + "." + cause)


FAR = 10.0  # drift at its cap (monitoring/drift/impact.py's P_CAP): far past its line


def _share(value: float) -> str:
    return f"{value:.0%}" if value >= 0.01 else "under 1%"


def _cause_sentence(record: dict, moved_most: bool, matters_most: bool) -> str:
    """'loan_length moved most and matters most: 38% of the model's attention.'"""
    column, drift, share = record["column"], record["drift"], _share(record["importance"])
    if moved_most and matters_most:
        return f"{column} moved most and matters most: {share} of the model's attention."
    if moved_most:
        moved = "moved most"
    elif drift >= FAR:
        moved = "moved far past its drift threshold"
    else:
        moved = f"moved {drift:.1f}× its drift threshold"
    if matters_most:
        return f"{column} {moved} and matters most: {share} of the model's attention."
    return f"{column} {moved} and carries {share} of the model's attention."


def drift_causes(report, window: int | None = None, limit: int = 3) -> list[dict]:
    """The drifted inputs that weigh most on the model in `window` (default: the latest), largest
    impact first: their drift_impact records, each with a one-sentence `sentence`."""
    window = report.latest_window if window is None else window
    mine = [
        r
        for r in report.records("drift_impact")
        if r["window"] == window and r["column"] is not None and r.get("segment") is None
    ]
    valued = [r for r in mine if r["drift"] is not None]
    if not valued:
        return []
    causes = sorted((r for r in valued if r["drift"] >= 1), key=lambda r: r["rank"])[:limit]
    return [
        {
            **r,
            "sentence": _cause_sentence(r, _alone_top(valued, r, "drift"), _alone_top(mine, r, "importance")),
        }
        for r in causes
    ]


def _alone_top(records: list[dict], record: dict, field: str) -> bool:
    """Whether `record` alone holds the largest `field` (a tie names no one 'most')."""
    top = max(r[field] for r in records)
    return record[field] == top and sum(r[field] == top for r in records) == 1


def ignored_drift(report, window: int | None = None, below: float = 0.05) -> list[str]:
    """Inputs that drifted in `window` (default: the latest) but carry less than `below` of the
    model's attention: changes that matter little to the model."""
    window = report.latest_window if window is None else window
    return [
        r["column"]
        for r in report.records("drift_impact")
        if r["window"] == window
        and r["column"] is not None
        and r.get("segment") is None
        and (r["drift"] or 0) >= 1
        and r["importance"] < below
    ]


def quality_status(report) -> Status:
    quality = pd.DataFrame(report.records("data_quality"))
    index, when = _latest(report)
    if quality.empty or index is None:
        return Status("data quality", UNKNOWN, "No data quality figures yet.")
    last = quality[(quality["window"] == index) & quality["value"].notna()]
    missing = last[last["metric"] == "missing_share"].sort_values("value", ascending=False)
    unseen = last[(last["metric"] == "unseen_category_share") & (last["value"] > 0)]
    worst = missing.iloc[0] if not missing.empty else None
    if worst is not None and worst["value"] > 0.05:
        level = CRITICAL if worst["value"] > 0.2 else WARNING
        return Status(
            "data quality", level, f"{worst['value']:.0%} of '{worst['column']}' is missing in {when}."
        )
    if not unseen.empty:
        return Status(
            "data quality",
            WARNING,
            f"New categories appeared in {', '.join(unseen['column'][:3])} in {when}.",
        )
    return Status("data quality", HEALTHY, f"No missing-value spikes or unseen categories in {when}.")


def fairness_status(report) -> Status:
    disparities = pd.DataFrame(report.records("fairness_disparities"))
    if disparities.empty:
        return Status(
            "fairness", UNKNOWN, "No sensitive attribute is configured, so fairness is not measured."
        )
    overall = disparities[disparities["window"].isna()] if "window" in disparities else disparities
    rule = overall[overall["metric"] == "four_fifths_rule"]
    failing = rule[rule["passes"] == False]  # noqa: E712 (pandas element-wise)
    if failing.empty:
        return Status("fairness", HEALTHY, "Groups receive positive outcomes at similar rates.")
    worst = failing.sort_values("ratio").iloc[0]
    level = CRITICAL if worst["ratio"] < 0.6 else WARNING
    return Status(
        "fairness",
        level,
        f"By {worst['attribute']}, the least favoured group is selected at "
        f"{worst['ratio']:.0%} of the rate of the most favoured (the four-fifths rule asks for 80%).",
    )


def operations_status(report, slo_ms: float = 500.0) -> Status:
    ops = pd.DataFrame(report.records("operations"))
    index, when = _latest(report)
    if ops.empty or index is None:
        return Status("operations", UNKNOWN, "No latency or status figures yet.")
    last = ops[(ops["window"] == index)].set_index("metric")["value"]
    p95, errors = last.get("latency_p95"), last.get("error_rate")
    problems, level = [], HEALTHY
    if p95 is not None and pd.notna(p95) and p95 > slo_ms:
        problems.append(f"p95 latency is {p95:.0f} ms, above the {slo_ms:.0f} ms objective")
        level = CRITICAL
    if errors is not None and pd.notna(errors) and errors > 0.01:
        problems.append(f"{errors:.1%} of requests failed")
        level = CRITICAL if errors > 0.05 else max(level, WARNING, key=ORDER.index)
    if not problems:
        return Status("operations", HEALTHY, f"Fast and reliable in {when}.")
    return Status("operations", level, f"In {when}, " + " and ".join(problems) + ".")


ORDER = [UNKNOWN, HEALTHY, WARNING, CRITICAL]


def statuses(report, slo_ms: float = 500.0) -> list[Status]:
    """One status per area, in the order of AREAS."""
    return [
        performance_status(report),
        drift_status(report),
        quality_status(report),
        fairness_status(report),
        operations_status(report, slo_ms),
    ]


def top_drifted(report, limit: int = 5) -> pd.DataFrame:
    """Features ranked by the share of windows in which they drifted, then by their largest statistic."""
    drift = pd.DataFrame(report.records("drift"))
    if drift.empty:
        return pd.DataFrame(columns=["column", "drifted_windows", "share"])
    features = drift[drift["role"] == "feature"].assign(
        drifted=lambda f: f["drifted"].fillna(False).astype(bool)
    )
    ranked = features.groupby("column").agg(drifted_windows=("drifted", "sum"), share=("drifted", "mean"))
    ranked = ranked[ranked["drifted_windows"] > 0].sort_values("share", ascending=False)
    return ranked.head(limit).reset_index()


def served(report) -> tuple[int, float | None]:
    """Predictions in the period and the share of them with a label."""
    rows = sum(w.get("rows") or 0 for w in report.windows)
    metric = report.primary_metric
    perf = pd.DataFrame(report.records("performance"))
    if metric is None or not rows:
        return rows, None
    realized = perf[(perf["metric"] == metric) & (perf["kind"] == "realized")]
    labelled = realized.groupby("window")["labelled_rows"].max().sum() if not realized.empty else 0
    if realized.empty:
        estimated = perf[perf["metric"] == metric].groupby("window")["labelled_rows"].max().sum()
        labelled = estimated
    return rows, float(labelled) / rows
