"""Ingest: every bad input gets a clear MonitoringError and leaves the database file untouched."""

import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from monitoring.errors import MonitoringError, SchemaError
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.store import Store, catalog

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "examples" / "predictions.csv"
GOOD = EXAMPLE.read_text()
HEADER = GOOD.splitlines()[0]
ROW = "q{i},2024-05-02 09:00:00,34,52000,north,F,0.81,1,1,42.0,ok\n"


def _rows(count: int, start: int = 0) -> str:
    return "".join(ROW.format(i=i) for i in range(start, start + count))


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", GOOD)
    return buffer.getvalue()


def _drop_column(text: str, name: str) -> str:
    lines = [line.split(",") for line in text.splitlines()]
    position = lines[0].index(name)
    return "\n".join(",".join(cells[:position] + cells[position + 1 :]) for cells in lines) + "\n"


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


FAR_LATIN1 = (HEADER + "\n" + _rows(3000) + ROW.format(i="x").replace("north", "nörth")).encode("latin-1")
assert len(FAR_LATIN1) > 1 << 17

# (case id, file name, content, kind, model, words the message must contain)
BAD_INPUTS = [
    ("empty", "empty.csv", b"", "production", "m", ["empty", "export"]),
    ("header only", "header.csv", HEADER + "\n", "production", "m", ["no rows", "add data rows"]),
    ("blank only", "blank.csv", "\n \n", "production", "m", ["blank"]),
    ("renamed png", "photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "production", "m", ["PNG"]),
    ("zip", "logs.csv", _zip(), "production", "m", ["zip archive", "save it as CSV"]),
    ("pdf", "logs.parquet", b"%PDF-1.7\n...", "production", "m", ["PDF"]),
    ("bad gzip", "logs.csv.gz", b"\x1f\x8b\x08\x00garbage", "production", "m", ["gzip", "unpacked"]),
    ("binary", "logs.csv", b"id,ts\n\x00\x01\x02", "production", "m", ["binary"]),
    (
        "latin-1",
        "latin.csv",
        GOOD.replace("north", "nörth").encode("latin-1"),
        "production",
        "m",
        ["UTF-8", "line 2"],
    ),
    ("latin-1 far", "far.csv", FAR_LATIN1, "production", "m", ["UTF-8", "line 3002"]),
    (
        "duplicate names",
        "dup.csv",
        GOOD.replace("age,income", "age,age"),
        "production",
        "m",
        ["duplicate", "'age'"],
    ),
    (
        "names differing in case",
        "case.csv",
        GOOD.replace("age,income", "age,AGE"),
        "production",
        "m",
        ["'age' and 'AGE'"],
    ),
    (
        "empty name",
        "noname.csv",
        GOOD.replace("age,income", "age,"),
        "production",
        "m",
        ["column 4 has no name"],
    ),
    (
        "reserved name",
        "res.csv",
        GOOD.replace("age,income", "age,__batch"),
        "production",
        "m",
        ["'__batch'", "rename"],
    ),
    (
        "case clash with model",
        "clash.csv",
        GOOD.replace("age,income", "AGE,income"),
        "production",
        "m",
        ["'AGE'", "'age'"],
    ),
    (
        "missing required",
        "nopred.csv",
        _drop_column(GOOD, "prediction"),
        "production",
        "m",
        ["'prediction'", "required"],
    ),
    (
        "bad timestamp",
        "ts.csv",
        GOOD.replace("2024-05-01 10:01:00", "yesterday"),
        "production",
        "m",
        ["'timestamp'", "'yesterday'", "row 4", "ISO 8601"],
    ),
    (
        "text in numeric",
        "num.csv",
        GOOD.replace(",52000,", ",lots,"),
        "production",
        "m",
        ["'income'", "'lots'", "row 1", "--keep-bad-values"],
    ),
    (
        "text in score",
        "score.csv",
        GOOD.replace(",0.55,", ",high,"),
        "production",
        "m",
        ["'score'", "'high'", "row 3"],
    ),
    (
        "short row",
        "short.csv",
        HEADER + "\n" + _rows(5) + "q9,2024-05-02\n",
        "production",
        "m",
        ["line 7", "2 fields", "11 columns"],
    ),
    (
        "long row",
        "long.csv",
        HEADER + "\n" + _rows(2) + ROW.format(i=7).strip() + ",extra\n",
        "production",
        "m",
        ["line 4", "12 fields"],
    ),
    (
        "open quote",
        "quote.csv",
        HEADER + "\n" + _rows(2) + 'q9,"2024-05-02\n' + _rows(2, 10),
        "production",
        "m",
        ["quote", "line 4"],
    ),
    (
        "truncated parquet",
        "cut.parquet",
        _parquet(pd.read_csv(EXAMPLE))[:200],
        "production",
        "m",
        ["Parquet", "truncated"],
    ),
    (
        "parquet text in numeric",
        "t.parquet",
        _parquet(pd.read_csv(EXAMPLE).assign(income="n/a")),
        "production",
        "m",
        ["'income'", "'n/a'"],
    ),
    (
        "labels before model",
        "labels.csv",
        "id,target\nr1,1\n",
        "labels",
        "unknown",
        ["does not exist", "before its labels"],
    ),
    (
        "labels without target",
        "labels.csv",
        "id,outcome_x\nr1,1\n",
        "labels",
        "m",
        ["target column", "--target"],
    ),
]


def _db_hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def file_store(tmp_path):
    """A real database file holding model `m` with the example production file."""
    folder = tmp_path / "db"
    store = Store(str(folder / "monitoring.duckdb"))
    ingest_file(store, str(EXAMPLE), model="m", kind="production")
    return store, folder


@pytest.mark.parametrize(
    "file_name, content, kind, model, words",
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_and_database_is_unchanged(
    file_store, tmp_path, file_name, content, kind, model, words
):
    store, folder = file_store
    path = tmp_path / file_name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = _db_hashes(folder)
    with pytest.raises(MonitoringError) as raised:
        ingest_file(store, str(path), model=model, kind=kind)
    message = str(raised.value)
    assert file_name in message or "unknown" in message
    for word in words:
        assert word in message, message
    assert "\n" not in message and len(message) < 400, message
    assert _db_hashes(folder) == before


def test_file_store_is_not_rewritten_by_reading(file_store):
    store, folder = file_store
    before = _db_hashes(folder)
    with store.connect() as con:
        catalog.list_models(con)
    assert _db_hashes(folder) == before


def test_bad_value_far_down_is_named_with_its_row(store, tmp_path):
    path = tmp_path / "far.csv"
    rows = _rows(150_000).splitlines(keepends=True)
    rows[123_456] = rows[123_456].replace(",52000,", ",12k,")
    path.write_text(HEADER + "\n" + "".join(rows))
    with pytest.raises(SchemaError, match=r"'12k' in row 123457"):
        ingest_file(store, str(path), model="m", kind="production")


def _batch_rows_match_tables(con, model_name: str) -> None:
    model = catalog.get_model(con, model_name)
    batches = catalog.list_batches(con, model_name)
    for kind in ("reference", "production", "labels"):
        expected = int(batches.loc[batches["kind"] == kind, "rows"].sum())
        stored = 0
        if catalog.table_exists(con, model.table(kind)):
            stored = con.execute(f"SELECT count(*) FROM {model.table(kind)}").fetchall()[0][0]
        assert stored == expected


def test_same_content_twice_is_recognised_not_doubled(store, tmp_path):
    first = ingest_file(store, str(EXAMPLE), model="m", kind="production")
    copy = tmp_path / "renamed.csv"
    copy.write_text(GOOD)
    again = ingest_file(store, str(copy), model="m", kind="production")
    assert again.duplicate_of == first.batch_id and again.batch_id is None
    assert "already stored as batch" in again.summary()
    with store.connect() as con:
        assert len(catalog.list_batches(con, "m")) == 1
        assert con.execute('SELECT count(*) FROM "m1_production"').fetchall()[0][0] == 12


def test_labels_matching_no_prediction_warn_and_are_stored(store, tmp_path):
    ingest_file(store, str(EXAMPLE), model="m", kind="production")
    path = tmp_path / "late.csv"
    path.write_text("id,target\nnope1,1\nnope2,0\nr1,0\n")
    result = ingest_file(store, str(path), model="m", kind="labels")
    assert result.rows == 3 and result.batch_id is not None
    assert result.warnings == (
        "2 of 3 labels match no stored prediction by 'id'; they are kept and will join when those "
        "predictions arrive",
    )
    with store.connect() as con:
        rows = con.execute('SELECT id, target FROM "m1_labels" ORDER BY id').fetchall()
        _batch_rows_match_tables(con, "m")
    assert rows == [("nope1", "1"), ("nope2", "0"), ("r1", "0")]


def test_sql_in_a_column_name_is_stored_verbatim_never_run(store, tmp_path):
    name = 'a"; DROP TABLE models; --'
    path = tmp_path / "evil.csv"
    path.write_text(GOOD.replace("region", f'"{name.replace(chr(34), chr(34) * 2)}"'))
    result = ingest_file(store, str(path), model="evil'; DROP TABLE batches; --", kind="production")
    assert name in [c.name for c in result.columns]
    with store.connect() as con:
        model = catalog.get_model(con, "evil'; DROP TABLE batches; --")
        values = con.execute(
            f'SELECT "{name.replace(chr(34), chr(34) * 2)}" FROM {model.table("production")}'
        )
        assert sorted(set(v for (v,) in values.fetchall())) == ["east", "north", "south", "west"]
        assert len(catalog.list_batches(con, model.name)) == 1
    assert model.column("feature") is not None and name in [c.name for c in model.features]


def test_second_file_schema_changes_are_recorded_not_blocked(store, tmp_path):
    ingest_file(store, str(EXAMPLE), model="m", kind="production")
    frame = pd.read_csv(EXAMPLE)
    frame["id"] = "b" + frame["id"]
    frame["region"] = [1.5, 2.25] * 6  # categorical in the model, numbers now
    frame["channel"] = ["web", "app"] * 6  # new column
    frame = frame.drop(columns=["income"])  # optional feature dropped
    path = tmp_path / "second.csv"
    frame.to_csv(path, index=False)
    result = ingest_file(store, str(path), model="m", kind="production")
    assert result.rows == 12
    changes = {(c, what) for c, what, _ in result.schema_changes}
    assert changes == {("channel", "added"), ("income", "removed"), ("region", "type changed")}
    with store.connect() as con:
        model = catalog.get_model(con, "m")
        recorded = catalog.list_schema_changes(con, model.id)
        _batch_rows_match_tables(con, "m")
        region = con.execute('SELECT region FROM "m1_production" WHERE __batch = 2 ORDER BY id').fetchall()
    assert set(zip(recorded["column_name"], recorded["change"], strict=True)) == changes
    assert model.column("feature") and "channel" in [c.name for c in model.features]
    assert region[0] == ("1.5",)


@pytest.mark.parametrize(
    "variant", ["gzip", "semicolon", "parquet", "crlf", "cr", "blank lines first", "bom"]
)
def test_formats_store_the_same_values(store, tmp_path, variant):
    frame = pd.read_csv(EXAMPLE)
    path = tmp_path / f"file.{variant}"
    if variant == "gzip":
        path.write_bytes(gzip.compress(GOOD.encode()))
    elif variant == "semicolon":
        path.write_text(GOOD.replace(",", ";"))
    elif variant == "parquet":
        frame.assign(timestamp=pd.to_datetime(frame["timestamp"])).to_parquet(path, index=False)
    elif variant == "crlf":
        path.write_bytes(GOOD.replace("\n", "\r\n").encode())
    elif variant == "cr":
        path.write_bytes(GOOD.replace("\n", "\r").encode())
    elif variant == "blank lines first":
        path.write_text("\n\n" + GOOD)
    else:
        path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    result = ingest_file(store, str(path), model="m", kind="production")
    assert result.rows == 12
    assert [c.name for c in result.columns] == list(frame.columns)
    with store.connect() as con:
        total, first, last, regions = con.execute(
            'SELECT sum(income), min("timestamp"), max("timestamp"), count(DISTINCT region) FROM "m1_production"'
        ).fetchall()[0]
    assert total == frame["income"].sum()
    assert (str(first), str(last)) == ("2024-05-01 09:00:00", "2024-05-02 16:55:00")
    assert regions == frame["region"].nunique()


def test_keep_bad_values_stores_them_as_missing_and_names_the_column(store, tmp_path):
    ingest_file(store, str(EXAMPLE), model="m", kind="production")
    path = tmp_path / "bad.csv"
    path.write_text(GOOD.replace("r", "k").replace("pkediction", "prediction").replace(",52000,", ",lots,"))
    with pytest.raises(SchemaError):
        ingest_file(store, str(path), model="m", kind="production")
    result = ingest_file(store, str(path), model="m", kind="production", keep_bad_values=True)
    with store.connect() as con:
        found = con.execute(
            'SELECT income, __invalid FROM "m1_production" WHERE __batch = ? AND __invalid IS NOT NULL',
            [result.batch_id],
        ).fetchall()
    assert found == [(None, ["income"])]


def test_role_overrides_apply_to_the_first_file(store):
    overrides = RoleOverrides(categorical=["age"], ignore=["status"], task="binary")
    result = ingest_file(store, str(EXAMPLE), model="m", kind="production", overrides=overrides)
    kinds = {c.name: (c.role, c.kind, c.inferred) for c in result.columns}
    assert kinds["age"] == ("feature", "categorical", False)
    assert kinds["status"][0] == "ignore"
    with store.connect() as con:
        assert "status" not in catalog.table_columns(con, '"m1_production"')


def test_labels_with_a_bad_observed_at_are_refused(store, tmp_path):
    ingest_file(store, str(EXAMPLE), model="m", kind="production")
    path = tmp_path / "late.csv"
    path.write_text("id,target,observed_at\nr1,1,2024-06-01\nr2,0,someday\n")
    with pytest.raises(SchemaError, match=r"timestamp column 'observed_at' .* 'someday' in row 2"):
        ingest_file(store, str(path), model="m", kind="labels")
    with store.connect() as con:
        assert len(catalog.list_batches(con, "m")) == 1
