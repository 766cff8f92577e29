"""Hardening of the app and its outputs (REDTEAM D4-D27): configuration, access, uploads, alerts."""

import gc
import hashlib
import json
import logging
import os
import stat
import subprocess
import threading
import time
import tomllib
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitoring.access import EDITOR, VIEWER, User, authenticate, hash_password
from monitoring.alerts.evaluate import evaluate_model
from monitoring.alerts.history import list_alerts
from monitoring.alerts.notify import add_webhook, notify_alerts
from monitoring.ingest.roles import RoleOverrides
from monitoring.prometheus import serve
from monitoring.report import ReportRequest, build_report
from monitoring.store import alerts_sql

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


# D5: webhook URLs are secrets; viewers read the delivery notes.


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.daemon_threads = [], True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_delivery_notes_name_the_webhook_host_but_never_its_path_query_or_credentials(small_credit, receiver):
    store = small_credit(until_day=35)
    host = f"127.0.0.1:{receiver.server_port}"
    add_webhook(store, "credit", f"http://{host}/services/T000/B000/XXXXSECRETXXXX?token=abc", "low")
    add_webhook(store, "credit", "http://user:pw@127.0.0.1:9/services/T1/B1/OTHERSECRET", "low")
    result = evaluate_model(store, "credit", notify=False)
    notify_alerts(store, "credit", result.opened, timeout=2, attempts=1)
    assert len(receiver.received) == 1  # a real delivery to the local receiver
    notes = [a["delivery"] for a in list_alerts(store, "credit") if a["delivery"]]
    report = json.dumps(build_report(store, ReportRequest("credit"))["alerts"])
    assert notes and all(f"delivered to {host} (1 attempt)" in note for note in notes)
    assert all("delivery to 127.0.0.1:9 failed after 1 attempt" in note for note in notes)
    for secret in ("services", "SECRET", "token", "user", "pw@"):
        assert not any(secret in note for note in notes) and secret not in report


def test_notes_stored_with_full_urls_before_are_shown_with_the_host_only(small_credit):
    store = small_credit(until_day=35)
    alert = evaluate_model(store, "credit", notify=False).opened[0]
    old = "delivered to https://hooks.slack.com/services/T0/B0/SECRET (1 attempt); delivery to http://a:b@x.org:81/p?q=1 failed"
    with store.transaction() as con:
        alerts_sql.update_alert(con, alert["id"], {"delivery": old})
    shown = next(a for a in list_alerts(store, "credit") if a["id"] == alert["id"])["delivery"]
    assert shown == "delivered to hooks.slack.com (1 attempt); delivery to x.org:81 failed"
    report = build_report(store, ReportRequest("credit"))["alerts"]
    assert next(a for a in report if a["id"] == alert["id"])["delivery"] == shown


def test_webhook_listings_can_show_a_masked_url():
    from monitoring.alerts.notify import masked_url

    assert (
        masked_url("https://hooks.slack.com/services/T000/B000/XXXXSECRET") == "https://hooks.slack.com/…CRET"
    )
    assert "B000" not in masked_url("https://u:p@hooks.slack.com/services/T000/B000/XXXXSECRET")


# D10, D20: names and values from files reach Slack inert and short.

PING = "<!channel> <https://evil.example|Reset your password> & co"
LONG_NAME = "n" * 5000
HUGE_VALUE = "A" * 2**20


def _markup_model(store, ingest_frame) -> None:
    """Model 'm': two drifting columns named PING and LONG_NAME, a 1 MB category new in production."""
    rng = np.random.default_rng(3)
    n = 1200
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-01-01", periods=n, freq="h"),
            "request_id": [f"r{i}" for i in range(n)],
            PING: rng.normal(size=n),
            LONG_NAME: rng.normal(size=n),
            "region": rng.choice(["north", "south"], n),
            "prediction": rng.integers(0, 2, n),
        }
    )
    frame.loc[600:, [PING, LONG_NAME]] += 3
    frame.loc[1190:, "region"] = HUGE_VALUE
    roles = RoleOverrides(timestamp="timestamp", id="request_id", prediction="prediction", task="binary")
    for kind, part in (("reference", frame[:600]), ("production", frame[600:])):
        ingest_frame(store, part, model="m", kind=kind, overrides=roles)


