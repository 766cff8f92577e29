"""AppTest: every page on the demo database and on an empty one, with no exception."""

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitoring.settings import DB_ENV_VAR
from monitoring.store import Store
from monitoring.store.backup import copy_to
from pages import frame

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = [path for _, path, _, _ in frame.PAGES]


@pytest.fixture(scope="module")
def demo_db(demo_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "demo.duckdb"
    copy_to(demo_store, str(path))
    return str(path)


@pytest.fixture
def empty_db(tmp_path):
    path = tmp_path / "empty.duckdb"
    Store(str(path))  # an existing file with no model: the app must not seed it
    return str(path)


def run_page(page: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(page).run()  # the default page depends on the number of models


@pytest.mark.parametrize("page", PAGES)
def test_page_on_demo(page, demo_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = run_page(page, {"model": "credit", "window": "week"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    # the sidebar (drawn around the page, also when Streamlit runs the page file on its own) holds the view
    assert (at.selectbox(key="model").value, at.selectbox(key="window").value) == ("credit", "week")


@pytest.mark.parametrize("page", PAGES)
def test_page_on_empty_database(page, empty_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, empty_db)
    at = run_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    if page != "pages/upload.py":
        assert any("No model is stored yet" in i.value for i in at.info)
        assert at.button[0].label == "Seed demo"


def test_summary_states_each_area_in_words(demo_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = run_page(PAGES[0], {"model": "credit", "window": "day"})
    assert at.selectbox(key="model").value == "credit"
    text = " ".join(m.value for m in at.markdown)
    for area in ("Performance", "Drift", "Data quality", "Fairness", "Operations"):
        assert f"**{area}**" in text
    assert "p-value" not in text and "p_value" not in text
    served = next(m for m in at.metric if m.label == "Predictions served")
    assert served.value.replace(",", "").isdigit() and int(served.value.replace(",", "")) > 100_000


def test_library_error_is_shown_as_message(demo_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = run_page("pages/distributions.py", {"model": "no-such-model"})
    assert not at.exception
    assert at.selectbox(key="model").value != "no-such-model"


def test_upload_previews_and_stores_the_example(tmp_path, monkeypatch):
    path = tmp_path / "upload.duckdb"
    Store(str(path))
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = run_page("pages/upload.py")
    at.text_input(key="upload_new_name").input("shop").run()
    data = Path("data/examples/predictions.csv").read_bytes()
    at.file_uploader(key="upload_files").upload("predictions.csv", data, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    roles = dict(zip(at.data_editor[0].value["name"], at.data_editor[0].value["role"], strict=True))
    assert roles["score"] == "score" and roles["gender"] == "sensitive"
    at.button[0].click().run()
    assert not at.exception and not at.error
    from monitoring import catalog_api

    batches = catalog_api.batches(Store(str(path)), "shop")
    assert batches["rows"].tolist() == [12]


@pytest.mark.parametrize("page", [p for p in PAGES if p != "pages/upload.py"])
def test_every_chart_and_table_has_lazy_downloads(page, demo_db, monkeypatch):
    """PNG and SVG under every chart, CSV under every table; no bytes made until a click."""
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = run_page(page, {"model": "credit", "window": "week"})
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert labels.count("PNG") == labels.count("SVG") == len(at.get("vega_lite_chart"))
    assert labels.count("CSV") == len(at.dataframe)  # data editors (the alert rules) included
    assert all(b.proto.deferred_file_id and not b.proto.url for b in buttons)  # made on click


def test_literal_shows_user_text_as_typed():
    from pages.text import literal

    assert literal("<b>bold</b> **x** [a](javascript:1) :red[y] $z$") == (
        "\\<b\\>bold\\</b\\> \\*\\*x\\*\\* \\[a\\]\\(javascript\\:1\\) \\:red\\[y\\] \\$z\\$"
    )


def test_a_bare_url_opens_on_the_model_with_the_most_severe_open_alerts(demo_store, tmp_path, monkeypatch):
    from monitoring.alerts.evaluate import evaluate_model

    path = str(tmp_path / "alerts.duckdb")
    copy_to(demo_store, path)
    for name in ("bikes", "credit"):  # as the app's own seeding does
        evaluate_model(Store(path), name, notify=False)
    monkeypatch.setenv(DB_ENV_VAR, path)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception
    assert at.selectbox(key="model").value == "credit"  # 2 critical alerts open, bikes 1


def test_with_two_models_the_portfolio_is_the_default_page_with_a_row_per_model(demo_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Portfolio"
    table = at.dataframe[0].value
    assert sorted(table["link"]) == ["summary?model=bikes", "summary?model=credit", "summary?model=tickets"]
    credit = table[table["link"] == "summary?model=credit"].iloc[0]
    assert credit["performance"] == "critical" and credit["retraining"] == "retrain now"
    assert credit["last_data"].endswith("years ago") and len(credit["trend"]) == 10


def test_with_one_model_the_summary_stays_the_default_page(tmp_path, monkeypatch):
    path = tmp_path / "one.duckdb"
    from monitoring.ingest.pipeline import ingest_file

    ingest_file(Store(str(path)), "data/examples/predictions.csv", model="shop", kind="production")
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception and at.title[0].value == "Executive summary"


def test_summary_shows_the_retraining_verdict_and_freshness(demo_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = run_page("pages/summary.py", {"model": "credit"})
    verdict = at.warning[0].value.replace("\\", "")  # shown literally: Markdown characters escaped
    assert verdict.startswith("Retrain now: estimated accuracy ")  # the last two weeks have no labels yet
    assert "labelled rows since the reference" in verdict
    labels = {m.label: m.value for m in at.metric}
    assert labels["Since the newest prediction"].endswith("years") and labels["Labels overdue"].endswith("%")


def test_the_settings_form_saves_the_label_delay_retraining_and_mlflow_settings(
    demo_db, tmp_path, monkeypatch
):
    import shutil

    from monitoring import catalog_api

    path = str(tmp_path / "settings.duckdb")
    shutil.copy(demo_db, path)
    monkeypatch.setenv(DB_ENV_VAR, path)
    at = run_page("pages/batches.py", {"model": "credit"})
    next(n for n in at.number_input if n.label == "Expected label delay (days)").set_value(3.0)
    next(n for n in at.number_input if n.label == "Retrain after windows below the line").set_value(2)
    next(t for t in at.text_input if t.label == "MLflow registered model").input("credit-default")
    next(t for t in at.text_input if t.label == "MLflow model version").input("7")
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception and not at.error
    settings = catalog_api.get_model(Store(path), "credit").settings
    assert (settings.label_delay_days, settings.retrain_windows) == (3.0, 2)
    assert (settings.mlflow_registered_model, settings.mlflow_model_version) == ("credit-default", "7")


@pytest.mark.parametrize("model", ["bikes", "tickets"])
def test_performance_page_shows_estimates_and_business_value_of_regression_and_multiclass(
    model, demo_db, monkeypatch
):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = run_page("pages/performance.py", {"model": model})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert "Business value" in [s.value for s in at.subheader]
    assert len(at.get("vega_lite_chart")) >= 3  # two metrics, the labelled share, the value


def test_summary_states_the_business_value_of_the_latest_window(demo_db, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, demo_db)
    at = run_page(PAGES[0], {"model": "tickets"})
    worth = next(m for m in at.metric if m.label == "Business value")
    assert worth.value.replace(",", "").isdigit() and "vs expected" in worth.proto.delta
    assert any("the model earned an estimated" in c.value and "expected" in c.value for c in at.caption)


def test_the_value_matrix_is_edited_on_the_settings_page(tmp_path, demo_db, monkeypatch):
    path = tmp_path / "settings.duckdb"
    copy_to(Store(demo_db), str(path))
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = run_page("pages/batches.py", {"model": "bikes"})
    assert '"cost_per_unit_error": 1.5' in at.text_area(key="value_matrix").value
    save = next(b for b in at.button if b.proto.label == "Save settings")
    at.text_area(key="value_matrix").input("{not json")  # a form's values go with its submit
    save.click().run()
    assert any("the value matrix is not JSON" in e.value for e in at.error)
    at.text_area(key="value_matrix").input('{"cost_per_unit_error": 4}')
    next(b for b in at.button if b.proto.label == "Save settings").click().run()
    assert not at.error and not at.exception
    from monitoring import catalog_api

    assert catalog_api.get_model(Store(str(path)), "bikes").settings.value_matrix == {
        "cost_per_unit_error": 4
    }


def test_upload_preview_names_the_class_of_each_probability_column(tmp_path, monkeypatch):
    path = tmp_path / "classes.duckdb"
    Store(str(path))
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = run_page("pages/upload.py")
    at.text_input(key="upload_new_name").input("router").run()
    rows = "\n".join(f"r{i},2024-01-01T00:0{i}:00,a,0.7,0.3" for i in range(5))
    data = f"id,timestamp,prediction,proba_a,billing_proba\n{rows}\n".encode()
    at.file_uploader(key="upload_files").upload("scores.csv", data, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.data_editor[0].value
    classes = dict(zip(table["name"], table["class"], strict=True))
    assert classes["proba_a"] == "a" and classes["billing_proba"] == "billing"
    assert pd.isna(classes["prediction"])


def _binary_model(tmp_path, name: str, inputs, n: int = 3000) -> str:
    """A database with binary model `name`: reference rows over five days from 2026-01-01 and
    production rows over five days from 2026-03-01; `inputs(rng, kind, n)` gives the input
    columns, the score is random (so unrelated to them). Returns the database's path."""
    import numpy as np

    from monitoring.ingest.pipeline import ingest_file
    from monitoring.ingest.roles import RoleOverrides

    rng = np.random.default_rng(7)
    path = str(tmp_path / f"{name}.duckdb")
    store = Store(path)
    roles = RoleOverrides(task="binary", timestamp="when", score=["p"], prediction="label")
    for kind, start in (("reference", "2026-01-01"), ("production", "2026-03-01")):
        seconds = np.sort(rng.integers(0, 5 * 86400, n))
        frame = pd.DataFrame({"when": pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s")})
        frame = frame.assign(**inputs(rng, kind, n), p=rng.random(n))
        frame["label"] = (frame["p"] > 0.5).astype(int)
        frame.to_parquet(tmp_path / f"{kind}.parquet", index=False)
        ingest_file(store, str(tmp_path / f"{kind}.parquet"), model=name, kind=kind, overrides=roles)
    return path


def test_drift_page_says_why_no_attention_is_shown_when_the_score_ignores_the_inputs(tmp_path, monkeypatch):
    def inputs(rng, kind, n):
        return {
            "income": rng.normal(50 if kind == "reference" else 60, 10, n),
            "region": rng.choice(["n", "s"], n),
        }

    path = _binary_model(tmp_path, "noise", inputs)
    monkeypatch.setenv(DB_ENV_VAR, path)
    at = run_page("pages/drift.py", {"model": "noise", "window": "day"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    said = " ".join(c.value for c in at.caption)
    assert "fits it no better than a constant" in said
    assert "What the model pays attention to" not in " ".join(m.value for m in at.markdown)


def test_data_quality_says_in_words_that_no_value_is_missing(tmp_path, monkeypatch):
    """All shares 0: a heatmap of one colour read as some share missing everywhere (seen at 10M)."""
    path = _binary_model(tmp_path, "complete", lambda rng, kind, n: {"income": rng.normal(50, 10, n)}, 2000)
    monkeypatch.setenv(DB_ENV_VAR, path)
    at = run_page("pages/data_quality.py", {"model": "complete", "window": "day"})
    assert not at.exception, [e.value for e in at.exception]
    said = [m.value for m in at.markdown]
    assert "No input lacks a value in any window." in said
    assert "Share of rows with no value." not in [c.value for c in at.caption]
