"""Who is using the app: viewer or editor. Without configured users the app runs in local
single-user mode, where the one user is an editor."""

import streamlit as st

EDITOR = "editor"
VIEWER = "viewer"


def current_role() -> str:
    return st.session_state.get("role", EDITOR)


def can_edit() -> bool:
    return current_role() == EDITOR
