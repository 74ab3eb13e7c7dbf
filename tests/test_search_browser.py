"""Search in a real headless Chromium against a real `oogst serve` (server + worker): a search typed in the header's
box shows the word results, the worker adds the meaning results, and the first result opens the transcript on the
second page at the corrected line, highlighted; at desktop width and at 390 px nothing sticks out sideways.
Screenshots go to outputs/screenshots/search-*.png."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.search_helpers import LONG, LONG_LINE, PARENTS, long_session, make_sessions
from tests.test_web_browser import SHOTS, Walk
from tests.test_web_transcript_browser import PHONE, width
from tests.web_helpers import chromium, free_port, running_server, wait_for


@pytest.mark.needs_system("chromium", "chromedriver")
def test_a_search_from_the_page_lands_on_the_turn(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    SHOTS.mkdir(parents=True, exist_ok=True)
    out, state, port, downloads = tmp_path / "outputs", tmp_path / "state", free_port(), tmp_path / "downloads"
    downloads.mkdir()
    make_sessions(out)
    long_session(out)
    with running_server(out, state, port):
        driver = chromium(downloads)
        walk = Walk(driver, f"http://127.0.0.1:{port}", downloads)
        try:
            walk.open("/", "sessions")
            box = walk.find("header form.find input[name=q]")
            box.send_keys("ouderavond maart", Keys.ENTER)
            wait_for(lambda: "/search?" in driver.current_url and walk.finds("#word-results"), 30, "the results")
            hits = walk.finds("#word-results li.hit")
            assert [(h.get_attribute("data-session"), h.get_attribute("data-ref")) for h in hits] == [
                (LONG, f"t{500 * LONG_LINE}")]  # only the corrected line holds both words (by its turn id)
            wait_for(lambda: walk.finds("#meaning-list"), 120, "the worker's meaning results")
            meaning = [h.get_attribute("data-session") for h in walk.finds("#meaning-list li.hit")]
            assert PARENTS in meaning  # the other sessions' parents' evenings, found by meaning
            driver.save_screenshot(str(SHOTS / "search-results-desktop.png"))
            driver.set_window_size(PHONE, 900)
            time.sleep(0.3)
            assert width(walk) <= PHONE, width(walk)
            driver.save_screenshot(str(SHOTS / "search-results-390.png"))

            hits[0].find_element(By.TAG_NAME, "a").click()
            wait_for(lambda: f"#turn-t{500 * LONG_LINE}" in driver.current_url and walk.finds(f"#t{LONG_LINE}"), 30,
                     "the transcript page")
            assert f"turn=t{500 * LONG_LINE}" in driver.current_url  # the page that holds the turn, found by its id
            target = driver.execute_script("const t = document.querySelector(':target'); "
                                           "return t && t.closest('.turn').id")
            assert target == f"t{LONG_LINE}"  # the anchor by id is inside the line (on the second page)
            line = walk.find(f"#t{LONG_LINE}")
            assert line.value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"  # highlighted
            assert "ouderavond in maart" in line.text
            top = driver.execute_script("return arguments[0].getBoundingClientRect().top", line)
            assert -2 <= top < 900  # scrolled to it
            assert width(walk) <= PHONE, width(walk)
            driver.save_screenshot(str(SHOTS / "search-turn-390.png"))
            walk.open("/", "sessions")  # the box in the header fits a phone's width too
            assert walk.find("header form.find input").is_displayed() and width(walk) <= PHONE, width(walk)
            driver.save_screenshot(str(SHOTS / "search-box-390.png"))
        finally:
            driver.quit()
