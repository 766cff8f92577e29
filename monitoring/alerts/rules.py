"""Alert rules: which figure of the report to watch, when it breaches, and how bad that is.

A rule names a metric from METRICS, a comparison, a threshold, a severity, an optional scope (a
column, a fairness attribute or a performance metric) and how many consecutive windows must breach
before it fires. It may also watch a slice of the rows: `segment` (conditions such as region=north,
the name of a saved segment, or `each COL`: every value of that column, one alert per breaching
value) or `version` (the rows one model version scored). monitoring/alerts/findings.py applies
rules to a report; monitoring/alerts/evaluate.py builds the reports of the slices.
"""

import re
from dataclasses import asdict, dataclass, replace

from monitoring.alerts.playbooks import recommended_action
from monitoring.alerts.watch import METRICS, Observation
from monitoring.context import resolve_segment
from monitoring.errors import InputError
from monitoring.segments import group_column
from monitoring.store import alerts_sql, catalog

SEVERITIES = ("critical", "high", "medium", "low")
SHARE_METRICS = ("error_rate", "drift_share", "missing_share", "out_of_range_share", "unseen_categories")
SHARE_METRICS += ("overdue_unlabelled_share",)
UNIT_RANGE = SHARE_METRICS + (
    "demographic_parity_ratio",
    "demographic_parity_difference",
    "equalized_odds_difference",
)
NON_NEGATIVE = ("latency_p50", "latency_p95", "latency_p99", "drifted_features", "prediction_count")
NON_NEGATIVE += ("hours_since_production", "labels_overdue_days")
FIELDS = (
    "name",
    "metric",
    "comparison",
    "threshold",
    "severity",
    "scope",
    "consecutive",
    "enabled",
    "segment",
    "version",
    "action",
)
COMPARISONS = (">", ">=", "<", "<=", "flagged")


@dataclass(frozen=True)
class Rule:
    """A validated alert rule. `scope` None watches every column / attribute / metric."""

    name: str
    metric: str
    comparison: str
    threshold: float | None
    severity: str
    scope: str | None = None
    consecutive: int = 1
    enabled: bool = True
    segment: str | None = None  # region=north, a saved segment's name, or "each COL"
    version: str | None = None  # a value of the model's version column
    action: str = ""  # what to do when it fires; empty: the playbook's default for metric and severity

    def __post_init__(self):
        validate(self)
        if not self.action or not str(self.action).strip():
            object.__setattr__(self, "action", recommended_action(self.metric, self.severity))

    @property
    def each(self) -> str | None:
        """The column of an `each COL` segment: the rule fires per value of it."""
        found = re.match(r"^each\s+(.+)$", (self.segment or "").strip(), re.I)
        return found[1].strip() if found else None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Rule":
        known = set(FIELDS)
        unknown = set(values) - known
        if unknown:
            raise InputError(f"unknown rule fields {sorted(unknown)}; valid fields are {sorted(known)}")
        missing = {"name", "metric", "comparison", "severity"} - set(values)
        if missing:
            raise InputError(f"rule {values.get('name', '?')!r} lacks {sorted(missing)}")
        return cls(
            **{"threshold": None, **{k: v for k, v in values.items() if not (k == "action" and v is None)}}
        )

    def describe(self) -> str:
        scope = f" [{self.scope}]" if self.scope else ""
        limit = "" if self.comparison == "flagged" else f" {self.threshold:g}"
        times = f" for {self.consecutive} windows in a row" if self.consecutive > 1 else ""
        where = (
            f" in segment {self.segment}"
            if self.segment
            else f" in version {self.version}"
            if self.version
            else ""
        )
        return f"{self.severity}: {self.metric}{scope} {self.comparison}{limit}{times}{where}"


def validate(rule: Rule) -> None:
    """Raise InputError naming the valid choices when a rule cannot work."""
    where = f"rule {rule.name!r}: "
    if not isinstance(rule.name, str) or not rule.name.strip():
        raise InputError("a rule needs a name")
    if rule.metric not in METRICS:
        raise InputError(f"{where}unknown metric {rule.metric!r}; valid metrics are {', '.join(METRICS)}")
    if rule.comparison not in COMPARISONS:
        raise InputError(
            f"{where}unknown comparison {rule.comparison!r}; valid comparisons are {', '.join(COMPARISONS)}"
        )
    if rule.severity not in SEVERITIES:
        raise InputError(
            f"{where}unknown severity {rule.severity!r}; valid severities are {', '.join(SEVERITIES)}"
        )
    spec = METRICS[rule.metric]
    if rule.comparison == "flagged":
        if not spec.verdict:
            with_verdict = ", ".join(n for n, s in METRICS.items() if s.verdict)
            raise InputError(
                f"{where}{rule.metric} has no verdict of its own; use >, >=, < or <= with a "
                f"threshold ('flagged' works with {with_verdict})"
            )
    elif (
        isinstance(rule.threshold, bool)
        or not isinstance(rule.threshold, int | float)
        or rule.threshold != rule.threshold
    ):
        raise InputError(f"{where}threshold must be a number for {rule.comparison!r}, got {rule.threshold!r}")
    _check_range(rule, where)
    if isinstance(rule.consecutive, bool) or not isinstance(rule.consecutive, int) or rule.consecutive < 1:
        raise InputError(
            f"{where}consecutive must be a whole number of windows, 1 or more, got {rule.consecutive!r}"
        )
    if rule.action is not None and not isinstance(rule.action, str):
        raise InputError(f"{where}action must be text (what to do when the rule fires), got {rule.action!r}")
    if rule.scope is not None and (not isinstance(rule.scope, str) or spec.scope == "model"):
        raise InputError(f"{where}{rule.metric} is model-wide and takes no scope; leave scope empty")
    _check_slice(rule, where)