def test_slack_text_escapes_markup_from_files_and_stays_under_3000_characters(store, ingest_frame, receiver):
    _markup_model(store, ingest_frame)
    add_webhook(store, "m", f"http://127.0.0.1:{receiver.server_port}/hook", "low")
    opened = evaluate_model(store, "m").opened  # the CLI's way: waits for the delivery
    assert {a["scope"] for a in opened} >= {PING, LONG_NAME, "region"}
    body = json.loads(receiver.received[0])
    text = body["text"]
    assert body["blocks"][0]["text"]["text"] == text
    assert "<" not in text and ">" not in text and "&lt;!channel&gt;" in text
    assert "&amp; co" in text and "& co" not in text.replace("&amp; co", "")
    assert len(text) <= 3000  # Slack's limit for a section text
    assert {a["scope"] for a in body["alerts"]} >= {PING, "region"}  # data for receivers: as it is


def test_alert_messages_clip_long_names_and_category_values(store, ingest_frame):
    _markup_model(store, ingest_frame)
    evaluate_model(store, "m", notify=False)
    messages = {a["scope"]: a["message"] for a in list_alerts(store, "m")}
    assert len(messages[LONG_NAME]) < 300 and "nnnnnnnn…'" in messages[LONG_NAME]
    unseen = next(a["message"] for a in list_alerts(store, "m") if a["metric"] == "unseen_categories")
    assert len(unseen) < 400 and "AAAAAAAA…" in unseen


def test_many_alerts_fill_the_slack_text_up_to_its_limit_then_say_how_many_more():
    from monitoring.alerts.notify import payload

    alerts = [{"id": i, "severity": "low", "message": f"alert {i} " + "<x>" * 150} for i in range(40)]
    text = payload("m", alerts)["text"]
    assert len(text) <= 3000 and text.endswith("more: see the Alerts page")
    shown = text.count("[LOW]")
    assert 0 < shown < 40 and text.endswith(f"…and {40 - shown} more: see the Alerts page")


# D17: an episode that opened and cleared before this evaluation saw it is history, not news.


def test_an_alert_that_opens_and_clears_in_one_evaluation_is_neither_new_nor_sent(small_credit, receiver):
    store = small_credit(until_day=35)
    add_webhook(store, "credit", f"http://127.0.0.1:{receiver.server_port}/hook", "low")
    result = evaluate_model(store, "credit")
    stored = {a["id"]: a for a in list_alerts(store, "credit")}
    passed = [a for a in stored.values() if a["status"] == "resolved"]
    assert passed, "the small credit model has an episode that already cleared (prediction drift)"
    assert not {a["id"] for a in passed} & {a["id"] for a in result.opened + result.resolved}
    assert {a["id"] for a in result.cleared} == {a["id"] for a in passed}
    sent = json.loads(receiver.received[0])["alerts"]
    assert sent and all(stored[a["id"]]["status"] == "open" == a["status"] for a in sent)
    assert not {a["id"] for a in passed} & {a["id"] for a in sent}
    assert (
        len(sent) == len(result.opened)
        and str(len(result.opened)) in json.loads(receiver.received[0])["text"]
    )


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
    at = AppTest.from_file(APP, default_timeout=60)
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

    at = AppTest.from_file(APP, default_timeout=60)
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
    at = AppTest.from_function(_failing_page, default_timeout=30)
    with caplog.at_level(logging.ERROR, logger="monitoring.app"):
        at.run()
    assert not at.exception
    shown = at.error[0].value
    assert shown.startswith("Something went wrong on the server (reference ")
    assert "/srv/app" not in shown and "SELECT" not in shown
    reference = shown.split("reference ")[1].split(")")[0]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and "SELECT secret_col" in str(logged[0].exc_info[1])


# The Upload page: the view's model, every file previewed once, private copies removed (D13-D15).

EXAMPLE = (ROOT / "data/examples/predictions.csv").read_bytes()


def _day_two(data: bytes = EXAMPLE) -> bytes:
    """The example file with other ids (a second batch)."""
    return data.replace(b"\nr", b"\nd2r")


@pytest.fixture
def upload_db(demo_store, tmp_path, monkeypatch):
    from monitoring.settings import DB_ENV_VAR
    from monitoring.store.backup import copy_to

    path = tmp_path / "upload.duckdb"
    copy_to(demo_store, str(path))
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return str(path)


