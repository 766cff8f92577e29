"""Hardening of uploads: the Upload page starts on the view's model, previews every file once, keeps
its copies private and short-lived (D13-D15); in Chromium, no request leaves the machine (D27) and
uploads of sessions that are not an editor's are dropped (D4)."""

import gc
import os
import stat
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from monitoring.access import EDITOR, VIEWER, hash_password

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


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
    at = AppTest.from_file(APP, default_timeout=180)
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
    page.get_by_text(f"Signed in as {user}").wait_for(timeout=180_000)
    wait_done(page)


def _open(page, title: str) -> None:
    from app_server import wait_done

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=180_000)
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
