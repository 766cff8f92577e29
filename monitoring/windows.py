"""Window specs (hour, day, week, month, batch, rows:N) and the windows a period falls into."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitoring.errors import InputError

TIME_UNITS = ("hour", "day", "week", "month")
WINDOW_HELP = "hour, day, week, month, batch or rows:N (N at least 100)"
# Every window costs its share of each section's work and of the report (3,000 windows of one row
# each made a 35 MB report); drift, performance and fairness need rows to say anything.
MIN_WINDOW_ROWS = 100
MAX_WINDOWS = 2000


@dataclass(frozen=True)
class WindowSpec:
    unit: str  # one of TIME_UNITS, "batch" or "rows"
    size: int = 0  # rows per window for "rows"

    @classmethod
    def parse(cls, text: str) -> "WindowSpec":
        text = (text or "").strip().lower()
        if text in TIME_UNITS or text == "batch":
            return cls(text)
        if text.startswith("rows:"):
            try:
                size = int(text[5:])
            except ValueError:
                size = 0
            if size >= MIN_WINDOW_ROWS:
                return cls("rows", size)
            if size > 0:
                raise InputError(
                    f"window {text!r} is too small: a rows:N window needs at least "
                    f"{MIN_WINDOW_ROWS} rows (e.g. rows:5000)"
                )
        raise InputError(f"unknown window {text!r}; use {WINDOW_HELP} (e.g. rows:5000)")

    @staticmethod
    def lifted(text: str) -> str:
        """A stored window of fewer rows than the floor (saved before there was one) as rows:100."""
        spec = (text or "").strip().lower()
        if spec.startswith("rows:") and spec[5:].isdigit() and 0 < int(spec[5:]) < MIN_WINDOW_ROWS:
            return f"rows:{MIN_WINDOW_ROWS}"
        return text

    def __str__(self) -> str:
        return f"rows:{self.size}" if self.unit == "rows" else self.unit


def check_window_count(count: int, spec: WindowSpec) -> None:
    if count > MAX_WINDOWS:
        raise InputError(
            f"the period holds {count:,} {spec} windows, more than the {MAX_WINDOWS:,} a report "
            "can show; choose a larger window or a shorter period (From/To, --start/--end)"
        )


@dataclass(frozen=True)
class Window:
    index: int
    key: object  # what the SQL window expression yields: a timestamp, batch id or chunk number
    start: datetime | None
    end: datetime | None
    rows: int

    def to_record(self) -> dict:
        return {
            "index": self.index,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "rows": self.rows,
        }

    @property
    def label(self) -> str:
        return window_label(self.start, self.index)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def window_label(start: datetime | None, index: int) -> str:
    """A window's short name on charts and tables: its start day (and hour), or 'window N'."""
    if start is None:
        return f"window {index}"
    return start.strftime("%Y-%m-%d %H:%M") if start.hour else start.strftime("%Y-%m-%d")


def window_phrase(start: datetime | None, unit: str, index: int) -> str:
    """A window in a sentence: 'the week of 3 Nov', '3 Nov', 'November 2026', 'window 4 (from 3 Nov)'."""
    if start is None:
        return f"window {index}"
    day = f"{start.day} {start.strftime('%b')}" + (
        "" if start.year == datetime.now().year else f" {start.year}"
    )
    if unit == "week":
        return f"the week of {day}"
    if unit == "month":
        return start.strftime("%B %Y")
    if unit == "hour":
        return f"{day} {start.strftime('%H:00')}"
    if unit == "day":
        return day
    return f"window {index} (from {day})"


def parse_time(text) -> datetime | None:
    """An ISO 8601 time from a report record, or None."""
    try:
        return datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Period:
    """Production rows with start <= timestamp < end; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None


WHOLE_PERIOD = Period()


BASELINE_HELP = (
    "reference (the reference batches), previous (each window against the one before) or "
    "period:A..B (production rows from day A to day B, both included, e.g. period:2024-03-01..2024-03-31)"
)


@dataclass(frozen=True)
class Baseline:
    """What production is compared with: the reference batches, the previous window, or a period
    of production rows (`start` <= timestamp < `end`)."""

    kind: str  # reference, previous or period
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def parse(cls, text: str | None) -> "Baseline":
        spec = (text or "reference").strip()
        if spec.lower() in ("reference", "previous"):
            return cls(spec.lower())
        if spec.lower().startswith("period:"):
            first, sep, last = spec[len("period:") :].partition("..")
            start, end = _day(first, spec), _day(last, spec) if sep else None
            if end is not None and start is not None and end >= start:
                return cls("period", start, end + timedelta(days=1))
            if end is not None and start is not None:
                raise InputError(f"baseline {spec!r} ends before it starts; give period:FIRST..LAST")
        raise InputError(f"unknown baseline {spec!r}; use {BASELINE_HELP}")

    def __str__(self) -> str:
        if self.kind != "period":
            return self.kind
        last = self.end - timedelta(days=1)
        return f"period:{self.start.date().isoformat()}..{last.date().isoformat()}"

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)


def _day(text: str, spec: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"baseline {spec!r}: {text.strip()!r} is not a date; use period:2024-03-01..2024-03-31"
        ) from None


REFERENCE_BASELINE = Baseline("reference")
