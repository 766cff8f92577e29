"""What alert rules can watch: each metric reads a Report's records into Observations."""

from collections.abc import Callable
from dataclasses import dataclass, field

from monitoring.alerts.messages import score_direction


@dataclass(frozen=True)
class Observation:
    """One value of a watched figure in one window, for one scope."""

    window: int
    scope: str
    value: float | None
    flagged: bool | None = None
    baseline: float | None = None
    kind: str = ""
    detail: str = ""
    current: float | None = None  # performance: the metric when `value` is the drop; drift: the p-value
    lower: float | None = None  # the 95% interval of `value`, where the figure has one
    upper: float | None = None

    @property
    def identity(self) -> str:
        if not self.kind or self.kind == "realized":
            return self.scope
        return f"{self.scope}/{self.kind}" if self.scope else self.kind


@dataclass(frozen=True)
class MetricSpec:
    name: str
    help: str
    scope: str  # model, column, attribute or metric
    verdict: bool  # the section has its own yes/no verdict ("flagged" comparison)
    observe: Callable[..., list[Observation]] = field(repr=False)
    interval: bool = False  # observations carry lower/upper (a rule may require significance)


def _nearest_side(r: dict, direction: int):
    """The value a rule judges: an estimate's band side nearest the good direction, so that an
    alert on an estimate fires only when its whole band is past the line (its value without one)."""
    side = r.get("upper") if direction > 0 else r.get("lower")
    return side if r.get("kind") == "estimated" and side is not None else r.get("value")


def _band(r: dict) -> str:
    """'band 0.78 to 0.82' for an estimate with a band, else ''."""
    if r.get("kind") != "estimated" or r.get("lower") is None or r.get("upper") is None:
        return ""
    return f"band {_figure(r['lower'])} to {_figure(r['upper'])}"


