"""Upload: CSV or Parquet files, a preview of the inferred roles (editable), then one batch per file."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from monitoring import catalog_api
from monitoring.alerts.evaluate import evaluate_after_ingest
from monitoring.ingest.names import class_of_score
from monitoring.ingest.pipeline import ingest_file, preview_file
from monitoring.ingest.roles import ROLES
from monitoring.schema import BATCH_KINDS, TASKS
from pages import common
from pages.access import can_edit
from pages.page import header
from pages.text import literal

NEW = "+ new model"
view = header(
    "Upload",
    "Add prediction logs, a reference set or late labels. Each file becomes one batch, stored all or nothing.",
    need_model=False,  # the first file of the first model comes in here
)
store = common.get_store()
if not can_edit():
    st.info("You can look but not change data: ask an editor to upload files.", icon=":material/lock:")
    st.stop()
with common.shown_errors():
    names = catalog_api.model_names(store)
a, b = st.columns(2)
choice = a.selectbox("Model", [*names, NEW], key="upload_model")
model = a.text_input("New model name", key="upload_new_name").strip() if choice == NEW else choice
kind = b.segmented_control(
    "Kind",
    BATCH_KINDS,
    default="production",
    key="upload_kind",
    help="production: predictions served; reference: training or validation data; "
    "labels: true outcomes that arrive later, joined by id",
)
files = st.file_uploader(
    "CSV or Parquet files",
    type=["csv", "parquet", "gz", "txt", "tsv"],
    accept_multiple_files=True,
    key="upload_files",
)
if not files or not model or not kind:
    st.info("Choose the model (or name a new one), the kind of data and one or more files.")
    st.stop()


def saved(upload) -> str:
    """The upload written to a temporary file, so DuckDB reads it from a path."""
    folder = Path(tempfile.gettempdir()) / "monitoring-uploads"
    folder.mkdir(exist_ok=True)
    path = folder / f"{upload.file_id}{Path(upload.name).suffix}"
    if not path.exists():
        path.write_bytes(upload.getbuffer())
    return str(path)


with common.shown_errors():
    preview = preview_file(store, saved(files[0]), model=model, kind=kind, file_name=files[0].name)
st.subheader("Columns")
st.caption(
    f"{literal(preview.file_name)}: {preview.rows:,} rows. Roles and types were guessed from names and values; "
    "correct them before storing." + ("" if preview.new_model else " Known columns keep their roles.")
)
task = preview.task
if preview.new_model and kind != "labels":
    task = st.selectbox("Task", TASKS, index=TASKS.index(preview.task) if preview.task in TASKS else 0)
table = pd.DataFrame(
    [
        {
            "name": c.name,
            "role": c.role,
            "kind": c.kind,
            "class": class_of_score(c.name) if c.role == "score" else None,
            "guessed": c.inferred,
        }
        for c in preview.columns
    ]
)
edited = st.data_editor(
    table,
    hide_index=True,
    width="stretch",
    disabled=["name", "class", "guessed"] + ([] if preview.new_model else ["role", "kind"]),
    column_config={
        "role": st.column_config.SelectboxColumn("Role", options=ROLES, required=True),
        "kind": st.column_config.SelectboxColumn(
            "Type", options=["numeric", "categorical", "id", "timestamp"]
        ),
        "class": st.column_config.TextColumn(
            "Class",
            help="The class whose probability a score column holds, read from its name (proba_<class>).",
        ),
    },
    key="upload_roles",
)

if st.button(f"Store {len(files)} file(s) as {kind}", type="primary", icon=":material/save:"):
    if not can_edit():
        st.error("Only editors can store data.")
        st.stop()
    with common.shown_errors():
        overrides = catalog_api.overrides_from_columns(edited.to_dict("records"), task)
    with st.status(f"Storing {len(files)} file(s)…", expanded=True) as status:
        for i, upload in enumerate(files, start=1):
            status.update(label=f"Storing {literal(upload.name)} ({i} of {len(files)})…")
            with common.shown_errors():
                path = saved(upload)
                result = ingest_file(
                    store,
                    path,
                    model=model,
                    kind=kind,
                    file_name=upload.name,
                    overrides=overrides.only(set(edited["name"])),
                )
            st.write(literal(result.summary()))
            for column, change, detail in result.schema_changes:
                st.write(literal(f"Schema change in '{column}': {change} ({detail})"))
            for warning in result.warnings:
                st.warning(literal(warning))
        with common.shown_errors():
            alerts = evaluate_after_ingest(store, model, background=True)
        raised = 0 if alerts is None else len(alerts.opened) + len(alerts.reopened)
        status.update(
            label=f"Stored {len(files)} file(s); {raised} new alert(s).", state="complete", expanded=True
        )
    st.page_link("pages/batches.py", label="See the batches", icon=":material/storage:")
