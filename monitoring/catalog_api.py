"""Store-level helpers for the app: models, batches and settings, each in its own short unit of work."""

from dataclasses import dataclass

from monitoring.errors import InputError
from monitoring.ingest.roles import RoleOverrides
from monitoring.performance.value import check_fits_task
from monitoring.schema import Model
from monitoring.settings import ModelSettings
from monitoring.store import catalog, window_sql


@dataclass(frozen=True)
class ModelInfo:
    """What the sidebar needs about one model."""

    model: Model
    first: object  # first production timestamp or None
    last: object
    reference_batches: tuple[tuple[int, str], ...]  # (batch id, file name)


def model_names(store) -> list[str]:
    """Names of the stored models, sorted."""
    with store.connect() as con:
        return [m.name for m in catalog.list_models(con)]


def get_model(store, name: str) -> Model:
    with store.connect() as con:
        return catalog.get_model(con, name)


def model_info(store, name: str) -> ModelInfo:
    """The model, its production time span and its reference batches."""
    with store.connect() as con:
        model = catalog.get_model(con, name)
        first, last = window_sql.data_span(con, model)
        frame = catalog.list_batches(con, name)
    refs = frame[frame["kind"] == "reference"]
    pairs = tuple((int(r.id), str(r.file_name)) for r in refs.itertuples())
    return ModelInfo(model, first, last, pairs)


def batches(store, name: str):
    """The model's batches as a DataFrame, newest first."""
    with store.connect() as con:
        frame = catalog.list_batches(con, name)
    return frame.iloc[::-1].reset_index(drop=True)


def schema_changes(store, name: str):
    """Schema changes recorded per batch, as a DataFrame."""
    with store.connect() as con:
        model = catalog.get_model(con, name)
        return catalog.list_schema_changes(con, model.id)


def delete_batch(store, name: str, batch_id: int) -> int:
    """Delete one batch and its rows in one transaction; returns the rows removed."""
    with store.transaction() as con:
        model = catalog.get_model(con, name)
        return catalog.delete_batch(con, model, batch_id)


def save_settings(store, name: str, settings: ModelSettings) -> None:
    """Store new settings for the model (validated by ModelSettings.from_dict first, and the value
    matrix against the model's task)."""
    ModelSettings.from_dict(settings.to_dict())
    with store.transaction() as con:
        model = catalog.get_model(con, name)
        check_fits_task(settings.value_matrix, model.task)
        catalog.save_settings(con, model.id, settings)


SINGLE = ("id", "timestamp", "prediction", "target", "latency", "status", "version", "observed_at")
MANY = ("score", "sensitive", "segment", "ignore")


def overrides_from_columns(rows: list[dict], task: str | None):
    """RoleOverrides from a preview table edited by the user: [{name, role, kind}, ...]."""
    values: dict = {role: [] for role in (*MANY, "categorical", "numeric")}
    for row in rows:
        name, role, kind = row["name"], row["role"], row.get("kind")
        if role in SINGLE:
            if values.get(role):
                raise InputError(f"both {values[role]!r} and {name!r} are marked {role}; keep one")
            values[role] = name
        elif role in MANY:
            values[role].append(name)
        if role in ("feature", "sensitive", "segment") and kind in ("categorical", "numeric"):
            values[kind].append(name)
    return RoleOverrides(task=task, **values)
