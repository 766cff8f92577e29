"""Settings declared once: defaults and help text live here and nowhere else."""

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from monitoring.errors import InputError
from monitoring.windows import BASELINE_HELP, WINDOW_HELP, Baseline, WindowSpec

DB_ENV_VAR = "MONITORING_DB"
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "monitoring.duckdb"


def default_db_path() -> str:
    """The database file: $MONITORING_DB if set, else data/monitoring.duckdb."""
    return os.environ.get(DB_ENV_VAR) or str(DEFAULT_DB_PATH)


# The drift methods a model may ask for; monitoring/drift/methods.py registers one function for
# each name but auto and domain_classifier (a test keeps the two lists equal).
DRIFT_METHODS = ("auto", "ks", "wasserstein", "psi", "jensenshannon", "hellinger", "chisquare", "ztest")
DRIFT_METHODS += ("domain_classifier",)


VALUE_MATRIX_FORMS = (
    'binary: {"true_positive": 0, "false_positive": -300, "false_negative": -5000, "true_negative": 300}; '
    'any classifier: {"<true class>": {"<predicted class>": value}} (cells not given are worth 0); '
    'regression: {"cost_per_unit_error": 2.5} (the cost of one unit of absolute error)'
)
VALUE_MATRIX_HELP = (
    f"What each prediction is worth, for the business value per window (empty: none). {VALUE_MATRIX_FORMS}."
)
BINARY_CELLS = ("true_positive", "false_positive", "false_negative", "true_negative")
REGRESSION_COST = "cost_per_unit_error"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_value_matrix(matrix) -> None:
    """Refuse a value matrix that none of the three forms in VALUE_MATRIX_HELP reads."""
    problem = "a value matrix must be a JSON object"
    if isinstance(matrix, dict):
        problem = _value_matrix_problem(matrix)
    if problem:
        raise InputError(f"{problem}; the forms are {VALUE_MATRIX_FORMS}")


def parse_value_matrix(text: str, where: str = "the value matrix") -> dict:
    """A value matrix from JSON text (empty text: none), checked; an InputError says what is wrong."""
    if not text.strip():
        return {}
    try:
        matrix = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{where} is not JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            f"the forms are {VALUE_MATRIX_FORMS}"
        ) from None
    check_value_matrix(matrix)
    return matrix


def _value_matrix_problem(matrix: dict) -> str | None:
    if not matrix:
        return None
    if REGRESSION_COST in matrix:
        cost = matrix[REGRESSION_COST]
        if len(matrix) > 1:
            return f"{REGRESSION_COST} stands alone in a regression's value matrix"
        return None if _is_number(cost) else f"{REGRESSION_COST} must be a number, not {cost!r}"
    if set(matrix) <= set(BINARY_CELLS):
        wrong = next((k for k, v in matrix.items() if not _is_number(v)), None)
        return None if wrong is None else f"{wrong} must be a number, not {matrix[wrong]!r}"
    for true, row in matrix.items():
        if not isinstance(row, dict):
            return f"the value matrix entry {true!r} must map predicted classes to values, not {row!r}"
        wrong = next((k for k, v in row.items() if not _is_number(v)), None)
        if wrong is not None:
            return f"the value of true {true!r}, predicted {wrong!r} must be a number, not {row[wrong]!r}"
    return None


def setting(default, help_text: str, choices: tuple = ()):
    """A declared setting: its default, its help text and, where the values are a closed list, the
    choices (validated by ModelSettings and offered by the CLI and the pages)."""
    metadata = {"help": help_text, "choices": choices}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class ModelSettings:
    """Per-model monitoring settings, stored with the model and editable in the app."""

    window: str = setting("week", f"Window size: {WINDOW_HELP}.")
    drift_method: str = setting(
        "auto", "Drift method for every column, or auto to pick per column.", DRIFT_METHODS
    )
    drift_threshold: str = setting(
        "fixed", "fixed (method defaults) or calibrated (from reference windows).", ("fixed", "calibrated")
    )
    column_thresholds: dict = setting({}, "Per-column threshold overrides, {column: value}.")
    dataset_drift_share: float = setting(0.5, "Share of drifted features that makes a window drifted.")
    multiple_testing: str = setting(
        "none", "none, bonferroni or bh (Benjamini-Hochberg) for p-value tests.", ("none", "bonferroni", "bh")
    )
    min_labels: int = setting(100, "A window with fewer labelled rows reports no realized performance.")
    min_group_size: int = setting(30, "Fairness groups smaller than this are flagged as too small.")
    fairness_max_difference: float = setting(
        0.1, "A fairness disparity (max - min rate over groups) at most this passes."
    )
    fairness_cross: tuple = setting((), "Two sensitive attributes to also cross, e.g. ['gender', 'region'].")
    latency_slo_ms: float = setting(500.0, "Latency objective drawn on charts and used by the default rule.")
    range_quantiles: tuple = setting(
        (0.001, 0.999), "Reference quantiles outside which values count as out of range."
    )
    baseline: str = setting("reference", f"What production is compared with: {BASELINE_HELP}.")
    min_segment_rows: int = setting(
        200, "A segment with fewer rows in a window is flagged small and never alerts."
    )
    label_delay_days: float = setting(
        7.0, "Labels are expected this many days after a prediction; older unlabelled rows are overdue."
    )
    retrain_windows: int = setting(
        3, "Retrain when performance is below the critical line for this many windows in a row ..."
    )
    retrain_min_labels: int = setting(
        1000, "... and at least this many labelled rows exist since the reference."
    )
    mlflow_registered_model: str = setting(
        "", "The model's name in the MLflow model registry (mlflow-log tags runs)."
    )
    mlflow_model_version: str = setting(
        "", "The registered model version in production (mlflow-log tags runs)."
    )
    value_matrix: dict = setting({}, VALUE_MATRIX_HELP)

    def __post_init__(self):
        for name, allowed in ModelSettings.all_choices().items():
            value = getattr(self, name)
            if value not in allowed:
                raise InputError(
                    f"unknown {name.replace('_', ' ')} {value!r}; use one of {', '.join(allowed)}"
                )
        WindowSpec.parse(self.window)
        Baseline.parse(self.baseline)
        check_value_matrix(self.value_matrix)

    @staticmethod
    def choices(name: str) -> tuple:
        """The values a setting may take (empty when it is not a closed list)."""
        return next(f.metadata["choices"] for f in fields(ModelSettings) if f.name == name)

    @staticmethod
    def all_choices() -> dict[str, tuple]:
        return {f.name: f.metadata["choices"] for f in fields(ModelSettings) if f.metadata["choices"]}

    @classmethod
    def from_dict(cls, values: dict) -> "ModelSettings":
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise InputError(f"unknown settings {sorted(unknown)}; valid settings are {sorted(known)}")
        values = dict(values)
        if "range_quantiles" in values:
            values["range_quantiles"] = tuple(values["range_quantiles"])
        return replace(cls(), **values)

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def help() -> dict:
        return {f.name: f.metadata["help"] for f in fields(ModelSettings)}
