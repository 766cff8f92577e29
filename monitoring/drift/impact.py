"""Drift ranked by what it does to the model: how much each input matters, times how far it moved.

Importance without the model object: a surrogate (scikit-learn's HistGradientBoosting, categorical
features as categories, fixed seed, one thread) learns the stored score (else the prediction) from
the features on a repeatable hash sample of at most SAMPLE_ROWS reference rows; a quarter of the
sample is held out (at most HELD_OUT_ROWS rows), and permutation importance on it (sklearn.inspection.permutation_importance,
REPEATS shuffles) says how much the surrogate's fit drops without each input. The fit itself (R²
for a numeric output, ROC AUC for a class) says how far to trust the importances. A surrogate that
fits the held-out rows no better than a constant would (R² 0, ROC AUC 0.5, accuracy of always
naming the commonest class) has learned nothing about the output, so it gives no shares and no
impact: its importances are noise. Kept per reference version.

Per window, an input's `drift` is its drift statistic made comparable across columns and methods:
1 is its drift line, 2 twice as far. Distances and calibrated lines: statistic / threshold;
p-value tests: log(p) / log(threshold), at most P_CAP (at large samples every p-value is tiny and
its log grows with the rows, not with the shift: 10 reads "far past its line").
`impact` = drift × importance share.

The ranking over windows (as NannyML's CorrelationRanker) is the Pearson correlation between an
input's drift statistic per window and the absolute change of the headline metric from its
baseline per window (realized where labelled, else estimated).
"""

import math

import numpy as np
import pandas as pd

from monitoring.drift.methods import METHODS
from monitoring.drift.reference_rows import SAMPLE_ROWS, reference_rows, surrogate_target
from monitoring.window_cache import cache_key, for_reference

REPEATS = 5
HELD_OUT_ROWS = 5_000  # permutation importance predicts these rows REPEATS times per input
SEED = 20240301
MAX_CATEGORIES = 250  # HistGradientBoosting's limit is 255 bins; rarer values count as missing
MIN_ROWS = 100
MIN_WINDOWS = 3  # fewer windows with both a drift statistic and a performance change: no ranking
P_FLOOR = 1e-300
P_CAP = 10.0


def _codes(values: pd.Series, listed: list[str]) -> np.ndarray:
    position = {value: float(i) for i, value in enumerate(listed)}
    return values.astype("string").map(position).astype(float).to_numpy(dtype=float, na_value=np.nan)


def _matrix(frame, numeric, categories) -> np.ndarray:
    columns = [frame[c].to_numpy(dtype=float, na_value=np.nan) for c in numeric]
    columns += [_codes(frame[c], listed) for c, listed in categories.items()]
    return np.column_stack(columns)


def _surrogate(numeric_output: bool, is_category: np.ndarray):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kind = HistGradientBoostingRegressor if numeric_output else HistGradientBoostingClassifier
    return kind(
        max_iter=100, categorical_features=is_category if is_category.any() else None, random_state=SEED
    )


def fit_importance(
    sample: pd.DataFrame, numeric: list[str], categorical: list[str], numeric_output: bool
) -> dict | None:
    """{columns, importance, share, fit_metric, fit, rows, held_out_rows} from a reference sample
    (reconstruction_sql.reference_sample's frame, `__output` the target); None with too few rows."""
    import sklearn.ensemble  # noqa: F401 (loaded before threadpool_limits, see loss_estimation.py)
    from sklearn.inspection import permutation_importance
    from threadpoolctl import threadpool_limits

    sample = sample[sample["__output"].notna()]
    held = np.arange(len(sample)) % 4 == 0  # the sample is in hash order: a repeatable quarter
    train, test = sample[~held], sample[held].iloc[:HELD_OUT_ROWS]
    if len(train) < MIN_ROWS or len(test) < MIN_ROWS // 4 or not (numeric or categorical):
        return None
    categories = {c: [str(v) for v in train[c].value_counts().index[:MAX_CATEGORIES]] for c in categorical}
    is_category = np.array([False] * len(numeric) + [True] * len(categorical))
    x_train, x_test = _matrix(train, numeric, categories), _matrix(test, numeric, categories)
    y_train, y_test = train["__output"], test["__output"]
    if not numeric_output:
        y_train, y_test = y_train.astype(str), y_test.astype(str)
        if y_train.nunique() < 2:
            return None
    scoring = _scoring(numeric_output, y_train, y_test)
    with threadpool_limits(1):
        model = _surrogate(numeric_output, is_category).fit(x_train, y_train)
        found = permutation_importance(
            model, x_test, y_test, scoring=scoring, n_repeats=REPEATS, random_state=SEED, n_jobs=1
        )
        from sklearn.metrics import get_scorer

        fit = float(get_scorer(scoring)(model, x_test, y_test))
    importance = np.clip(np.nan_to_num(found.importances_mean), 0.0, None)
    total = importance.sum()
    constant = _constant_fit(scoring, y_train, y_test)
    informative = bool(fit > constant and total > 0)
    share = (importance / total).tolist() if informative else [None] * len(importance)
    return {
        "columns": [*numeric, *categorical],
        "importance": importance.tolist(),
        "share": share,
        "fit_metric": {"r2": "r2_score", "accuracy": "accuracy_score"}.get(scoring, "roc_auc_score"),
        "fit": fit,
        "constant_fit": constant,
        "informative": informative,
        "rows": int(len(train)),
        "held_out_rows": int(len(test)),
    }


