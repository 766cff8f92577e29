"""End to end in Debian's Chromium (Playwright) against `streamlit run app.py` on a seeded demo DB.

Run with `pytest -m browser`; the fixture seeds a demo database (about a minute) and starts the app.
"""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from app_server import ROOT, running_app, seed_demo_db, wait_done
from app_server import free_port as _free_port  # noqa: F401  (test_browser_roles.py imports these
from app_server import wait_healthy as _wait_healthy  # noqa: F401  from here)

from pages import frame

# the default page (the portfolio, since the demo has two models), then every page by its path
PAGES = ["", *(Path(path).stem for _, path, _, _ in frame.page_order(2))]

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    db = seed_demo_db(tmp_path_factory.mktemp("browser") / "demo.duckdb")
    with running_app(db) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


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
    page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first.click()  # not the sidebar's
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
    page.get_by_text("stored 12 production rows").wait_for(timeout=180_000)
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
        assert "from 2024-04-01 to 2024-04-10" in axis  # the charts cover that period
        assert "window=day" in page.url and "model=bikes" not in page.url  # credit, the default, left out
        context.close()


def test_selecting_a_heatmap_cell_shows_that_feature(page, app_url):
    page.goto(app_url + "drift?model=credit&window=week")
    wait_done(page)
    chart = page.locator(".st-key-drift_heatmap").get_by_test_id(
        "stVegaLiteChart"
    )  # "What changed" charts come first
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas, svg").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 12)  # a cell of the first row
    wait_done(page)
    page.get_by_text("against the reference").first.wait_for(timeout=180_000)
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


def test_the_drift_page_and_the_summary_name_what_changed_and_why(page, app_url):
    page.goto(app_url + "drift?model=credit&window=week")
    wait_done(page)
    page.get_by_role("heading", name="What changed").wait_for()
    assert page.get_by_text("credit_score moved").count() >= 1
    assert page.get_by_text("of the model's attention").count() >= 3
    fit = page.get_by_text(re.compile(r"R² (0\.9\d|1\.00) on [\d,]+ held-out rows"))
    assert fit.count() == 1  # the surrogate's fit, so a user knows how far to trust it
    for heading in ("Which drift went with performance changes", "All inputs together"):
        page.get_by_role("heading", name=heading).wait_for()
    assert (
        page.get_by_test_id("stVegaLiteChart").count() >= 6
    )  # impact, attention, heatmap, share, PCA, outputs
    no_errors(page)
    page.goto(app_url + "summary?model=credit&window=week")
    wait_done(page)
    assert page.get_by_text("credit_score moved").count() == 1  # the drift card
    no_errors(page)


def sidebar_view(page) -> dict:
    """What the sidebar shows: model, window, period (From, To as year, month, day) and the task."""
    side = page.get_by_test_id("stSidebar")
    return {
        "model": side.get_by_role("combobox", name="Model").input_value(),
        "window": side.get_by_role("combobox", name="Window").input_value(),
        "from": date_shown(page, "From"),
        "to": date_shown(page, "To"),
        "task": "binary" if "binary model" in side.inner_text() else "other",
    }


def test_a_page_switch_keeps_the_view_in_the_url(browser, app_url):
    query = {"model": "credit", "window": "week", "start": "2024-04-01", "end": "2024-04-20"}
    shown = {"model": "credit", "window": "week", "from": (2024, 4, 1), "to": (2024, 4, 20), "task": "binary"}
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url + "performance?" + urlencode(query))
    wait_done(page)
    assert sidebar_view(page) == shown
    for title, path in (("Drift", "drift"), ("Operations", "operations")):  # two switches in a row
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
        page.wait_for_url(f"**/{path}?*")
        page.get_by_role("heading", name=title, exact=True).wait_for()
        wait_done(page)
        url = urlparse(page.url)
        assert url.path == "/" + path
        # the address bar holds the view; credit is the default model (most severe alerts): left out
        assert parse_qs(url.query) == {k: [v] for k, v in query.items() if k != "model"}
        assert sidebar_view(page) == shown
        no_errors(page)
    link = page.url
    context.close()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # someone opening the link
    page = context.new_page()
    page.goto(link)
    wait_done(page)
    page.get_by_role("heading", name="Operations", exact=True).wait_for()
    assert sidebar_view(page) == shown
    no_errors(page)
    context.close()


