"""Accessibility of the participant's page (issue 26): axe-core (shipped inside the axe-core-python package, test
extra) in a real headless Chromium at 390x844 finds no serious or critical problem (labels, contrast, names,
landmarks), and the page is usable with the keyboard alone: Tab reaches every answer, Space picks a vote, Enter
saves it."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from test_review_browser import sent_session
from test_web_phone import screen

from pipeline.rounds import invite
from tests.web_helpers import chromium, free_port, running_server, wait_for

SERIOUS = ("serious", "critical")


def axe(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page in `driver` (every rule axe runs by default: WCAG 2 A/AA and best
    practices)."""
    driver.execute_script((files("axe_core_python") / "axe.min.js").read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script("const done = arguments[arguments.length - 1];"
                                         "axe.run(document).then(r => done(r.violations), e => done(String(e)));")
    assert isinstance(result, list), result
    return result


def described(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['impact']}: {v['id']} ({v['help']}): " + "; ".join(n["html"][:120] for n in v["nodes"][:3])
                     for v in violations)


def serious(driver: Any, what: str) -> None:
    found = [v for v in axe(driver) if v["impact"] in SERIOUS]
    assert not found, f"{what}:\n{described(found)}"


def tab_to(driver: Any, element_id: str, presses: int = 60) -> list[str]:
    """Press Tab until `element_id` has the focus; the ids passed on the way."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    passed: list[str] = []
    for _ in range(presses):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.execute_script("return document.activeElement.id || document.activeElement.tagName")
        passed.append(focused)
        if focused == element_id:
            return passed
    raise AssertionError(f"Tab never reached #{element_id}: {passed}")


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_the_participant_page_has_no_serious_accessibility_problem(tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    oogst, session = sent_session(tmp_path)
    state = tmp_path / "state"
    oogst.state_dir = state / "oogst"  # where `oogst serve` keeps the answers ($XDG_STATE_HOME/oogst)
    port = free_port()
    links = [str(p.link) for p in invite(oogst, session, base_url=f"http://127.0.0.1:{port}", send=False).people]
    with running_server(tmp_path / "outputs", state, port):
        driver = chromium(tmp_path / "downloads")
        try:
            screen(driver, 390, 844)
            driver.get(links[0])
            serious(driver, "the page as opened")
            driver.execute_script("document.getElementById('privacy').open = true")
            serious(driver, "the privacy notice opened")

            # the keyboard alone: Tab to the first insight's vote, the arrow keys pick "agree", Tab to the better
            # wording and type it, Tab on to its save button (the focus shows) and Enter saves
            passed = tab_to(driver, "none-1")
            assert "agree-1" not in passed  # a radio group is one Tab stop: the chosen answer
            ActionChains(driver).send_keys(Keys.ARROW_UP, Keys.ARROW_UP).perform()
            assert driver.execute_script("return document.activeElement.id") == "agree-1"
            ActionChains(driver).send_keys(Keys.TAB, "Met de toetsen geschreven").perform()
            tab_to(driver, "save-1", presses=3)
            outline = driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), "the focused button shows no focus ring"
            ActionChains(driver).send_keys(Keys.ENTER).perform()
            wait_for(lambda: driver.find_elements(By.ID, "saved-1"), 30, "the keyboard's answer to be saved")
            assert driver.find_element(By.ID, "agree-1").is_selected()
            assert driver.find_element(By.ID, "wording-1").get_attribute("value") == "Met de toetsen geschreven"
            serious(driver, "the page after a save (the saved notice)")
            tab_to(driver, "approve", presses=80)
            ActionChains(driver).send_keys(Keys.ENTER).perform()
            wait_for(lambda: driver.find_elements(By.ID, "approved"), 30, "the approval")
            serious(driver, "the page after approving (the notice, the withdraw button)")

            # the page of a replaced link says what to do: it too
            invite(oogst, session, names=["An de Wit"], base_url=f"http://127.0.0.1:{port}", send=False)
            driver.get(links[0])
            assert driver.find_elements(By.ID, "problem")
            serious(driver, "the page of a replaced link")

            # the check itself sees problems: an input without a label on the same page is one
            driver.execute_script("document.querySelector('main').insertAdjacentHTML('beforeend', "
                                  "'<input type=text id=unlabelled>')")
            assert any(v["id"] == "label" for v in axe(driver))
        finally:
            driver.quit()
