"""Upload: CSV or Parquet files, a preview of the inferred roles (editable), then one batch per file."""

import pandas as pd
import streamlit as st

from monitoring import catalog_api
from monitoring.alerts.evaluate import evaluate_after_ingest
from monitoring.ingest.names import class_of_score
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import ROLES
from monitoring.schema import BATCH_KINDS, TASKS
from monitoring.warm import warm_default_view
from pages import common, upload_files
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
start = (
    names.index(view.model) if view is not None and view.model in names else 0
)  # the sidebar's (URL's) model
choice = a.selectbox("Model", [*names, NEW], index=start, key="upload_model")
model = a.text_input("New model name", key="upload_new_name").strip() if choice == NEW else choice
kind = b.segmented_control(
    "Kind",
    BATCH_KINDS,
    default="production",
    required=True,
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
upload_files.keep_only(f.file_id for f in files or [])
if not files or not model:
    st.info("Choose the model (or name a new one) and one or more files.")
    st.stop()

with common.shown_errors():  # each file read once per model and kind (reruns reuse it); refused if unreadable
    previews = [upload_files.preview(store, f, model, kind) for f in files]
preview = previews[0]
st.subheader("Columns")
if len(files) > 1:
    st.dataframe(
        pd.DataFrame({"file": [p.file_name for p in previews], "rows": [p.rows for p in previews]}),
        hide_index=True,
    )
differ = [p.file_name for p in previews if {c.name for c in p.columns} != {c.name for c in preview.columns}]
if differ:  # one role table for all files only when they agree
    st.warning(
        literal(f"Not the same columns as {preview.file_name}: {', '.join(differ)}. ")
        + "Upload files with different columns one at a time.",
        icon=":material/warning:",
    )
    st.stop()
st.caption(
    f"{literal(preview.file_name) if len(files) == 1 else f'{len(files)} files'}: "
    f"{sum(p.rows for p in previews):,} rows. Roles and types were guessed from names and values; "
    "correct them before storing." + ("" if preview.new_model else " Known columns keep their roles.")
)
if preview.proposal is not None:
    st.info(literal(preview.proposal.reason), icon=":material/lightbulb:")
    if st.button(f"Mark '{literal(preview.proposal.column)}' as the target", icon=":material/flag:"):
        with common.shown_errors():
            catalog_api.change_roles(store, model, {preview.proposal.column: (preview.proposal.role, None)})
        upload_files.forget_previews()
        st.rerun()
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
        bar = st.progress(0.0)

        def progress(step: str, fraction: float) -> None:
            bar.progress(min(max(fraction, 0.0), 1.0), text=literal(step[:1].upper() + step[1:]))

        for i, upload in enumerate(files, start=1):
            status.update(label=f"Storing {literal(upload.name)} ({i} of {len(files)})…")
            with common.shown_errors():
                try:
                    result = ingest_file(
                        store,
                        upload_files.copy_of(upload),
                        model=model,
                        kind=kind,
                        file_name=upload.name,
                        overrides=overrides.only(set(edited["name"])),
                        progress=progress,
                    )
                finally:  # stored or refused, the copy goes
                    upload_files.remove(upload.file_id)
            st.write(literal(result.summary()))
            for column, change, detail in result.schema_changes:
                st.write(literal(f"Schema change in '{column}': {change} ({detail})"))
            for warning in result.warnings:
                st.warning(literal(warning))
        with common.shown_errors():
            alerts = evaluate_after_ingest(store, model, background=True, progress=progress)
        with common.shown_errors():  # the first page then reads its report instead of computing it
            warm_default_view(store, model, progress)
        bar.empty()
        raised = 0 if alerts is None else len(alerts.opened) + len(alerts.reopened)
        status.update(
            label=f"Stored {len(files)} file(s); {raised} new alert(s).", state="complete", expanded=True
        )
    st.page_link("pages/batches.py", label="See the batches", icon=":material/storage:")
