"""What one file may be: its unpacked size, its columns, the length of its lines; and messages
that quote a file only in short excerpts."""

import gzip
import os
import re
import zlib

from monitoring.errors import InputError
from monitoring.store.connection import MEMORY_LIMIT_ENV_VAR, ingest_memory_limit
from monitoring.store.ingest_sql import MAX_LINE_BYTES

MB = 1 << 20
MAX_FILE_MB_ENV_VAR = "MONITORING_MAX_FILE_MB"
# DuckDB reads a file several times during an ingest, holding the database, so a small gzip of
# gigabytes (a "gzip bomb") would hold it for many minutes.
DEFAULT_MAX_FILE_MB = 2048
# DuckDB's optimizer and its per-column buffers grow with the columns of one statement: 10,000
# columns ran for minutes at over 1 GB. Wide files also need more than the default memory limit.
MAX_COLUMNS = 2000
MAX_HEADER_BYTES = MB
EXCERPT_CHARACTERS = 200


def excerpt(text: str, limit: int = EXCERPT_CHARACTERS) -> str:
    """`text`, cut to `limit` characters: messages never echo a long cell or header."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def max_file_bytes() -> int:
    """The largest unpacked file ingest reads: $MONITORING_MAX_FILE_MB megabytes, or 2048."""
    text = os.environ.get(MAX_FILE_MB_ENV_VAR) or str(DEFAULT_MAX_FILE_MB)
    try:
        megabytes = int(text)
    except ValueError:
        megabytes = 0
    if megabytes <= 0:
        raise InputError(
            f"{MAX_FILE_MB_ENV_VAR} must be a whole number of megabytes (e.g. 4096), not {excerpt(text, 40)!r}"
        )
    return megabytes * MB


def check_size(size: int, file_name: str, verb: str) -> None:
    limit = max_file_bytes()
    if size > limit:
        raise InputError(
            f"{file_name} {verb} more than {limit // MB:,} MB, the limit for one file; split it into "
            f"smaller files, or raise the limit with {MAX_FILE_MB_ENV_VAR}=<megabytes>"
        )


def unpacked_size(path: str, file_name: str) -> int:
    """Bytes a gzip file unpacks to, counted in a stream; stops soon after the limit."""
    limit, total = max_file_bytes(), 0
    try:
        with gzip.open(path, "rb") as handle:
            while total <= limit and (chunk := handle.read(4 * MB)):
                total += len(chunk)
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(
            f"{file_name} looks gzip-compressed but cannot be unpacked ({error}); export it again, "
            "it may be truncated"
        ) from None
    return total


def check_column_count(count: int, file_name: str) -> None:
    if count > MAX_COLUMNS:
        raise InputError(
            f"{file_name} has {count:,} columns; at most {MAX_COLUMNS:,} are supported; keep the "
            "columns you monitor and leave the others out"
        )


def header_too_long(file_name: str) -> InputError:
    return InputError(
        f"{file_name}: its first line is longer than {MAX_HEADER_BYTES // MB} MB without a line break; "
        "a CSV file starts with one header row of column names, then one row per line"
    )


LINE_SIZE = re.compile(r"Maximum line size of \d+ bytes exceeded")
CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def first_long_line(path: str, is_gzip: bool, until_line: int | None = None) -> int | None:
    """The number of the first line (1 = the header) longer than MAX_LINE_BYTES, or None.

    Read in a stream up to `until_line`; lines end at LF, or at CR in a file without LF.
    """
    opener = gzip.open if is_gzip else open
    line, length, newline = 1, 0, None
    with opener(path, "rb") as handle:
        while chunk := handle.read(4 * MB):
            newline = newline or (b"\r" if b"\r" in chunk and b"\n" not in chunk else b"\n")
            lengths = [len(piece) for piece in chunk.split(newline)]
            lengths[0] += length  # the line the last chunk ended in goes on
            long = next((i for i, size in enumerate(lengths) if size > MAX_LINE_BYTES), None)
            if long is not None:
                return line + long
            line += len(lengths) - 1
            length = lengths[-1]
            if until_line is not None and line > until_line:
                return None
    return None


def long_line_error(file_name: str, line: int) -> InputError:
    return InputError(
        f"{file_name}: line {line:,} is longer than {MAX_LINE_BYTES // MB} MB, the most one row may "
        "hold; shorten or leave out the long value(s) in that row"
    )


def long_line_in(text: str, path: str, is_gzip: bool) -> int | None:
    """The line that is too long, if that is why DuckDB's reader failed with `text`."""
    reported = CSV_LINE.search(text)
    if reported and LINE_SIZE.search(text):
        return int(reported.group(1))
    return first_long_line(path, is_gzip, int(reported.group(1)) if reported else None)


def out_of_memory_error(file_name: str, columns: int) -> InputError:
    wide = f" of {columns:,} columns" if columns else ""
    return InputError(
        f"{file_name}: storing this file{wide} needs more memory than the limit of {ingest_memory_limit()}; "
        f"raise it with {MEMORY_LIMIT_ENV_VAR} (e.g. {MEMORY_LIMIT_ENV_VAR}=2GB), or split the file"
    )
