"""Ingest under random input: any file gives a MonitoringError or a whole batch, never a partial one."""

import csv
import gzip
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.errors import MonitoringError
from monitoring.ingest.pipeline import ingest_file
from monitoring.store import Store, catalog
from tests.test_ingest import EXAMPLE, _batch_rows_match_tables

NAMES = ["id", "timestamp", "prediction", "score", "target", "age", "region", "Age", 'we"ird;--', " ", "__x"]
VALUES = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "NA", "2024-05-01", "2024-05-01 12:00:00", "yes", "no", '"', '""', "a,b", "é"]),
    st.text(max_size=6),
)


@st.composite
def csv_texts(draw) -> bytes:
    """Mostly well-formed CSV for model `m` (its required columns plus random ones), some not."""
    plausible = draw(st.booleans())
    if plausible:
        extras = draw(
            st.lists(st.sampled_from(NAMES[3:7] + ['we"ird;--', "new col"]), max_size=4, unique=True)
        )
        names = ["id", "timestamp", "prediction", *extras]
    else:
        names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=6))
    width = len(names) if plausible else draw(st.integers(1, len(names) + 1))
    rows = draw(st.lists(st.lists(VALUES, min_size=width, max_size=width), max_size=8))
    if plausible:
        stamps = st.sampled_from(["2024-06-01 10:00:00", "2024-06-02", "2024-06-01T08:00:00Z", "soon"])
        labels = st.sampled_from(["0", "1", "1", "0.0", "yes"])
        rows = [[f"h{i}", draw(stamps), draw(labels), *row[3:]] for i, row in enumerate(rows)]
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"]))
    )
    writer.writerows([names, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "latin-1"]))
    data = buffer.getvalue().encode(encoding, errors="replace")
    return gzip.compress(data) if draw(st.booleans()) else data


FILES = st.one_of(
    csv_texts(),
    st.binary(max_size=600),
    st.binary(max_size=300).map(lambda b: b"PAR1" + b),
    st.binary(max_size=300).map(lambda b: b"\x1f\x8b\x08\x00" + b),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=FILES, kind=st.sampled_from(["production", "reference", "labels"]))
def test_any_file_gives_an_error_or_a_whole_batch(tmp_path, content, kind):
    store = _hypothesis_store()
    path = tmp_path / "random.csv"
    path.write_bytes(content)
    try:
        ingest_file(store, str(path), model="m", kind=kind)
    except MonitoringError as error:
        assert str(error)
    with store.connect() as con:
        if catalog.model_exists(con, "m"):
            _batch_rows_match_tables(con, "m")


_STORES = []


def _hypothesis_store() -> Store:
    """One store shared by the examples, seeded with the example file so files meet a model."""
    if not _STORES:
        store = Store(":memory:")
        ingest_file(store, str(EXAMPLE), model="m", kind="production")
        _STORES.append(store)
    return _STORES[0]
