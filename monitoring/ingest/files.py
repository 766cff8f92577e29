"""Looking at a file before DuckDB reads it: its format, its encoding, its header."""

import codecs
import csv
import gzip
import hashlib
import io
import re
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monitoring.errors import InputError
from monitoring.ingest.limits import (
    CSV_LINE,
    MAX_HEADER_BYTES,
    check_column_count,
    check_size,
    excerpt,
    header_too_long,
    long_line_error,
    long_line_in,
    unpacked_size,
)

SNIFF_BYTES = 1 << 16
NOT_TABULAR = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a zip archive",
    b"%PDF": "a PDF document",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "a program",
}
RESERVED_PREFIX = "__"
CSV_FIX = "save it as CSV (UTF-8, comma or semicolon separated, one header row) or Parquet"


@dataclass(frozen=True)
class FileFormat:
    kind: str  # csv, parquet or jsonl (JSON lines: one object per line)
    gzip: bool = False
    delimiter: str = ","
    columns: tuple[str, ...] = ()  # the header's names, verbatim (CSV only)
    skip: int = 0  # blank lines before the header (CSV only)


def content_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hash_in_background(path: str) -> Callable[[], str]:
    """Start content_hash(path) in a thread (hashlib lets go of the GIL, so it runs beside DuckDB's
    reading of the same file); the returned function waits for the digest."""
    found: list = []

    def work() -> None:
        try:
            found.append(content_hash(path))
        except BaseException as error:  # told to the caller, in its own thread
            found.append(error)

    thread = threading.Thread(target=work, name="content-hash", daemon=True)
    thread.start()

    def digest() -> str:
        thread.join()
        if isinstance(found[0], BaseException):
            raise found[0]
        return found[0]

    return digest


def detect_format(path: str, file_name: str) -> FileFormat:
    """CSV (plain or gzip), Parquet or JSON lines, from the bytes, never from the file name alone."""
    file = Path(path)
    if not file.exists():
        raise InputError(f"{file_name}: no such file")
    if file.stat().st_size == 0:
        raise InputError(f"{file_name} is empty (0 bytes); export the data again")
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        _check_parquet(path, file_name)
        return FileFormat("parquet")
    for magic, what in NOT_TABULAR.items():
        if head.startswith(magic):
            raise InputError(f"{file_name} is {what}, not a CSV or Parquet file; {CSV_FIX}")
    is_gzip = head.startswith(b"\x1f\x8b")
    if is_gzip:
        check_size(unpacked_size(path, file_name), file_name, "unpacks to")
    else:
        check_size(file.stat().st_size, file_name, "is")
    text = _decode_head(_csv_head(path, is_gzip, file_name), file_name)
    if not text.strip():
        raise InputError(f"{file_name} holds only blank space; export the data again")
    if text.lstrip().startswith("{") and not is_gzip:
        return FileFormat("jsonl")
    delimiter, names = _check_header(text, file_name)
    blank = text[: len(text) - len(text.lstrip("\r\n"))]
    skip = blank.count("\n") or blank.count("\r")
    return FileFormat("csv", gzip=is_gzip, delimiter=delimiter, columns=tuple(names), skip=skip)


def _csv_head(path: str, is_gzip: bool, file_name: str) -> bytes:
    """The first 64 KB (unpacked), or more up to the end of the header row if that is longer."""
    try:
        with gzip.open(path, "rb") if is_gzip else open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            while not _has_line_break(head):
                more = handle.read(SNIFF_BYTES)
                if not more:
                    return head
                if len(head) >= MAX_HEADER_BYTES:
                    raise header_too_long(file_name)
                head += more
            return head
    except (OSError, EOFError, zlib.error) as error:
        if not is_gzip:
            raise
        raise InputError(f"{file_name} looks gzip-compressed but cannot be unpacked ({error})") from None


def _has_line_break(head: bytes) -> bool:
    rest = head.lstrip(b"\r\n")
    return b"\n" in rest or b"\r" in rest


def _decode_head(head: bytes, file_name: str) -> str:
    if b"\x00" in head:
        raise InputError(f"{file_name} is a binary file, not CSV text; {CSV_FIX}")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(head, final=False).lstrip("\ufeff")
    except UnicodeDecodeError as error:
        line = head[: error.start].count(b"\n") + 1
        raise InputError(
            f"{file_name} is not UTF-8 text (byte 0x{head[error.start]:02x} on line {line}); "
            "save it with UTF-8 encoding"
        ) from None


