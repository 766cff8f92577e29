import pytest

from monitoring.store import Store

EXAMPLE_CSV = "data/examples/predictions.csv"


@pytest.fixture
def store():
    return Store(":memory:")


@pytest.fixture(scope="session")
def demo_store():
    """An in-memory store seeded with the demo; shared, so tests must not change it."""
    from monitoring.demo import seed_demo

    seeded = Store(":memory:")
    seed_demo(seeded)
    return seeded


@pytest.fixture
def ingest_frame(tmp_path):
    """Ingest a DataFrame through the real path: ingest_frame(store, frame, model=, kind=, overrides=)."""
    from monitoring.ingest.pipeline import ingest_file

    def ingest(store, frame, *, model, kind, overrides=None, keep_bad_values=False):
        path = tmp_path / f"{model}_{kind}_{len(list(tmp_path.iterdir()))}.parquet"
        frame.to_parquet(path, index=False)
        return ingest_file(
            store, str(path), model=model, kind=kind, overrides=overrides, keep_bad_values=keep_bad_values
        )

    return ingest


@pytest.fixture
def small_credit(ingest_frame):
    """A small credit demo (300 rows a day) in a fresh store: small_credit(until_day=60) -> Store.

    Production rows of days [from_day, until_day) are ingested; call again on the returned store with
    `store=` to add later days (as a new batch), e.g. to see an alert clear.
    """
    import pandas as pd

    from monitoring.demo import START, credit_frames, credit_roles

    reference, production, labels = credit_frames(per_day=300, reference_rows=3000)
    overrides = credit_roles()

    def make(until_day: int = 60, from_day: int = 0, store=None):
        day = production["timestamp"] - START
        part = production[(day >= pd.Timedelta(days=from_day)) & (day < pd.Timedelta(days=until_day))]
        fresh = store is None
        store = store or Store(":memory:")
        for kind, frame in [("production", part)] + ([("reference", reference)] if fresh else []):
            ingest_frame(
                store, frame, model="credit", kind=kind, overrides=overrides.only(set(frame.columns))
            )
        ids = set(part["request_id"])
        found = labels[labels["request_id"].isin(ids)]
        if len(found):
            ingest_frame(
                store, found, model="credit", kind="labels", overrides=overrides.only(set(found.columns))
            )
        return store

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what its page showed then: the state of the script and the
    visible text (the CI log is all there is of a run elsewhere)."""
    report = yield
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.failed and call.when == "call" and page is not None:
        try:
            state = page.locator('[data-testid="stApp"]').get_attribute(
                "data-test-script-state", timeout=5000
            )
            text = page.locator("body").inner_text(timeout=5000)
            report.sections.append(("page at failure", f"url {page.url}, script {state}\n{text[:3000]}"))
        except Exception as error:  # the page itself may be what broke
            report.sections.append(("page at failure", f"not readable: {error}"))
    return report


@pytest.fixture(scope="session")
def browser():
    """One Debian Chromium for the whole session (Playwright's sync API allows one at a time)."""
    from app_server import launch_chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for every Spark test (a JVM start and its warm-up are the costly
    part). Java 17 is needed: without it the Spark tests fail and say so rather than skip."""
    from spark_setup import start_spark

    session = start_spark()
    yield session
    session.stop()
