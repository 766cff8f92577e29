"""Looking at a file before DuckDB reads it: format, delimiter, header names, hash."""

import gzip
import hashlib

import pandas as pd
import pytest

from monitoring.errors import InputError
from monitoring.ingest.files import FileFormat, check_column_names, content_hash, detect_format


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(path)


@pytest.mark.parametrize(
    "text, delimiter",
    [
        ("a,b;c\n1,2\n", ","),
        ("a;b;c\n1;2;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("a\n1\n", ","),
    ],
)
def test_delimiter_comes_from_the_header(tmp_path, text, delimiter):
    assert detect_format(_write(tmp_path, "f.txt", text), "f.txt").delimiter == delimiter


def test_names_are_read_verbatim_with_quotes_and_bom(tmp_path):
    text = '\ufeff"a"";DROP",b c, d\n1,2,3\n'
    found = detect_format(_write(tmp_path, "f.csv", text), "f.csv")
    assert found == FileFormat("csv", gzip=False, delimiter=",", columns=('a";DROP', "b c", " d"))


def test_format_is_read_from_the_bytes_not_the_name(tmp_path):
    gz = _write(tmp_path, "logs.parquet", gzip.compress(b"a;b\n1;2\n"))
    assert detect_format(gz, "logs.parquet") == FileFormat("csv", True, ";", ("a", "b"))
    parquet = tmp_path / "logs.csv"
    pd.DataFrame({"a": [1]}).to_parquet(parquet)
    assert detect_format(str(parquet), "logs.csv") == FileFormat("parquet")


def test_parquet_names_are_checked_from_the_footer(tmp_path):
    path = tmp_path / "f.parquet"
    pd.DataFrame({"x": [1], "X": [2]}).to_parquet(path)
    with pytest.raises(InputError, match="'x' and 'X'"):
        detect_format(str(path), "f.parquet")


@pytest.mark.parametrize(
    "names, words",
    [
        (["a", "b", "a", "a"], "'a'; rename"),
        (["Score", "score"], "'Score' and 'score'"),
        (["a", " "], "column 2 has no name"),
        (["__batch"], "'__batch' starts with '__'"),
    ],
)
def test_bad_column_names(names, words):
    with pytest.raises(InputError, match=words):
        check_column_names(names, "f.csv")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        detect_format(str(tmp_path / "nope.csv"), "nope.csv")


def test_content_hash_is_sha256_of_the_bytes(tmp_path):
    data = b"a,b\n" + b"1,2\n" * 500_000
    path = _write(tmp_path, "f.csv", data)
    assert content_hash(path) == hashlib.sha256(data).hexdigest()