def _check_header(text: str, file_name: str) -> tuple[str, list[str]]:
    """Pick the delimiter, read the header's names and refuse duplicate, empty or reserved ones."""
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = max(",;\t|", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    try:
        names = next(csv.reader(io.StringIO(text.lstrip("\r\n"), newline=None), delimiter=delimiter))
    except csv.Error as error:
        raise InputError(f"{file_name}: the header row cannot be read ({error}); {CSV_FIX}") from None
    check_column_names(names, file_name)
    return delimiter, names


def check_column_names(names: list[str], file_name: str) -> None:
    """Every column needs its own name (DuckDB ignores case) that is not one the store uses."""
    check_column_count(len(names), file_name)
    if any(not name.strip() for name in names):
        position = [i + 1 for i, name in enumerate(names) if not name.strip()][0]
        raise InputError(f"{file_name}: column {position} has no name in the header row; name it")
    seen, duplicates = {}, []
    for position, name in enumerate(names):
        first = seen.setdefault(name.lower(), position)
        pair = (names[first], name)
        if first != position and pair not in duplicates:
            duplicates.append(pair)
    if duplicates:
        pairs = ", ".join(repr(a) if a == b else f"{a!r} and {b!r}" for a, b in duplicates)
        raise InputError(
            f"{file_name} has duplicate column names (upper and lower case count as the same): "
            f"{excerpt(pairs)}; rename them so every column has its own name"
        )
    reserved = [name for name in names if name.startswith(RESERVED_PREFIX)]
    if reserved:
        raise InputError(
            f"{file_name}: column name {excerpt(repr(reserved[0]))} starts with {RESERVED_PREFIX!r}, which the "
            "store keeps for its own columns; rename it"
        )


def _check_parquet(path: str, file_name: str) -> None:
    """Read the Parquet footer only: a damaged file, duplicate names or too much data (unpacked,
    as the footer counts it) are refused up front."""
    import pyarrow.parquet as pq  # deferred: pyarrow takes a second to import; CSV files never need it

    try:
        names = pq.read_schema(path).names
        footer = pq.read_metadata(path)
        unpacked = sum(footer.row_group(i).total_byte_size for i in range(footer.num_row_groups))
    except Exception as error:  # pyarrow raises several types for damaged files
        raise InputError(
            f"{file_name} starts like a Parquet file but cannot be read ({error}); "
            "export it again, it may be truncated"
        ) from None
    if not names:
        raise InputError(f"{file_name} is a Parquet file without columns; export the data again")
    check_column_names(names, file_name)
    check_size(unpacked, file_name, "unpacks to")


COLUMN_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
JSON_LINE = re.compile(r"Malformed JSON .*?line (\d+): ([^.]*)")


def reader_error(text: str, file_name: str) -> InputError:
    """DuckDB's reader errors as one short sentence that names the file and line and the fix."""
    line = CSV_LINE.search(text)
    where = f" on line {line.group(1)}" if line else ""
    if "Invalid unicode" in text:
        return InputError(
            f"{file_name} is not UTF-8 text (invalid bytes{where}); save it with UTF-8 encoding"
        )
    counts = COLUMN_COUNT.search(text)
    if counts:
        expected, found = counts.groups()
        return InputError(
            f"{file_name}: line {line.group(1) if line else '?'} has {found} fields but the header has "
            f"{expected} columns; fix that row (a missing or extra separator, or an unquoted one "
            "inside a value)"
        )
    if "unterminated quote" in text:
        return InputError(
            f"{file_name}: a quoted value starting{where} is never closed; close the quote "
            'or double quotes inside values ("")'
        )
    bad_json = JSON_LINE.search(text)
    if bad_json:
        line_number = int(bad_json.group(1)) - 1  # DuckDB 2.0 names the line after the bad one
        return InputError(
            f"{file_name}: line {line_number} is not valid JSON ({bad_json.group(2).strip()}); "
            "write one JSON object per line"
        )
    first = text.strip().splitlines()[0] if text.strip() else "no details"
    return InputError(f"{file_name} could not be read as a table ({excerpt(first)}); {CSV_FIX}")


def read_failure(text: str, path: str, file_format: FileFormat, file_name: str) -> InputError:
    """Why DuckDB could not read the file: a line too long (which its reader does not always say,
    see long_line_in), or what reader_error makes of its message."""
    if file_format.kind == "csv":
        line = long_line_in(text, path, file_format.gzip)
        if line is not None:
            return long_line_error(file_name, line)
    return reader_error(text, file_name)
