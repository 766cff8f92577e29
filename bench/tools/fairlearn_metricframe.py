"""Fairlearn MetricFrame on the production predictions: per group, whole period and per day."""

import time

from common import arguments, done, load


def main() -> None:
    args = arguments(__doc__)
    started = time.perf_counter()
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    frame = load(args.production, ["timestamp", "group", "y_true", "y_pred"])
    metrics = {
        "accuracy": accuracy_score,
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "false_positive_rate": false_positive_rate,
        "precision": precision_score,
    }
    y_true, y_pred, group = frame["y_true"], frame["y_pred"], frame["group"]
    whole = MetricFrame(metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=group)
    daily = MetricFrame(
        metrics=metrics,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=group,
        control_features=frame["timestamp"].dt.floor("D").rename("day"),
    )
    gaps = {
        "demographic_parity_difference": demographic_parity_difference(
            y_true, y_pred, sensitive_features=group
        ),
        "equalized_odds_difference": equalized_odds_difference(y_true, y_pred, sensitive_features=group),
    }
    done(started, groups=len(whole.by_group), daily_rows=len(daily.by_group), **gaps)


if __name__ == "__main__":
    main()
