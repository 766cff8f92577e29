"""The self-contained HTML report: content, escaping, and drawing offline in Chromium."""

import re

import pytest

from monitoring.html_report import build_html_report, render_html
from monitoring.report import ReportRequest

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def credit_html(demo_store) -> str:
    return build_html_report(demo_store, ReportRequest(model="credit"))


def test_report_is_self_contained_and_small(credit_html):
    assert len(credit_html.encode()) < 2_000_000  # small enough to email
    assert not re.search(r"""(src|href)=["']?https?://""", credit_html)
    assert "@font-face" not in credit_html
    assert credit_html.count('type="module"') == 1  # one inlined bundle for all charts
    assert credit_html.count('class="vl-spec"') >= 5
    assert "Open alerts" in credit_html and "Summary" in credit_html


def test_user_strings_are_escaped():
    report = {"model": XSS, "windows": [], "generated_at": "2026-01-01T00:00:00"}
    page = render_html(report, alerts=[{"severity": "high", "message": XSS}])
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_report_draws_offline_in_chromium(credit_html, tmp_path, browser):
    path = tmp_path / "report.html"
    path.write_text(credit_html, encoding="utf-8")
    context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
    requests = []
    context.route(
        re.compile(r"^https?://"), lambda route: (requests.append(route.request.url), route.abort())
    )
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_function("document.querySelectorAll('.chart svg .mark-rect, .chart svg path').length > 20")
    marks = page.evaluate("document.querySelectorAll('.chart svg').length")
    page.screenshot(path="/tmp/html_report_offline.png", full_page=True)
    context.close()
    assert marks == credit_html.count('class="vl-spec"')
    assert requests == []


def test_markup_column_name_is_text_in_report(store, tmp_path):
    import numpy as np
    import pandas as pd

    from monitoring.ingest import ingest_file
    from monitoring.roles import RoleOverrides

    rng = np.random.default_rng(0)
    times = pd.date_range("2026-01-01", periods=400, freq="h")
    frame = pd.DataFrame(
        {"timestamp": times, XSS: rng.normal(size=400), "prediction": rng.integers(0, 2, 400)}
    )
    roles = RoleOverrides(timestamp="timestamp", prediction="prediction", task="binary")
    for kind, part in (("reference", frame[:200]), ("production", frame[200:])):
        path = tmp_path / f"{kind}.csv"
        part.to_csv(path, index=False)
        ingest_file(store, str(path), model=XSS, kind=kind, overrides=roles)
    page = build_html_report(store, ReportRequest(model=XSS))
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the title, as text
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page  # inside the chart specs, escaped
