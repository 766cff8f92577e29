"""Who is using the app: viewer or editor.

Users come from `.streamlit/secrets.toml` (`[access.users.NAME]` with role and password_hash), or
from Streamlit's `st.login` when an identity provider is configured (`[auth]`; role from
`[access.roles]`, default viewer). Without either, the app runs in local single-user mode, where
the one user is an editor. The role lives in session state and is set only by this module.
"""

import math
import threading

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from monitoring.access import EDITOR, VIEWER, SignInGuard, load_users, role_for_identity
from pages.text import literal

__all__ = ["EDITOR", "VIEWER", "can_edit", "current_role", "current_user", "require_editor", "sign_in"]
LOCAL_USER = "local user"  # who acts in local single-user mode (the OS user may be a service account)


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in ("access", "auth") if k in st.secrets}
    except FileNotFoundError:
        return {}


def mode() -> str:
    """'password', 'login' (identity provider) or 'local'."""
    found = _secrets()
    if found.get("access", {}).get("users"):
        return "password"
    if found.get("auth"):
        return "login"
    return "local"


def current_role() -> str:
    """The signed-in user's role; editor in local single-user mode, viewer when not signed in."""
    current = mode()
    if current == "local":
        return st.session_state.get("role", EDITOR)
    if current == "login":
        if not _logged_in():
            return VIEWER
        roles = _secrets().get("access", {}).get("roles")
        return role_for_identity(roles, st.user.get("email"), st.user.get("email_verified"))
    return st.session_state.get("role", VIEWER) if st.session_state.get("user") else VIEWER


def current_user() -> str:
    """Who is signed in, as recorded in the alert history ('' when nobody is)."""
    current = mode()
    if current == "local":
        return LOCAL_USER
    if current == "login":
        return st.user.get("email", "") if _logged_in() else ""
    return st.session_state.get("user", "")


def _logged_in() -> bool:
    return bool(getattr(st.user, "is_logged_in", False))


def can_edit() -> bool:
    return current_role() == EDITOR


def require_editor(action: str = "this action") -> None:
    """Stop the script with a message when a viewer reaches an editor action."""
    if not can_edit():
        st.warning(f"Only editors can do {action}. Ask an editor, or sign in as one.", icon=":material/lock:")
        st.stop()


def sign_in() -> bool:
    """Show sign-in in the sidebar (or the local-mode note); True when the app may be shown.

    Also tells the upload guard whether this session may upload (editors only).
    """
    shown = _sign_in()
    _uploads_allowed(shown and can_edit())
    return shown


def _sign_in() -> bool:
    current = mode()
    if current == "local":
        return True
    if current == "login":
        if not _logged_in():
            st.info("Sign in to see the monitoring dashboard.", icon=":material/lock:")
            if st.button("Sign in", type="primary", icon=":material/login:"):
                st.login()  # redirects to the identity provider ([auth] in secrets)
            return False
        return True
    return bool(st.session_state.get("user")) or _password_form()


def signed_in_box() -> None:
    """Who is signed in, and Sign out, in the sidebar (or the local-mode note).

    Drawn after st.navigation: drawn before it, signed in on the default page of a fresh server,
    the first click on Sign out was lost (most likely the button's id, which holds the active script
    hash, differed in the next run)."""
    current = mode()
    if current == "local":
        st.sidebar.caption("Local single-user mode: no users configured.")
    elif current == "login":
        st.sidebar.caption(f"Signed in as {literal(st.user.get('email', ''))} ({current_role()})")
        st.sidebar.button("Sign out", on_click=st.logout)
    else:
        st.sidebar.caption(f"Signed in as {literal(st.session_state['user'])} ({current_role()})")
        if st.sidebar.button("Sign out"):
            st.session_state.pop("user", None)
            st.session_state.pop("role", None)
            st.rerun()


@st.cache_resource
def _guard() -> SignInGuard:
    """One throttle for the whole server: failed sign-ins count across sessions."""
    return SignInGuard()


def _password_form() -> bool:
    with st.form("sign_in"):
        name = st.text_input("User")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        users = load_users(_secrets()["access"]["users"])
        answer = _guard().attempt(users, name, password, st.context.ip_address or "localhost")
        if answer.wait:
            st.error(f"Too many failed sign-ins. Try again in {math.ceil(answer.wait)} s.")
            return False
        if answer.user is None:
            st.error("Unknown user or wrong password.")
            return False
        st.session_state["user"], st.session_state["role"] = answer.user.name, answer.user.role
        st.rerun()
    return False


# Streamlit's upload endpoint (PUT /_stcore/upload_file/<session>/<file>) accepts files for any live
# session, signed in or not, and keeps them in memory until the session ends. Streamlit 1.67 has no
# hook for this in `streamlit run`, so the server's upload manager is wrapped once per process to
# drop, on arrival, files sent by sessions that are not an editor's.
_UPLOADERS: set[str] = set()  # ids of sessions signed in as editors
_UPLOADERS_LOCK = threading.Lock()


def _uploads_allowed(allowed: bool) -> None:
    context = get_script_run_ctx()
    if context is None or not runtime.exists():  # AppTest: no server, no upload endpoint
        return
    server = runtime.get_instance()
    manager = server.uploaded_file_mgr
    if not getattr(manager, "editors_only", False):
        keep = manager.add_file

        def add_file(session_id, file):
            if session_id in _UPLOADERS:
                keep(session_id, file)

        manager.add_file, manager.editors_only = add_file, True
    with _UPLOADERS_LOCK:
        if allowed:
            _UPLOADERS.intersection_update({s for s in _UPLOADERS if server.is_active_session(s)})
            _UPLOADERS.add(context.session_id)
        else:
            _UPLOADERS.discard(context.session_id)
    if not allowed:
        manager.remove_session_files(context.session_id)