def _check_slice(rule: Rule, where: str) -> None:
    for name in ("segment", "version"):
        value = getattr(rule, name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InputError(f"{where}{name} must be text (e.g. region=north), got {value!r}")
    if rule.segment and rule.version:
        raise InputError(f"{where}watch a segment or a version, not both; keep one")
    if rule.segment and rule.each is None and re.match(r"^each\b", rule.segment.strip(), re.I):
        raise InputError(f"{where}'each' needs a column, e.g. segment: each region")


def _check_range(rule: Rule, where: str) -> None:
    threshold = rule.threshold
    if rule.comparison == "flagged" or threshold is None:
        return
    if rule.metric in UNIT_RANGE and not 0 <= threshold <= 1:
        hint = " (a share: 0.01 means 1%)" if rule.metric in SHARE_METRICS else ""
        raise InputError(f"{where}threshold {threshold:g} is outside 0..1 for {rule.metric}{hint}")
    if rule.metric in NON_NEGATIVE and threshold < 0:
        raise InputError(f"{where}threshold {threshold:g} is negative; {rule.metric} never is")


DEFAULT_RULES = (
    Rule("performance-drop", "performance_drop", ">", 5.0, "critical"),
    Rule("many-features-drift", "drifted_features", ">=", 3.0, "high"),
    Rule("prediction-drift", "prediction_drift", "flagged", None, "medium"),
    Rule("feature-drift", "feature_drift", "flagged", None, "low"),
    Rule("latency-p95", "latency_p95", ">", 500.0, "high"),
    Rule("error-rate", "error_rate", ">", 0.01, "high"),
    Rule("demographic-parity", "demographic_parity_ratio", "<", 0.8, "high"),
    Rule("missing-values", "missing_share", ">", 0.05, "medium"),
    Rule("unseen-categories", "unseen_categories", ">", 0.0, "low"),
    Rule("no-production-data", "hours_since_production", ">", 24.0, "high"),
    Rule("labels-overdue", "labels_overdue_days", ">", 7.0, "medium"),
    # needs a value matrix; value nets gains against losses, so it moves more than accuracy does
    Rule("business-value-drop", "business_value_drop", ">", 20.0, "high"),
)
FRESHNESS_RULES = ("no-production-data", "labels-overdue")


def default_rules(task: str | None = None, latency_slo_ms: float | None = None) -> list[Rule]:
    """The rules every new model starts with (editable afterwards)."""
    rules = list(DEFAULT_RULES)
    if latency_slo_ms:
        rules = [replace(r, threshold=float(latency_slo_ms)) if r.name == "latency-p95" else r for r in rules]
    return rules


def breaches(rule: Rule, observation: Observation) -> bool | None:
    """Whether one observation breaches the rule; None when there is nothing to judge."""
    if rule.comparison == "flagged":
        return observation.flagged
    value = observation.value
    if value is None:
        return None
    return {
        ">": value > rule.threshold,
        ">=": value >= rule.threshold,
        "<": value < rule.threshold,
        "<=": value <= rule.threshold,
    }[rule.comparison]


def load_rules(con, model) -> list[Rule]:
    """The model's rules; a model that never had rules starts with the defaults."""
    if not alerts_sql.rules_seeded(con, model.id):
        return default_rules(model.task, model.settings.latency_slo_ms)
    return [Rule.from_dict(r) for r in alerts_sql.load_rules(con, model.id)]


def get_rules(store, model_name: str) -> list[Rule]:
    """The rules of a model by name."""
    with store.connect() as con:
        return load_rules(con, catalog.get_model(con, model_name))


def save_rules(store, model_name: str, rules: list[Rule]) -> None:
    """Replace the model's rules (names must be unique)."""
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"rule names must be unique; {', '.join(duplicates)} appear more than once")
    with store.transaction() as con:
        model = catalog.get_model(con, model_name)
        for rule in rules:
            check_slice_of(con, model, rule)
        alerts_sql.replace_rules(con, model.id, [r.to_dict() for r in rules])


def check_slice_of(con, model, rule: Rule) -> None:
    """InputError when a rule's segment or version does not fit the model."""
    where = f"rule {rule.name!r}: "
    try:
        if rule.each:
            group_column(model, rule.each)
        elif rule.segment:
            resolve_segment(con, model, rule.segment)
    except InputError as error:
        raise InputError(where + str(error)) from None
    if rule.version and model.column("version") is None:
        raise InputError(f"{where}model {model.name!r} has no version column; ingest one (--version COL)")
