"""Run one benchmark step as its own process and measure it from outside: wall seconds, peak
resident memory (/usr/bin/time -v, or os.wait4 where it is missing) and how it ended."""

import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

GNU_TIME = "/usr/bin/time"


def measure(command: list[str], timeout: float) -> dict:
    """Run `command` in its own process group; wall seconds, peak MB and how it ended."""
    gnu = os.path.exists(GNU_TIME)
    with tempfile.TemporaryDirectory() as tmp:
        timing, out_path, err_path = (os.path.join(tmp, name) for name in ("time", "out", "err"))
        wrapped = [GNU_TIME, "-v", "-o", timing, *command] if gnu else command
        with open(out_path, "w") as out, open(err_path, "w") as err:
            started = time.perf_counter()
            child = subprocess.Popen(wrapped, stdout=out, stderr=err, start_new_session=True)
            try:
                code, peak_kb = _wait(child, timeout)
            except BaseException as error:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                if isinstance(error, subprocess.TimeoutExpired):
                    return {
                        "status": f"over the {timeout:.0f} s limit (killed)",
                        "seconds": None,
                        "peak_mb": None,
                    }
                raise
        seconds = time.perf_counter() - started
        stdout, stderr = Path(out_path).read_text(), Path(err_path).read_text()
        stats = (
            _gnu_time(Path(timing).read_text())
            if gnu
            else {"exit": code, "peak_mb": round(peak_kb / 1024, 1)}
        )
    result = {"status": "ok", "seconds": round(seconds, 2), "peak_mb": stats.get("peak_mb")}
    if stats.get("exit", code):
        result["status"] = _failure(stats.get("exit", code), stderr)
    result["output"] = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    return result


def _wait(child: subprocess.Popen, timeout: float) -> tuple[int, int]:
    """Exit code and peak resident KB (os.wait4's ru_maxrss) of `child`, or TimeoutExpired."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return child.returncode, usage.ru_maxrss
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(child.args, timeout)
        time.sleep(0.1)


def _gnu_time(text: str) -> dict:
    stats = {}
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if peak:
        stats["peak_mb"] = round(int(peak.group(1)) / 1024, 1)
    signalled = re.search(r"Command terminated by signal (\d+)", text)
    status = re.search(r"Exit status: (\d+)", text)
    if signalled:
        stats["exit"] = -int(signalled.group(1))
    elif status:
        stats["exit"] = int(status.group(1))
    return stats


def _failure(code: int, stderr: str) -> str:
    last = [line for line in stderr.strip().splitlines() if line.strip()][-1:] or [""]
    if code == -9:
        return "killed by signal 9 (out of memory?)"
    reason = "MemoryError" if "MemoryError" in stderr else last[0][:160]
    return f"failed (exit {code}): {reason}"
