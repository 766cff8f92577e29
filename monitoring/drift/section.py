"""Drift per column and window against the reference, and a dataset verdict per window.

The store turns rows into bin and category counts (monitoring/store/drift_sql.py); this module
picks a method per column through the registry in monitoring/drift/methods.py (which also says
which bins each statistic uses), applies thresholds (fixed, per-column or calibrated) and the
optional multiple-testing correction, and returns flat records for the report.
"""

import math
from dataclasses import dataclass

from monitoring.context import WHOLE
from monitoring.drift.calibration import calibrated_lines, noise_levels
from monitoring.drift.methods import METHODS, choose_method, statistic_for
from monitoring.drift.summaries import info_for, summaries
from monitoring.store import window_sql


@dataclass(frozen=True)
class Monitored:
    """A column the drift section watches: its report name, SQL name, role and kind."""

    name: str
    sql_name: str
    role: str
    kind: str


def monitored_columns(model) -> list[Monitored]:
    """Features, then the prediction (the score if there is one) and the target (as __label)."""
    found = [Monitored(c.name, c.name, "feature", c.kind) for c in model.features]
    output = model.column("score") or model.column("prediction")
    if output is not None:
        found.append(Monitored(output.name, output.name, "prediction", output.kind))
    target = model.column("target")
    if target is not None:
        found.append(Monitored(target.name, window_sql.LABEL, "target", target.kind))
    return [c for c in found if c.kind in ("numeric", "categorical")]


def comparable_columns(con, model, baseline_kind: str = "reference") -> list[Monitored]:
    """The monitored columns that both the reference and the production table hold (a column a
    later file added is in that file's table only); the target needs only the reference's. With a
    baseline of production rows (a period, or the previous window without a reference), the
    production table's columns."""
    production = window_sql.stored_columns(con, model, "production")
    if baseline_kind != "reference" and not window_sql.has_rows(con, model, "reference"):
        return [c for c in monitored_columns(model) if c.name in production or c.role == "target"]
    reference = window_sql.stored_columns(con, model, "reference")
    if baseline_kind == "period":  # the baseline's rows are production rows, the target their labels
        return [c for c in monitored_columns(model) if c.name in production or c.role == "target"]
    both = reference & production
    return [c for c in monitored_columns(model) if c.name in (reference if c.role == "target" else both)]


def _distinct(column: Monitored, info: dict | None, ref: dict) -> int:
    if column.kind == "numeric":
        return int(info["distinct"]) if info else 0
    return len(ref)


def _rows(column: Monitored, info: dict | None, ref: dict) -> int:
    if column.kind == "numeric":
        return int(info["rows"]) if info else 0
    return int(sum(ref.values()))


def _finite(value):
    return None if value is None or not math.isfinite(value) else float(value)


def plan_columns(columns, edges: dict, ref_summary: dict, requested: str) -> dict:
    """{column name: (method, reason)} for every monitored column."""
    plan = {}
    for column in columns:
        info, ref = edges.get(column.sql_name), ref_summary.get(column.sql_name, {})
        plan[column.name] = choose_method(
            column.kind, _rows(column, info, ref), _distinct(column, info, ref), requested
        )
    return plan


def _record(window: int, column: Monitored, method: str, reason: str, result, threshold) -> dict:
    statistic, p_value = result
    return {
        "window": window,
        "column": column.name,
        "role": column.role,
        "kind": column.kind,
        "method": method,
        "statistic": _finite(statistic),
        "p_value": _finite(p_value),
        "threshold": _finite(threshold),
        "drifted": False,
        "reason": reason,
    }


def _judge(record: dict, calibrated: bool) -> None:
    if record["statistic"] is None or record["threshold"] is None:
        record["reason"] += "; no values to compare" if record["statistic"] is None else ""
        return
    if calibrated:
        record["drifted"] = record["statistic"] > record["threshold"]
    else:
        method = METHODS[record["method"]]
        record["drifted"] = method.is_drift(record["statistic"], record["p_value"], record["threshold"])