def _constant_fit(scoring: str, train: pd.Series, test: pd.Series) -> float:
    """The score a constant output gets on the held-out rows: the floor a surrogate must beat."""
    if scoring == "r2":
        return 0.0
    if scoring == "accuracy":
        return float((test == train.mode().iloc[0]).mean())
    return 0.5


def _scoring(numeric_output: bool, train: pd.Series, test: pd.Series) -> str:
    """R² for a numeric output; ROC AUC for classes, or accuracy when the held-out rows lack a
    class the surrogate learned (ROC AUC is not defined there)."""
    if numeric_output:
        return "r2"
    if set(test.unique()) != set(train.unique()):
        return "accuracy"
    return "roc_auc" if train.nunique() == 2 else "roc_auc_ovr"


def importances(con, context, features) -> dict | None:
    """The surrogate's importances for the `features` (drift section's Monitored columns), kept per
    reference version; None without an output column or with too few reference rows."""
    target = surrogate_target(context.model)
    if target is None or not features:
        return None
    numeric = [c.sql_name for c in features if c.kind == "numeric"]
    categorical = [c.sql_name for c in features if c.kind == "categorical"]
    numeric_output = target[1] == "numeric"
    key = cache_key(
        "importance", context, SAMPLE_ROWS, REPEATS, HELD_OUT_ROWS, target, numeric, categorical, _versions()
    )

    def compute():
        sample = reference_rows(con, context, numeric, categorical)
        found = fit_importance(sample, numeric, categorical, numeric_output)
        return None if found is None else {**found, "target": target[0]}

    return for_reference(con, context, key, compute)


def _versions() -> str:
    from importlib.metadata import version

    return f"sklearn{version('scikit-learn')}"


def normalised_drift(record: dict) -> float | None:
    """The record's drift on a common scale: 1 at its line (see the module's docstring)."""
    statistic, threshold, p_value = record.get("statistic"), record.get("threshold"), record.get("p_value")
    method = METHODS.get(record.get("method"))
    calibrated = "calibrated on" in (record.get("reason") or "")
    if method is not None and method.p_value and not calibrated:
        if p_value is None or threshold is None or not 0 < threshold < 1:
            return None
        return min(P_CAP, math.log(max(p_value, P_FLOOR)) / math.log(threshold))
    if statistic is None or not threshold:
        return None
    return statistic / threshold


def by_segment(records: list[dict]) -> dict:
    """{segment: its records}: one group keyed None when the report is not grouped (--by)."""
    groups: dict = {}
    for record in records:
        groups.setdefault(record.get("segment"), []).append(record)
    return groups


def _tagged(records: list[dict], segment, grouped: bool) -> list[dict]:
    return [{**r, "segment": segment} for r in records] if grouped else records


def impact_records(drift: list[dict], found: dict) -> list[dict]:
    """Per window (and segment, when grouped): one record per feature {window, column, drift,
    importance, impact, rank} (rank 1 the largest impact), and one with `column` null whose `drift`
    and `impact` are the importance-weighted drift of the window (the shares sum to 1, so 1 means
    "at the line"). None from a surrogate no better than a constant."""
    if not found["informative"]:
        return []
    share = dict(zip(found["columns"], found["share"], strict=True))
    grouped = any("segment" in r for r in drift)
    records = []
    for segment, mine in by_segment(drift).items():
        records += _tagged(_window_impacts(mine, share), segment, grouped)
    return records


