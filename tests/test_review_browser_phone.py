"""Two participants review the sent draft at the same time on a phone (a real headless Chromium at 390x844 against
a real `oogst serve`), the facilitator processes the answers on the review page, and the final equals what the same
answers give as Word comments. A screenshot of the participant's page at 390 px goes to outputs/screenshots (the
README's come from test_review_round_walk.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_review_browser import AN, BO, PROPOSAL, REWORDING, comparable, sent_session, word_copies
from test_web_phone import check_width, screen, shot

from pipeline.core.session import read_json
from pipeline.rounds import invite
from tests.web_helpers import ROOT, chromium, free_port, running_server, wait_for

SHOTS = ROOT / "outputs" / "screenshots"


def save(driver: Any, button: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, button).click()
    # the page says this form was saved: after the redirect, or (JavaScript on) when the script's post came back; the
    # script shows its note at once with "…", so the note's being there is not enough
    note = button.replace("save-", "saved-")
    wait_for(lambda: driver.find_element(By.ID, note).text == "Bewaard.", 30, f"{button} to be saved")


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_two_participants_answer_on_their_phones_into_the_same_review(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    oogst, session = sent_session(tmp_path)
    state = tmp_path / "state"
    oogst.state_dir = state / "oogst"  # where `oogst serve` keeps them ($XDG_STATE_HOME/oogst)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    invited = invite(oogst, session, base_url=base, send=False)
    links = {p.name: str(p.link) for p in invited.people}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(tmp_path / "outputs", state, port):
        an, bo = chromium(tmp_path / "an"), chromium(tmp_path / "bo")
        try:
            for driver, name in ((an, "An de Wit"), (bo, "Bo Smit")):
                screen(driver, 390, 844)
                driver.get(links[name])
                assert name in driver.find_element(By.ID, "who").text
                check_width(driver, "/p/...", 390)
            # turn by turn, both at once: each answer is saved when its form is sent
            for (rank, vote_an), (_, vote_bo) in zip(AN.items(), [*BO.items(), (0, None)], strict=True):
                an.find_element(By.ID, f"{vote_an}-{rank}").click()
                if vote_bo is not None:
                    bo.find_element(By.ID, f"{vote_bo}-{rank}").click()
                    save(bo, f"save-{rank}")
                save(an, f"save-{rank}")
            an.find_element(By.ID, "wording-3").send_keys(REWORDING)
            bo.find_element(By.ID, "missing-text").send_keys(PROPOSAL)
            save(an, "save-3")
            save(bo, "save-missing")
            bo.find_element(By.ID, "approve").click()
            wait_for(lambda: bo.find_elements(By.ID, "approved"), 30, "the approval")
            # a reload, and a second device with the same link: nothing lost
            an.get(links["An de Wit"])
            assert an.find_element(By.ID, "agree-1").is_selected()
            assert an.find_element(By.ID, "wording-3").get_attribute("value") == REWORDING
            shot(an, SHOTS / "participant-390.png", 390, 6000)
            second = chromium(tmp_path / "bo2")
            try:
                screen(second, 390, 844)
                second.get(links["Bo Smit"])
                assert second.find_element(By.ID, "disagree-1").is_selected()
                assert second.find_element(By.ID, "missing-text").get_attribute("value") == PROPOSAL
                assert second.find_elements(By.ID, "approved")
                # the facilitator's review page: who answered and approved; then the answers are processed
                second.get(f"{base}/s/{session.name}/review")
                check_width(second, "the review page", 390)
                screen(second, 1280, 1000)
                second.get(f"{base}/s/{session.name}/review")
                rows = {r.get_attribute("data-name"): r.text for r in
                        second.find_elements(By.CSS_SELECTOR, "#round-table tbody tr")}
                # present, opened, answered (and approved)
                assert rows["An de Wit"].count("✓") == 3 and rows["Bo Smit"].count("✓") == 4
                assert "✓" not in rows["Cor Kok"]
                second.find_element(By.ID, "collect-answers").click()
                wait_for(lambda: second.find_elements(By.ID, "final-heading"), 60, "the final top 7")
                shot(second, SHOTS / "review-round-1280.png", 1280, 1800)
            finally:
                second.quit()
        finally:
            an.quit()
            bo.quit()
    by_browser = read_json(session.path("final.json"))
    assert [a["name"] for a in read_json(session.path("review.json"))["approvals"]] == ["Bo Smit"]
    word, other = sent_session(tmp_path / "word")
    word.collect(other, word_copies(other, tmp_path / "copies"))
    assert comparable(by_browser) == comparable(read_json(other.path("final.json")))
