"""`python -m monitoring attach`: Parquet datasets read in place, reported like stored batches."""

import json
import shutil

import duckdb
import pytest
from lake import credit_lake, write_partitioned

from monitoring.cli import main
from monitoring.context import ReportRequest
from monitoring.demo import credit_roles
from monitoring.errors import InputError
from monitoring.ingest.attach import attach_dataset
from monitoring.ingest.pipeline import ingest_file
from monitoring.report import build_report
from monitoring.store import Store, catalog

SAME_SECTIONS = (
    "windows",
    "drift",
    "dataset_drift",
    "performance",
    "confusion_matrix",
    "fairness",
    "operations",
    "data_quality",
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    return credit_lake(tmp_path_factory.mktemp("lake"), days=20)


def _roles(kind, lake):
    return credit_roles().only(set(lake["frames"][kind].columns))


def attached_store(lake, db=":memory:") -> Store:
    store = Store(db)
    for kind in ("reference", "production", "labels"):
        attach_dataset(store, lake[kind], model="credit", kind=kind, overrides=_roles(kind, lake))
    return store


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _catalog_rows(db) -> dict:
    con = duckdb.connect(db, read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in sorted(tables)}
    finally:
        con.close()


def test_a_report_over_an_attached_partitioned_dataset_equals_the_report_over_the_same_rows_ingested(
    lake, tmp_path
):
    attached = build_report(attached_store(lake), ReportRequest("credit", window="day")).to_dict()
    stored = Store(":memory:")
    for kind in ("reference", "production", "labels"):
        frame = lake["frames"][kind]
        path = tmp_path / f"{kind}.parquet"
        frame.to_parquet(path, index=False)
        ingest_file(stored, str(path), model="credit", kind=kind, overrides=_roles(kind, lake))
    ingested = build_report(stored, ReportRequest("credit", window="day")).to_dict()
    assert len(attached["windows"]) == 20 and attached["drift"] and attached["performance"]
    for section in SAME_SECTIONS:
        assert attached[section] == ingested[section], section
    assert attached["reference"]["rows"] == ingested["reference"]["rows"] == 1500


def test_the_partition_folder_is_not_taken_as_a_feature_and_the_batches_listing_names_the_dataset(
    lake, capsys, tmp_path
):
    db = tmp_path / "m.duckdb"
    code, out, err = _run(
        capsys,
        "attach",
        lake["production"],
        "--db",
        db,
        "--model",
        "credit",
        "--kind",
        "production",
        "--id",
        "request_id",
        "--timestamp",
        "timestamp",
        "--prediction",
        "prediction",
        "--score",
        "score",
    )
    assert code == 0, err
    assert (
        "attached" in out
        and "production rows in 20 Hive-partitioned Parquet file(s) as batch 1 of 'credit'" in out
    )
    with Store(str(db)).connect() as con:
        columns = {c.name: c.role for c in catalog.get_model(con, "credit").columns}
    assert columns["day"] == "ignore" and columns["request_id"] == "id"
    code, out, _ = _run(capsys, "batches", "--db", db, "--model", "credit")
    assert (
        code == 0
        and f"attached production dataset (batch 1): {lake['production']}, 20 file(s), read in place" in out
    )


def test_a_file_that_appears_in_the_dataset_is_in_the_next_report(lake, tmp_path):
    root = tmp_path / "growing"
    shutil.copytree(lake["production"], root / "production")
    shutil.copy(lake["reference"], root / "reference.parquet")
    store = Store(":memory:")
    attach_dataset(
        store,
        str(root / "reference.parquet"),
        model="credit",
        kind="reference",
        overrides=_roles("reference", lake),
    )
    attach_dataset(
        store,
        str(root / "production"),
        model="credit",
        kind="production",
        overrides=_roles("production", lake),
    )
    before = build_report(store, ReportRequest("credit", window="day")).to_dict()
    again = build_report(store, ReportRequest("credit", window="day")).to_dict()
    assert again["drift"] == before["drift"]
    later = lake["frames"]["production"].copy()
    later["timestamp"] = later["timestamp"] + (
        later["timestamp"].max().normalize()
        - later["timestamp"].min().normalize()
        + __import__("pandas").Timedelta(days=1)
    )
    later["request_id"] = "late-" + later["request_id"]
    write_partitioned(later.head(500), root / "production", name="part-1.parquet")
    after = build_report(store, ReportRequest("credit", window="day")).to_dict()
    rows = sum(w["rows"] for w in after["windows"])
    assert rows == sum(w["rows"] for w in before["windows"]) + 500
    assert len(after["windows"]) > len(before["windows"])


def test_a_changed_file_invalidates_the_kept_summaries_of_its_dataset(lake, tmp_path):
    root = tmp_path / "changing"
    shutil.copytree(lake["production"], root)
    store = Store(":memory:")
    attach_dataset(
        store, lake["reference"], model="credit", kind="reference", overrides=_roles("reference", lake)
    )
    attach_dataset(store, str(root), model="credit", kind="production", overrides=_roles("production", lake))
    before = build_report(store, ReportRequest("credit", window="day", sections=("drift",))).to_dict()
    first = sorted(root.glob("day=*/part-0.parquet"))[0]
    frame = __import__("pandas").read_parquet(first)
    frame["age"] = frame["age"] + 40
    frame.to_parquet(first, index=False)
    after = build_report(store, ReportRequest("credit", window="day", sections=("drift",))).to_dict()
    age = [d for d in before["drift"] if d["column"] == "age" and d["window"] == 0]
    age_after = [d for d in after["drift"] if d["column"] == "age" and d["window"] == 0]
    assert age[0]["statistic"] != age_after[0]["statistic"]


@pytest.mark.parametrize(
    "setup, message",
    [
        ("empty", "holds no Parquet files; give a .parquet file, a glob"),
        ("mixed", "differs from that of"),
        ("no_prediction", "lacks required column 'prediction' (prediction)"),
        ("not_parquet", "could not be read as Parquet"),
    ],
)
def test_bad_datasets_are_refused_in_one_line_with_exit_2_and_nothing_registered(
    lake, capsys, tmp_path, setup, message
):
    db = tmp_path / "m.duckdb"
    assert (
        _run(
            capsys,
            "attach",
            lake["reference"],
            "--db",
            db,
            "--model",
            "credit",
            "--kind",
            "reference",
            "--prediction",
            "prediction",
            "--target",
            "defaulted",
            "--score",
            "score",
        )[0]
        == 0
    )
    _run(
        capsys, "ingest", lake["labels"], "--db", db, "--model", "credit", "--kind", "labels"
    )  # refused: no id
    before = _catalog_rows(str(db))
    path = tmp_path / setup
    path.mkdir()
    frame = lake["frames"]["production"].head(200)
    if setup == "mixed":
        frame.to_parquet(path / "a.parquet", index=False)
        frame.assign(age=frame["age"].astype(str)).to_parquet(path / "b.parquet", index=False)
    if setup == "no_prediction":
        frame.drop(columns=["prediction"]).to_parquet(path / "a.parquet", index=False)
    if setup == "not_parquet":
        (path / "a.parquet").write_text("request_id,timestamp\n1,2024-01-01\n")
    code, out, err = _run(capsys, "attach", path, "--db", db, "--model", "credit", "--kind", "production")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert _catalog_rows(str(db)) == before


def test_an_ingest_into_an_attached_kind_is_refused_and_names_the_dataset(lake, tmp_path):
    store = attached_store(lake)
    path = tmp_path / "more.parquet"
    lake["frames"]["production"].head(100).to_parquet(path, index=False)
    with pytest.raises(
        InputError, match="reads its production rows from the attached dataset .*; put more.parquet there"
    ):
        ingest_file(store, str(path), model="credit", kind="production")
    with pytest.raises(InputError, match="already has an attached production dataset"):
        attach_dataset(store, lake["production"], model="credit", kind="production")


def test_deleting_the_attached_batch_detaches_the_dataset_and_leaves_its_files(lake, tmp_path):
    store = attached_store(lake)
    with store.transaction() as con:
        model = catalog.get_model(con, "credit")
        batch = next(b for b in catalog.list_batches(con, "credit").itertuples() if b.kind == "production")
        catalog.delete_batch(con, model, batch.id)
        assert not catalog.table_exists(con, model.table("production"))
    assert list(__import__("pathlib").Path(lake["production"]).glob("day=*/*.parquet"))
    attach_dataset(
        store, lake["production"], model="credit", kind="production", overrides=_roles("production", lake)
    )
    with store.transaction() as con:
        catalog.delete_model(con, catalog.get_model(con, "credit"))
    with store.connect() as con:
        assert not catalog.model_exists(con, "credit")
        assert con.execute("SELECT count(*) FROM attached_datasets").fetchall()[0][0] == 0


def test_a_report_of_an_attached_model_from_the_cli_is_json(lake, capsys, tmp_path):
    db = tmp_path / "m.duckdb"
    attached_store(lake, str(db))
    code, out, err = _run(
        capsys, "report", "--db", db, "--model", "credit", "--window", "day", "--sections", "drift,operations"
    )
    assert code == 0, err
    assert len({record["window"] for record in json.loads(out)["operations"]}) == 20


@pytest.mark.parametrize(
    "page", ["pages/batches.py", "pages/drift.py", "pages/operations.py", "pages/data_quality.py"]
)
def test_the_app_pages_read_an_attached_model_and_the_batches_page_lists_its_datasets(
    lake, tmp_path, monkeypatch, page
):
    from streamlit.testing.v1 import AppTest

    from monitoring.settings import DB_ENV_VAR

    db = tmp_path / "app.duckdb"
    attached_store(lake, str(db))
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.query_params["model"] = "credit"
    at.run()
    at = at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if page == "pages/batches.py":
        assert "Attached datasets" in [h.value for h in at.subheader]
        listed = at.dataframe[1].value
        assert sorted(listed["kind"]) == ["labels", "production", "reference"]
        assert listed.set_index("kind").loc["production", "files"] == 20


def test_deleting_an_attached_dataset_says_it_only_detaches_it_and_its_files_stay(
    lake, tmp_path, monkeypatch, capsys
):
    from streamlit.testing.v1 import AppTest

    from monitoring.catalog_api import attached
    from monitoring.settings import DB_ENV_VAR

    db = tmp_path / "app.duckdb"
    store = attached_store(lake, str(db))
    production = int(attached(store, "credit").set_index("kind").loc["production", "batch_id"])
    files = sorted(p for p in (tmp_path.parent).rglob("*.parquet") if lake["production"] in str(p))
    monkeypatch.setenv(DB_ENV_VAR, str(db))
    at = AppTest.from_file("../app.py", default_timeout=180)
    at.query_params["model"] = "credit"
    at.run()
    at = at.switch_page("pages/batches.py").run()
    at.selectbox(key="delete_batch").set_value(production).run()
    prompt = at.checkbox(key="delete_sure").label
    assert "its rows" not in prompt and "detach" in prompt and "files stay" in prompt
    at.checkbox(key="delete_sure").check().run()
    next(b for b in at.button if b.label == "Detach").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.toast] == [
        f"Detached batch {production}; nothing was copied, so no rows are deleted and its files stay where they are."
    ]
    assert "production" not in set(attached(Store(str(db)), "credit")["kind"])
    assert all(p.exists() for p in files) and files

    code, _, err = _run(capsys, "delete-model", "credit", "--db", db)
    assert code == 2 and "its rows" not in err and "attached datasets are detached: their files stay" in err
