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
- 95% intervals (monitoring/intervals.py): a group's rate has Wilson's (`lower`/`upper`), a mean
  the normal one. A difference between the highest and the lowest group has Newcombe's interval,
  a ratio Katz's log interval (MAE: the normal interval of a difference of means and the
  delta-method log interval of their ratio), taking the two groups as named by the point
  estimate; equalized odds takes the larger gap's bounds (`difference_lower`/`_upper`,
  `ratio_lower`/`_upper`).
"""

from monitoring.context import WHOLE
from monitoring.intervals import katz_ratio, mean_difference, mean_interval, mean_ratio, newcombe, wilson
from monitoring.performance.classes import classes_of, positive_class, predicted_sql
from monitoring.store import metrics_sql
from monitoring.window_cache import per_window

FOUR_FIFTHS = 0.8
CLASSIFIER_METRICS = ("selection_rate", "accuracy", "true_positive_rate", "false_positive_rate")
CLASSIFIER_METRICS += ("false_negative_rate", "precision")


def _rate(num, den):
    return num / den if den else None


def classifier_group_parts(rows, selected, labelled, tp, fp, fn, tn, correct) -> dict:
    """{rate: (hits, rows it divides by)} of one group."""
    return {
        "selection_rate": (selected, rows),
        "accuracy": (correct, labelled),
        "true_positive_rate": (tp, tp + fn),
        "false_positive_rate": (fp, fp + tn),
        "false_negative_rate": (fn, tp + fn),
        "precision": (tp, tp + fp),
    }


def classifier_group_metrics(rows, selected, labelled, tp, fp, fn, tn, correct) -> dict:
    """Per-group rates from counts (None where the denominator is zero)."""
    parts = classifier_group_parts(rows, selected, labelled, tp, fp, fn, tn, correct)
    return {name: _rate(hits, n) for name, (hits, n) in parts.items()}


def regression_group_parts(rows, labelled, abs_sum, sq_sum, predicted, pred_sum, pred_sq_sum) -> dict:
    """{mean: (count, sum, sum of squares)} of one group."""
    return {
        "mean_absolute_error": (labelled, abs_sum, sq_sum),
        "mean_prediction": (predicted, pred_sum, pred_sq_sum),
    }


def regression_group_metrics(rows, labelled, abs_sum, sq_sum, predicted, pred_sum, pred_sq_sum) -> dict:
    parts = regression_group_parts(rows, labelled, abs_sum, sq_sum, predicted, pred_sum, pred_sq_sum)
    return {name: _rate(total, n) for name, (n, total, _) in parts.items()}


def group_intervals(parts: dict) -> dict:
    """{metric: (lower, upper)}: Wilson for a rate's (hits, rows), normal for a mean's sums."""
    return {name: wilson(*part) if len(part) == 2 else mean_interval(*part) for name, part in parts.items()}


NO_SPREAD = {"difference": None, "ratio": None, "difference_lower": None, "difference_upper": None}
NO_SPREAD |= {"ratio_lower": None, "ratio_upper": None}


def _spread(values: dict, parts: dict) -> dict:
    """Highest - lowest and lowest / highest over the groups, with their intervals."""
    values = {g: v for g, v in values.items() if v is not None}
    if len(values) < 2:
        return dict(NO_SPREAD)
    high, low = max(values, key=values.get), min(values, key=values.get)
    found = {
        "difference": values[high] - values[low],
        "ratio": values[low] / values[high] if values[high] else None,
    }
    if len(parts[high]) == 2:
        found["difference_lower"], found["difference_upper"] = newcombe(*parts[high], *parts[low])
        found["ratio_lower"], found["ratio_upper"] = katz_ratio(*parts[low], *parts[high])
    else:
        found["difference_lower"], found["difference_upper"] = mean_difference(parts[high], parts[low])
        found["ratio_lower"], found["ratio_upper"] = mean_ratio(parts[low], parts[high])
    return found


def _larger_gap(a: dict, b: dict) -> dict:
    """Equalized odds: the larger of two gaps and the smaller of two ratios, bounds taken alike."""
    if a["difference"] is None or b["difference"] is None:
        return dict(NO_SPREAD)
    found = {}
    for key in ("difference", "difference_lower", "difference_upper", "ratio", "ratio_lower", "ratio_upper"):
        pair = [x[key] for x in (a, b) if x[key] is not None]
        pick = max if key.startswith("difference") else min
        found[key] = pick(pair) if len(pair) == 2 else None
    return found


def disparities(groups: dict[str, dict], max_difference: float, parts: dict | None = None) -> list[dict]:
    """Disparity records (metric, difference, ratio, passes and the intervals) over the groups'
    metrics; `parts` holds each group's counts ({group: {metric: counts}}) for the intervals."""
    parts = parts or {g: {} for g in groups}

    def of(name):
        counts = {g: parts[g].get(name, (0, 0)) for g in groups}
        return _spread({g: m.get(name) for g, m in groups.items()}, counts)

    out = []
    parity, tpr = of("selection_rate"), of("true_positive_rate")
    odds = _larger_gap(tpr, of("false_positive_rate"))
    for metric, found in (
        ("demographic_parity", parity),
        ("equalized_odds", odds),
        ("equal_opportunity", tpr),
    ):
        out.append({"metric": metric, **found, "passes": _passes(found["difference"], max_difference)})
    passes = None if parity["ratio"] is None else parity["ratio"] >= FOUR_FIFTHS
    out.append({"metric": "four_fifths_rule", **parity, "passes": passes})
    if "mean_absolute_error" in next(iter(groups.values()), {}):
        found = of("mean_absolute_error")
        out = [{"metric": "mean_absolute_error", **found, "passes": _passes(found["difference"], None)}]
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
    """(window key, WHOLE or value of the grouping column, group, rows, metrics, {metric: counts})
    per group; a classifier's counts are kept per window."""
    grouped = bool(context.by)
    if context.model.task == "regression":
        source, params = context.production(con)
        prediction = context.model.column("prediction").name
        rows = metrics_sql.fairness_regression_sums(
            con, source, params, attributes=attributes, prediction=prediction, segment=grouped
        )
        return [
            (*keys, n, regression_group_metrics(n, *rest), regression_group_parts(n, *rest))
            for *keys, n, rest in _keyed(rows, grouped)
        ]
    classes = classes_of(con, context)
    positive = positive_class(classes)
    name = " x ".join(attributes)

    def compute(con, part) -> dict:
        source, params = part.production(con)
        rows = metrics_sql.fairness_classification_counts(
            con,
            source,
            params,
            attributes=attributes,
            predicted=predicted_sql(part, classes),
            positive=positive,
            segment=grouped,
        )
        return {"fairness_counts": _count_records(part, _keyed(rows, grouped))}

    kept = per_window(con, context, "fairness", compute, ("fairness_counts",), name, classes)[
        "fairness_counts"
    ]
    return [
        (*keys, n, classifier_group_metrics(n, *rest), classifier_group_parts(n, *rest))
        for *keys, n, rest in _with_whole(context, kept)
    ]