def _window_impacts(drift: list[dict], share: dict) -> list[dict]:
    records = []
    windows = sorted({r["window"] for r in drift})
    for window in windows:
        mine = []
        for r in drift:
            if r["window"] != window or r["role"] != "feature" or r["column"] not in share:
                continue
            level = normalised_drift(r)
            impact = None if level is None else level * share[r["column"]]
            mine.append(
                {
                    "window": window,
                    "column": r["column"],
                    "drift": level,
                    "importance": share[r["column"]],
                    "impact": impact,
                }
            )
        ordered = sorted(mine, key=lambda r: (r["impact"] is None, -(r["impact"] or 0.0), r["column"]))
        for rank, record in enumerate(ordered, 1):
            record["rank"] = rank if record["impact"] is not None else None
        weighted = sum(r["impact"] for r in ordered if r["impact"] is not None)
        valued = any(r["impact"] is not None for r in ordered)
        records += ordered
        records.append(
            {
                "window": window,
                "column": None,
                "drift": weighted if valued else None,
                "importance": 1.0,
                "impact": weighted if valued else None,
                "rank": None,
            }
        )
    return records


def performance_changes(performance: list[dict], metric: str | None) -> dict[int, float]:
    """{window: |value - baseline|} of `metric`, realized where it has a value, else estimated."""
    chosen: dict[int, dict] = {}
    for r in performance:
        if r.get("metric") != metric or r.get("value") is None or r.get("baseline") is None:
            continue
        if r["window"] not in chosen or r.get("kind") == "realized":
            chosen[r["window"]] = r
    return {w: abs(r["value"] - r["baseline"]) for w, r in chosen.items()}


def ranking_records(drift: list[dict], performance: list[dict], metric: str | None) -> list[dict]:
    """Per feature (and segment, when grouped): {column, method, metric, correlation, p_value,
    windows, rank} over the windows that have both its statistic and a performance change; none
    with fewer than MIN_WINDOWS."""
    grouped = any("segment" in r for r in drift)
    changes = by_segment(performance)
    records = []
    for segment, mine in by_segment(drift).items():
        found = _ranking(mine, performance_changes(changes.get(segment, []), metric), metric)
        records += _tagged(found, segment, grouped)
    return records


def _ranking(drift: list[dict], changes: dict, metric: str | None) -> list[dict]:
    from scipy.stats import pearsonr

    by_column: dict[str, list] = {}
    for r in drift:
        if r["role"] == "feature" and r.get("statistic") is not None and r["window"] in changes:
            by_column.setdefault(r["column"], []).append(r)
    records = []
    for column, rows in by_column.items():
        if len(rows) < MIN_WINDOWS:
            continue
        x = np.array([r["statistic"] for r in rows])
        y = np.array([changes[r["window"]] for r in rows])
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            correlation, p_value = None, None
        else:
            result = pearsonr(x, y)
            correlation, p_value = float(result.statistic), float(result.pvalue)
        records.append(
            {
                "column": column,
                "method": rows[0]["method"],
                "metric": metric,
                "correlation": correlation,
                "p_value": p_value,
                "windows": len(rows),
            }
        )
    records.sort(key=lambda r: (r["correlation"] is None, -(r["correlation"] or 0.0), r["column"]))
    for rank, record in enumerate(records, 1):
        record["rank"] = rank if record["correlation"] is not None else None
    return records


def importance_records(found: dict | None) -> list[dict]:
    """One record per feature: {column, importance, share, target, fit_metric, fit, constant_fit,
    informative, rows, held_out_rows}; `share` null for every feature of an uninformative surrogate."""
    if not found:
        return []
    fields = ("target", "fit_metric", "fit", "constant_fit", "informative", "rows", "held_out_rows")
    same = {k: found[k] for k in fields}
    pairs = zip(found["columns"], found["importance"], found["share"], strict=True)
    ordered = sorted(pairs, key=lambda item: (-(item[2] or 0.0), -item[1], item[0]))
    return [{"column": c, "importance": i, "share": s, **same} for c, i, s in ordered]


def impact_sections(con, context, drift_result: dict, performance_result: dict, metric: str | None) -> dict:
    """The report's `feature_importance`, `drift_impact` and `drift_ranking` sections."""
    from monitoring.drift.section import comparable_columns

    drift = drift_result.get("drift") or []
    empty = {"feature_importance": [], "drift_impact": [], "drift_ranking": []}
    if not drift:
        return empty
    features = [
        c for c in comparable_columns(con, context.model, context.baseline.kind) if c.role == "feature"
    ]
    found = importances(con, context, features)
    ranking = ranking_records(drift, performance_result.get("performance") or [], metric)
    if not found:
        return {**empty, "drift_ranking": ranking}
    return {
        "feature_importance": importance_records(found),
        "drift_impact": impact_records(drift, found),
        "drift_ranking": ranking,
    }
