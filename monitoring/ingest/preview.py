"""What ingesting a file would do, read without storing anything: its rows, each column's role and
kind, and proposals (e.g. the target a production file implies)."""

from dataclasses import dataclass
from pathlib import Path

from monitoring.ingest.files import detect_format
from monitoring.ingest.pipeline import FILE_ERRORS, explained, merge_columns, stage_rows
from monitoring.ingest.proposals import Proposal, target_proposal
from monitoring.ingest.roles import RoleOverrides, build_columns, infer_roles, infer_task
from monitoring.schema import Column
from monitoring.store import catalog


@dataclass(frozen=True)
class Preview:
    """What ingesting a file would do: its rows and each column's role and kind (nothing stored)."""

    file_name: str
    rows: int
    task: str | None
    columns: tuple[Column, ...]
    new_model: bool
    proposal: Proposal | None = None  # e.g. "mark 'repaid' as the target"


def preview_file(
    store,
    path: str,
    *,
    model: str,
    kind: str,
    overrides: RoleOverrides | None = None,
    file_name: str | None = None,
) -> Preview:
    """Read `path` and infer roles and kinds the way ingest_file would, without storing anything."""
    overrides = overrides or RoleOverrides()
    file_name = file_name or Path(path).name
    file_format = detect_format(path, file_name)
    try:
        with store.connect() as con:
            rows, profiles = stage_rows(con, path, file_format, file_name)
            existing = catalog.get_model(con, model) if model and catalog.model_exists(con, model) else None
            present = {p.name for p in profiles}
            proposal = target_proposal(con, existing, kind, present) if existing else None
    except FILE_ERRORS as error:
        raise explained(error, path, file_format, file_name) from None
    if existing is not None:
        columns, _ = merge_columns(existing, kind, profiles, overrides)
        shown = tuple(c for c in columns if c.name in present)
        return Preview(file_name, rows, existing.task, shown, False, proposal)
    task = overrides.task or (
        None if kind == "labels" else infer_task({p.name: p for p in profiles}, _roles(profiles, overrides))
    )
    return Preview(file_name, rows, task, tuple(build_columns(profiles, overrides, task)), True)


def _roles(profiles, overrides) -> dict[str, str]:
    return infer_roles(profiles, overrides)