@pytest.fixture
def previews_read(monkeypatch):
    """The files the Upload page previews (the real preview_file, counted)."""
    from pages import upload_files

    read = []
    real = upload_files.preview_file

    def counted(store, path, **options):
        read.append(options["file_name"])
        return real(store, path, **options)

    monkeypatch.setattr(upload_files, "preview_file", counted)
    return read


def _upload_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _copies() -> set[Path]:
    """The upload copies on disk (other tests' sessions may have left theirs: compare with before)."""
    from pages.upload_files import folder

    return set(folder().iterdir())


def test_upload_starts_on_the_model_of_the_view(upload_db):
    assert _upload_page({"model": "credit"}).selectbox(key="upload_model").value == "credit"
    assert _upload_page({"model": "bikes"}).selectbox(key="upload_model").value == "bikes"


def test_every_file_is_previewed_once_and_stored_with_one_role_table(upload_db, previews_read):
    from monitoring import catalog_api
    from monitoring.store import Store

    before = _copies()
    at = _upload_page()
    _new_model(at)
    files = [("day1.csv", EXAMPLE, "text/csv"), ("day2.csv", _day_two(), "text/csv")]
    at.file_uploader(key="upload_files").set_value(files).run()
    assert not at.exception and not at.error
    listed = at.dataframe[0].value
    assert listed["file"].tolist() == ["day1.csv", "day2.csv"] and listed["rows"].tolist() == [12, 12]
    assert len(at.data_editor) == 1  # one role table: the columns agree
    next(s for s in at.selectbox if s.label == "Task").set_value("binary").run()  # a rerun
    assert sorted(previews_read) == ["day1.csv", "day2.csv"]  # read once each, not again on the rerun
    assert len(_copies() - before) == 2
    next(b for b in at.button if b.label.startswith("Store 2 file(s)")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert catalog_api.batches(Store(upload_db), "shop")["rows"].tolist() == [12, 12]
    assert _copies() - before == set()  # stored: the copies are gone


def _new_model(at: AppTest) -> None:
    at.selectbox(key="upload_model").set_value("+ new model").run()
    at.text_input(key="upload_new_name").input("shop").run()


def test_files_with_different_columns_are_not_stored_together(upload_db):
    at = _upload_page()
    _new_model(at)
    other = b"".join(line.rsplit(b",", 1)[0] + b"\n" for line in EXAMPLE.splitlines())  # no status
    at.file_uploader(key="upload_files").set_value(
        [("day1.csv", EXAMPLE, "text/csv"), ("other.csv", other, "text/csv")]
    ).run()
    assert "Not the same columns as day1.csv: other.csv." in at.warning[0].value.replace("\\", "")
    assert not [b for b in at.button if b.label.startswith("Store")]


def test_copies_live_in_a_private_folder_and_go_when_refused_or_when_the_user_leaves(upload_db):
    from pages.upload_files import folder

    mode = folder().stat()
    assert stat.S_IMODE(mode.st_mode) == 0o700 and mode.st_uid == os.getuid()
    before = _copies()
    at = _upload_page()
    _new_model(at)
    at.file_uploader(key="upload_files").set_value(("day2.csv", _day_two(), "text/csv")).run()
    assert len(_copies() - before) == 1
    at.switch_page("pages/summary.py").run()  # the user leaves the Upload page
    assert _copies() - before == set()
    at.switch_page("pages/upload.py").run()
    _new_model(at)
    at.file_uploader(key="upload_files").set_value(("broken.csv", b"id,timestamp\n1,2,3\n", "text/csv")).run()
    assert at.error and _copies() - before == set()  # refused at the preview: removed


# In Chromium against `streamlit run`: no request leaves the machine (D27), uploads of sessions that
# are not an editor's are dropped (D4), the Kind control keeps its choice.


@pytest.fixture(scope="module")
def secured_url(tmp_path_factory):
    from app_server import running_app, seed_demo_db

    folder = tmp_path_factory.mktemp("hardening")
    db = seed_demo_db(str(folder / "demo.duckdb"))
    secrets = folder / "secrets.toml"
    secrets.write_text(
        f'[access.users.ann]\nrole = "{EDITOR}"\npassword_hash = "{hash_password("ann-pw")}"\n'
        f'[access.users.bo]\nrole = "{VIEWER}"\npassword_hash = "{hash_password("bo-pw")}"\n'
    )
    with running_app(db, "--secrets.files", str(secrets)) as url:
        yield url


@pytest.fixture
def tab(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def _sign_in(page, user: str, password: str) -> None:
    from app_server import wait_done

    page.get_by_label("User", exact=True).fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {user}").wait_for(timeout=60_000)
    wait_done(page)


def _open(page, title: str) -> None:
    from app_server import wait_done

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    wait_done(page)


@pytest.mark.browser
def test_no_request_leaves_localhost_while_pages_load(tab, secured_url):
    from app_server import wait_done

    hosts = []
    tab.on("request", lambda request: hosts.append(urlsplit(request.url).hostname))
    tab.goto(secured_url + "?model=credit")
    wait_done(tab)
    _sign_in(tab, "ann", "ann-pw")
    for title in ("Drift", "Alerts", "Upload", "Executive summary"):
        _open(tab, title)
    tab.wait_for_timeout(1000)  # the favicon is fetched after the page settles
    assert hosts and set(hosts) <= {"127.0.0.1", "localhost", None}, set(hosts)
    assert "/media/" in tab.locator("link[rel~='icon']").first.get_attribute("href")


def _session_id(page, url: str) -> str:
    """Open `url` and read the session id Streamlit sends in its first message on the websocket."""
    from app_server import wait_done
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    found = []

    def on_frame(payload):
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            if message.WhichOneof("type") == "new_session":
                found.append(message.new_session.initialize.session_id)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.goto(url)
    wait_done(page)
    assert found
    return found[0]


def _upload_bytes(page, url: str) -> int:
    """Bytes the server holds in uploaded files (Streamlit's /_stcore/metrics)."""
    text = page.request.get(url + "_stcore/metrics").text()
    return sum(int(float(line.split()[-1])) for line in text.splitlines() if "UploadedFileManager" in line)


def _put(page, url: str, session: str, size: int) -> int:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")
    response = page.request.put(
        f"{url}_stcore/upload_file/{session}/{uuid.uuid4()}",
        multipart={"file": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"x" * size}},
        headers={"X-Xsrftoken": token},
    )
    return response.status


@pytest.mark.browser
def test_files_put_by_a_session_that_is_not_signed_in_as_editor_are_dropped(tab, secured_url):
    size = 3_000_017  # a size no other upload has
    session = _session_id(tab, secured_url)  # the sign-in form only
    before = _upload_bytes(tab, secured_url)
    assert _put(tab, secured_url, session, size) == 204  # Streamlit answers; the file is dropped
    _sign_in(tab, "bo", "bo-pw")
    assert _put(tab, secured_url, session, size) == 204  # a viewer: dropped too
    tab.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    _sign_in(tab, "ann", "ann-pw")  # the same session, now an editor's
    assert _put(tab, secured_url, session, size) == 204
    deadline = time.time() + 30
    while _upload_bytes(tab, secured_url) - before < size and time.time() < deadline:
        time.sleep(1)  # the metrics are cached for a few seconds
    assert _upload_bytes(tab, secured_url) - before == size  # only the editor's file was kept


@pytest.mark.browser
def test_clicking_the_selected_kind_keeps_it_selected(tab, secured_url):
    from app_server import wait_done

    tab.goto(secured_url + "?model=credit")
    wait_done(tab)
    _sign_in(tab, "ann", "ann-pw")
    _open(tab, "Upload")
    kind = tab.get_by_test_id("stButtonGroup").filter(has_text="Kind")
    chosen = kind.locator("button[aria-checked='true']")
    assert chosen.inner_text() == "production"
    chosen.click()
    tab.wait_for_timeout(500)
    wait_done(tab)
    assert kind.locator("button[aria-checked='true']").all_inner_texts() == ["production"]
    assert tab.get_by_text("Choose the model (or name a new one) and one or more files.").count() == 1


def test_copies_go_when_the_session_goes(upload_db):
    before = _copies()
    at = _upload_page()
    _new_model(at)
    at.file_uploader(key="upload_files").set_value(("day2.csv", _day_two(), "text/csv")).run()
    assert len(_copies() - before) == 1
    del at  # a closed tab: Streamlit drops its session a few minutes later
    gc.collect()
    assert _copies() - before == set()
