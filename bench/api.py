"""Throughput of the HTTP intake API: `python -m monitoring serve` on a localhost port, fed by
real HTTP requests from this process.

    python bench/api.py                     # writes the "## HTTP intake API" section of RESULTS.md
    python bench/api.py --batches 20 --no-write

Measured, each on a fresh database with a 100k-row reference already sent:
1. 1,000-row JSON-lines batches, one after another, without evaluating the rules (`evaluate=false`,
   the intake alone) and with them (the default: a report and the rules after every batch);
2. the same batches from 4 clients at once (intake alone);
3. one 1,000,000-row Parquet body (intake alone, then the same file again with the rules), beside
   `ingest_file` of the same file in this process (no HTTP) for the overhead.
Data: bench/datagen.py's binary classifier logs (33 columns). Peak memory is the server process's
VmHWM from /proc.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import pyarrow.parquet as pq  # noqa: E402 (after the path set-up, like the other bench scripts)
from datagen import ROLES, make_chunk, write  # noqa: E402

from monitoring.ingest.pipeline import ingest_file  # noqa: E402
from monitoring.ingest.roles import RoleOverrides  # noqa: E402
from monitoring.store import Store  # noqa: E402

RESULTS = BENCH / "RESULTS.md"
SECTION = "## HTTP intake API"


def role_query() -> str:
    parts = []
    for key, value in ROLES.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f"{key}={item}")
    return "&".join(parts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m monitoring serve` over a fresh database in `folder`."""

    def __init__(self, folder: Path, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "monitoring", "serve", "--port", str(self.port)]
        command += ["--db", str(folder / f"api-{self.port}.duckdb"), "--secrets", str(folder / "none.toml")]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                return
            except OSError:
                if time.time() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the API server did not start") from None
                time.sleep(0.2)

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def post(self, kind: str, body: bytes, evaluate: bool, name: str) -> tuple[float, dict]:
        url = f"{self.url}/v1/models/bench/batches?kind={kind}&file_name={name}&evaluate={str(evaluate).lower()}"
        request = urllib.request.Request(url + "&" + role_query(), data=body, method="POST")
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=900) as response:
            answer = json.loads(response.read())
        return time.perf_counter() - start, answer

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def jsonl_batches(count: int, rows: int = 1000) -> list[bytes]:
    table = make_chunk("production", count * rows, 0).to_pandas()
    table["timestamp"] = table["timestamp"].astype(str)
    return [
        table.iloc[i * rows : (i + 1) * rows].to_json(orient="records", lines=True).encode()
        for i in range(count)
    ]


def send_reference(server: Server, path: Path) -> None:
    seconds, answer = server.post("reference", path.read_bytes(), False, "reference.parquet")
    assert answer["rows"] == 100_000, answer


def sequential(server: Server, batches: list[bytes], evaluate: bool, tag: str) -> dict:
    times = []
    for i, body in enumerate(batches):
        seconds, answer = server.post("production", body, evaluate, f"{tag}-{i}.jsonl")
        assert answer["rows"] == 1000, answer
        times.append(seconds)
    return summary(times, len(batches) * 1000, sum(times))


def concurrent(server: Server, batches: list[bytes], clients: int) -> dict:
    times, lock = [], threading.Lock()
    queue = list(enumerate(batches))

    def work():
        while True:
            with lock:
                if not queue:
                    return
                i, body = queue.pop()
            seconds, answer = server.post("production", body, False, f"c-{i}.jsonl")
            assert answer["rows"] == 1000, answer
            with lock:
                times.append(seconds)

    start = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(times, len(batches) * 1000, time.perf_counter() - start)


def summary(times: list[float], rows: int, wall: float) -> dict:
    ordered = sorted(times)
    return {
        "requests": len(times),
        "rows": rows,
        "wall_s": wall,
        "rows_per_s": rows / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000,
    }


def direct_ingest(path: Path, folder: Path) -> float:
    store = Store(str(folder / "direct.duckdb"))
    roles = RoleOverrides(**{k: v for k, v in ROLES.items()})
    ingest_file(store, str(make_reference(folder)), model="bench", kind="reference", overrides=roles)
    start = time.perf_counter()
    result = ingest_file(store, str(path), model="bench", kind="production", overrides=roles)
    assert result.rows == 1_000_000
    return time.perf_counter() - start


def make_reference(folder: Path) -> Path:
    path = folder / "reference.parquet"
    if not path.exists():
        pq.write_table(make_chunk("reference", 100_000, 0), path)
    return path


