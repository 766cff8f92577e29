"""Drift per column and window against the reference, and a dataset verdict per window.

The store turns rows into bin and category counts (monitoring/store/drift_sql.py); this module
picks a method per column through the registry in monitoring/drift/methods.py (which also says
which bins each statistic uses), applies thresholds (fixed, per-column or calibrated) and the
optional multiple-testing correction, and returns flat records for the report.
"""

import hashlib
import math
from dataclasses import dataclass

from monitoring.drift.calibration import calibrated_lines
from monitoring.drift.methods import METHODS, choose_method, statistic_for
from monitoring.store import drift_sql, window_sql
from monitoring.store.cache import cached_for
from monitoring.window_cache import cache_key, for_reference, window_key_prefix, window_tokens


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


def comparable_columns(con, model) -> list[Monitored]:
    """The monitored columns that both the reference and the production table hold (a column a
    later file added is in that file's table only); the target needs only the reference's."""
    reference = window_sql.stored_columns(con, model, "reference")
    both = reference & window_sql.stored_columns(con, model, "production")
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
    """(edges, reference counts, {window index as text: counts}) for the monitored `columns`.

    The reference summary is kept for as long as its batches are unchanged, and each window's for
    as long as its own batches (and the labels) are, so an ingest recomputes only the windows it
    touched. Categorical counts are keyed by category, numeric ones are counts over the edges.
    """
    model = context.model
    numeric = [c.sql_name for c in columns if c.kind == "numeric"]
    categorical = [c.sql_name for c in columns if c.kind == "categorical"]
    names = hashlib.sha1(repr((numeric, categorical)).encode()).hexdigest()[:12]

    def reference() -> dict:
        source, params = context.reference(con)
        return drift_sql.reference_profile(con, source, params, numeric, categorical)

    key = cache_key("drift", context, drift_sql.EDGE_BINS, names, "reference")
    profile = for_reference(con, context, key, reference)
    edges = profile["edges"]
    tokens = window_tokens(con, context)
    prefix = window_key_prefix("drift", context, drift_sql.EDGE_BINS, names)
    keys = {prefix + str(window): window for window in tokens}
    tokens = {k: tokens[w] for k, w in keys.items()}

    def production(missing) -> dict:
        wanted = {keys[k] for k in missing}
        part = context.restricted([w for w in context.windows if w.key in wanted])
        source, params = part.production(con)
        found = drift_sql.grouped_counts(con, source, params, window_sql.WINDOW, edges, categorical)
        return {prefix + str(window): summary for window, summary in found.items()}

    found = cached_for(con, model.id, tokens, production)
    windows = {str(context.index_of(keys[k])): summary for k, summary in found.items()}
    return edges, profile["counts"], windows


def drift_section(con, context) -> dict:
    """The report's `drift`, `dataset_drift` and `multivariate_drift` sections."""
    empty = {"drift": [], "dataset_drift": []}
    settings = context.settings
    columns = comparable_columns(con, context.model)
    if not context.windows or not columns or not window_sql.has_rows(con, context.model, "reference"):
        return empty
    edges, ref_summary, windows = drift_summaries(con, context, columns)
    plan = plan_columns(columns, edges, ref_summary, settings.drift_method)
    lines = _thresholds(con, context, columns, plan, edges, ref_summary)
    records = []
    for window in context.windows:
        summary = windows.get(str(window.index), {})
        found = [_evaluate(window.index, c, plan, lines, edges, ref_summary, summary) for c in columns]
        correct_multiple_tests([r for r, corrects in found if corrects], settings.multiple_testing)
        records += [r for r, _ in found]
    result = {"drift": records}
    result["dataset_drift"] = dataset_drift(
        records, [w.index for w in context.windows], settings.dataset_drift_share
    )
    # imported here, not at the top: they import scikit-learn, which is slow to load
    multivariate = []
    if settings.multivariate_drift == "pca_reconstruction":
        from monitoring.drift.reconstruction import reconstruction_section

        multivariate += reconstruction_section(con, context, [c for c in columns if c.role == "feature"])
    if settings.drift_method == "domain_classifier":
        from monitoring.drift.multivariate import multivariate_section

        multivariate += multivariate_section(con, context, columns)
    result["multivariate_drift"] = multivariate
    return result


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


def _thresholds(con, context, columns, plan, edges, ref_summary) -> dict:
    """{column: (line, how)}: a per-column override, a calibrated line or the method default."""
    settings = context.settings
    lines = {c.name: (METHODS[plan[c.name][0]].threshold, "fixed default") for c in columns}
    if settings.drift_threshold == "calibrated":
        lines.update(calibrated_lines(con, context, columns, plan, edges, ref_summary))
    for name, value in settings.column_thresholds.items():
        if name in lines:
            lines[name] = (float(value), "threshold set for this column")
    return lines
