"""Time to a rendered page in Chromium, cold and warm, for every dashboard page.

    python bench/pages.py --db /tmp/demo.duckdb --model credit [--shots docs/shots]
    python bench/pages.py --big 10m            # builds a 10M-row database first (takes minutes)
    python bench/pages.py --db DB --model M --port 8610    # the app on port 8610
    python bench/pages.py --db DB --model M --after-ingest day1.parquet day2.parquet

Cold: the first visit to the page after the app started (the first page computes the report that
the others share; each page still computes what only it shows). Warm: the same URL loaded again
(a new session; the report comes from the cache). Sidebar switch: from another page to this one
through the sidebar, as a user does. Prints a Markdown table.

--after-ingest: the first page after an ingest, as a user meets it. The app runs with the default
view open in a tab; each file is then ingested through the CLI as production rows of the model
(with its alert rules and the warm-up of the default view), and the default view is loaded again
in that tab, then once more.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from app_server import launch_chromium, running_app, seed_demo_db, wait_done  # noqa: E402

PAGES = {
    "Executive summary": "",
    "Performance": "performance",
    "Drift": "drift",
    "Distributions": "distributions",
    "Fairness": "fairness",
    "Data quality": "data_quality",
    "Operations": "operations",
    "Alerts": "alerts",
    "Upload": "upload",
    "Batches and settings": "batches",
    "Report": "report",
}


def build_big(rows: int, path: Path) -> str:
    """A database with one model of `rows` production rows from bench/datagen.py."""
    import datagen

    from monitoring.ingest.pipeline import ingest_file
    from monitoring.ingest.roles import RoleOverrides
    from monitoring.store import Store

    store = Store(str(path))
    overrides = RoleOverrides(**datagen.ROLES)
    for kind, count in (("reference", min(rows, 1_000_000)), ("production", rows)):
        target = datagen.reference_path(count) if kind == "reference" else datagen.production_path(count)
        if not target.exists():
            datagen.write(kind, count, target)
        ingest_file(store, str(target), model="big", kind=kind, overrides=overrides)
    return "big"


def timed(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    return wait_done(page, timeout=900) - start


def switched(page, title: str, path: str) -> float:
    """Seconds from a click on the page's sidebar link to its finished run."""
    start = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(f"**/{path}?*", timeout=900_000)
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=900_000)
    return wait_done(page, timeout=900) - start


def measure(url: str, model: str, window: str, shots: Path | None) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        query = f"?model={model}&window={window}"
        for title, path in PAGES.items():
            cold = timed(page, url + path + query)
            warm = timed(page, url + path + query)
            timed(page, url + ("batches" if path != "batches" else "") + query)  # then come back
            nav = switched(page, title, path)
            rows.append({"page": title, "cold_s": cold, "warm_s": warm, "nav_s": nav})
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{path or 'summary'}.png"), full_page=True)
        browser.close()
    return rows


def after_ingests(url: str, db: str, model: str, files: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows, view = [], f"{url}?model={model}"
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        timed(page, view)
        for path in files:
            start = time.perf_counter()
            command = [sys.executable, "-m", "monitoring", "ingest", path, "--model", model]
            subprocess.run([*command, "--kind", "production", "--db", db], check=True, capture_output=True)
            ingest = time.perf_counter() - start
            rows.append({"file": Path(path).name, "ingest_s": ingest, "first_s": timed(page, view)})
            rows[-1]["again_s"] = timed(page, view)
        browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="an existing database (default: seed the demo into a temporary one)")
    parser.add_argument("--model", default="credit")
    parser.add_argument("--window", default="day")
    parser.add_argument("--big", help="build a database with this many production rows, e.g. 10m")
    parser.add_argument("--shots", type=Path, help="save a full-page screenshot of each page here")
    parser.add_argument(
        "--port", type=int, help="serve the app on this port (default: $TEST_PORTS, else any)"
    )
    parser.add_argument(
        "--after-ingest", nargs="+", metavar="FILE", help="time the default view after ingesting each file"
    )
    args = parser.parse_args()
    if args.port:
        os.environ["TEST_PORTS"] = f"{args.port}-{args.port}"
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    db, model = args.db, args.model
    if args.big:
        import datagen

        db, model = str(folder / "big.duckdb"), build_big(datagen.parse_size(args.big), folder / "big.duckdb")
    elif not db:
        db = seed_demo_db(folder / "demo.duckdb")
    if args.after_ingest:
        with running_app(db) as url:
            found = after_ingests(url, db, model, args.after_ingest)
        print(f"| file ingested ({model}) | CLI ingest s | first page after it s | again s |")
        print("|---|---:|---:|---:|")
        for r in found:
            print(f"| {r['file']} | {r['ingest_s']:.2f} | {r['first_s']:.2f} | {r['again_s']:.2f} |")
        return
    with running_app(db) as url:
        rows = measure(url, model, args.window, args.shots)
    print(f"| page ({model}, window={args.window}) | cold s | warm reload s | sidebar switch s |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['page']} | {r['cold_s']:.2f} | {r['warm_s']:.2f} | {r['nav_s']:.2f} |")


if __name__ == "__main__":
    main()
