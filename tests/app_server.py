"""The app as a user gets it: `streamlit run app.py` on a free port, and Debian's Chromium waiting on
its pages. Shared by the browser tests and bench/pages.py.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTLED_S = 0.3  # how long a page must look finished before wait_done trusts it
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def seed_demo_db(path: str) -> str:
    """A database file at `path` holding the demo models (about half a minute)."""
    command = [sys.executable, "-m", "monitoring", "demo", "--db", str(path)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return str(path)


@contextmanager
def running_app(db: str, *options: str, timeout: float = 90) -> Iterator[str]:
    """`streamlit run app.py` over database `db` on a free port; yields its URL, stops it after.

    `options` go to `streamlit run` as they are (e.g. "--secrets.files", path).
    """
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.fileWatcherType", "none", *options]
    env = {**os.environ, "MONITORING_DB": str(db)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_healthy(url, process, timeout)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def free_port() -> int:
    """A free port: the first free one of $TEST_PORTS (e.g. 8870-8889) when set, else any."""
    first, _, last = os.environ.get("TEST_PORTS", "0-0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError(f"no free port in TEST_PORTS={os.environ['TEST_PORTS']}")


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    """Wait until the server at `url` answers its health check."""
    end = time.time() + timeout
    while time.time() < end:
        if process.poll() is not None:
            raise RuntimeError("streamlit exited early")
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit never became healthy")


def launch_chromium(playwright):
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)


def wait_done(page, timeout: float = 300) -> float:
    """Wait until the page's script has run and drawn something, with no skeleton left, and has
    stayed so for a moment: a run that ends in `st.rerun` (a session's first run, an action's
    notice) can look finished between its end and the next run's start, and a value typed then
    goes to widgets about to be replaced. Returns the `time.perf_counter()` at which it finished."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    app = page.locator('[data-testid="stApp"]')
    drawn = page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]')
    end, settled_since = time.perf_counter() + timeout, None
    while time.perf_counter() < end:
        state = app.get_attribute("data-test-script-state")
        if state == "notRunning" and drawn.count() and not page.get_by_test_id("stSkeleton").count():
            settled_since = settled_since or time.perf_counter()
            if time.perf_counter() - settled_since >= SETTLED_S:
                return settled_since
        else:
            settled_since = None
        time.sleep(0.1)
    raise TimeoutError("the page never finished running")
