"""Store-level helpers for the app: models, batches and settings, each in its own short unit of work."""

from dataclasses import dataclass

from monitoring.alerts.evaluate import evaluate_after_ingest
from monitoring.alerts.rules import SEVERITIES
from monitoring.errors import InputError
from monitoring.ingest import role_changes
from monitoring.ingest.roles import RoleOverrides
from monitoring.performance.value import check_fits_task
from monitoring.schema import Model
from monitoring.settings import ModelSettings
from monitoring.store import alerts_sql, attached_sql, catalog, window_sql


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


def most_urgent_model(store) -> str | None:
    """The model whose open alerts are the most severe (most critical, then high, ...), else the
    first by name: where the app opens when the URL names no model."""
    with store.connect() as con:
        names = [m.name for m in catalog.list_models(con)]
        counts = alerts_sql.open_counts(con)
    weight = {name: [0] * len(SEVERITIES) for name in names}
    for name, severity, count in counts:
        if name in weight and severity in SEVERITIES:
            weight[name][SEVERITIES.index(severity)] = count
    return max(names, key=lambda n: (weight[n], [-ord(c) for c in n]), default=None)


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


def attached(store, name: str):
    """The model's attached Parquet datasets as a DataFrame (kind, path, files, partitioned, batch)."""
    with store.connect() as con:
        catalog.get_model(con, name)
        return attached_sql.list_attached(con, name)


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


FILES_STAY = "nothing was copied, so no rows are deleted and its files stay where they are"


def delete_batch_prompt(label: str, attached: bool) -> str:
    """The confirmation for deleting a batch: an attached dataset's batch is only detached."""
    if attached:
        return f"Yes, detach {label}: only its registration is removed ({FILES_STAY})"
    return f"Yes, delete {label} and its rows"


def deleted_batch_message(batch_id: int, removed: int, attached: bool) -> str:
    if attached:
        return f"Detached batch {batch_id}; {FILES_STAY}."
    return f"Deleted batch {batch_id} ({removed:,} rows)."


def delete_model_warning(store, name: str) -> str:
    """What deleting the model removes: stored rows are deleted, attached datasets only detached."""
    with store.connect() as con:
        model = catalog.get_model(con, name)
        attached = bool(attached_sql.attachments(con, model.id))
    if attached:
        return "its stored rows, batches, alerts and rules (attached datasets are detached: their files stay)"
    return "all its rows, batches, alerts and rules"


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


def change_roles(store, name: str, changes: dict[str, tuple[str, str | None]]) -> Model:
    """Apply role changes to a model's columns in one transaction (see ingest/role_changes.py),
    drop the summaries computed with the old roles, then evaluate the alert rules again."""
    with store.transaction() as con:
        model = catalog.get_model(con, name)
        columns = role_changes.changed_columns(
            model, changes, has_labels=catalog.has_batches(con, model.id, "labels")
        )
        for old, new in zip(model.columns, columns, strict=True):
            if new.kind != old.kind and new.kind in ("numeric", "categorical", "id"):
                _convert(con, model, new)
        catalog.save_columns(con, model.id, columns)
        catalog.forget_summaries(con, model.id)
        catalog.bump_data_version(con, model.id)
    evaluate_after_ingest(store, name)
    return get_model(store, name)


def _convert(con, model: Model, column) -> None:
    bad, example = catalog.unconvertible(con, model, column.name, column.kind)
    if bad:
        raise InputError(
            f"{column.name!r} cannot become numeric: {bad:,} stored value(s) are not numbers, e.g. "
            f"{str(example)[:80]!r}; keep it categorical"
        )
    catalog.convert_column(con, model, column.name, column.kind)


def rename_model(store, name: str, new_name: str) -> None:
    new_name = (new_name or "").strip()
    if not new_name:
        raise InputError("give the model a new name that is not empty")
    with store.transaction() as con:
        catalog.rename_model(con, catalog.get_model(con, name), new_name)


def delete_model(store, name: str) -> None:
    """Delete the model and everything of it (rows, batches, alerts, rules, settings) in one transaction."""
    with store.transaction() as con:
        catalog.delete_model(con, catalog.get_model(con, name))
