"""Proposals made before anything is stored: when a production file lacks exactly one column the
reference has (besides the keys), and that column looks like an outcome (two values, or numbers for
a regression), it is most likely the target that the reference was labelled with. The model then
has no target yet, so neither estimation nor realized performance can work until it is marked."""

from dataclasses import dataclass

from monitoring.schema import Model
from monitoring.store import catalog

KEY_ROLES = (
    "id",
    "timestamp",
    "prediction",
    "score",
    "latency",
    "status",
    "version",
    "observed_at",
    "ignore",
)


@dataclass(frozen=True)
class Proposal:
    column: str
    role: str
    reason: str

    def command(self, model: str) -> str:
        return f"python -m monitoring roles --model {model} --set {self.column}={self.role}"


def target_proposal(con, model: Model, kind: str, present: set[str]) -> Proposal | None:
    """The target proposal for a file of `kind` with the `present` columns, or None."""
    if kind != "production" or model.column("target") is not None:
        return None
    in_reference = (
        set(catalog.table_columns(con, model.table("reference"))) if _has_reference(con, model) else set()
    )
    missing = [
        c
        for c in model.columns
        if c.name in in_reference and c.name not in present and c.role not in KEY_ROLES
    ]
    if len(missing) != 1:
        return None
    column = missing[0]
    distinct = catalog.distinct_count(con, model.table("reference"), column.name)
    if distinct == 2:
        why = "has two values in the reference"
    elif model.task == "regression" and column.kind == "numeric":
        why = "is numeric in the reference of a regression model"
    else:
        return None
    reason = (
        f"'{column.name}' is in the reference but not in this production file, and {why}: it looks like "
        "the outcome the model predicts (labels arrive later). Mark it as the target to get estimated "
        "performance now and realized performance when labels arrive."
    )
    return Proposal(column.name, "target", reason)


def _has_reference(con, model: Model) -> bool:
    return catalog.table_exists(con, model.table("reference"))