def correct_multiple_tests(records: list[dict], how: str) -> None:
    """Bonferroni or Benjamini-Hochberg over `records`, one window's feature p-value tests judged
    against a fixed default line (records without a p-value are left alone)."""
    tests = [r for r in records if r["p_value"] is not None]
    if how == "none" or not tests:
        return
    m = len(tests)
    if how == "bonferroni":
        for r in tests:
            r["threshold"] = r["threshold"] / m
            r["drifted"] = r["p_value"] < r["threshold"]
            r["reason"] += f"; Bonferroni over {m} tests"
        return
    ordered = sorted(tests, key=lambda r: r["p_value"])
    passing = [k for k, r in enumerate(ordered, 1) if r["p_value"] <= k / m * r["threshold"]]
    cutoff = max(passing, default=0)
    for k, r in enumerate(ordered, 1):
        r["drifted"] = k <= cutoff
        r["reason"] += f"; Benjamini-Hochberg over {m} tests"


def dataset_drift(records: list[dict], windows: list[int], share: float) -> list[dict]:
    """Per window: the share of evaluated feature columns that drifted, against `share`."""
    found = []
    for window in windows:
        evaluated = [
            r
            for r in records
            if r["window"] == window and r["role"] == "feature" and r["statistic"] is not None
        ]
        drifted = sum(r["drifted"] for r in evaluated)
        ratio = drifted / len(evaluated) if evaluated else 0.0
        found.append(
            {"window": window, "share_drifted": ratio, "drifted": bool(evaluated) and ratio >= share}
        )
    return found


def drift_summaries(con, context, columns) -> tuple[dict, dict, dict]:
    """(edges, reference counts, {window index as text: counts}) of the (filtered) whole
    population: what the distributions page draws (see summaries.py for the slices)."""
    found = summaries(con, context, columns)
    windows = {str(index): slices.get(WHOLE, {}) for index, slices in found.windows.items()}
    return found.edges, found.reference.get(WHOLE, {}), windows


def drift_section(con, context, shares_only: bool = False) -> dict:
    """The report's `drift`, `dataset_drift` and `multivariate_drift` sections, for the whole
    population and, when grouped, for each value of the grouping column (multivariate drift: the
    whole population only). `shares_only` leaves out what the shares of drifted inputs do not
    need (each column's noise line and the multivariate drift): weak segments' drift shares."""
    empty = {"drift": [], "dataset_drift": []}
    columns = comparable_columns(con, context.model, context.baseline.kind)
    has_reference = window_sql.has_rows(con, context.model, "reference")
    if not context.windows or not columns or (context.baseline.kind == "reference" and not has_reference):
        return empty
    found = summaries(con, context, columns)
    values = [WHOLE] + (context.segment_values if context.by else [])
    lines, noise = _all_thresholds(con, context, columns, found, values, not shares_only)
    result = {"drift": [], "dataset_drift": []}
    for value in values:
        drift, dataset = _records_of(context, columns, found, value, lines.get(value, {}))
        for record in drift:
            record["noise"] = noise.get(value, {}).get(record["column"])
        if context.by:
            drift = [_tagged(context, r, value) for r in drift]
            dataset = [_tagged(context, r, value) for r in dataset]
        result["drift"] += drift
        result["dataset_drift"] += dataset
    result["multivariate_drift"] = [] if shares_only else _multivariate(con, context, columns)
    return result


def _multivariate(con, context, columns) -> list[dict]:
    # imported here, not at the top: they import scikit-learn, which is slow to load
    multivariate = []
    if context.settings.multivariate_drift == "pca_reconstruction":
        from monitoring.drift.reconstruction import reconstruction_section

        multivariate += reconstruction_section(con, context, [c for c in columns if c.role == "feature"])
    if context.settings.drift_method == "domain_classifier":
        from monitoring.drift.multivariate import multivariate_section

        multivariate += multivariate_section(con, context, columns)
    return multivariate


def _tagged(context, record: dict, value) -> dict:
    key = context.windows[record["window"]].key
    return context.tag(record, key, value, whole=value == WHOLE)


