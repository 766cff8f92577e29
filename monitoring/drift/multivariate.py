"""Multivariate drift: a domain classifier that tries to tell reference rows from window rows.

A bounded sample (SAMPLE_ROWS per side, drawn in SQL by a hash of the row) trains a
scikit-learn gradient-boosting classifier with 2-fold cross-validation; the ROC AUC of its
out-of-fold scores is the drift score. 0.5 means the two cannot be told apart; a window drifts
when the AUC reaches THRESHOLD (with 2,000 rows a side, chance AUCs stay within about 0.52).
"""

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from monitoring.store import drift_sql, window_sql

SAMPLE_ROWS = 2000
THRESHOLD = 0.55
MIN_ROWS = 50


def domain_classifier_score(reference: pd.DataFrame, current: pd.DataFrame, categorical: list[str]) -> float:
    """Out-of-fold ROC AUC of a classifier separating `current` (1) from `reference` (0)."""
    frame = pd.concat([reference, current], ignore_index=True)
    target = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    for name in categorical:
        frame[name] = frame[name].astype("string").astype("category")
    model = HistGradientBoostingClassifier(max_iter=50, categorical_features="from_dtype", random_state=0)
    folds = StratifiedKFold(n_splits=2, shuffle=True, random_state=0)
    scores = cross_val_predict(model, frame, target, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(target, scores))


def multivariate_section(con, context, columns) -> list[dict]:
    """One record per window: {window, method, statistic (ROC AUC), threshold, drifted, rows}."""
    features = [c for c in columns if c.role == "feature"]
    names = [c.sql_name for c in features]
    categorical = [c.sql_name for c in features if c.kind == "categorical"]
    if not names:
        return []
    ref_source, ref_params = context.reference(con)
    reference = drift_sql.bounded_sample(con, ref_source, ref_params, "0", names, SAMPLE_ROWS)
    source, params = context.production(con)
    current = drift_sql.bounded_sample(con, source, params, window_sql.WINDOW, names, SAMPLE_ROWS)
    records = []
    for key, sample in current.groupby("__group", sort=True):
        index = context.index_of(key)
        rows = min(len(sample), len(reference))
        auc = None
        if rows >= MIN_ROWS:
            auc = domain_classifier_score(reference[names], sample[names], categorical)
        records.append(
            {
                "window": index,
                "method": "domain_classifier",
                "statistic": auc,
                "threshold": THRESHOLD,
                "drifted": auc is not None and auc >= THRESHOLD,
                "rows": int(len(sample)),
            }
        )
    return sorted(records, key=lambda r: r["window"])
