"""The Upload page's files on disk (DuckDB reads a path) and their previews, kept per session.

One private folder per app process: `tempfile.mkdtemp` makes it with mode 0700 under a fresh
random name, so no other local user made it or can read it. Each upload is written there once
(named by Streamlit's file id, in 1 MB chunks, never a second copy in memory) and removed once it
is stored or refused, when it leaves the uploader, when the user leaves the Upload page and when
the session ends (Streamlit drops a closed tab's session a few minutes later). Anything older than
an hour is swept too (a live page writes its copy again when it needs it), and the folder goes
when the app stops.
"""

import atexit
import re
import shutil
import tempfile
import time
import weakref
from pathlib import Path

import streamlit as st

from monitoring.errors import MonitoringError
from monitoring.ingest.preview import Preview, preview_file

STALE_SECONDS = 3600
_COPIES, _PREVIEWS = "_upload_copies", "_upload_previews"  # session state: by file id
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")


class _SessionCopies:
    """A session's copies by file id; those left are deleted when the session state goes."""

    def __init__(self):
        self.paths: dict[str, Path] = {}
        weakref.finalize(self, _unlink_all, self.paths)


def _unlink_all(paths: dict[str, Path]) -> None:
    for path in paths.values():
        path.unlink(missing_ok=True)


def _copies() -> dict[str, Path]:
    if _COPIES not in st.session_state:
        st.session_state[_COPIES] = _SessionCopies()
    return st.session_state[_COPIES].paths


@st.cache_resource(show_spinner=False)
def folder() -> Path:
    """This app's private upload folder (made once per process)."""
    made = Path(tempfile.mkdtemp(prefix="monitoring-uploads-"))
    atexit.register(shutil.rmtree, made, True)
    return made


def copy_of(upload) -> str:
    """The path of the upload's copy, written the first time it is needed."""
    suffix = Path(upload.name).suffix
    path = folder() / f"{upload.file_id}{suffix if _SUFFIX.fullmatch(suffix) else ''}"
    if not path.exists():
        part = path.with_name(path.name + ".part")
        upload.seek(0)
        with open(part, "wb") as out:
            shutil.copyfileobj(upload, out, 1 << 20)
        part.replace(path)
    _copies()[upload.file_id] = path
    return str(path)


def preview(store, upload, model: str, kind: str) -> Preview:
    """The file's roles and row count, read once per file, model and kind; a refused file is removed."""
    previews = st.session_state.setdefault(_PREVIEWS, {})
    key = (upload.file_id, model, kind)
    if key not in previews:
        try:
            previews[key] = preview_file(
                store, copy_of(upload), model=model, kind=kind, file_name=upload.name
            )
        except MonitoringError:
            remove(upload.file_id)
            raise
    return previews[key]


def remove(file_id: str) -> None:
    """Delete the upload's copy and forget its previews."""
    path = _copies().pop(file_id, None)
    if path is not None:
        Path(path).unlink(missing_ok=True)
    previews = st.session_state.get(_PREVIEWS, {})
    for key in [k for k in previews if k[0] == file_id]:
        del previews[key]


def forget_previews() -> None:
    """Read every file again on the next run (the model's roles changed); the copies stay."""
    st.session_state.pop(_PREVIEWS, None)


def keep_only(file_ids) -> None:
    """Remove this session's copies of files no longer in the uploader, and stale copies of any session."""
    for file_id in set(_copies()) - set(file_ids):
        remove(file_id)
    now = time.time()
    for path in folder().iterdir():
        try:
            if now - path.stat().st_mtime > STALE_SECONDS:
                path.unlink()
        except FileNotFoundError:  # another session removed it meanwhile
            pass


def leave() -> None:
    """The user left the Upload page: remove all of this session's copies."""
    for file_id in list(_copies()):
        remove(file_id)
