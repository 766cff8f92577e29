"""Model versions compared on the same windows: champion against challenger.

For every pair of versions (a served first, b after it) and every window (and the whole period,
window null), one record per metric. When both versions scored the same ids (shadow traffic) the
comparison is paired by id: the share of ids on which their predictions agree, and the difference
in accuracy with McNemar's exact test (a classifier) or in absolute error with a paired t-test (a
regressor). Otherwise it is unpaired: accuracy, precision and recall of b minus those of a with
Newcombe's interval and the two-proportion z-test, or mean absolute error with Welch's test.
`paired` says which. Traffic share, latency, error rate and drift per version are the records of
a report grouped by the version column (`--by <version column>`), which the Versions page reads.
"""

from itertools import combinations

from monitoring.comparisons import NOTHING, Difference, mcnemar, paired_means, two_proportions, welch, wilson
from monitoring.performance.classes import classes_of, positive_class, predicted_sql
from monitoring.store import slices_sql

MIN_PAIRS = 30  # labelled ids both versions scored, below which the comparison is unpaired


def versions_section(con, context) -> dict:
    """The report's `versions` records (see the module docstring)."""
    model = context.model
    version = model.column("version")
    if version is None or model.task == "multiclass" and model.column("prediction") is None:
        return {"versions": []}
    source, params = context.production(con)
    timestamp = model.column("timestamp")
    order = slices_sql.version_order(con, source, params, version.name, timestamp and timestamp.name)
    if len(order) < 2:
        return {"versions": []}
    figures = _figures(con, context)
    counts = slices_sql.version_counts(con, source, params, version.name, **figures)
    paired = _paired(con, context, source, params, version.name, figures)
    unpaired = {(row[0], row[1]): row[2:] for row in counts}
    records = []
    keys = [None] + [w.key for w in context.windows]
    for a, b in combinations(order, 2):
        for key in keys:
            index = None if key is None else context.index_of(key)
            found = paired.get((key, *sorted((a, b))))
            records += _compare(
                index, a, b, unpaired.get((key, a)), unpaired.get((key, b)), found, figures["kind"]
            )
    return {"versions": records}


def _figures(con, context) -> dict:
    model = context.model
    if model.task == "regression":
        return {"kind": "regression", "prediction": model.column("prediction").name}
    classes = classes_of(con, context)
    positive = positive_class(classes) if model.task == "binary" else None
    return {"kind": "classification", "predicted": predicted_sql(context, classes), "positive": positive}


def _paired(con, context, source, params, version, figures) -> dict:
    id_column = context.model.column("id")
    if id_column is None:
        return {}
    rows = slices_sql.paired_counts(
        con,
        source,
        params,
        version=version,
        id_column=id_column.name,
        kind=figures["kind"],
        predicted=figures.get("predicted"),
        prediction=figures.get("prediction"),
    )
    return {(row[0], row[1], row[2]): row[3:] for row in rows}


def _compare(index, a, b, counts_a, counts_b, pairs, kind) -> list[dict]:
    """The records of one pair of versions in one window (paired when enough ids are shared)."""
    regression = kind == "regression"
    if pairs is not None and pairs[2] >= MIN_PAIRS:
        return _paired_records(index, a, b, counts_a, counts_b, pairs, regression)
    if counts_a is None or counts_b is None:
        return []
    return _unpaired_records(index, a, b, counts_a, counts_b, regression)


def _paired_records(index, a, b, counts_a, counts_b, pairs, regression) -> list[dict]:
    total, agree, labelled, first, second = pairs
    rows = int(total)
    agreement = agree / total if total else None
    if regression:
        diff, metric = paired_means(labelled, first, second), "mean_absolute_error"
    else:
        # a < b as text in the SQL: swap when a served first but sorts after b
        only_a, only_b = (first, second) if a < b else (second, first)
        diff, metric = mcnemar(only_b, only_a, labelled), "accuracy_score"
    value_a, value_b = _value(counts_a, metric), _value(counts_b, metric)
    if regression and a > b and diff.difference is not None:
        diff = Difference(-diff.difference, -diff.upper, -diff.lower, diff.p_value, diff.test)
    agreement_record = _record(index, "agreement", a, b, None, None, NOTHING, True, rows)
    agreement_record["value"] = agreement
    return [agreement_record, _record(index, metric, a, b, value_a, value_b, diff, True, int(labelled))]