def _figure(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _drop(r: dict, direction: int, relative: bool) -> float | None:
    """How much worse than the baseline: points (scores) or percent of the baseline."""
    return _drop_at(_nearest_side(r, direction), r.get("baseline"), direction, relative)


def _drop_at(value, baseline, direction: int, relative: bool) -> float | None:
    if value is None or baseline is None:
        return None
    if not relative:
        return (baseline - value) * 100
    return (baseline - value) * direction / abs(baseline) * 100 if baseline else None


def _drop_band(r: dict, direction: int, relative: bool) -> tuple:
    """The drop at each end of the value's 95% interval, lower first (None, None without one)."""
    ends = [_drop_at(r.get(side), r.get("baseline"), direction, relative) for side in ("lower", "upper")]
    return (None, None) if None in ends else (min(ends), max(ends))


def _performance_drop(report) -> list[Observation]:
    found = []
    for r in report.records("performance"):
        direction = score_direction(r["metric"])
        if direction is None or r.get("value") is None or r.get("baseline") is None:
            continue
        drop = _drop(r, direction, relative=direction < 0)
        found.append(
            Observation(
                r["window"],
                r["metric"],
                drop,
                None,
                r["baseline"],
                r.get("kind", ""),
                _band(r),
                r["value"],
                *_drop_band(r, direction, relative=direction < 0),
            )
        )
    return found


def _business_value(report) -> list[Observation]:
    return [
        Observation(r["window"], "", r.get("value"), None, r.get("baseline"), r.get("kind", ""), _band(r))
        for r in report.records("business_value")
    ]


def _business_value_drop(report) -> list[Observation]:
    found = []
    for r in report.records("business_value"):
        drop = None if r.get("value") is None else _drop(r, 1, relative=True)
        found.append(
            Observation(
                r["window"], "", drop, None, r.get("baseline"), r.get("kind", ""), _band(r), r.get("value")
            )
        )
    return found


def _performance(report) -> list[Observation]:
    return [
        Observation(
            r["window"],
            r["metric"],
            r.get("value"),
            None,
            r.get("baseline"),
            r.get("kind", ""),
            lower=r.get("lower"),
            upper=r.get("upper"),
        )
        for r in report.records("performance")
    ]


def _drift(role: str) -> Callable[..., list[Observation]]:
    def observe(report) -> list[Observation]:
        return [
            Observation(
                r["window"],
                r["column"],
                r.get("statistic"),
                r.get("drifted"),
                r.get("threshold"),
                "",
                r["method"],
                r.get("p_value"),
            )
            for r in report.records("drift")
            if r.get("role") == role
        ]

    return observe


def _drifted_features(report) -> list[Observation]:
    counts: dict[int, int] = {}
    for r in report.records("drift"):
        if r.get("role") == "feature":
            counts[r["window"]] = counts.get(r["window"], 0) + bool(r.get("drifted"))
    return [Observation(w, "", float(n)) for w, n in sorted(counts.items())]


def _dataset_drift(report) -> list[Observation]:
    return [
        Observation(r["window"], "", r.get("share_drifted"), r.get("drifted"))
        for r in report.records("dataset_drift")
    ]


def _operations(metric: str) -> Callable[..., list[Observation]]:
    def observe(report) -> list[Observation]:
        return [
            Observation(r["window"], "", r.get("value"))
            for r in report.records("operations")
            if r.get("metric") == metric
        ]

    return observe


def _disparity(metric: str, part: str) -> Callable[..., list[Observation]]:
    def observe(report) -> list[Observation]:
        return [
            Observation(
                r["window"],
                r["attribute"],
                r.get(part),
                None if r.get("passes") is None else not r["passes"],
                lower=r.get(f"{part}_lower"),
                upper=r.get(f"{part}_upper"),
            )
            for r in report.records("fairness_disparities")
            if r.get("metric") == metric and r.get("window") is not None
        ]

    return observe


def _quality(metric: str) -> Callable[..., list[Observation]]:
    def observe(report) -> list[Observation]:
        return [
            Observation(
                r["window"],
                r["column"],
                r.get("value"),
                bool(r.get("count")),
                None,
                "",
                ", ".join(map(str, r.get("examples") or [])),
            )
            for r in report.records("data_quality")
            if r.get("metric") == metric and r.get("window") is not None
        ]

    return observe


def _freshness(field: str) -> Callable[..., list[Observation]]:
    """The one freshness record, observed in the latest window (an alert per stretch without data)."""

    def observe(report) -> list[Observation]:
        return [
            Observation(r["window"], "", r.get(field), None, None, "", r.get("last_production") or "")
            for r in report.records("freshness")
            if r.get("window") is not None
        ]

    return observe


SPECS = (
    MetricSpec(
        "performance_drop",
        "points a performance metric is worse than its baseline "
        "(scores: percentage points; errors: percent of the baseline)",
        "metric",
        False,
        _performance_drop,
        interval=True,
    ),
    MetricSpec(
        "performance",
        "a performance metric's value (realized or estimated)",
        "metric",
        False,
        _performance,
        interval=True,
    ),
    MetricSpec(
        "business_value",
        "the business value of a window's predictions (realized or estimated; needs a value matrix)",
        "model",
        False,
        _business_value,
    ),
    MetricSpec(
        "business_value_drop",
        "percent of its baseline that a window's business value fell short by (an estimate: its band's upper side)",
        "model",
        False,
        _business_value_drop,
    ),
    MetricSpec(
        "feature_drift",
        "a feature's drift statistic (flagged: the drift test's verdict)",
        "column",
        True,
        _drift("feature"),
    ),
    MetricSpec("prediction_drift", "the prediction's drift statistic", "column", True, _drift("prediction")),
    MetricSpec("target_drift", "the target's drift statistic", "column", True, _drift("target")),
    MetricSpec(
        "drifted_features", "how many features drifted in a window", "model", False, _drifted_features
    ),
    MetricSpec(
        "drift_share", "share of drifted features (flagged: dataset drift)", "model", True, _dataset_drift
    ),
    MetricSpec("latency_p50", "median latency in ms", "model", False, _operations("latency_p50")),
    MetricSpec("latency_p95", "95th percentile latency in ms", "model", False, _operations("latency_p95")),
    MetricSpec("latency_p99", "99th percentile latency in ms", "model", False, _operations("latency_p99")),
    MetricSpec(
        "error_rate",
        "share of predictions with an error status",
        "model",
        False,
        _operations("error_rate"),
    ),
    MetricSpec(
        "prediction_count", "predictions in a window", "model", False, _operations("prediction_count")
    ),
    MetricSpec(
        "demographic_parity_ratio",
        "lowest / highest selection rate over groups",
        "attribute",
        True,
        _disparity("demographic_parity", "ratio"),
        interval=True,
    ),
    MetricSpec(
        "demographic_parity_difference",
        "highest - lowest selection rate",
        "attribute",
        True,
        _disparity("demographic_parity", "difference"),
        interval=True,
    ),
    MetricSpec(
        "equalized_odds_difference",
        "larger of the TPR and FPR gaps",
        "attribute",
        True,
        _disparity("equalized_odds", "difference"),
        interval=True,
    ),
    MetricSpec(
        "missing_share", "a column's share of missing values", "column", True, _quality("missing_share")
    ),
    MetricSpec(
        "out_of_range_share",
        "share of values outside the reference range",
        "column",
        True,
        _quality("out_of_range_share"),
    ),
    MetricSpec(
        "unseen_categories",
        "share of values in categories unseen in the reference",
        "column",
        True,
        _quality("unseen_category_share"),
    ),
    MetricSpec(
        "hours_since_production",
        "hours since the newest production row (freshness; checked when the rules run)",
        "model",
        False,
        _freshness("hours_since_production"),
    ),
    MetricSpec(
        "labels_overdue_days",
        "days the oldest unlabelled prediction is past the expected label delay (freshness)",
        "model",
        False,
        _freshness("labels_overdue_days"),
    ),
    MetricSpec(
        "overdue_unlabelled_share",
        "share of predictions older than the label delay that have no label (freshness)",
        "model",
        False,
        _freshness("overdue_unlabelled_share"),
    ),
)


METRICS = {spec.name: spec for spec in SPECS}

# The report section whose records each metric reads: an evaluation builds only the sections its
# rules need (weak segments, versions and the alert history are never read by a rule).
SECTION_OF = {
    "performance_drop": "performance",
    "performance": "performance",
    "business_value": "business_value",
    "business_value_drop": "business_value",
    "feature_drift": "drift",
    "prediction_drift": "drift",
    "target_drift": "drift",
    "drifted_features": "drift",
    "drift_share": "drift",
    "latency_p50": "operations",
    "latency_p95": "operations",
    "latency_p99": "operations",
    "error_rate": "operations",
    "prediction_count": "operations",
    "demographic_parity_ratio": "fairness",
    "demographic_parity_difference": "fairness",
    "equalized_odds_difference": "fairness",
    "missing_share": "data_quality",
    "out_of_range_share": "data_quality",
    "unseen_categories": "data_quality",
    "hours_since_production": "freshness",
    "labels_overdue_days": "freshness",
    "overdue_unlabelled_share": "freshness",
}


def sections_for(rules) -> tuple[str, ...]:
    """The report sections the enabled `rules` read, in a stable order."""
    return tuple(sorted({SECTION_OF[r.metric] for r in rules if r.enabled}))
