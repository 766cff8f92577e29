"""What both performance sections build on: the flat record of a metric in a window, the segment
tags of grouped records, and the baseline's figures kept while its rows are unchanged."""

from monitoring.context import WHOLE
from monitoring.store.catalog import table_columns
from monitoring.store.window_sql import has_rows
from monitoring.window_cache import cache_key, for_reference


def record(window, metric, value, baseline, kind, labelled, lower=None, upper=None) -> dict:
    change = value - baseline if value is not None and baseline is not None else None
    return {
        "window": window,
        "metric": metric,
        "value": value,
        "baseline": baseline,
        "change": change,
        "kind": kind,
        "lower": lower,
        "upper": upper,
        "labelled_rows": labelled,
    }


def estimated_records(window, estimates: dict, baseline: dict, labelled: int) -> list[dict]:
    return [
        record(window, name, v, baseline.get(name), "estimated", labelled, lower, upper)
        for name, (v, lower, upper) in estimates.items()
    ]


def tag_all(context, records: list[dict], window, value) -> list[dict]:
    if not context.by:
        return records
    return [context.tag(r, window.key, value, whole=value == WHOLE) for r in records]


def kept_reference(con, context, key: str, compute) -> dict:
    """Baseline metrics (and calibration) of the baseline, kept while its rows are unchanged:
    {WHOLE or a value of the grouping column: {"baseline", "calibration"}}."""
    model = context.model
    needed = {c.name for c in model.columns_with("prediction", "score")}
    if context.previous or (
        context.baseline.kind == "reference"
        and (
            not has_rows(con, model, "reference")
            or not needed <= set(table_columns(con, model.table("reference")))
        )
    ):
        return {}
    found = for_reference(con, context, cache_key("performance", context, key), compute)
    return dict(found)
