"""In the browser: the Performance, Fairness and Drift pages draw the 95% bands and the noise line."""

import io

import numpy as np
import pytest
from app_server import wait_done
from test_browser import app_url, no_errors, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")


def _pale_blue_pixels(png: bytes) -> int:
    """Pixels of the realized band: #2563eb at 15% over white is about (222, 230, 252)."""
    r, g, b = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int).transpose(2, 0, 1)
    return int(((205 <= r) & (r <= 235) & (215 <= g) & (g <= 240) & (b >= 245) & (b - r >= 15)).sum())


def test_the_performance_chart_shades_a_band_around_the_realized_line(page, app_url):  # noqa: F811
    page.goto(app_url + "performance?model=credit")
    wait_done(page)
    page.get_by_text("is its 95% interval").first.wait_for(timeout=180_000)
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    assert _pale_blue_pixels(chart.screenshot()) > 500
    no_errors(page)


def test_the_fairness_page_names_the_intervals_of_bars_and_ratios(page, app_url):  # noqa: F811
    page.goto(app_url + "fairness?model=credit")
    wait_done(page)
    page.get_by_text("whisker on each bar is the group's 95% interval").first.wait_for(timeout=180_000)
    page.get_by_text("each ratio's 95% interval").first.wait_for(timeout=180_000)
    assert page.get_by_test_id("stVegaLiteChart").count() == 2
    no_errors(page)


def test_a_picked_drift_cell_shows_its_statistic_with_the_noise_line(page, app_url):  # noqa: F811
    page.goto(app_url + "drift?model=credit&window=week")
    wait_done(page)
    page.get_by_text("Dotted: the reference's sampling noise").first.wait_for(timeout=180_000)
    before = page.get_by_test_id("stVegaLiteChart").count()
    chart = page.locator(".st-key-drift_heatmap").get_by_test_id("stVegaLiteChart")  # after "What changed"
    chart.scroll_into_view_if_needed()
    box = chart.locator("canvas, svg").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 12)
    wait_done(page)
    page.get_by_text("dotted the reference's sampling noise").first.wait_for(timeout=180_000)
    # the distribution and the statistic over time (waited for: the second may draw a moment later)
    playwright.expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(before + 2, timeout=180_000)
    no_errors(page)
