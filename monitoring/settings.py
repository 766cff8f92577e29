"""Settings declared once: defaults and help text live here and nowhere else."""

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

    def __post_init__(self):
        for name, allowed in ModelSettings.all_choices().items():
            value = getattr(self, name)
            if value not in allowed:
                raise InputError(
                    f"unknown {name.replace('_', ' ')} {value!r}; use one of {', '.join(allowed)}"
                )
        WindowSpec.parse(self.window)
        Baseline.parse(self.baseline)

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
