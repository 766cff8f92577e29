"""Business value: what the model's predictions were worth per window, realized from the labels and
estimated before they arrive, against a baseline (the reference's value per row times the same rows).

The value matrix is the model setting `value_matrix` (settings.VALUE_MATRIX_HELP): for a
classifier the value of each (true, predicted) cell, for a regressor a cost per unit of absolute
error (its value is minus the cost of the errors). Pure functions over confusion matrices and
error sums; the performance section (section.py) calls them where those are at hand and writes the
`business_value` records: {window, kind, value, baseline, lower, upper}.
"""

import numpy as np

from monitoring.errors import InputError
from monitoring.performance.estimation import band
from monitoring.settings import BINARY_CELLS, REGRESSION_COST, VALUE_MATRIX_FORMS


def check_fits_task(matrix: dict, task: str) -> None:
    """Refuse a value matrix of the wrong form for the model's task (an empty one always fits)."""
    if not matrix:
        return
    regression = REGRESSION_COST in matrix
    if task == "regression" and not regression:
        raise InputError(
            f"a regression's value matrix is {{{REGRESSION_COST!r}: cost}}; the forms are {VALUE_MATRIX_FORMS}"
        )
    if task != "regression" and regression:
        raise InputError(
            f"{REGRESSION_COST} is for regression models, this one is {task}; "
            f"give the value of each (true, predicted) cell: {VALUE_MATRIX_FORMS}"
        )
    if task == "multiclass" and set(matrix) <= set(BINARY_CELLS):
        raise InputError(
            "true_positive and the like are for binary models; for multiclass give "
            '{"<true class>": {"<predicted class>": value}}'
        )


def cell_values(matrix: dict, classes: list[str], positive: str | None) -> np.ndarray | None:
    """The value of each (true, predicted) cell in `classes` order; None without a classifier's matrix."""
    if not matrix or REGRESSION_COST in matrix or not classes:
        return None
    index = {c: i for i, c in enumerate(classes)}
    table = np.zeros((len(classes), len(classes)))
    if set(matrix) <= set(BINARY_CELLS):
        if positive not in index:
            return None
        p = index[positive]
        for i in range(len(classes)):
            for j in range(len(classes)):
                name = ("true" if (i == p) == (j == p) else "false") + (
                    "_positive" if j == p else "_negative"
                )
                table[i, j] = matrix.get(name, 0.0)
        return table
    for true, row in matrix.items():
        for predicted, value in row.items():
            if true in index and predicted in index:
                table[index[true], index[predicted]] = value
    return table


def binary_cells(table: np.ndarray, classes: list[str], positive: str) -> np.ndarray:
    """(TP, FP, FN, TN) values of a binary classifier's cell table (the negative: the first other class)."""
    p = classes.index(positive)
    n = next(i for i, c in enumerate(classes) if c != positive)
    return np.array([table[p, p], table[n, p], table[p, n], table[n, n]])


def per_row(matrix: np.ndarray, table: np.ndarray) -> float | None:
    """The value of one prediction on average, from a confusion matrix (the baseline's unit)."""
    rows = matrix.sum()
    return float((matrix * table).sum() / rows) if rows else None


def value_record(window, kind, value, baseline, lower=None, upper=None) -> dict:
    return {
        "window": window,
        "kind": kind,
        "value": value,
        "baseline": baseline,
        "lower": lower,
        "upper": upper,
    }


def _times(unit: float | None, rows: float):
    return None if unit is None else unit * rows


def realized(window, matrix: np.ndarray, table: np.ndarray, unit: float | None, enough: bool) -> dict:
    """Realized value of a window's confusion matrix (labelled rows); null below min_labels."""
    value = float((matrix * table).sum()) if enough and matrix.sum() else None
    return value_record(window, "realized", value, _times(unit, matrix.sum()) if value is not None else None)


def estimated(window, expected, simulated, cells, unit: float | None, widen: float = 1.0) -> dict:
    """Estimated value from the expected confusion (matrix or binary (TP, FP, FN, TN)) and its draws
    (the band widened as the performance estimate's, see estimation.band)."""
    expected, simulated = np.asarray(expected), np.asarray(simulated)
    axes = tuple(range(1, simulated.ndim))
    value, lower, upper = band((expected * cells).sum(), (simulated * cells).sum(axis=axes), widen=widen)
    return value_record(window, "estimated", value, _times(unit, expected.sum()), lower, upper)


def regression_realized(
    window, labelled: int, abs_sum, cost: float, unit: float | None, enough: bool
) -> dict:
    value = -cost * abs_sum if enough and labelled and abs_sum is not None else None
    return value_record(window, "realized", value, _times(unit, labelled) if value is not None else None)


def regression_estimated(window, rows: float, mae: tuple, cost: float, unit: float | None) -> dict:
    """Minus the cost of the estimated absolute errors; the band from the MAE's band."""
    value, low, high = (-cost * rows * v for v in mae)
    lower, upper = sorted((low, high))
    return value_record(window, "estimated", value, _times(unit, rows), lower, upper)
