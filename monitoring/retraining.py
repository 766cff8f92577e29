"""Whether to retrain now: the headline metric below its critical line for some windows in a row,
and enough labelled rows to retrain on, in one sentence with its reasons."""

from dataclasses import dataclass

from monitoring.summary import NAMES

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