def pick(page, combobox, option: str) -> None:
    """Choose `option` of a select box: typing opens its list filtered (a click only focuses it)."""
    combobox.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()
    expect(combobox).to_have_value(option)
    wait_done(page)


def _segment_shown(page) -> str:
    """The sidebar's segment, after checking the page's badge names it too."""
    value = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Segment").input_value()
    if value != "every row":
        assert page.get_by_text(f"Segment {value}").first.is_visible()
    return value


def test_a_segment_picked_in_the_sidebar_holds_across_pages_and_in_a_fresh_context(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url + "performance?model=credit")
    wait_done(page)
    assert _segment_shown(page) == "every row"
    pick(page, page.get_by_test_id("stSidebar").get_by_role("combobox", name="Segment"), "region=islands")
    wait_done(page)
    page.wait_for_url("**segment=region%3Dislands*")
    assert _segment_shown(page) == "region=islands"
    for title, path in (("Drift", "drift"), ("Segments", "segments")):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
        page.wait_for_url(f"**/{path}?*")
        page.get_by_role("heading", name=title, exact=True).wait_for()
        wait_done(page)
        assert parse_qs(urlparse(page.url).query)["segment"] == ["region=islands"]
        assert _segment_shown(page) == "region=islands"
        no_errors(page)
    link = page.url
    context.close()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # someone opening the link
    page = context.new_page()
    page.goto(link)
    wait_done(page)
    page.get_by_role("heading", name="Segments", exact=True).wait_for()
    assert _segment_shown(page) == "region=islands"
    no_errors(page)
    context.close()


def test_the_segments_page_opens_another_page_filtered_to_a_segment(page, app_url):
    page.goto(app_url + "segments?model=credit")
    wait_done(page)
    no_errors(page)
    main = page.get_by_test_id("stMain")
    assert "Weakest segment: region=islands" in main.inner_text()
    pick(page, main.get_by_role("combobox", name="Segment to open"), "region=islands")
    pick(page, main.get_by_role("combobox", name="On page"), "Drift")
    link = main.get_by_role("link", name="Open it there")
    expect(link).to_have_attribute("href", re.compile(r"^\./drift\?.*segment=region%3Dislands"))
    with page.context.expect_page() as opened:
        link.click()
    drift = opened.value
    drift.wait_for_load_state()
    wait_done(drift)
    drift.get_by_role("heading", name="Drift", exact=True).wait_for()
    assert urlparse(drift.url).path == "/drift"
    assert parse_qs(urlparse(drift.url).query)["segment"] == ["region=islands"]
    assert _segment_shown(drift) == "region=islands"
    no_errors(drift)


def test_picking_a_portfolio_row_opens_that_models_summary(page, app_url):
    page.goto(app_url + "?model=credit")
    wait_done(page)
    page.get_by_role("heading", name="Portfolio", exact=True).wait_for()
    grid = page.get_by_test_id("stDataFrame").bounding_box()
    row_height = 35  # the grid's header and rows; credit is first (worst), bikes second
    page.mouse.click(grid["x"] + 15, grid["y"] + row_height * 2 + row_height / 2)  # bikes' checkbox
    page.get_by_role("heading", name="Executive summary", exact=True).wait_for()
    wait_done(page)
    assert urlparse(page.url).path == "/summary"
    assert page.get_by_test_id("stSidebar").get_by_role("combobox", name="Model").input_value() == "bikes"
    assert page.get_by_text("Mean absolute error is").count() >= 1  # the bikes regressor's summary
    no_errors(page)
