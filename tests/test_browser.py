"""End to end in Debian's Chromium (Playwright) against `streamlit run app.py` on a seeded demo DB.

Run with `pytest -m browser`; the fixture seeds a demo database (about a minute) and starts the app.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "",
    "performance",
    "drift",
    "distributions",
    "fairness",
    "data_quality",
    "operations",
    "alerts",
    "upload",
    "batches",
]

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, process, timeout: float = 90) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if process.poll() is not None:
            raise RuntimeError("streamlit exited early")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit never became healthy")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    db = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    env = {**os.environ, "MONITORING_DB": str(db)}
    subprocess.run(
        [sys.executable, "-m", "monitoring", "demo", "--db", str(db)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def wait_done(page, timeout: float = 120) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    end = time.time() + timeout
    while time.time() < end:
        state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
        if state == "notRunning" and page.locator('[data-testid="stSkeleton"]').count() == 0:
            return
        time.sleep(0.1)
    raise TimeoutError("the page never finished running")


def no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_without_error(page, app_url, path):
    page.goto(app_url + path + "?model=credit")
    wait_done(page)
    no_errors(page)
    assert page.get_by_test_id("stHeading").count() >= 1


def test_upload_stores_a_batch_that_batches_lists(page, app_url):
    page.goto(app_url + "upload")
    wait_done(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="+ new model").click()
    wait_done(page)
    page.get_by_label("New model name").fill("shop")
    page.get_by_label("New model name").press("Enter")
    wait_done(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        str(ROOT / "data/examples/predictions.csv")
    )
    wait_done(page)
    page.get_by_role("button", name="Store 1 file(s) as production").click()
    page.get_by_text("stored 12 production rows").wait_for(timeout=60_000)
    wait_done(page)
    no_errors(page)
    page.goto(app_url + "batches?model=shop")
    wait_done(page)
    no_errors(page)
    assert "predictions.csv" in page.content()  # the grid is a canvas; its accessible table is in the DOM


def date_shown(page, label: str) -> tuple[int, ...]:
    parts = ("year", "month", "day")
    return tuple(
        int(page.get_by_role("spinbutton", name=f"{p}, {label}").get_attribute("aria-valuenow"))
        for p in parts
    )


def test_a_link_reproduces_model_and_period(browser, app_url):
    link = app_url + "performance?model=credit&window=day&start=2024-04-01&end=2024-04-10"
    for _ in range(2):  # two fresh contexts: nothing shared but the link
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(link)
        wait_done(page)
        assert "binary model" in page.get_by_test_id("stSidebar").inner_text()  # credit, not bikes
        assert date_shown(page, "From") == (2024, 4, 1) and date_shown(page, "To") == (2024, 4, 10)
        axis = page.get_by_label("X-axis titled 'Window'").first.get_attribute("aria-label")
        assert "01 April 2024" in axis and "10 April 2024" in axis  # the charts cover that period
        assert "window=day" in page.url and "model=credit" in page.url
        context.close()


def test_selecting_a_heatmap_cell_shows_that_feature(page, app_url):
    page.goto(app_url + "drift?model=credit&window=week")
    wait_done(page)
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas, svg").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 12)  # a cell of the first row
    wait_done(page)
    page.get_by_text("against the reference").first.wait_for(timeout=60_000)
    text = page.get_by_text("against the reference").first.inner_text()
    features = {
        "age",
        "income",
        "debt_ratio",
        "credit_score",
        "loan_amount",
        "employment_years",
        "num_accounts",
        "region",
        "purpose",
        "gender",
    }
    assert text.split(" in ")[0] in features
    assert page.get_by_test_id("stVegaLiteChart").count() >= 2
    no_errors(page)


def test_sidebar_choices_hold_across_pages(page, app_url):
    page.goto(app_url + "?model=credit&window=day")
    wait_done(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Drift", exact=True).click()
    time.sleep(0.3)
    wait_done(page)
    assert "binary model" in page.get_by_test_id("stSidebar").inner_text()  # credit, not bikes
    # the choices hold; Streamlit drops the query string on a sidebar switch (a new link can be copied
    # after any change in the sidebar)
    no_errors(page)