def run(batches: int, folder: Path) -> dict:
    reference = make_reference(folder)
    checked = max(5, batches // 5)
    bodies = jsonl_batches(2 * batches + checked)  # every body differs: none is a duplicate
    results = {"json_bytes": sum(map(len, bodies)) / len(bodies)}
    server = Server(folder)
    try:
        send_reference(server, reference)
        results["json_intake"] = sequential(server, bodies[:batches], False, "a")
        results["json_concurrent"] = concurrent(server, bodies[batches : 2 * batches], 4)
        results["json_rules"] = sequential(server, bodies[2 * batches :], True, "r")
        results["json_server_mb"] = server.peak_mb()
    finally:
        server.stop()
    big = write("production", 1_000_000, folder / "production_1m.parquet")
    results["parquet_mb"] = big.stat().st_size / 1e6
    server = Server(folder)
    try:
        send_reference(server, reference)
        seconds, answer = server.post("production", big.read_bytes(), False, "production_1m.parquet")
        assert answer["rows"] == 1_000_000, answer
        results["parquet_intake_s"] = seconds
        results["parquet_server_mb"] = server.peak_mb()
        other = write("production", 1_000_000, folder / "production_1m_b.parquet", seed=1)  # other bytes
        seconds, answer = server.post("production", other.read_bytes(), True, "production_1m_b.parquet")
        assert answer["rows"] == 1_000_000 and answer["alerts"]["evaluated"], answer
        results["parquet_rules_s"] = seconds
        results["parquet_rules_server_mb"] = server.peak_mb()
    finally:
        server.stop()
    results["parquet_direct_s"] = direct_ingest(big, folder)
    return results


def section(r: dict, batches: int, load: tuple[float, float]) -> str:
    rows = [
        ("1k-row JSON lines, one client, intake only (`evaluate=false`)", r["json_intake"]),
        ("1k-row JSON lines, 4 clients at once, intake only", r["json_concurrent"]),
        ("1k-row JSON lines, one client, rules evaluated after each (the default)", r["json_rules"]),
    ]
    lines = ["| what | requests | rows/s | p50 ms | p95 ms |", "|---|---:|---:|---:|---:|"]
    for label, m in rows:
        lines.append(
            f"| {label} | {m['requests']} | {m['rows_per_s']:,.0f} | {m['p50_ms']:.0f} | {m['p95_ms']:.0f} |"
        )
    direct = r["parquet_direct_s"]
    return (
        f"{SECTION}\n\n"
        f"`python bench/api.py --batches {batches}` ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load "
        f"average {load[0]:.1f} before and {load[1]:.1f} after: the machine is shared, so times are upper "
        "bounds). `python -m monitoring serve` (uvicorn, one process) over a fresh DuckDB file with a "
        "100k-row reference, fed by urllib from the same machine; bench/datagen.py's logs (33 columns). "
        f"A 1k-row JSON-lines body is {r['json_bytes'] / 1e3:.0f} kB. Server peak memory (VmHWM): "
        f"{r['json_server_mb']:.0f} MB after the JSON runs.\n\n" + "\n".join(lines) + "\n\n"
        f"One 1,000,000-row Parquet body ({r['parquet_mb']:.0f} MB): **{r['parquet_intake_s']:.1f} s** "
        f"({1e6 / r['parquet_intake_s']:,.0f} rows/s, server peak {r['parquet_server_mb']:.0f} MB) for the intake "
        f"alone; `ingest_file` of the same file in-process, without HTTP: {direct:.1f} s, so HTTP (receiving "
        f"the body, spooling it to a file) adds {r['parquet_intake_s'] - direct:+.1f} s. Another 1M-row body "
        f"with the rules evaluated after it (a full report over 2M production rows): "
        f"{r['parquet_rules_s']:.1f} s, server peak {r['parquet_rules_server_mb']:.0f} MB.\n"
    )


def write_section(text: str) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    start = old.find(SECTION + "\n")
    if start < 0:
        RESULTS.write_text(old.rstrip("\n") + "\n\n" + text)
        return
    following = old.find("\n## ", start + len(SECTION))
    rest = old[following + 1 :] if following >= 0 else ""
    RESULTS.write_text(old[:start] + text + ("\n" + rest if rest else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--batches", type=int, default=100, help="1k-row JSON batches per run (default 100)")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md")
    args = parser.parse_args()
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        results = run(args.batches, Path(folder))
    print(json.dumps(results, indent=1), file=sys.stderr)
    text = section(results, args.batches, (before, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
