"""Batches and settings: what is stored (size and time span), deleting a batch, the columns' roles
(editable), renaming or deleting the model, the model's settings."""

import json

import streamlit as st

from monitoring import catalog_api
from monitoring.settings import ModelSettings, parse_value_matrix
from pages import common, model_admin
from pages.access import can_edit
from pages.downloads import table_download
from pages.page import header
from pages.text import literal

VALUE_EXAMPLES = {
    "binary": '{"true_positive": 0, "false_positive": -300, "false_negative": -5000, "true_negative": 300}',
    "multiclass": '{"<true class>": {"<predicted class>": 5, "<another class>": -10}}',
    "regression": '{"cost_per_unit_error": 2.5}',
}
view = header("Batches and settings", "The files stored for this model and how it is monitored.")
store = common.get_store()
with common.shown_errors():
    batches = catalog_api.batches(store, view.model)
    attached = catalog_api.attached(store, view.model)
    model = catalog_api.get_model(store, view.model)

st.subheader("Batches")
listed = batches[["id", "kind", "file_name", "rows", "start_ts", "end_ts", "ingested_at", "schema_changes"]]
st.dataframe(
    listed,
    hide_index=True,
    width="stretch",
    column_config={
        "id": "Batch",
        "kind": "Kind",
        "file_name": "File",
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "start_ts": st.column_config.DatetimeColumn("From"),
        "end_ts": st.column_config.DatetimeColumn("To"),
        "ingested_at": st.column_config.DatetimeColumn("Stored", format="YYYY-MM-DD HH:mm"),
        "schema_changes": "Schema changes",
    },
)
table_download(listed, f"{view.model}-batches")
if not attached.empty:
    st.subheader("Attached datasets")
    st.caption(
        "Parquet files read in place, never copied: files added to the dataset are in the next report. "
        "Deleting the dataset's batch detaches it; the files stay where they are."
    )
    st.dataframe(
        attached,
        hide_index=True,
        width="stretch",
        column_config={
            "kind": "Kind",
            "path": "Path",
            "files": st.column_config.NumberColumn("Files", format="localized"),
            "partitioned": "Partitioned",
            "batch_id": "Batch",
            "attached_at": st.column_config.DatetimeColumn("Attached", format="YYYY-MM-DD HH:mm"),
        },
    )
if can_edit() and not batches.empty:
    with st.expander("Delete a batch", icon=":material/delete:"):
        labels = {
            int(r.id): f"batch {r.id}: {r.file_name} ({r.kind}, {r.rows:,} rows)"
            for r in batches.itertuples()
        }
        doomed = st.selectbox("Batch", list(labels), format_func=labels.get, key="delete_batch")
        detach = not attached.empty and doomed in set(attached["batch_id"])
        prompt = catalog_api.delete_batch_prompt(literal(labels[doomed]), detach)
        sure = st.checkbox(prompt, key="delete_sure")
        if st.button(
            "Detach" if detach else "Delete", type="primary", disabled=not sure, icon=":material/delete:"
        ):
            if can_edit():
                with common.shown_errors():
                    removed = catalog_api.delete_batch(store, view.model, doomed)
                common.rerun_with_notice(catalog_api.deleted_batch_message(doomed, removed, detach))

st.subheader("Columns")
model_admin.role_editor(store, model)
model_admin.rename_or_delete(store, model)

st.subheader("Settings")
help_text = ModelSettings.help()
current = model.settings.to_dict()
with st.form("settings"):
    a, b = st.columns(2)
    values = {
        "window": a.text_input("Window", current["window"], help=help_text["window"]),
        "drift_method": b.selectbox(
            "Drift method",
            ModelSettings.choices("drift_method"),
            index=None,
            placeholder=current["drift_method"],
            help=help_text["drift_method"],
        ),
        "drift_threshold": a.selectbox(
            "Thresholds",
            ModelSettings.choices("drift_threshold"),
            index=ModelSettings.choices("drift_threshold").index(current["drift_threshold"]),
            help=help_text["drift_threshold"],
        ),
        "dataset_drift_share": b.number_input(
            "Dataset drift share",
            0.0,
            1.0,
            current["dataset_drift_share"],
            step=0.05,
            help=help_text["dataset_drift_share"],
        ),
        "multiple_testing": a.selectbox(
            "Multiple testing",
            ModelSettings.choices("multiple_testing"),
            index=ModelSettings.choices("multiple_testing").index(current["multiple_testing"]),
            help=help_text["multiple_testing"],
        ),
        "min_labels": b.number_input(
            "Minimum labels", 0, None, current["min_labels"], help=help_text["min_labels"]
        ),
        "min_group_size": a.number_input(
            "Minimum group size", 1, None, current["min_group_size"], help=help_text["min_group_size"]
        ),
        "latency_slo_ms": b.number_input(
            "Latency objective (ms)", 1.0, None, current["latency_slo_ms"], help=help_text["latency_slo_ms"]
        ),
        "baseline": a.text_input("Baseline", current["baseline"], help=help_text["baseline"]),
        "min_segment_rows": b.number_input(
            "Minimum segment rows", 1, None, current["min_segment_rows"], help=help_text["min_segment_rows"]
        ),
        "label_delay_days": a.number_input(
            "Expected label delay (days)",
            0.0,
            None,
            current["label_delay_days"],
            help=help_text["label_delay_days"],
        ),
        "retrain_windows": b.number_input(
            "Retrain after windows below the line",
            1,
            None,
            current["retrain_windows"],
            help=help_text["retrain_windows"],
        ),
        "retrain_min_labels": a.number_input(
            "Labelled rows needed to retrain",
            0,
            None,
            current["retrain_min_labels"],
            help=help_text["retrain_min_labels"],
        ),
        "mlflow_registered_model": b.text_input(
            "MLflow registered model",
            current["mlflow_registered_model"],
            help=help_text["mlflow_registered_model"],
        ),
        "mlflow_model_version": a.text_input(
            "MLflow model version", current["mlflow_model_version"], help=help_text["mlflow_model_version"]
        ),
    }
    matrix = current["value_matrix"]
    value_text = st.text_area(
        "Value matrix (JSON, empty for none)",
        json.dumps(matrix, indent=1) if matrix else "",
        help=help_text["value_matrix"],
        placeholder=VALUE_EXAMPLES.get(model.task, ""),
        key="value_matrix",
    )
    saved = st.form_submit_button("Save settings", type="primary", disabled=not can_edit())
if saved and can_edit():
    values["drift_method"] = values["drift_method"] or current["drift_method"]
    with common.shown_errors():
        values["value_matrix"] = parse_value_matrix(value_text)
        settings = ModelSettings.from_dict({**current, **values})
        catalog_api.save_settings(store, view.model, settings)
    common.rerun_with_notice("Settings saved; the pages now use them.")
