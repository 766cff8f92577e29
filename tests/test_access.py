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
    at = AppTest.from_file(APP, default_timeout=60)
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
    at = AppTest.from_file(APP, default_timeout=60)
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
