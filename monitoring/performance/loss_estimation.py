"""Regression performance estimated before labels arrive: direct loss estimation (as NannyML's DLE).

1. Fit: on a repeatable hash sample of at most SAMPLE_ROWS labelled reference rows, one
   HistGradientBoostingRegressor per loss learns each row's absolute error, squared error and
   absolute percentage error (rows with a non-zero target) from the features (categorical ones as
   categories) and the prediction. A quarter of the sample is held out and not fitted on.
2. Keep: the fitted models are pickled into the summary cache (base64 text, keyed by the
   reference's batches, the columns and the scikit-learn and numpy versions), so that a new process
   scores a new window without refitting; `_LOADED` keeps the unpickled models of this process.
3. Score: production rows stream from DuckDB in record batches; each batch's predicted losses are
   summed per window. Only these sums feed the records, which are kept per window.
4. Estimate: MAE is the mean predicted absolute error, MSE the mean predicted squared error, RMSE
   its root, MAPE the mean predicted percentage error. Band: estimate ± z · sd · √(1/n + 1/h),
   where sd is the spread of the estimator's own error per row on the h held-out rows. sd/√n is the
   spread of its error over chunks of the window's n rows (computed, not cut: a small reference has
   too few chunks); sd/√h is the uncertainty of its level, measured on the held-out rows.
"""

import base64
import hashlib
import json
import pickle
from collections import OrderedDict
from importlib.metadata import version

import numpy as np
import pandas as pd

from monitoring.store import estimation_sql
from monitoring.store.catalog import table_columns
from monitoring.store.window_sql import has_rows
from monitoring.window_cache import cache_key, for_reference

SAMPLE_ROWS = 200_000
MIN_ROWS = 100  # fewer labelled reference rows: no estimate
MAX_CATEGORIES = 250  # the most frequent values of a categorical feature; others count as missing
LOSSES = ("absolute", "squared", "percentage")
Z = 1.959964  # 95% band
SEED = 20240301
DOMINANT_SHARE = 0.3


def versions() -> str:
    """What a kept model depends on besides the data: a model pickled by another version is refitted."""
    return f"sklearn{version('scikit-learn')}-numpy{version('numpy')}"


def _categories(values: pd.Series) -> list[str]:
    counts = values.dropna().value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [value for value, _ in ranked[:MAX_CATEGORIES]]


def encode(frame: pd.DataFrame, numeric: list[str], categories: dict[str, list[str]]) -> np.ndarray:
    """The model's input as store.estimation_sql.scoring_batches builds it: numeric features, the
    position of each categorical value in its list (NaN if missing or not listed), the prediction."""
    columns = [frame[c].to_numpy(dtype=float, na_value=np.nan) for c in numeric]
    for column, listed in categories.items():
        position = {value: float(i) for i, value in enumerate(listed)}
        columns.append(frame[column].map(position).to_numpy(dtype=float, na_value=np.nan))
    columns.append(frame["__prediction"].to_numpy(dtype=float, na_value=np.nan))
    return np.column_stack(columns)


