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


@pytest.mark.needs_system("chromium", "chromedriver")
def test_a_summary_sentence_plays_from_its_moment_on_the_transcript_page(tmp_path: Path) -> None:
    """The overview's summary: a sentence said at 15:02 (line 181 of 250) shows its time, also at 390 px without
    anything sticking out; its link opens the transcript's second page at that line, the player at 15:02."""
    from pipeline.core.session import INSIGHTS
    from pipeline.core.types import Insights, SummarySection, SummarySentence

    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    session = processed_by_hand(out, seconds=1250)  # 250 lines of 5 s
    said = (SummarySentence("Het eerste woord.", "Spreker 1", 12.0, 14.0, 1),
            SummarySentence("Het woord van later.", "Spreker 2", 902.0, 904.0, 2))
    session.write(INSIGHTS, Insights("nl", tuple(f"{s.speaker}: {s.text}" for s in said), (), (), sections=(
        SummarySection("Inbreng van de casus", "casus", "Spreker 1 brengt een casus in.", said, "Spreker 1"),
    )).to_dict())
    with running_server(out, state, port):
        driver = chromium(downloads)
        walk = Walk(driver, f"http://127.0.0.1:{port}", downloads)
        try:
            walk.open("/s/lang", "overview")
            assert [a.text for a in walk.finds("#summary a.said .at")] == ["0:12", "15:02"]
            driver.set_window_size(PHONE, 900)
            time.sleep(0.3)
            assert width(walk) <= PHONE, width(walk)
            walk.finds("#summary a.said")[1].click()
            wait_for(lambda: "from=100" in driver.current_url, 30, "the transcript page of the line")
            assert driver.current_url.endswith("#t180") and "Spreker 1" in walk.find("#t180").text
            at = lambda: driver.execute_script("return document.getElementById('player').currentTime")  # noqa: E731
            wait_for(lambda: 902.0 <= at() < 910.0, 30, "the player at the sentence's moment")
        finally:
            driver.quit()
