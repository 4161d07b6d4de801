"""The report as a person sees it: rendered by a real Chromium at desktop and phone width.

Skips with the reason when Chromium, ChromeDriver or selenium is absent (`.ci/run` installs
them). What it checks, at 1280 and 414 CSS pixels: the verdict, the cue and every panel's
time axis are on the page and inside the viewport's width; nothing makes the page scroll
sideways; the figure text a reader sees is at least 9.5 px.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli.common import DEMO_SESSION, fixture_path
from cli.main import main

selenium = pytest.importorskip("selenium", reason="selenium is not installed")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)

WIDTHS_PX = (1280, 414)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "demo"
    assert main(["analyse", str(fixture_path(DEMO_SESSION)), "--out", str(out)]) == 0
    return out / "report.html"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver, page: Path, width_px: int) -> None:
    driver.set_window_size(width_px, 900)
    driver.get(page.as_uri())
    inner = driver.execute_script("return window.innerWidth")
    # the window's frame takes some pixels; make the viewport itself the width asked for
    driver.set_window_size(2 * width_px - inner, 900)
    driver.get(page.as_uri())
    assert driver.execute_script("return window.innerWidth") == width_px


@pytest.mark.parametrize("width_px", WIDTHS_PX)
def test_the_page_never_scrolls_sideways(browser, report_page, width_px):
    _open(browser, report_page, width_px)
    scroll_w = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll_w <= width_px


@pytest.mark.parametrize("width_px", WIDTHS_PX)
def test_what_the_reader_must_see_is_there_and_inside_the_screen(browser, report_page, width_px):
    _open(browser, report_page, width_px)
    verdict = browser.find_element(By.CLASS_NAME, "verdict")
    assert "Left the nerve-friendly envelope" in verdict.text
    rect = verdict.rect
    assert rect["x"] >= 0
    assert rect["x"] + rect["width"] <= width_px
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "point your toes away" in body
    figures = [
        f for f in browser.find_elements(By.CSS_SELECTOR, "svg.angles-plot") if f.is_displayed()
    ]
    assert len(figures) == 7  # one per judged angle, only one drawing of each shown
    for figure in figures:
        r = figure.rect
        assert r["x"] >= 0
        assert r["x"] + r["width"] <= width_px + 0.5
        labels = [t.text for t in figure.find_elements(By.TAG_NAME, "text")]
        assert "time (min:s)" in labels  # each panel has its own time axis


@pytest.mark.parametrize("width_px", WIDTHS_PX)
def test_figure_text_stays_readable(browser, report_page, width_px):
    """Figure text is drawn at ≥ 9.5 CSS px (the old single figure gave 3.5 px on a phone)."""
    _open(browser, report_page, width_px)
    sizes = browser.execute_script(
        """
        const out = [];
        for (const svg of document.querySelectorAll('svg.angles-plot')) {
          const box = svg.getBoundingClientRect();
          if (box.width === 0) continue;  // the drawing for the other screen width
          const scale = box.width / svg.viewBox.baseVal.width;
          for (const t of svg.querySelectorAll('text')) {
            out.push(parseFloat(t.getAttribute('font-size')) * scale);
          }
        }
        return out;
        """
    )
    assert len(sizes) > 50
    assert min(sizes) >= 9.5
