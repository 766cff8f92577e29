"""Fairness: metrics per group of a sensitive attribute and the disparities between groups.

Counts per (window, group) come from DuckDB (`metrics_sql.fairness_*`); the metrics are pure.
Report shape: `fairness` holds group records (`window` null = the whole period) and
`fairness_disparities` holds one record per (window, attribute, disparity).

- Selection rate counts every row with a prediction (labels not needed); accuracy, TPR, FPR, FNR
  and precision count labelled rows only. A rate with no rows to divide by is null.
- Groups smaller than `min_group_size` are reported with `flag = "small"` and left out of the
  disparities (listed in `excluded_groups`), so one tiny group cannot dominate the verdict.
- Differences are max - min over groups; ratios min / max. Equalized odds takes the larger of the
  TPR and FPR gaps (and the smaller ratio), as Fairlearn does. A difference passes when it is at
  most `fairness_max_difference`; the four-fifths rule passes when the selection-rate ratio is at
  least 0.8.
"""

from monitoring.context import WHOLE
from monitoring.performance.classes import classes_of, positive_class, predicted_sql
from monitoring.store import metrics_sql

FOUR_FIFTHS = 0.8
CLASSIFIER_METRICS = ("selection_rate", "accuracy", "true_positive_rate", "false_positive_rate")
CLASSIFIER_METRICS += ("false_negative_rate", "precision")


def _rate(num, den):
    return num / den if den else None


def classifier_group_metrics(rows, selected, labelled, tp, fp, fn, tn, correct) -> dict:
    """Per-group rates from counts (None where the denominator is zero)."""
    return {
        "selection_rate": _rate(selected, rows),
        "accuracy": _rate(correct, labelled),
        "true_positive_rate": _rate(tp, tp + fn),
        "false_positive_rate": _rate(fp, fp + tn),
        "false_negative_rate": _rate(fn, tp + fn),
        "precision": _rate(tp, tp + fp),
    }


def regression_group_metrics(rows, labelled, abs_sum, mean_prediction) -> dict:
    return {"mean_absolute_error": _rate(abs_sum, labelled), "mean_prediction": mean_prediction}


def _spread(values: list) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None, None
    high, low = max(values), min(values)
    return high - low, (low / high if high else None)


def disparities(groups: dict[str, dict], max_difference: float) -> list[dict]:
    """Disparity records (metric, difference, ratio, passes) over the groups' metrics."""

    def of(name):
        return _spread([m.get(name) for m in groups.values()])

    out = []
    dp_diff, dp_ratio = of("selection_rate")
    tpr_diff, tpr_ratio = of("true_positive_rate")
    fpr_diff, fpr_ratio = of("false_positive_rate")
    eo_diff = None if tpr_diff is None or fpr_diff is None else max(tpr_diff, fpr_diff)
    eo_ratio = None if tpr_ratio is None or fpr_ratio is None else min(tpr_ratio, fpr_ratio)
    for metric, diff, ratio in (
        ("demographic_parity", dp_diff, dp_ratio),
        ("equalized_odds", eo_diff, eo_ratio),
        ("equal_opportunity", tpr_diff, tpr_ratio),
    ):
        out.append(
            {"metric": metric, "difference": diff, "ratio": ratio, "passes": _passes(diff, max_difference)}
        )
    passes = None if dp_ratio is None else dp_ratio >= FOUR_FIFTHS
    out.append({"metric": "four_fifths_rule", "difference": dp_diff, "ratio": dp_ratio, "passes": passes})
    if "mean_absolute_error" in next(iter(groups.values()), {}):
        diff, ratio = of("mean_absolute_error")
        out = [
            {
                "metric": "mean_absolute_error",
                "difference": diff,
                "ratio": ratio,
                "passes": _passes(diff, None),
            }
        ]
    return out


def _passes(difference, limit) -> bool | None:
    if difference is None or limit is None:
        return None
    return difference <= limit


def attribute_sets(context, cross: list[str] | None = None) -> list[list[str]]:
    """Each sensitive attribute alone, plus the crossing of two when asked (setting or argument)."""
    sets = [[c.name] for c in context.model.columns_with("sensitive")]
    pair = list(cross or context.settings.fairness_cross or [])
    if len(pair) == 2:
        sets.append(pair)
    return sets


def _group_counts(con, context, attributes: list[str]):
    """(window key, WHOLE or value of the grouping column, group, rows, metrics) per group."""
    source, params = context.production(con)
    grouped = bool(context.by)
    if context.model.task == "regression":
        prediction = context.model.column("prediction").name
        rows = metrics_sql.fairness_regression_sums(
            con, source, params, attributes=attributes, prediction=prediction, segment=grouped
        )
        return [(*keys, n, regression_group_metrics(n, *rest)) for *keys, n, rest in _keyed(rows, grouped)]
    classes = classes_of(con, context)
    positive = positive_class(classes)
    rows = metrics_sql.fairness_classification_counts(
        con,
        source,
        params,
        attributes=attributes,
        predicted=predicted_sql(context, classes),
        positive=positive,
        segment=grouped,
    )
    return [(*keys, n, classifier_group_metrics(n, *rest)) for *keys, n, rest in _keyed(rows, grouped)]


def _keyed(rows: list[tuple], grouped: bool) -> list[tuple]:
    """(window key, WHOLE or value, group, rows, the other counts) from the SQL's rows."""
    if not grouped:
        return [(w, WHOLE, g, n, rest) for w, g, n, *rest in rows]
    return [(w, WHOLE if whole else value, g, n, rest) for w, value, whole, g, n, *rest in rows]


def fairness_section(con, context, cross: list[str] | None = None) -> dict:
    """The report's `fairness` group records and `fairness_disparities` records."""
    model = context.model
    if model.task == "multiclass" or (model.column("prediction") is None and model.column("score") is None):
        return {"fairness": [], "fairness_disparities": []}
    groups_out, disparities_out = [], []
    for attributes in attribute_sets(context, cross):
        name = " x ".join(attributes)
        by_slice: dict = {}
        for key, value, group, count, metrics in _group_counts(con, context, attributes):
            window = None if key is None else context.index_of(key)
            groups_out += _group_records(context, key, window, value, name, group, count, metrics)
            by_slice.setdefault((key, value), {})[group] = (count, metrics)
        for (key, value), groups in by_slice.items():
            window = None if key is None else context.index_of(key)
            disparities_out += _disparity_records(context, key, window, value, name, groups)
    return {"fairness": groups_out, "fairness_disparities": disparities_out}


def _group_records(context, key, window, value, attribute, group, count, metrics) -> list[dict]:
    flag = "small" if count < context.settings.min_group_size else None
    records = [
        {
            "window": window,
            "attribute": attribute,
            "group": group,
            "metric": metric,
            "value": found,
            "count": count,
            "flag": flag,
        }
        for metric, found in {"count": count, **metrics}.items()
    ]
    return _tag_all(context, records, key, value)


def _disparity_records(context, key, window, value, attribute, groups: dict) -> list[dict]:
    settings = context.settings
    kept = {g: m for g, (n, m) in groups.items() if n >= settings.min_group_size}
    excluded = sorted(g for g in groups if g not in kept)
    records = [
        {"window": window, "attribute": attribute, **record, "excluded_groups": excluded}
        for record in disparities(kept, settings.fairness_max_difference)
    ]
    return _tag_all(context, records, key, value)


def _tag_all(context, records: list[dict], key, value) -> list[dict]:
    if not context.by:
        return records
    return [context.tag(r, key, value, whole=value == WHOLE) for r in records]
