"""Playbooks: what to do when a rule fires. Every rule carries a recommended action (editable per
rule); a rule without one gets the default written here from the severity ladder."""

RETRAIN = "Retrain on recent labelled data; compare the new model with the current one before the switch."
WATCH_PERFORMANCE = (
    "Watch the next windows and look at the inputs that drifted; retrain on recent labelled data "
    "if the drop holds."
)
UPSTREAM = "Check the upstream data pipeline for a change (a new source, a broken join, a unit), then retrain on recent data."
ONE_INPUT = "Compare this input with the reference on the Distributions page; check its upstream source if the change is unexpected."
PREDICTION = (
    "If the inputs did not drift, check the model and its serving (deployed version, preprocessing, "
    "feature order); if they did, follow the input drift."
)
TARGET = "The outcome itself changed: retrain on recent labelled data and review the decision threshold."
SERVING = "Scale the serving out (more replicas or resources) or roll back the latest deployment."
ERRORS = (
    "Roll back the latest deployment or scale the serving; read the serving logs for the failing requests."
)
VOLUME = "Check that the serving system still sends its prediction logs and that traffic is as expected."
FAIRNESS = "Review with the model's owners before the next release: which group is affected, and why."
QUALITY = "Check the upstream pipeline for this column (a broken join, a new source or a changed schema)."
NO_DATA = (
    "Check that the serving system still sends its logs (the watched folder, the API client, the cron job)."
)
LABELS = "Check the labelling job that sends the ground truth; until it catches up, read the estimated performance."

BY_METRIC = {
    "drifted_features": UPSTREAM,
    "drift_share": UPSTREAM,
    "feature_drift": ONE_INPUT,
    "prediction_drift": PREDICTION,
    "target_drift": TARGET,
    "latency_p50": SERVING,
    "latency_p95": SERVING,
    "latency_p99": SERVING,
    "error_rate": ERRORS,
    "prediction_count": VOLUME,
    "demographic_parity_ratio": FAIRNESS,
    "demographic_parity_difference": FAIRNESS,
    "equalized_odds_difference": FAIRNESS,
    "missing_share": QUALITY,
    "out_of_range_share": QUALITY,
    "unseen_categories": QUALITY,
    "hours_since_production": NO_DATA,
    "labels_overdue_days": LABELS,
    "overdue_unlabelled_share": LABELS,
}


def recommended_action(metric: str, severity: str) -> str:
    """The default action of a rule: a critical performance drop means retrain; a milder one, watch."""
    if metric in ("performance_drop", "performance"):
        return RETRAIN if severity == "critical" else WATCH_PERFORMANCE
    return BY_METRIC.get(metric, "Look at the figure on its page and decide with the model's owners.")
