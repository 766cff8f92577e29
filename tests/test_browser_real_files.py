"""A new user's real files in Chromium: NannyML's car-loan layout uploaded as a new model, the target
that the production file implies proposed and marked, then fixed again in the role editor."""

import pytest
from app_server import running_app, wait_done
from test_role_changes import car_loan_files

from monitoring.store import Store, catalog

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def upload(page, path: str, kind: str) -> None:
    page.get_by_test_id("stMain").get_by_role("radiogroup").get_by_text(kind, exact=True).click()
    wait_done(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(path)
    wait_done(page)


def store_file(page, kind: str) -> None:
    page.get_by_role("button", name=f"Store 1 file(s) as {kind}").click()
    page.get_by_text(f"{kind} rows as batch").wait_for(timeout=180_000)
    wait_done(page)


def roles(db: str) -> dict[str, str]:
    with Store(db).connect() as con:
        return {c.name: c.role for c in catalog.get_model(con, "car").columns}


def test_car_loan_files_through_the_upload_page_and_the_role_editor(page, tmp_path):
    files = car_loan_files(tmp_path, rows=1500)
    db = str(tmp_path / "real.duckdb")
    Store(db)  # an existing database with no model: the app does not seed the demo into it
    with running_app(db) as url:
        page.goto(url + "upload")
        wait_done(page)
        page.get_by_label("New model name").fill("car")
        page.get_by_label("New model name").press("Enter")
        wait_done(page)
        upload(page, files["reference"], "reference")
        page.get_by_text("reference.csv: 1,500 rows").wait_for(timeout=180_000)
        store_file(page, "reference")
        assert roles(db)["y_pred_proba"] == "score" and roles(db)["y_pred"] == "prediction"

        page.goto(url + "upload?model=car")
        wait_done(page)
        upload(page, files["analysis"], "production")
        page.get_by_text("it looks like the outcome the model predicts").wait_for(timeout=180_000)
        page.get_by_role("button", name="Mark 'repaid' as the target").click()
        page.get_by_text("it looks like the outcome").wait_for(state="detached", timeout=180_000)
        wait_done(page)
        assert roles(db)["repaid"] == "target"
        store_file(page, "production")

        page.goto(url + "performance?model=car")
        wait_done(page)
        assert "estimated" in page.get_by_test_id("stMain").inner_text().lower()

        page.goto(url + "batches?model=car")
        wait_done(page)
        editor = page.get_by_test_id("stDataFrame").nth(1)  # the batches, then the columns
        editor.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "batches.png"), full_page=True)
        assert page.get_by_role("button", name="No changes").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
