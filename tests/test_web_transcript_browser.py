"""A long transcript in a real headless Chromium against a real `oogst serve`: a session of 250 lines (a 21-minute
recording made by hand, as the worker leaves one) shows 100 lines a page with a pager; the next page, a correction
on it that comes back to the same page, and the pages at desktop width and at 390 px (nothing sticks out
sideways). Screenshots go to outputs/screenshots/transcript-pages-*.png."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_web_browser import SHOTS, Walk
from tests.test_web_light import processed_by_hand
from tests.web_helpers import chromium, free_port, running_server, wait_for

PHONE = 390


def width(walk: Walk) -> int:
    return int(walk.driver.execute_script("return document.documentElement.scrollWidth"))


@pytest.mark.needs_system("chromium", "chromedriver")
def test_a_long_transcript_comes_a_page_at_a_time_in_the_browser(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    SHOTS.mkdir(parents=True, exist_ok=True)
    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    processed_by_hand(out, seconds=1250)  # 250 lines
    with running_server(out, state, port):
        driver = chromium(downloads)
        walk = Walk(driver, f"http://127.0.0.1:{port}", downloads)
        try:
            walk.open("/s/lang/transcript", "transcript")
            lines = walk.finds(".turn")
            assert len(lines) == 100 and lines[0].get_attribute("id") == "t0"
            assert "regels 1–100 van 250" in walk.find("#pages-top").text
            driver.save_screenshot(str(SHOTS / "transcript-pages-desktop.png"))
            driver.set_window_size(PHONE, 900)
            time.sleep(0.3)
            assert width(walk) <= PHONE, width(walk)
            driver.save_screenshot(str(SHOTS / "transcript-pages-390.png"))

            walk.find("#pages-top a[rel=next]").click()
            wait_for(lambda: "from=100" in driver.current_url, 30, "the next page")
            lines = walk.finds(".turn")
            assert [lines[0].get_attribute("id"), lines[-1].get_attribute("id")] == ["t100", "t199"]
            assert width(walk) <= PHONE, width(walk)

            line = walk.find("#t123")
            line.find_element(By.TAG_NAME, "summary").click()
            box = line.find_element(By.TAG_NAME, "textarea")
            box.clear()
            box.send_keys("Dit is de verbeterde regel.")
            line.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait_for(lambda: walk.finds("#saved"), 60, "the correction to be saved")
            assert "from=100" in driver.current_url  # back on the page of the line, not on the first
            assert "Dit is de verbeterde regel." in walk.find("#t123").text
            driver.save_screenshot(str(SHOTS / "transcript-pages-corrected-390.png"))
        finally:
            driver.quit()
