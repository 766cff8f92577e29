"""Multivariate drift by data reconstruction (PCA), as NannyML's DataReconstructionDriftCalculator.

1. Fit on a repeatable hash sample of at most SAMPLE_ROWS reference rows (reference_rows.py, the
   surrogate's sample too): categorical features are
   frequency encoded (each value becomes its share of the sample's rows; a value the sample does
   not hold, 0; only the MAX_CATEGORIES most frequent values are listed, the rest count as unseen);
   missing values are imputed with the sample's mean of the (encoded) input; every input is
   standardised by the sample's mean and standard deviation (an input constant in the sample is
   left out). PCA (scikit-learn) keeps the fewest components that explain VARIANCE of the variance.
2. A row's reconstruction error is the distance between its standardised inputs and their
   reconstruction from the kept components; a window's statistic is its rows' mean error,
   evaluated by DuckDB in the scan (store/reconstruction_sql.py): no row comes into Python.
3. Lines: the reference is cut into chunks of the median window size (as calibrated drift lines);
   the mean error of each full chunk gives mean ± 3 standard deviations. A window drifts outside
   them. A reference with fewer than 3 full chunks is cut into 10 shorter chunks instead, and
   their spread scaled by √(chunk rows / window rows); below 100 rows a chunk, there are no lines.
The fit and the lines are kept per reference version; each window's record is kept per window.
"""

import numpy as np
import pandas as pd

from monitoring.drift.calibration import MIN_CHUNKS, SIGMAS, chunk_order, chunk_size
from monitoring.drift.reference_rows import SAMPLE_ROWS, reference_rows
from monitoring.store import drift_sql, reconstruction_sql, window_sql
from monitoring.window_cache import by_window, cache_key, days_of, for_reference, in_days, per_window

METHOD = "pca_reconstruction"
VARIANCE = 0.65
MAX_CATEGORIES = 50
MIN_ROWS = 100
FALLBACK_CHUNKS = 10


def frequency_encoded(values: pd.Series, listed: dict[str, float]) -> np.ndarray:
    """Each value's listed share (0 for a value not listed), NaN where missing."""
    text = values.astype("string")
    encoded = text.map(listed).astype(float)
    return encoded.where(text.isna() | encoded.notna(), 0.0).to_numpy(dtype=float, na_value=np.nan)


def encode_sample(sample, numeric: list[str], categorical: list[str]) -> tuple[np.ndarray, dict]:
    """The sample's inputs as a matrix (numeric, then frequency-encoded categorical columns, NaN
    where missing) and {categorical column: {value: share}}."""
    columns = [sample[c].to_numpy(dtype=float, na_value=np.nan) for c in numeric]
    frequencies = {}
    for name in categorical:
        counts = sample[name].value_counts(normalize=False, dropna=True)
        shares = (counts / len(sample)).sort_values(ascending=False, kind="stable")
        listed = {str(k): float(v) for k, v in shares.head(MAX_CATEGORIES).items()}
        frequencies[name] = listed
        columns.append(frequency_encoded(sample[name], listed))
    return np.column_stack(columns) if columns else np.empty((len(sample), 0)), frequencies


def fit_reconstruction(sample, numeric: list[str], categorical: list[str]) -> dict | None:
    """The fitted encoding, standardisation and components (JSON-able); None with too few rows."""
    from sklearn.decomposition import PCA

    if len(sample) < MIN_ROWS:
        return None
    matrix, frequencies = encode_sample(sample, numeric, categorical)
    valued = (~np.isnan(matrix)).sum(axis=0)
    fill = np.where(valued > 0, np.nansum(matrix, axis=0) / np.maximum(valued, 1), np.nan)  # NaN: all missing
    filled = np.where(np.isnan(matrix), fill, matrix)
    scale = filled.std(axis=0)
    keep = np.isfinite(fill) & (scale > 1e-12 * np.maximum(1.0, np.abs(fill)))
    names = [*numeric, *categorical]
    numeric = [n for n, k in zip(names, keep, strict=True) if k and n in numeric]
    categorical = [n for n, k in zip(names, keep, strict=True) if k and n in categorical]
    filled, fill, scale = filled[:, keep], fill[keep], scale[keep]
    inputs = filled.shape[1]
    if inputs < 2 or len(filled) < max(MIN_ROWS, 2 * inputs):
        return None
    z = (filled - fill) / scale
    pca = PCA(svd_solver="full").fit(z)
    kept = int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), VARIANCE - 1e-12) + 1)
    center = fill + pca.mean_ * scale  # folds PCA's own centring into the standardisation
    return {
        "numeric": numeric,
        "categorical": categorical,
        "frequencies": {n: frequencies[n] for n in categorical},
        "fill": fill.tolist(),
        "center": center.tolist(),
        "scale": scale.tolist(),
        "kept": pca.components_[:kept].tolist(),
        "dropped": pca.components_[kept:].tolist(),
        "rows": int(len(filled)),
        "explained": float(np.cumsum(pca.explained_variance_ratio_)[kept - 1]),
    }


