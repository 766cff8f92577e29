"""The editor's tools on the Batches and settings page to fix a model afterwards: the column roles,
the model's name, and deleting the model. Each is checked for the editor role at the action."""

import pandas as pd
import streamlit as st

from monitoring import catalog_api
from monitoring.ingest.role_changes import KINDS
from monitoring.ingest.roles import ROLES
from monitoring.schema import Model
from pages import common
from pages.access import can_edit
from pages.downloads import table_download
from pages.page import show_table
from pages.text import literal


def role_editor(store, model: Model) -> None:
    """The model's columns with their roles and kinds, editable by editors; stored rows stay."""
    table = pd.DataFrame([{"name": c.name, "role": c.role, "kind": c.kind} for c in model.columns])
    if not can_edit():
        show_table(table, f"{model.name}-columns", hide_index=True)
        return
    st.caption("Change a role or a type, then apply. Stored rows stay; figures are computed again.")
    edited = st.data_editor(
        table,
        hide_index=True,
        width="stretch",
        disabled=["name"],
        column_config={
            "role": st.column_config.SelectboxColumn("Role", options=ROLES, required=True),
            "kind": st.column_config.SelectboxColumn(
                "Type", options=[*KINDS, "id", "timestamp"], required=True
            ),
        },
        key=f"roles_{model.name}_{model.data_version}",
    )
    table_download(table, f"{model.name}-columns")
    changed = edited[(edited["role"] != table["role"]) | (edited["kind"] != table["kind"])]
    label = f"Apply {len(changed)} change(s)" if len(changed) else "No changes"
    if st.button(label, disabled=changed.empty, icon=":material/check:", key="apply_roles") and can_edit():
        changes = {r.name: (r.role, r.kind if r.kind in KINDS else None) for r in changed.itertuples()}
        with st.spinner("Changing roles and computing the figures again…"), common.shown_errors():
            catalog_api.change_roles(store, model.name, changes)
        common.rerun_with_notice(f"{len(changes)} role change(s) stored.")


def rename_or_delete(store, model: Model) -> None:
    """Rename the model, or delete it with everything of it (after a confirmation)."""
    if not can_edit():
        return
    with st.expander("Rename or delete this model", icon=":material/edit:"):
        new_name = st.text_input("New name", model.name, key="rename_model")
        if (
            st.button("Rename", disabled=new_name.strip() in ("", model.name), key="rename_button")
            and can_edit()
        ):
            with common.shown_errors():
                catalog_api.rename_model(store, model.name, new_name)
            st.query_params["model"] = new_name.strip()
            st.rerun()
        st.divider()
        typed = st.text_input(
            f"Type the model's name, {literal(model.name)}, to delete it with "
            + catalog_api.delete_model_warning(store, model.name),
            key="delete_model_name",
        )
        if st.button(
            "Delete the model", type="primary", disabled=typed != model.name, icon=":material/delete:"
        ):
            if can_edit():
                with common.shown_errors():
                    catalog_api.delete_model(store, model.name)
                st.query_params.pop("model", None)
                common.rerun_with_notice(f"Deleted model {literal(model.name)}.")
