"""Settings declared once: defaults and help text live here and nowhere else."""

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from monitoring.errors import InputError

DB_ENV_VAR = "MONITORING_DB"
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "monitoring.duckdb"


def default_db_path() -> str:
    """The database file: $MONITORING_DB if set, else data/monitoring.duckdb."""
    return os.environ.get(DB_ENV_VAR) or str(DEFAULT_DB_PATH)


def setting(default, help_text: str):
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata={"help": help_text})
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class ModelSettings:
    """Per-model monitoring settings, stored with the model and editable in the app."""

    window: str = setting("week", "Window size: hour, day, week, month, batch or rows:N.")
    drift_method: str = setting("auto", "Drift method for every column, or auto to pick per column.")
    drift_threshold: str = setting("fixed", "fixed (method defaults) or calibrated (from reference windows).")
    column_thresholds: dict = setting({}, "Per-column threshold overrides, {column: value}.")
    dataset_drift_share: float = setting(0.5, "Share of drifted features that makes a window drifted.")
    multiple_testing: str = setting("none", "none, bonferroni or bh (Benjamini-Hochberg) for p-value tests.")
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
