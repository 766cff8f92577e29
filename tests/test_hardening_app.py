"""Hardening of the app (REDTEAM D4-D27): configuration, sign-in and its throttling, who signs an alert
change, and errors kept from the browser. Notifications and uploads have files of their own."""

import hashlib
import logging
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.access import EDITOR, VIEWER, User, authenticate, hash_password
from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.prometheus import serve

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit/config.toml").read_text())


def test_uploads_are_bounded_to_500_mb_per_file_with_xsrf_protection_on():
    server = _config()["server"]
    assert 0 < server["maxUploadSize"] <= 500
    assert server.get("enableXsrfProtection", True) is True


def test_browsers_get_no_error_details_from_uncaught_exceptions():
    assert _config()["client"]["showErrorDetails"] == "none"


def test_the_secrets_file_is_ignored_by_git():
    found = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    assert found.returncode == 0


def test_metrics_server_listens_on_localhost_unless_told_otherwise(store):
    server, thread = serve(store, 0)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.shutdown()


# D9: sign-in costs the same for every name and is throttled per name and per address.

ANN = {"ann": User("ann", EDITOR, hash_password("right"))}


@pytest.fixture
def scrypt_calls(monkeypatch):
    """How many scrypt hashes authentication runs (the real function, counted)."""
    calls = []
    real = hashlib.scrypt

    def counted(*args, **kwargs):
        calls.append(kwargs.get("n"))
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    return calls


@pytest.mark.parametrize(("name", "password"), [("ann", "right"), ("ann", "wrong"), ("nobody", "wrong")])
def test_a_known_and_an_unknown_name_cost_one_scrypt_hash_with_the_same_parameters(
    scrypt_calls, name, password
):
    authenticate(ANN, name, password)
    assert scrypt_calls == [2**14]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_after_five_failures_a_name_waits_2_then_4_seconds_even_with_the_right_password():
    from monitoring.access import SignIn, SignInGuard

    clock = Clock()
    guard = SignInGuard(clock)
    for i in range(5):
        assert guard.attempt(ANN, "ann", f"wrong{i}", f"10.0.0.{i}") == SignIn(None, 0.0)
    assert guard.attempt(ANN, "ann", "right", "10.0.1.1") == SignIn(None, 2.0)  # not even checked
    clock.now += 2
    assert guard.attempt(ANN, "ann", "wrong", "10.0.1.1") == SignIn(None, 0.0)
    clock.now += 3
    assert guard.attempt(ANN, "ann", "right", "10.0.1.1") == SignIn(None, 1.0)
    clock.now += 1
    assert guard.attempt(ANN, "ann", "right", "10.0.1.1").user == ANN["ann"]
    assert guard.attempt(ANN, "ann", "wrong", "10.0.1.1") == SignIn(None, 0.0)  # success cleared it


def test_unknown_names_get_the_same_answers_as_known_ones():
    from monitoring.access import SignInGuard

    known, unknown = SignInGuard(Clock()), SignInGuard(Clock())
    for i in range(8):
        a = known.attempt(ANN, "ann", f"wrong{i}", "10.0.0.1")
        b = unknown.attempt(ANN, "nobody", f"wrong{i}", "10.0.0.1")
        assert a == b


def test_an_address_trying_many_names_waits_after_20_failures_other_addresses_do_not():
    from monitoring.access import SignIn, SignInGuard

    clock = Clock()
    guard = SignInGuard(clock)
    for i in range(20):
        assert guard.attempt(ANN, f"user{i}", "guess", "203.0.113.9").wait == 0
    assert guard.attempt(ANN, "ann", "right", "203.0.113.9") == SignIn(None, 2.0)
    assert guard.attempt(ANN, "ann", "right", "198.51.100.7").user == ANN["ann"]
    clock.now += 3600  # failures are forgotten an hour after the last one
    assert guard.attempt(ANN, "user1", "guess", "203.0.113.9") == SignIn(None, 0.0)


def test_the_sign_in_form_says_to_wait_after_repeated_failures():
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["access"] = {"users": {"throttled": {"role": VIEWER, "password_hash": hash_password("pw")}}}
    at.run()
    answers = []
    for i in range(10):
        at.text_input[0].input("throttled")
        at.text_input[1].input(f"wrong{i}")
        at.button[0].click().run()
        answers.append(at.error[0].value)
    assert answers[:5] == ["Unknown user or wrong password."] * 5
    assert any(a.startswith("Too many failed sign-ins. Try again in ") for a in answers[5:])


# D19: alert changes are recorded as the signed-in user, never a typed name.


@pytest.fixture
def alerts_db(demo_store, tmp_path, monkeypatch):
    """A copy of the demo database with the alert rules evaluated (open alerts to acknowledge)."""
    from monitoring.settings import DB_ENV_VAR
    from monitoring.store import Store
    from monitoring.store.backup import copy_to

    path = tmp_path / "alerts.duckdb"
    copy_to(demo_store, str(path))
    evaluate_model(Store(str(path)), "credit", notify=False)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return str(path)


def _acknowledge(users: dict | None) -> dict:
    """Acknowledge the first alert on the Alerts page (signed in as 'ann' when users are given)."""
    from monitoring.store import Store

    at = AppTest.from_file(APP, default_timeout=180)
    if users:
        at.secrets["access"] = {"users": users}
        at.session_state["user"], at.session_state["role"] = "ann", EDITOR
    at.query_params["model"] = "credit"
    at.run()
    at.switch_page("pages/alerts.py").run()
    assert not [t for t in at.text_input if t.label == "Your name"]
    picked = at.selectbox(key="alert_pick").value
    at.selectbox(key="alert_new_status").set_value("acknowledged")
    at.text_input(key="alert_note").input("on it")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(os.environ["MONITORING_DB"])
    return next(a for a in list_alerts(store, "credit") if a["id"] == picked)


def test_an_alert_change_is_recorded_as_the_signed_in_user(alerts_db):
    alert = _acknowledge({"ann": {"role": EDITOR, "password_hash": hash_password("a")}})
    assert (alert["status"], alert["changed_by"], alert["note"]) == ("acknowledged", "ann", "on it")


def test_in_local_single_user_mode_alert_changes_are_recorded_as_local_user(alerts_db):
    alert = _acknowledge(None)
    assert (alert["status"], alert["changed_by"]) == ("acknowledged", "local user")


def test_no_user_may_be_called_system():
    from monitoring.access import load_users
    from monitoring.errors import MonitoringError

    with pytest.raises(MonitoringError, match="reserved"):
        load_users({"system": {"role": EDITOR, "password_hash": hash_password("x")}})


# D23: a bug shows a short message; the traceback goes to the server log.


def _failing_page():
    from pages.common import shown_errors

    with shown_errors():
        raise RuntimeError("Binder Error in /srv/app/monitoring/store/drift_sql.py: SELECT secret_col")


def test_an_unexpected_error_shows_a_short_message_and_logs_the_details(caplog):
    at = AppTest.from_function(_failing_page, default_timeout=90)
    with caplog.at_level(logging.ERROR, logger="monitoring.app"):
        at.run()
    assert not at.exception
    shown = at.error[0].value
    assert shown.startswith("Something went wrong on the server (reference ")
    assert "/srv/app" not in shown and "SELECT" not in shown
    reference = shown.split("reference ")[1].split(")")[0]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and "SELECT secret_col" in str(logged[0].exc_info[1])
