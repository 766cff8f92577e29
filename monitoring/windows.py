"""Window specs (hour, day, week, month, batch, rows:N) and the windows a period falls into."""

from dataclasses import dataclass
from datetime import datetime

from monitoring.errors import InputError

TIME_UNITS = ("hour", "day", "week", "month")
WINDOW_HELP = "hour, day, week, month, batch or rows:N"


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
            if size > 0:
                return cls("rows", size)
        raise InputError(f"unknown window {text!r}; use {WINDOW_HELP} (e.g. rows:5000)")

    def __str__(self) -> str:
        return f"rows:{self.size}" if self.unit == "rows" else self.unit


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
        if self.start is None:
            return f"window {self.index}"
        return self.start.strftime("%Y-%m-%d %H:%M") if self.start.hour else self.start.strftime("%Y-%m-%d")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Period:
    """Production rows with start <= timestamp < end; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None


WHOLE_PERIOD = Period()
