"""Roles: password hashing, users from config, and viewers kept away from every editor action."""

import hashlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.access import EDITOR, VIEWER, authenticate, hash_password, load_users, verify_password
from monitoring.errors import MonitoringError
from monitoring.settings import DB_ENV_VAR
from monitoring.store.backup import copy_to

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_hash_roundtrip_and_scrypt_parity():
    stored = hash_password("s3cret", salt=b"0123456789abcdef")
    scheme, n, r, p, salt, digest = stored.split("$")
    expected = hashlib.scrypt(b"s3cret", salt=b"0123456789abcdef", n=int(n), r=int(r), p=int(p), dklen=32)
    assert scheme == "scrypt" and digest == expected.hex()
    assert verify_password("s3cret", stored)
    assert not verify_password("S3cret", stored)
    assert not verify_password("s3cret", "garbage")
    assert hash_password("s3cret") != hash_password("s3cret")  # salted


def test_users_and_authenticate():
    users = load_users(
        {
            "ann": {"role": EDITOR, "password_hash": hash_password("a")},
            "bo": {"role": VIEWER, "password_hash": hash_password("b")},
        }
    )
    assert authenticate(users, "ann", "a").role == EDITOR
    assert authenticate(users, "bo", "b").role == VIEWER
    assert authenticate(users, "bo", "a") is None and authenticate(users, "nobody", "a") is None
    with pytest.raises(MonitoringError, match="role"):
        load_users({"x": {"role": "admin", "password_hash": "h"}})


def _viewer_app(demo_db, page=None):
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["access"] = {"users": {"bo": {"role": VIEWER, "password_hash": hash_password("b")}}}
    at.session_state["user"] = "bo"
    at.session_state["role"] = VIEWER
    at.run()
    if page:
        at.switch_page(page).run()
    return at


