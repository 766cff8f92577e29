"""Progress of long work (an ingest, a report computed from nothing), with the step named.

The library tells progress to a callable `(step, fraction)`: the step in words ("storing the
rows") and how much of the work is done (0 to 1). The CLI draws it as a bar on a terminal
(`TerminalBar`), the app with `st.progress`; `silent` ignores it.
"""

import sys
import time
from collections.abc import Callable

Progress = Callable[[str, float], None]
WIDTH = 24


def silent(step: str, fraction: float) -> None:
    """Progress nobody watches."""


class TerminalBar:
    """A one-line bar on stderr, drawn only when stderr is a terminal (never into a pipe or a
    file) and only once the work has taken `delay` seconds (short work shows nothing)."""

    def __init__(self, stream=None, delay: float = 2.0):
        self.stream = stream or sys.stderr
        self.delay = delay
        self.started = time.monotonic()
        self.drawn = 0
        self.shown = _is_terminal(self.stream)

    def __call__(self, step: str, fraction: float) -> None:
        if not self.shown or time.monotonic() - self.started < self.delay:
            return
        done = round(min(max(fraction, 0.0), 1.0) * WIDTH)
        line = f"[{'#' * done}{'-' * (WIDTH - done)}] {fraction:4.0%} {step}"
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = max(self.drawn, len(line))

    def close(self) -> None:
        """Wipe the bar, so that what is printed next starts on a clean line."""
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0

    def __enter__(self) -> "TerminalBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False