def _count_records(context, keyed: list[tuple]) -> list[dict]:
    """The counts of each (window, value, group) as records of their window (those of the whole
    period are left out: they are the windows' counts added up, see _with_whole)."""
    return [
        {"window": context.index_of(key), "value": value, "group": group, "counts": [n, *rest]}
        for key, value, group, n, rest in keyed
        if key is not None
    ]


def _with_whole(context, records: list[dict]) -> list[tuple]:
    """(window key, value, group, rows, other counts) per window, then per group over the whole
    period: every count is a number of rows, so the period's are the sums over its windows."""
    key_of = {w.index: w.key for w in context.windows}
    found, whole = [], {}
    for r in records:
        found.append((key_of[r["window"]], r["value"], r["group"], r["counts"][0], r["counts"][1:]))
        cell = whole.setdefault((r["value"], r["group"]), [0] * len(r["counts"]))
        whole[(r["value"], r["group"])] = [a + b for a, b in zip(cell, r["counts"], strict=True)]
    return found + [(None, value, group, c[0], c[1:]) for (value, group), c in whole.items()]


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
        for key, value, group, count, metrics, parts in _group_counts(con, context, attributes):
            window = None if key is None else context.index_of(key)
            groups_out += _group_records(context, key, window, value, name, group, count, metrics, parts)
            by_slice.setdefault((key, value), {})[group] = (count, metrics, parts)
        for (key, value), groups in by_slice.items():
            window = None if key is None else context.index_of(key)
            disparities_out += _disparity_records(context, key, window, value, name, groups)
    return {"fairness": groups_out, "fairness_disparities": disparities_out}


def _group_records(context, key, window, value, attribute, group, count, metrics, parts) -> list[dict]:
    flag = "small" if count < context.settings.min_group_size else None
    bands = group_intervals(parts)
    records = [
        {
            "window": window,
            "attribute": attribute,
            "group": group,
            "metric": metric,
            "value": found,
            "lower": bands.get(metric, (None, None))[0],
            "upper": bands.get(metric, (None, None))[1],
            "count": count,
            "flag": flag,
        }
        for metric, found in {"count": count, **metrics}.items()
    ]
    return _tag_all(context, records, key, value)


def _disparity_records(context, key, window, value, attribute, groups: dict) -> list[dict]:
    settings = context.settings
    kept = {g: (m, parts) for g, (n, m, parts) in groups.items() if n >= settings.min_group_size}
    excluded = sorted(g for g in groups if g not in kept)
    metrics, parts = {g: m for g, (m, _) in kept.items()}, {g: p for g, (_, p) in kept.items()}
    records = [
        {"window": window, "attribute": attribute, **record, "excluded_groups": excluded}
        for record in disparities(metrics, settings.fairness_max_difference, parts)
    ]
    return _tag_all(context, records, key, value)


def _tag_all(context, records: list[dict], key, value) -> list[dict]:
    if not context.by:
        return records
    return [context.tag(r, key, value, whole=value == WHOLE) for r in records]
