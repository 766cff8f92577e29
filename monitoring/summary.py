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
    return Status("drift", level, f"In {when}, " + " and ".join(parts) + ".")


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


def weakest_segment(report) -> dict | None:
    """The weak segment of the whole period that is most clearly worse than the rest: ranked
    first among those not flagged small whose 95% interval excludes no difference."""
    for record in report.records("weak_segments"):
        if record.get("window") is not None or record.get("flag") or record.get("difference") is None:
            continue
        lower_better = record["metric"].endswith("_error")
        worse = record["lower"] > 0 if lower_better else record["upper"] < 0
        if worse:
            return record
    return None


def segment_sentence(report) -> str | None:
    """'Weakest segment: region=islands, accuracy 0.45 against 0.73 in the rest ...' (or None)."""
    found = weakest_segment(report)
    if found is None:
        return None
    name = NAMES.get(found["metric"], found["metric"]).lower()
    if found["metric"].endswith("_score"):
        gap = f"{abs(found['difference']) * 100:.1f} points lower"
        span = f"{abs(found['upper']) * 100:.1f} to {abs(found['lower']) * 100:.1f}"
    else:
        gap = f"{found['difference']:.3g} higher"
        span = f"{found['lower']:.3g} to {found['upper']:.3g}"
    drift = found.get("drift_share")
    inputs = "" if drift is None else f"; {drift:.0%} of its inputs drifted"
    return (
        f"Weakest segment: {found['segment']}, {name} {found['value']:.3f} against {found['rest_value']:.3f} "
        f"in the rest ({gap}, 95% interval {span}) over {found['rows']:,} predictions{inputs}."
    )


def challenger(report) -> dict | None:
    """The version comparison to show: the paired one over the most requests over the whole
    period, else the two latest versions unpaired."""
    found = [
        r
        for r in report.records("versions")
        if r.get("window") is None and r.get("metric") != "agreement" and r.get("difference") is not None
    ]
    paired = [r for r in found if r.get("paired")]
    if paired:
        return max(paired, key=lambda r: r["rows"])
    primary = [r for r in found if r["metric"] in ("accuracy_score", "mean_absolute_error")]
    return primary[-1] if primary else None


def challenger_sentence(report) -> str | None:
    """'Challenger 2.0.0-rc on shadow traffic ...: accuracy +1.4 points over 1.5.0 (McNemar p < 0.001)'."""
    found = challenger(report)
    if found is None:
        return None
    name = NAMES.get(found["metric"], found["metric"]).lower()
    a, b = found["version_a"], found["version_b"]
    p = found["p_value"]
    shown = "p < 0.001" if p is not None and p < 0.001 else f"p = {p:.3f}" if p is not None else "no test"
    test = (
        "McNemar" if found["test"] == "mcnemar_exact" else "paired t-test" if found["paired"] else "unpaired"
    )
    if found["metric"].endswith("_score"):
        change = f"{found['difference'] * 100:+.1f} points"
    else:
        change = f"{found['difference']:+.3g}"
    how = (
        f"on shadow traffic ({found['rows']:,} labelled requests both versions scored)"
        if found["paired"]
        else "on its own traffic"
    )
    agreement = next(
        (
            r["value"]
            for r in report.records("versions")
            if r.get("window") is None
            and r.get("metric") == "agreement"
            and (r["version_a"], r["version_b"]) == (a, b)
        ),
        None,
    )
    agree = "" if agreement is None else f"; they agree on {agreement:.0%} of the requests"
    return (
        f"Version {b} {how}: {name} {found['value_b']:.3f} against {found['value_a']:.3f} for {a}, "
        f"{change} ({test}, {shown}){agree}."
    )


CRITICAL_DROP = 5.0  # points (scores) or percent (errors): the default critical performance rule's line


@dataclass(frozen=True)
class Retraining:
    """Whether to retrain now, in one sentence, with the reasons that led there."""

    verdict: str  # "retrain now", "wait for labels", "watch" or "no need"
    sentence: str
    reasons: tuple[str, ...] = ()

    @property
    def recommended(self) -> bool:
        return self.verdict == "retrain now"


def _drop(metric: str, value: float, baseline: float) -> float:
    """How far below its baseline: percentage points for scores, percent of the baseline for errors."""
    if metric.endswith("_score"):
        return (baseline - value) * 100
    return (value - baseline) / abs(baseline) * 100 if baseline else 0.0


def _per_window(report, metric: str) -> list[tuple[int, float, str]]:
    """(window, drop, kind) per window: the realized figure where labels exist, else the estimate."""
    chosen: dict[int, dict] = {}
    for r in report.records("performance"):
        if r["metric"] != metric or r.get("value") is None or r.get("baseline") is None:
            continue
        if r["window"] not in chosen or r.get("kind") == "realized":
            chosen[r["window"]] = r
    return [
        (w, _drop(metric, r["value"], r["baseline"]), r.get("kind", "realized"))
        for w, r in sorted(chosen.items())
    ]


def _labelled_rows(report, metric: str) -> int:
    """Labelled production rows in the report's windows (what a retraining could learn from)."""
    found: dict[int, int] = {}
    for r in report.records("performance"):
        if r["metric"] == metric and r.get("kind") == "realized":
            found[r["window"]] = max(found.get(r["window"], 0), r.get("labelled_rows") or 0)
    return sum(found.values())


def _span(count: int, unit: str) -> str:
    word = unit if unit in ("hour", "day", "week", "month") else "window"
    return f"{count} {word}{'s' if count != 1 else ''}"


def retraining(report) -> Retraining:
    """Retrain now when the headline metric (realized, or estimated before labels) has been below the
    critical line for `retrain_windows` windows in a row and at least `retrain_min_labels` labelled
    rows exist since the reference to retrain on."""
    metric = report.primary_metric
    settings = report.settings
    if metric is None:
        return Retraining("no need", "No performance figures yet, so no case for retraining.")
    windows = _per_window(report, metric)
    run = []
    for window, drop, kind in reversed(windows):
        if drop <= CRITICAL_DROP:
            break
        run.append((window, drop, kind))
    name = NAMES.get(metric, metric)
    labelled_rows = _labelled_rows(report, metric)
    if not run:
        return Retraining(
            "no need",
            f"No need to retrain: {name.lower()} is within {CRITICAL_DROP:g} points of its baseline.",
        )
    latest = run[0][1]
    scored = metric.endswith("_score")
    named = ("estimated " if run[0][2] == "estimated" else "") + name.lower()  # the latest window's kind
    down = f"{named} {latest:.1f} points down" if scored else f"{named} {latest:.0f}% worse"
    span = _span(len(run), report.unit)
    estimated = any(kind == "estimated" for _, _, kind in run)
    reasons = (
        f"{down} for {span} in a row" + (" (estimated for windows without labels)" if estimated else ""),
        f"{labelled_rows:,} labelled rows since the reference",
    )
    if len(run) < settings.retrain_windows:
        need = _span(settings.retrain_windows, report.unit)
        return Retraining(
            "watch", f"Watch: {down} for {span}; {need} in a row make the case to retrain.", reasons
        )
    if labelled_rows < settings.retrain_min_labels:
        return Retraining(
            "wait for labels",
            f"Retrain when labels arrive: {down} for {span}, but only {labelled_rows:,} labelled rows since "
            f"the reference ({settings.retrain_min_labels:,} needed).",
            reasons,
        )
    return Retraining("retrain now", f"Retrain now: {down} for {span}; {reasons[1]}.", reasons)
