"""Regression performance per window (and per value of the grouping column): realized errors from
sums DuckDB computes, estimated ones from `loss_estimation.py` before labels, and their business
value when the model has a cost per unit of error."""

from monitoring.context import WHOLE
from monitoring.performance import value
from monitoring.performance.loss_estimation import regression_estimates
from monitoring.performance.metrics import regression_scores
from monitoring.performance.records import estimated_records, kept_reference, record, tag_all
from monitoring.store import metrics_sql

REGRESSION_METRICS = (
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_percentage_error",
    "r2_score",
    "mean_residual",
)


def regression_section(con, context) -> dict:
    prediction = context.model.column("prediction").name
    grouped = bool(context.by)

    def compute():
        source, params = context.reference(con)
        rows = metrics_sql.regression_sums(
            con, source, params, window=False, prediction=prediction, segment=bool(context.baseline_by)
        )
        cells = _regression_cells(rows, bool(context.baseline_by))
        return [[group, {"baseline": regression_scores(*found[1:])}] for (_, group), found in cells.items()]

    references = kept_reference(con, context, f"v2:{prediction}", compute)
    whole = references.get(WHOLE, {}).get("baseline", {})
    cost = context.settings.value_matrix.get(value.REGRESSION_COST)
    unit = (
        None
        if cost is None or whole.get("mean_absolute_error") is None
        else -cost * whole["mean_absolute_error"]
    )
    source, params = context.production(con)
    rows = metrics_sql.regression_sums(
        con, source, params, window=True, prediction=prediction, segment=grouped
    )
    cells = _regression_cells(rows, grouped)
    estimates = regression_estimates(con, context)
    records, worth, before = [], [], {}
    for window in context.windows:
        for group in [WHOLE] + (context.segment_values if grouped else []):
            if (window.key, group) not in cells and group != WHOLE:
                continue
            _, labelled, *sums = cells.get((window.key, group), (0, 0, 0, 0, 0, 0, 0, 0))
            enough = labelled >= context.settings.min_labels
            metrics = regression_scores(labelled, *sums) if enough else {}
            baseline = _regression_baseline(context, references, before, group, window)
            before[group] = (window.index, metrics)
            found = [
                record(window.index, name, metrics.get(name), baseline.get(name), "realized", labelled)
                for name in REGRESSION_METRICS
            ]
            found.append(
                record(window.index, "zero_target_rows", labelled - sums[-1], None, "realized", labelled)
            )
            mine = []
            if group == WHOLE:
                rows_estimated, estimated = estimates.get(window.key, (0, {}))
                found += estimated_records(window.index, estimated, baseline, labelled)
                mine = _regression_value(
                    window.index, labelled, sums, enough, rows_estimated, estimated, cost, unit
                )
            records += tag_all(context, found, window, group)
            worth += tag_all(context, mine, window, group)
    return {"performance": records, "confusion_matrix": [], "business_value": worth}


def _regression_value(window, labelled, sums, enough, rows, estimated, cost, unit) -> list[dict]:
    """The window's business value records, realized and estimated (none without a cost)."""
    if cost is None:
        return []
    worth = [value.regression_realized(window, labelled, sums[0], cost, unit, enough)]
    if "mean_absolute_error" in estimated:
        worth.append(value.regression_estimated(window, rows, estimated["mean_absolute_error"], cost, unit))
    return worth


def _regression_cells(rows: list[tuple], grouped: bool) -> dict:
    """{(window key, WHOLE or value): (rows, labelled, sums...)} from `regression_sums`."""
    if not grouped:
        return {(row[0], WHOLE): row[1:] for row in rows}
    return {(row[0], WHOLE if row[2] else row[1]): row[3:] for row in rows}


def _regression_baseline(context, references: dict, before: dict, value, window) -> dict:
    if not context.previous:
        return references.get(context.baseline_key(value), {}).get("baseline", {})
    index, metrics = before.get(value, (None, {}))
    return metrics if index == window.index - 1 else {}