def _fit(con, context, features) -> dict | None:
    numeric = [c.sql_name for c in features if c.kind == "numeric"]
    categorical = [c.sql_name for c in features if c.kind == "categorical"]
    key = cache_key("pca", context, SAMPLE_ROWS, VARIANCE, MAX_CATEGORIES, numeric, categorical)

    def compute():
        return fit_reconstruction(reference_rows(con, context, numeric, categorical), numeric, categorical)

    return for_reference(con, context, key, compute)


def _lines(con, context, fit: dict, size: int) -> dict:
    """{"lower", "upper", "mean", "chunks", "chunk_rows"} from the mean error of each full reference
    chunk of `size` rows; a reference too short for MIN_CHUNKS of them is cut into FALLBACK_CHUNKS
    shorter chunks and their spread scaled to `size` rows (a mean's spread shrinks as 1/√rows)."""
    key = cache_key("pca-lines", context, SAMPLE_ROWS, VARIANCE, size, fit["numeric"], fit["categorical"])

    def compute():
        source, params = context.reference(con)
        order = chunk_order(con, context)
        rows = sum(drift_sql.chunk_rows(con, source, params, "NULL").values())
        used = size if rows // size >= MIN_CHUNKS else rows // FALLBACK_CHUNKS
        if used < MIN_ROWS:
            return {"lower": None, "upper": None, "mean": None, "chunks": 0, "chunk_rows": used}
        found = reconstruction_sql.chunk_mean_errors(con, fit, source, params, order, used)
        errors = [mean for mean, count in found if count >= used]
        if len(errors) < MIN_CHUNKS:  # too short once the rows with the output are kept
            return {"lower": None, "upper": None, "mean": None, "chunks": len(errors), "chunk_rows": used}
        mean, spread = float(np.mean(errors)), float(np.std(errors, ddof=1)) * np.sqrt(used / size)
        return {
            "lower": mean - SIGMAS * spread,
            "upper": mean + SIGMAS * spread,
            "mean": mean,
            "chunks": len(errors),
            "chunk_rows": used,
        }

    return for_reference(con, context, key, compute)


def reconstruction_section(con, context, features) -> list[dict]:
    """One record per window: {window, method, statistic (mean error), threshold (upper line),
    lower_threshold, reference_error, drifted, rows, components, explained_variance, reason}."""
    if not features or not context.windows:
        return []
    fit = _fit(con, context, features)
    if fit is None:
        return []
    size = chunk_size(context.windows)
    lines = _lines(con, context, fit, size)

    def compute(con, part) -> dict:
        found = _mean_errors(con, part, fit)
        records = [
            _record(part.index_of(key), mean, rows, fit, lines, size) for key, (mean, rows) in found.items()
        ]
        return {"multivariate_drift": [r for r in records if r["window"] is not None]}

    kept = per_window(
        con, context, "pca", compute, ("multivariate_drift",), size, lines["upper"], len(fit["kept"])
    )
    return sorted(kept["multivariate_drift"], key=lambda r: r["window"])


def _mean_errors(con, context, fit: dict) -> dict:
    """{window key: (mean error, rows)} of the context's windows; a day's, a week's or a month's
    from its days' (each kept while the day's batches are): a new day in a week scans that day
    alone, and a daily report reads the days the rules' weekly evaluation computed."""
    if not (in_days(context) or context.spec.unit == "day"):
        source, params = context.production(con)
        return reconstruction_sql.mean_errors(con, fit, source, params, window_sql.WINDOW)

    def compute(con, days) -> dict:
        source, params = days.production(con)
        found = reconstruction_sql.mean_errors(con, fit, source, params, window_sql.WINDOW)
        return {
            "errors": [
                {"window": days.index_of(k), "day": str(k), "mean": m, "rows": n}
                for k, (m, n) in found.items()
            ]
        }

    days = days_of(con, context, context.windows)
    if not days.windows:
        return {}
    kept = per_window(con, days, "pca-days", compute, ("errors",), len(fit["kept"]), fit["explained"])
    day_of = {str(w.key): w.key for w in days.windows}  # a kept record's index is that of its own report
    by_day = {day_of[r["day"]]: r for r in kept["errors"]}
    found = {}
    for key, parts in by_window(context.windows, by_day).items():
        rows = sum(r["rows"] for r in parts)
        if rows:
            found[key] = (sum(r["mean"] * r["rows"] for r in parts) / rows, rows)
    return found


def _record(window, mean: float, rows: int, fit: dict, lines: dict, size: int) -> dict:
    lower, upper, used = lines["lower"], lines["upper"], lines["chunk_rows"]
    if upper is None:
        reason = f"no lines: the reference is too short for chunks of at least {MIN_ROWS} rows"
    elif used == size:
        reason = f"lines at mean ± 3 std of {lines['chunks']} reference chunks of {size} rows"
    else:
        reason = (
            f"lines at mean ± 3 std of {lines['chunks']} reference chunks of {used} rows, the spread "
            f"scaled to windows of {size} rows (too few full chunks of that size)"
        )
    return {
        "window": window,
        "method": METHOD,
        "statistic": mean,
        "threshold": upper,
        "lower_threshold": lower,
        "reference_error": lines["mean"],
        "drifted": upper is not None and not (lower <= mean <= upper),
        "rows": rows,
        "components": len(fit["kept"]),
        "explained_variance": fit["explained"],
        "reason": reason,
    }
