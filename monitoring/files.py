"""Looking at a file before DuckDB reads it: its format, its encoding, its header."""

import codecs
import csv
import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from monitoring.errors import InputError

SNIFF_BYTES = 1 << 16
NOT_TABULAR = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a zip archive",
    b"%PDF": "a PDF document",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "a program",
}
CSV_FIX = "save it as CSV (UTF-8, comma or semicolon separated, one header row) or Parquet"


@dataclass(frozen=True)
class FileFormat:
    kind: str  # csv or parquet
    gzip: bool = False
    delimiter: str = ","


def content_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_format(path: str, file_name: str) -> FileFormat:
    """CSV (plain or gzip) or Parquet, from the bytes, never from the file name alone."""
    file = Path(path)
    if not file.exists():
        raise InputError(f"{file_name}: no such file")
    if file.stat().st_size == 0:
        raise InputError(f"{file_name} is empty (0 bytes); export the data again")
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return FileFormat("parquet")
    for magic, what in NOT_TABULAR.items():
        if head.startswith(magic):
            raise InputError(f"{file_name} is {what}, not a CSV or Parquet file; {CSV_FIX}")
    is_gzip = head.startswith(b"\x1f\x8b")
    if is_gzip:
        head = _gunzip_head(path, file_name)
    text = _decode_head(head, file_name)
    if not text.strip():
        raise InputError(f"{file_name} holds only blank space; export the data again")
    header = _check_header(text, file_name)
    return FileFormat("csv", gzip=is_gzip, delimiter=header)


def _gunzip_head(path: str, file_name: str) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read(SNIFF_BYTES)
    except (OSError, EOFError) as error:
        raise InputError(f"{file_name} looks gzip-compressed but cannot be unpacked ({error})") from None


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


def _check_header(text: str, file_name: str) -> str:
    """Pick the delimiter and refuse duplicate or empty column names."""
    first_line = text.splitlines()[0]
    delimiter = max(",;\t|", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    names = next(csv.reader(io.StringIO(first_line), delimiter=delimiter))
    seen, duplicates = set(), []
    for name in names:
        if name in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name)
    if duplicates:
        raise InputError(
            f"{file_name} has duplicate column names: {', '.join(map(repr, duplicates))}; "
            "rename them so every column has its own name"
        )
    if any(not name.strip() for name in names):
        position = [i + 1 for i, name in enumerate(names) if not name.strip()][0]
        raise InputError(f"{file_name}: column {position} has no name in the header row; name it")
    return delimiter