def losses(prediction: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """Each row's absolute, squared and absolute percentage error (NaN where the target is 0)."""
    error = prediction - target
    with np.errstate(divide="ignore", invalid="ignore"):
        percentage = np.where(target != 0, np.abs(error) / np.abs(target), np.nan)
    return {"absolute": np.abs(error), "squared": error**2, "percentage": percentage}


def _regressor(rows: int, categorical: np.ndarray):
    from sklearn.ensemble import HistGradientBoostingRegressor

    # Small trees and a larger step: the losses are mostly noise, and with 31 leaves at 0.1 the
    # held-out error was the same while scoring took three times as long.
    return HistGradientBoostingRegressor(
        max_iter=100,
        learning_rate=0.2,
        max_leaf_nodes=15,
        categorical_features=categorical if categorical.any() else None,
        early_stopping=rows > 10_000,
        random_state=SEED,
    )


def fit_loss_models(sample: pd.DataFrame, numeric: list[str], categorical: list[str]) -> dict | None:
    """The fitted estimators and their held-out error spread; None with too few rows.

    `sample` is store.estimation_sql.reference_sample's frame.
    """
    # deferred (seconds to import), and before threadpool_limits: it limits the OpenMP that is
    # loaded when it starts, and scikit-learn brings OpenMP with it
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    train, held = sample[~sample["__holdout"]], sample[sample["__holdout"]]
    if len(train) < MIN_ROWS or len(held) < 2:
        return None
    categories = {c: _categories(train[c]) for c in categorical}
    is_category = np.array([False] * len(numeric) + [True] * len(categorical) + [False])
    x_train, x_held = encode(train, numeric, categories), encode(held, numeric, categories)
    truth = losses(train["__prediction"].to_numpy(float), train["__target"].to_numpy(float))
    held_truth = losses(held["__prediction"].to_numpy(float), held["__target"].to_numpy(float))
    models, spread = {}, {}
    if _few_rows_dominate(np.r_[truth["percentage"], held_truth["percentage"]]):
        truth["percentage"][:] = np.nan  # no MAPE estimate, see _few_rows_dominate
    # one thread: OpenMP threads on a busy machine made a fit 10-20x slower, not faster
    with threadpool_limits(1):
        for loss in LOSSES:
            keep, held_keep = np.isfinite(truth[loss]), np.isfinite(held_truth[loss])
            if keep.sum() < MIN_ROWS or held_keep.sum() < 2:
                continue
            model = _regressor(int(keep.sum()), is_category).fit(x_train[keep], truth[loss][keep])
            error = held_truth[loss][held_keep] - model.predict(x_held[held_keep])
            models[loss] = model
            spread[loss] = {
                "rows": int(held_keep.sum()),
                "bias": float(error.mean()),
                "sd": float(error.std()),
            }
    if not models:
        return None
    return {
        "models": models,
        "numeric": numeric,
        "categories": categories,
        "holdout": spread,
        "rows": len(train),
    }


def _few_rows_dominate(percentage: np.ndarray) -> bool:
    """Whether the largest 1% of the percentage errors hold more than 30% of their sum.

    Targets near zero make a few percentage errors huge; their mean then depends on whether one
    such row falls in the window, which nothing can estimate (in a simulation with targets
    crossing zero the estimate was twice the realized MAPE). Realized MAPE is still reported.
    """
    found = np.sort(percentage[np.isfinite(percentage)])[::-1]
    if not len(found) or not found.sum():
        return False
    return found[: max(1, len(found) // 100)].sum() > DOMINANT_SHARE * found.sum()


_LOADED: OrderedDict = OrderedDict()  # digest of the pickle -> models, the last few used
_LOADED_SIZE = 4


def pack(fitted: dict | None) -> dict:
    """The fit as JSON-able values for the summary cache (the models as base64 pickle)."""
    if fitted is None:
        return {}
    packed = base64.b64encode(pickle.dumps(fitted["models"], protocol=5)).decode("ascii")
    return {**{k: v for k, v in fitted.items() if k != "models"}, "models": packed}


def unpack(kept: dict) -> dict | None:
    """The fit back from `pack` (the unpickled models come from memory when used lately).

    The pickle is our own, written by `pack` into the database this process opened; the cache key
    names the library versions, so a pickle of another version is never read.
    """
    if not kept:
        return None
    digest = hashlib.sha1(kept["models"].encode("ascii")).hexdigest()
    if digest not in _LOADED:
        _LOADED[digest] = pickle.loads(base64.b64decode(kept["models"]))  # noqa: S301 (see above)
        while len(_LOADED) > _LOADED_SIZE:
            _LOADED.popitem(last=False)
    _LOADED.move_to_end(digest)
    return {**kept, "models": _LOADED[digest]}


def window_sums(batches, fitted: dict) -> dict:
    """{window key: [rows, sum of each predicted loss in LOSSES order]} over (keys, matrix) batches."""
    import sklearn.ensemble  # noqa: F401 (the models are unpickled: loaded already; see fit_loss_models)
    from threadpoolctl import threadpool_limits

    sums: dict = {}
    with threadpool_limits(1):
        for keys, matrix in batches:
            codes, unique = pd.factorize(keys)
            per_window = [np.bincount(codes, minlength=len(unique))]
            for loss in LOSSES:
                model = fitted["models"].get(loss)
                predicted = model.predict(matrix) if model is not None else np.zeros(len(codes))
                per_window.append(np.bincount(codes, weights=predicted, minlength=len(unique)))
            for i, key in enumerate(_plain_keys(unique)):
                found = sums.setdefault(key, [0.0] * (1 + len(LOSSES)))
                for j, values in enumerate(per_window):
                    found[j] += float(values[i])
    return sums


def _plain_keys(unique) -> list:
    """Window keys as the store lists them (datetime, int)."""
    if isinstance(unique, pd.DatetimeIndex):
        return list(unique.to_pydatetime())
    return [k.item() if hasattr(k, "item") else k for k in unique]


def estimate_losses(rows: float, sums: list[float], holdout: dict) -> dict[str, tuple]:
    """{metric: (estimate, lower, upper)} of one window from its `window_sums` entry."""
    if not rows:
        return {}
    found = {}
    for loss, total in zip(LOSSES, sums, strict=True):
        spread = holdout.get(loss)
        if spread is None:
            continue
        mean = total / rows
        half = Z * spread["sd"] * np.sqrt(1 / rows + 1 / spread["rows"])
        found[loss] = (mean, mean - half, mean + half)
    result = {}
    if "absolute" in found:
        result["mean_absolute_error"] = _clipped(found["absolute"])
    if "squared" in found:
        mse = _clipped(found["squared"])
        result["mean_squared_error"] = mse
        result["root_mean_squared_error"] = tuple(float(np.sqrt(v)) for v in mse)
    if "percentage" in found:
        result["mean_absolute_percentage_error"] = _clipped(found["percentage"])
    return result


def _clipped(triple) -> tuple[float, float, float]:
    """A loss is never negative: neither its estimate nor its band."""
    return tuple(max(0.0, float(v)) for v in triple)


def _features(model) -> tuple[list[str], list[str]]:
    numeric = [c.name for c in model.features if c.kind == "numeric"]
    return numeric, [c.name for c in model.features if c.kind == "categorical"]


def fitted_models(con, context) -> dict | None:
    """The model's loss estimators, fitted once per reference version (see the module's notes)."""
    model = context.model
    prediction = model.column("prediction")
    if prediction is None or not has_rows(con, model, "reference"):
        return None
    if prediction.name not in table_columns(con, model.table("reference")):
        return None
    numeric, categorical = _features(model)

    def compute() -> dict:
        source, params = context.reference(con)
        sample = estimation_sql.reference_sample(
            con,
            source,
            params,
            numeric=numeric,
            categorical=categorical,
            prediction=prediction.name,
            rows=SAMPLE_ROWS,
        )
        return pack(fit_loss_models(sample, numeric, categorical))

    described = hashlib.sha1(json.dumps([numeric, categorical, prediction.name]).encode()).hexdigest()[:16]
    key = cache_key("performance", context, "loss-models", described, versions())
    return unpack(for_reference(con, context, key, compute))


def regression_estimates(con, context) -> dict:
    """{window key: (rows scored, {metric: (estimate, lower, upper)})} for the context's windows."""
    if not context.windows:
        return {}
    fitted = fitted_models(con, context)
    if fitted is None:
        return {}
    source, params = context.production(con)
    batches = estimation_sql.scoring_batches(
        con,
        source,
        params,
        numeric=fitted["numeric"],
        categories=fitted["categories"],
        prediction=context.model.column("prediction").name,
    )
    sums = window_sums(batches, fitted)
    return {
        key: (found[0], estimate_losses(found[0], found[1:], fitted["holdout"]))
        for key, found in sums.items()
    }