@pytest.fixture(scope="module")
def demo_db(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "demo.duckdb"
    copy_to(demo_store, str(path))
    return str(path)


@pytest.fixture(autouse=True)
def _use_demo_db(demo_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)


def test_not_signed_in_sees_only_the_form(demo_db):
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["access"] = {"users": {"bo": {"role": VIEWER, "password_hash": hash_password("b")}}}
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["User", "Password"]
    at.text_input[0].input("bo")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert "wrong password" in at.error[0].value


@pytest.mark.parametrize("page", ["pages/batches.py", "pages/alerts.py", "pages/summary.py"])
def test_viewer_sees_no_editor_buttons(demo_db, page):
    at = _viewer_app(demo_db, page)
    assert not at.exception
    labels = {b.label for b in at.button if not b.disabled}
    forbidden = {"Delete", "Save rules", "Check the rules now", "Seed demo", "Save settings", "Save"}
    assert not labels & forbidden, labels & forbidden
    assert not at.file_uploader


def test_report_page_builds_html_for_a_viewer():
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["role"] = VIEWER
    at.run()
    at.switch_page("pages/report.py").run()
    assert not at.exception
    at.button[0].click().run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(label.startswith("Download HTML (") for label in labels), labels


# Every editor action, by every route: the page list, the URL, and replaying an editor's widgets.

USERS = {
    "ann": {"role": EDITOR, "password_hash": hash_password("a")},
    "bo": {"role": VIEWER, "password_hash": hash_password("b")},
}
EXAMPLE = Path(__file__).resolve().parent.parent / "data/examples/predictions.csv"


@pytest.fixture(scope="module")
def alerts_db(demo_db, tmp_path_factory):
    """The demo database with the alert rules evaluated once (open alerts to acknowledge)."""
    import shutil

    from monitoring.alerts.evaluate import evaluate_model
    from monitoring.store import Store

    path = tmp_path_factory.mktemp("alerts") / "demo.duckdb"
    shutil.copy(demo_db, path)
    store = Store(str(path))
    assert evaluate_model(store, "credit").open
    del store
    return str(path)


@pytest.fixture
def fresh_db(alerts_db, tmp_path, monkeypatch):
    """A private copy of the demo database, so a leaked action would show."""
    import shutil

    path = tmp_path / "demo.duckdb"
    shutil.copy(alerts_db, path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return str(path)


def _signed_in(role: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["access"] = {"users": USERS}
    at.session_state["user"] = "ann" if role == EDITOR else "bo"
    at.session_state["role"] = role
    at.query_params["model"] = "credit"
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def snapshot(path: str) -> dict:
    """Everything an editor action can change: models, batches, alerts, rules and settings."""
    from monitoring import catalog_api
    from monitoring.alerts.history import list_alerts
    from monitoring.alerts.rules import get_rules
    from monitoring.store import Store

    store = Store(path)
    found = {}
    for name in catalog_api.model_names(store):
        found[name] = (
            catalog_api.batches(store, name)[["id", "rows"]].values.tolist(),
            [(a["id"], a["status"], a["note"]) for a in list_alerts(store, name)],
            [r.to_dict() for r in get_rules(store, name)],
            catalog_api.get_model(store, name).settings.to_dict(),
        )
    return found


def _upload(at):
    at.selectbox(key="upload_model").set_value("+ new model").run()
    at.text_input(key="upload_new_name").input("shop").run()
    at.file_uploader(key="upload_files").upload("predictions.csv", EXAMPLE.read_bytes(), "text/csv").run()
    return next(b for b in at.button if b.label.startswith("Store"))


def _delete(at):
    at.checkbox(key="delete_sure").check().run()
    return next(b for b in at.button if b.label == "Delete")


def _alert_status(status):
    def prepare(at):
        at.selectbox(key="alert_new_status").set_value(status)
        at.text_input(key="alert_note").input("looked into it")
        return next(b for b in at.button if b.label == "Save")

    return prepare


def _rules(at):
    return next(b for b in at.button if b.label == "Save rules")


def _settings(at):
    next(n for n in at.number_input if n.label == "Minimum labels").set_value(4321)
    return next(b for b in at.button if b.label == "Save settings")


def _check_rules(at):
    return next(b for b in at.button if b.label == "Check the rules now")


ACTIONS = {
    "upload": ("pages/upload.py", _upload, "shop"),
    "delete batch": ("pages/batches.py", _delete, None),
    "acknowledge": ("pages/alerts.py", _alert_status("acknowledged"), None),
    "resolve": ("pages/alerts.py", _alert_status("resolved"), None),
    "edit rules": ("pages/alerts.py", _rules, "Saved"),
    "edit settings": ("pages/batches.py", _settings, None),
    "check rules": ("pages/alerts.py", _check_rules, "resolved"),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", [EDITOR, VIEWER])
def test_replaying_an_editor_action(fresh_db, action, role):
    """An editor fills in and clicks; a viewer sending the same widget values changes nothing."""
    page, prepare, toast = ACTIONS[action]
    at = _signed_in(EDITOR, page)
    button = prepare(at)
    before = snapshot(fresh_db)
    at.session_state["role"] = role  # the same widget state, sent by a viewer's session
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    toasts = " ".join(t.value for t in at.toast) + " ".join(s.value for s in at.markdown)
    if role == EDITOR:  # the replay is real: the same clicks do act for an editor
        assert snapshot(fresh_db) != before or (toast and toast in toasts)
    else:
        assert snapshot(fresh_db) == before
        assert not toast or toast not in toasts
        assert not at.file_uploader


def test_seed_demo_is_editor_only(tmp_path, monkeypatch):
    from monitoring.store import Store

    path = tmp_path / "empty.duckdb"
    Store(str(path))
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = _signed_in(EDITOR)
    seed = next(b for b in at.button if b.label == "Seed demo")
    at.session_state["role"] = VIEWER
    seed.click().run()
    assert not at.exception
    assert snapshot(str(path)) == {}
    assert not [b for b in at.button if b.label == "Seed demo"]  # a viewer is not offered it


def test_upload_is_not_in_a_viewers_page_list_nor_reachable():
    editor = _signed_in(EDITOR, "pages/upload.py")
    assert editor.file_uploader
    viewer = _signed_in(VIEWER)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        viewer.switch_page("pages/upload.py")
    # the page itself refuses too, whichever way its script is reached
    page = AppTest.from_file(str(Path(APP).parent / "pages/upload.py"), default_timeout=180)
    page.secrets["access"] = {"users": USERS}
    page.session_state["user"], page.session_state["role"] = "bo", VIEWER
    page.run()
    assert not page.exception and not page.file_uploader and not page.button
    assert "ask an editor" in page.info[0].value


@pytest.mark.parametrize("page", ["pages/alerts.py", "pages/batches.py"])
def test_viewer_by_url_sees_no_editor_control(fresh_db, page):
    at = _signed_in(VIEWER, page)
    enabled = {b.label for b in at.button if not b.disabled}
    assert not enabled & {"Delete", "Save", "Save rules", "Save settings", "Check the rules now"}
    assert not [s for s in at.selectbox if s.key in ("delete_batch", "alert_new_status")]


# Streamlit's st.login (OpenID Connect): what can be checked without an identity provider.

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret-but-long-enough",
    "client_id": "monitoring",
    "client_secret": "secret",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}


def _login_app(user: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = {"roles": {"Ann@Example.com": EDITOR, "bo@example.com": VIEWER}}
    at.user = user
    at.query_params["model"] = "credit"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_login_mode_shows_only_a_sign_in_button_before_sign_in():
    at = _login_app({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe and not at.get("arrow_vega_lite_chart")
    assert not at.text_input  # no password form in this mode


@pytest.mark.parametrize(
    ("user", "role"),
    [
        ({"is_logged_in": True, "email": "ann@example.com", "email_verified": True}, EDITOR),
        ({"is_logged_in": True, "email": "ann@example.com", "email_verified": False}, VIEWER),
        ({"is_logged_in": True, "email": "bo@example.com"}, VIEWER),
        ({"is_logged_in": True, "email": "someone@else.org"}, VIEWER),
    ],
)
def test_login_mode_maps_email_to_role(user, role):
    at = _login_app(user)
    assert f"({role})" in " ".join(c.value for c in at.sidebar.caption)
    if role == EDITOR:
        at.switch_page("pages/upload.py").run()
        assert at.file_uploader
    else:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/upload.py")


def test_role_for_identity():
    from monitoring.access import role_for_identity

    roles = {"Ann@Example.com": EDITOR}
    assert role_for_identity(roles, " ann@example.COM ") == EDITOR
    assert role_for_identity(roles, "ann@example.com", verified=False) == VIEWER
    assert role_for_identity(roles, None) == VIEWER and role_for_identity(None, "x@y.z") == VIEWER
    with pytest.raises(MonitoringError, match="role"):
        role_for_identity({"a@b.c": "admin"}, "a@b.c")