def _baseline_of(context, found, window, value) -> tuple[dict, dict]:
    """(baseline counts, edges with the baseline's stats) of one slice in one window."""
    if context.previous:
        before = found.windows.get(window.index - 1, {}).get(value, {}) if window.index else {}
        counts = before
    else:
        counts = found.reference.get(context.baseline_key(value), {})
    key = value if context.previous else context.baseline_key(value)
    sliced = key != WHOLE or context.segment is not None or context.previous
    return counts, {name: info_for(info, counts.get(name), sliced) for name, info in found.edges.items()}


def _records_of(context, columns, found, value, lines) -> tuple[list[dict], list[dict]]:
    """Drift and dataset drift records of one slice (WHOLE or a value) in every window."""
    settings, records = context.settings, []
    windows = (
        context.windows if value == WHOLE else [w for w in context.windows if context.holds(w.key, value)]
    )
    fixed = None if context.previous else _compared_with(context, columns, found, None, value, lines)
    for window in windows:
        current = found.windows.get(window.index, {}).get(value, {})
        baseline, edges, plan, line_of = fixed or _compared_with(
            context, columns, found, window, value, lines
        )
        judged = [_evaluate(window.index, c, plan, line_of, edges, baseline, current) for c in columns]
        correct_multiple_tests([r for r, corrects in judged if corrects], settings.multiple_testing)
        records += [r for r, _ in judged]
    shares = dataset_drift(records, [w.index for w in windows], settings.dataset_drift_share)
    return records, shares


def _compared_with(context, columns, found, window, value, lines) -> tuple:
    """(baseline counts, edges with its stats, plan, lines) of a slice: the same for every window
    unless the baseline is the window before."""
    baseline, edges = _baseline_of(context, found, window, value)
    plan = plan_columns(columns, edges, baseline, context.settings.drift_method)
    return baseline, edges, plan, lines or _fixed_lines(context, columns, plan)


def _fixed_lines(context, columns, plan) -> dict:
    lines = {c.name: (METHODS[plan[c.name][0]].threshold, "fixed default") for c in columns}
    if context.previous and context.settings.drift_threshold == "calibrated":
        lines = {
            n: (line, "fixed default: calibration needs a reference or period baseline")
            for n, (line, _) in lines.items()
        }
    for name, value in context.settings.column_thresholds.items():
        if name in lines:
            lines[name] = (float(value), "threshold set for this column")
    return lines


def _all_thresholds(con, context, columns, found, values, noise: bool = True) -> tuple[dict, dict]:
    """({value: {column: (line, how)}}, {value: {column: noise}}) with a reference or period
    baseline ({}, {} with previous: each window's plan sets its fixed lines, and no noise)."""
    if context.previous:
        return {}, {}
    lines = {}
    plans = {}
    for value in values:
        baseline, edges = _baseline_of(context, found, None, value)
        plans[value] = (
            plan_columns(columns, edges, baseline, context.settings.drift_method),
            edges,
            baseline,
        )
        lines[value] = _fixed_lines(context, columns, plans[value][0])
    if context.settings.drift_threshold == "calibrated":
        calibrated = calibrated_lines(con, context, columns, plans)
        for value, found_lines in calibrated.items():
            kept = {n: lines[value][n] for n in context.settings.column_thresholds if n in lines[value]}
            lines[value].update(found_lines)
            lines[value].update(kept)
    return lines, noise_levels(con, context, columns, plans) if noise else {}


def _evaluate(index, column, plan, lines, edges, ref_summary, summary) -> tuple[dict, bool]:
    """The record of one column in one window, and whether a multiple-testing correction applies
    to it (a feature judged by a p-value test against its method's fixed default line)."""
    method, reason = plan[column.name]
    threshold, how = lines[column.name]
    info, ref, cur = (
        edges.get(column.sql_name),
        ref_summary.get(column.sql_name),
        summary.get(column.sql_name),
    )
    if not ref or not cur:
        result = (float("nan"), None)
    else:
        result = statistic_for(method, column.kind, info, ref, cur)
    record = _record(index, column, method, f"{reason}; {how}", result, threshold)
    _judge(record, how.startswith("calibrated"))
    corrects = column.role == "feature" and how.startswith("fixed default") and METHODS[method].p_value
    return record, corrects
