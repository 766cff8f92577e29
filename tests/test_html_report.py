"""The self-contained HTML report: content, escaping, and drawing offline in Chromium."""

import re

import pytest

from monitoring.html_report import build_html_report, render_html
from monitoring.report import Report, ReportRequest

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
    report = Report({"model": XSS, "windows": [], "generated_at": "2026-01-01T00:00:00"})
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

    from monitoring.ingest.pipeline import ingest_file
    from monitoring.ingest.roles import RoleOverrides

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


def test_report_states_slo_and_reference_plainly(credit_html, demo_store):
    from monitoring.catalog_api import get_model

    slo = get_model(demo_store, "credit").settings.latency_slo_ms
    assert f"objective {slo:,.0f} ms (red dashed line)" in credit_html
    assert "None" not in re.search(r"Reference: ([^<]*)<", credit_html).group(1)


@pytest.mark.parametrize(
    ("reference", "text"),
    [
        ({"rows": 10000, "start": None, "end": None, "batches": [3]}, "batch 3, 10,000 rows, no timestamps"),
        (
            {"rows": 20, "start": "2024-01-01T00:00:00", "end": "2024-02-01T06:30:00", "batches": [1, 2]},
            "batches 1, 2, 20 rows, 2024-01-01 to 2024-02-01 06:30",
        ),
        ({"rows": 0, "start": None, "end": None, "batches": []}, "none stored"),
        (None, "none stored"),
    ],
)
def test_reference_text(reference, text):
    from monitoring.html_report import reference_text

    assert reference_text(reference) == text


def test_reference_without_timestamps_ingested_first(store, tmp_path):
    """A reference with no timestamp column, stored before production (which has one)."""
    import numpy as np
    import pandas as pd

    from monitoring.ingest.pipeline import ingest_file
    from monitoring.ingest.roles import RoleOverrides
    from monitoring.report import build_report

    rng = np.random.default_rng(1)
    reference = pd.DataFrame({"x": rng.normal(size=300), "prediction": rng.integers(0, 2, 300)})
    production = reference.assign(timestamp=pd.date_range("2026-01-01", periods=300, freq="h"))
    for kind, frame, roles in [
        ("reference", reference, RoleOverrides(prediction="prediction", task="binary")),
        (
            "production",
            production,
            RoleOverrides(prediction="prediction", timestamp="timestamp", task="binary"),
        ),
    ]:
        path = tmp_path / f"{kind}.csv"
        frame.to_csv(path, index=False)
        ingest_file(store, str(path), model="m", kind=kind, overrides=roles)
    report = build_report(store, ReportRequest(model="m"))
    assert report["reference"] == {"rows": 300, "start": None, "end": None, "batches": [1]}
    page = build_html_report(store, ReportRequest(model="m"))
    assert "Reference: batch 1, 300 rows, no timestamps" in page


def test_uploaded_markup_is_text_in_report(store, tmp_path):
    """File, column and category names with markup stay text in the HTML (and in the chart specs)."""
    import numpy as np
    import pandas as pd

    from monitoring.ingest.pipeline import ingest_file
    from monitoring.ingest.roles import RoleOverrides

    bold = "<b>bold</b>"
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-01-01", periods=600, freq="h"),
            XSS: rng.choice([XSS, bold, "plain"], 600),
            bold: rng.normal(size=600),
            "prediction": rng.integers(0, 2, 600),
        }
    )
    frame.loc[300:, bold] += 3  # drift, so the column is among the most drifted
    roles = RoleOverrides(timestamp="timestamp", prediction="prediction", task="binary")
    for kind, part in (("reference", frame[:300]), ("production", frame[300:])):
        path = tmp_path / f"{kind} {XSS}.csv".replace("/", "_")
        part.to_csv(path, index=False)
        ingest_file(store, str(path), model="m", kind=kind, overrides=roles, file_name=path.name)
    page = build_html_report(store, ReportRequest(model="m"))
    body = page.split('<script type="module">')[0]  # the inlined chart library is not ours
    assert XSS not in body and bold not in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body