def _unpaired_records(index, a, b, counts_a, counts_b, regression) -> list[dict]:
    rows_a, labelled_a, first_a, second_a, tp_a, pp_a, ap_a = counts_a
    rows_b, labelled_b, first_b, second_b, tp_b, pp_b, ap_b = counts_b
    rows = int(labelled_a + labelled_b)
    if regression:
        diff = welch(labelled_b, first_b, second_b, labelled_a, first_a, second_a)
        metric = "mean_absolute_error"
        return [
            _record(
                index, metric, a, b, _value(counts_a, metric), _value(counts_b, metric), diff, False, rows
            )
        ]
    found = [
        ("accuracy_score", (first_b, labelled_b), (first_a, labelled_a)),
        ("precision_score", (tp_b, pp_b), (tp_a, pp_a)),
        ("recall_score", (tp_b, ap_b), (tp_a, ap_a)),
    ]
    records = []
    for metric, (xb, nb), (xa, na) in found:
        if not (na or nb) or (metric != "accuracy_score" and not ap_a and not ap_b):
            continue
        value_a, value_b = (xa / na if na else None), (xb / nb if nb else None)
        records.append(
            _record(index, metric, a, b, value_a, value_b, two_proportions(xb, nb, xa, na), False, rows)
        )
    return records


def _value(counts, metric: str) -> float | None:
    if counts is None or not counts[1]:
        return None
    return counts[2] / counts[1]  # correct / labelled, or sum of |error| / labelled


def _record(index, metric, a, b, value_a, value_b, diff: Difference, paired: bool, rows: int) -> dict:
    return {
        "window": index,
        "metric": metric,
        "version_a": a,
        "version_b": b,
        "value_a": value_a,
        "value_b": value_b,
        "value": None,
        "difference": diff.difference,
        "lower": diff.lower,
        "upper": diff.upper,
        "p_value": diff.p_value,
        "paired": paired,
        "test": diff.test or None,
        "rows": rows,
    }


def metrics_with_intervals(grouped) -> list[dict]:
    """Accuracy, precision and recall of each version in each window with Wilson 95% intervals,
    from the confusion matrices of a report grouped by the version column (classifiers; precision
    and recall of the positive class for binary ones): {window, segment, metric, value, lower,
    upper, rows}."""
    cells: dict = {}
    for record in grouped.records("confusion_matrix"):
        if record.get("segment") is not None:
            key = (record["window"], record["segment"])
            cells.setdefault(key, {})[(record["true"], record["predicted"])] = record["count"]
    found = []
    for (window, segment), matrix in cells.items():
        classes = sorted({t for t, _ in matrix} | {p for _, p in matrix})
        positive = positive_class(classes) if len(classes) == 2 else None
        found += _interval_records(window, segment, matrix, classes, positive)
    return found


def _interval_records(window, segment, matrix: dict, classes: list, positive) -> list[dict]:
    total = sum(matrix.values())
    right = sum(matrix.get((c, c), 0) for c in classes)
    parts = [("accuracy_score", right, total)]
    if positive is not None:
        tp = matrix.get((positive, positive), 0)
        parts.append(("precision_score", tp, sum(matrix.get((c, positive), 0) for c in classes)))
        parts.append(("recall_score", tp, sum(matrix.get((positive, c), 0) for c in classes)))
    records = []
    for metric, hits, n in parts:
        if n:
            lower, upper = wilson(hits, n)
            records.append(
                {
                    "window": window,
                    "segment": segment,
                    "metric": metric,
                    "value": hits / n,
                    "lower": lower,
                    "upper": upper,
                    "rows": n,
                }
            )
    return records
