"""Plain-language alert messages: 'Accuracy fell to 0.81, 7.2 points below its baseline of 0.88, in
the week of 3 Nov'."""

from dataclasses import replace

LOWER_IS_BETTER = ("log_loss",)
NAME_LIMIT = 80  # characters of a column name or group shown in a message
EXAMPLES_LIMIT = 120  # characters of category examples shown in a message
# Freshness is measured against the clock, not in a window: its messages name no window.
FRESHNESS = ("hours_since_production", "labels_overdue_days", "overdue_unlabelled_share")


def score_direction(metric: str) -> int | None:
    """+1 when higher is better, -1 when lower is better, None when neither."""
    if metric.endswith("_score"):
        return 1
    if metric.endswith("_error") or metric in LOWER_IS_BETTER:
        return -1
    return None


def humanize(name: str) -> str:
    """'accuracy_score' -> 'Accuracy', 'mean_absolute_error' -> 'Mean absolute error'."""
    words = name.replace("_score", "").replace("_", " ").strip()
    return (words[:1].upper() + words[1:]).replace("Roc auc", "ROC AUC")


def _num(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _pct(value) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut (names and values come from files)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message(rule, o, when: str, unit: str, run: int = 1) -> str:
    """The plain-language sentence a person reads in the alert; `when` names the window (names and
    examples clipped)."""
    o = replace(o, scope=clip(o.scope, NAME_LIMIT), detail=clip(o.detail, EXAMPLES_LIMIT))
    text = _sentence(rule, o)
    if rule.metric in FRESHNESS:
        return text
    when = f"on {when}" if unit == "day" else f"in {when}"
    if rule.consecutive > 1:
        text += f" ({run} windows in a row)"
    return f"{text}, {when}"


def _sentence(rule, o) -> str:
    metric = rule.metric
    estimated = "Estimated " if o.kind == "estimated" else ""
    band = f" ({o.detail})" if o.kind == "estimated" and o.detail else ""
    at_least = "at least " if band else ""
    if metric == "performance_drop":
        name = humanize(o.scope)
        name = estimated + (name.lower() if estimated else name)
        if score_direction(o.scope) == 1:
            return f"{name} fell to {_num(o.current)}{band}, {at_least}{o.value:.1f} points below its baseline of {_num(o.baseline)}"
        return f"{name} rose to {_num(o.current)}{band}, {at_least}{o.value:.1f}% above its baseline of {_num(o.baseline)}"
    if metric == "performance":
        return f"{estimated}{humanize(o.scope)} was {_num(o.value)} (limit {rule.comparison} {_num(rule.threshold)})"
    if metric == "business_value_drop":
        what = f"{estimated}business value".capitalize()
        return f"{what} was {_num(o.current)}{band}, {at_least}{o.value:.1f}% worse than its baseline of {_num(o.baseline)}"
    if metric == "business_value":
        what = f"{estimated}business value".capitalize()
        return f"{what} was {_num(o.value)}{band} (limit {rule.comparison} {_num(rule.threshold)})"
    if metric in ("feature_drift", "prediction_drift", "target_drift"):
        what = {
            "feature_drift": f"Feature '{o.scope}'",
            "prediction_drift": f"The prediction '{o.scope}'",
            "target_drift": f"The target '{o.scope}'",
        }[metric]
        return f"{what} drifted ({_drift_evidence(o)})"
    if metric == "drifted_features":
        return f"{o.value:.0f} features drifted (limit {rule.comparison} {rule.threshold:g})"
    if metric == "drift_share":
        return f"{_pct(o.value)} of the features drifted"
    if metric.startswith("latency"):
        return (
            f"{metric[-3:]} latency was {o.value:,.0f} ms (limit {rule.comparison} {rule.threshold:,.0f} ms)"
        )
    if metric == "error_rate":
        return f"Error rate was {_pct(o.value)} (limit {rule.comparison} {_pct(rule.threshold)})"
    if metric == "hours_since_production":
        since = f" (the newest row is from {o.detail[:16].replace('T', ' ')} UTC)" if o.detail else ""
        span = f"{o.value:,.0f} hours" if o.value < 72 else f"{o.value / 24:,.0f} days"
        return f"No production data for {span}{since}; limit {rule.comparison} {rule.threshold:g} hours"
    if metric == "labels_overdue_days":
        return (
            f"Labels are {o.value:,.1f} days overdue (predictions past the expected label delay "
            f"still lack them; limit {rule.comparison} {rule.threshold:g} days)"
        )
    if metric == "overdue_unlabelled_share":
        return f"{_pct(o.value)} of the predictions past the expected label delay have no label (limit {rule.comparison} {_pct(rule.threshold)})"
    if metric == "prediction_count":
        return f"{o.value:,.0f} predictions (limit {rule.comparison} {rule.threshold:,.0f})"
    if metric.startswith(("demographic", "equalized")):
        return f"{humanize(metric)} for '{o.scope}' was {_num(o.value)}" + (
            "" if rule.comparison == "flagged" else f" (limit {rule.comparison} {_num(rule.threshold)})"
        )
    if metric == "unseen_categories":
        examples = f", e.g. {o.detail}" if o.detail else ""
        return f"Column '{o.scope}' had {_pct(o.value)} of values in categories unseen in the reference{examples}"
    return f"{humanize(metric)} of column '{o.scope}' was {_pct(o.value)} (limit {rule.comparison} {_pct(rule.threshold)})"


def _drift_evidence(o) -> str:
    """'ks test, p = 0.012 < 0.05' for p-value tests, 'wasserstein 0.34, threshold 0.10' for distances."""
    p_value, line = o.current, o.baseline
    if p_value is None:
        return f"{o.detail} {_num(o.value)}, threshold {_num(line)}"
    shown = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
    return f"{o.detail} test, {shown}" + ("" if line is None else f" < {line:g}")
