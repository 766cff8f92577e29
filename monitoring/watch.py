"""The watched folder: every complete file dropped into a folder is ingested as a batch, moved to
`done/` (or to `failed/` beside a `<name>.error.txt` saying why), and the alert rules run after it.

A file is complete when a marker `<name>.done` exists, or (unless markers are required) when its
size and modification time have not changed for `settle_seconds`. Names starting with '.' or
ending in .tmp, .part, .partial, .crdownload or .swp are never touched, so a writer can also write
under such a name and rename. A restart never ingests a file twice: a file already stored (say the
process stopped between storing it and moving it) is recognised by its content hash and moved to
`done/` without a second batch. Events from `watchdog` wake the loop early; a scan every
`interval` seconds finds what events missed (and settles files), so nothing depends on them.
"""

import logging
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from monitoring.alerts.evaluate import evaluate_after_ingest
from monitoring.errors import InputError, MonitoringError, StoreBusyError
from monitoring.ingest.pipeline import ingest_file
from monitoring.ingest.roles import RoleOverrides
from monitoring.warm import warm_default_view

MARKER = ".done"
ERROR_SUFFIX = ".error.txt"
SKIPPED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", MARKER, ERROR_SUFFIX)
DONE, FAILED = "done", "failed"


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: where it went and the lines to show."""

    name: str
    stored: bool
    moved_to: Path
    lines: tuple[str, ...]


def _free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or a stamped name beside it when a file of that name is already there."""
    target = folder / name
    if not target.exists():
        return target
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    for number in range(1, 10_000):
        target = folder / f"{Path(name).stem}-{stamp}-{number}{Path(name).suffix}"
        if not target.exists():
            return target
    raise InputError(f"{folder} has too many files named like {name}; empty it")


@dataclass
class FolderWatch:
    folder: Path
    store: object
    model: str
    kind: str
    overrides: RoleOverrides = field(default_factory=RoleOverrides)
    keep_bad_values: bool = False
    settle_seconds: float = 2.0
    require_marker: bool = False
    evaluate: bool = True
    warm: bool = True  # then prepare the model's default view (monitoring/warm.py)
    _seen: dict = field(default_factory=dict, repr=False)  # path -> ((size, mtime), since)

    def __post_init__(self):
        self.folder = Path(self.folder)
        if not self.folder.is_dir():
            raise InputError(f"{self.folder} is not a folder; create it or give the folder to watch")
        for sub in (DONE, FAILED):
            (self.folder / sub).mkdir(exist_ok=True)

    def candidates(self) -> list[Path]:
        """Files directly in the folder that may be data, oldest first."""
        found = [
            p
            for p in self.folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.lower().endswith(SKIPPED_SUFFIXES)
        ]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def is_complete(self, path: Path, now: float) -> bool:
        if path.with_name(path.name + MARKER).exists():
            return True
        if self.require_marker:
            return False
        stat = path.stat()
        signature = (stat.st_size, stat.st_mtime_ns)
        seen = self._seen.get(path)
        if seen is None or seen[0] != signature:
            self._seen[path] = (signature, now)
            return False
        return now - seen[1] >= self.settle_seconds

    def scan(self, stop: threading.Event | None = None) -> list[Outcome]:
        """Ingest every complete file once; files still being written wait for the next scan."""
        outcomes = []
        for path in self.candidates():
            if stop is not None and stop.is_set():
                break
            try:
                ready = self.is_complete(path, time.monotonic())
            except FileNotFoundError:  # moved or deleted meanwhile
                continue
            if ready:
                outcome = self.process(path)
                if outcome is not None:
                    outcomes.append(outcome)
        self._seen = {p: s for p, s in self._seen.items() if p.exists()}
        return outcomes

    def process(self, path: Path) -> Outcome | None:
        """Ingest one file and move it; None when the database is busy (tried again later)."""
        try:
            result = ingest_file(
                self.store,
                str(path),
                model=self.model,
                kind=self.kind,
                overrides=self.overrides,
                keep_bad_values=self.keep_bad_values,
            )
        except StoreBusyError:
            return None
        except MonitoringError as error:
            return self._fail(path, str(error))
        except Exception as error:  # a bug: say so loudly, but one bad file must not stop the watch
            traceback.print_exc(file=sys.stderr)
            return self._fail(path, f"unexpected error ({type(error).__name__}: {error}); please report it")
        lines = [result.summary()]
        lines += [f"  schema change: {c!r} {k} ({d})" for c, k, d in result.schema_changes]
        lines += [f"  warning: {w}" for w in result.warnings]
        moved = self._move(path, DONE)
        if self.evaluate and result.duplicate_of is None:
            lines += self._evaluate()
        if self.warm and result.duplicate_of is None:
            lines += self._warm()
        return Outcome(path.name, result.duplicate_of is None, moved, tuple(lines))

    def _evaluate(self) -> list[str]:
        try:
            result = evaluate_after_ingest(self.store, self.model, background=True)
        except MonitoringError as error:
            return [f"  warning: alert rules were not evaluated: {error}"]
        if result is None:
            return []
        lines = [
            f"  new alert: {a['severity'].upper()} #{a['id']} {a['message']}"
            for a in result.opened + result.reopened
        ]
        return lines + [
            f"  alerts: {len(result.open)} open, {len(result.opened)} new, {len(result.resolved)} resolved"
        ]

    def _warm(self) -> list[str]:
        try:
            warm_default_view(self.store, self.model)
        except MonitoringError as error:
            return [f"  warning: the default view was not prepared: {error}"]
        return []

    def _move(self, path: Path, where: str) -> Path:
        target = _free_name(self.folder / where, path.name)
        shutil.move(str(path), str(target))
        path.with_name(path.name + MARKER).unlink(missing_ok=True)
        self._seen.pop(path, None)
        return target

    def _fail(self, path: Path, message: str) -> Outcome:
        target = self._move(path, FAILED)
        target.with_name(target.name + ERROR_SUFFIX).write_text(message + "\n", encoding="utf-8")
        return Outcome(path.name, False, target, (f"{path.name}: failed: {message}",))

    def run(
        self,
        stop: threading.Event,
        on_outcome: Callable[[Outcome], None] = lambda outcome: None,
        *,
        interval: float = 1.0,
        polling: bool = False,
    ) -> str:
        """Watch until `stop` is set; returns which observer woke the loop ('inotify', 'polling')."""
        wake = threading.Event()
        observer, how = _start_observer(self.folder, wake, polling)
        try:
            while not stop.is_set():
                for outcome in self.scan(stop):
                    on_outcome(outcome)
                wake.wait(interval)
                wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=5)
        return how


def _start_observer(folder: Path, wake: threading.Event, polling: bool):
    """A watchdog observer that sets `wake` on any change in `folder` (inotify or the like where the
    system has it, polling where it does not or when asked)."""
    from watchdog.events import FileSystemEventHandler  # deferred: only the watch command needs it
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    # watchdog warns on every stop that its inotify thread is "inactive": noise in the service's log
    logging.getLogger("watchdog").setLevel(logging.ERROR)

    class Wake(FileSystemEventHandler):
        def on_any_event(self, event):
            wake.set()

    choices = (
        [(PollingObserver, "polling")] if polling else [(Observer, "native"), (PollingObserver, "polling")]
    )
    for kind, name in choices:
        observer = kind()
        try:
            observer.schedule(Wake(), str(folder), recursive=False)
            observer.start()
            return observer, name
        except OSError:  # e.g. the inotify watch limit is reached
            continue
    raise InputError(f"cannot watch {folder}: neither file events nor polling could start")
