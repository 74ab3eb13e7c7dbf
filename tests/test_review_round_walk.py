"""A whole review round in a real browser (issue 26, "Done when"): three participants answer at the same time on a
phone (a real headless Chromium at 390x844, one window each, against a real `oogst serve`): An agrees with two
insights and rewords a third (correcting her first wording while its save is held back by a slow network), Bo
disagrees with one and adds a missing insight, Cor only approves; Dirk comments in
Word, and the facilitator uploads his copy and closes the round on the review page (desktop). The final top 7, "what
changed" and `review.json` must equal what the same answers give when all of them are Word comments (a twin
session collected from Word copies only).

Screenshots of the participants' phone screens (the top of An's page, her rewording saved, Bo's missing insight and
the approval below it) and of the facilitator's review page after closing go to outputs/screenshots/walk-*.png; with
OOGST_DOCS_SCREENSHOTS=1 also to docs/, where the README shows them:
`OOGST_DOCS_SCREENSHOTS=1 python -m pytest tests/test_review_round_walk.py`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from docx_helpers import CommentSpec, add_comments
from test_review_browser import MISSING, PROPOSAL, REWORDING, comparable, sent_session
from test_web_phone import check_width, screen, shot

from pipeline.core.session import Session, read_json
from pipeline.rounds import invite
from pipeline.service import Oogst
from tests.web_helpers import ROOT, chromium, free_port, gone, running_server, wait_for

SHOTS = ROOT / "outputs" / "screenshots"
DOCS = ROOT / "docs"
ROSTER = [{"name": "An de Wit", "email": "an@example.nl", "present": True},
          {"name": "Bo Smit", "email": "bo@example.nl", "present": True},
          {"name": "Cor Kok", "email": "cor@example.nl", "present": True},
          {"name": "Dirk Jansen", "email": "dirk@example.nl", "present": True}]
AN = {1: "agree", 2: "agree"}  # and a better wording of insight 3
BO = {2: "disagree"}  # and the missing insight PROPOSAL
DIRK = {5: "disagree", 7: "agree"}  # in Word, and the same missing insight (two people: it is added)
WORD = {"agree": "eens", "disagree": "oneens"}
SAVED = "Bewaard."
FIRST_TRY = "Tijd voor de overdracht hoort in het rooster."
# a phone on a slow network: the page's first post leaves 1.5 s late; `window.pending` counts the posts on their way
SLOW_FIRST_POST = """
const send = window.fetch; let first = true; window.pending = 0;
window.fetch = (...args) => { window.pending++; const wait = first ? 1500 : 0; first = false;
  return new Promise(done => setTimeout(done, wait)).then(() => send(...args)).finally(() => { window.pending--; }); };
"""


def round_session(root: Path) -> tuple[Oogst, Session]:
    """The sent draft (sent/v1) of a realistic session (an intervision on handovers), four present participants."""
    return sent_session(root, roster=ROSTER)


def dirk_copy(session: Session, folder: Path) -> Path:
    titles = {i.rank: i.title for i in session.insights().insights}
    comments = [CommentSpec(titles[r], WORD[v], "Dirk Jansen") for r, v in DIRK.items()]
    comments.append(CommentSpec(MISSING, PROPOSAL, "Dirk Jansen"))
    folder.mkdir(parents=True, exist_ok=True)
    return add_comments(session.sent_version("v1") / "draft.docx", folder / "dirk.docx", comments)


def word_copies(session: Session, folder: Path) -> list[Path]:
    """What An, Bo and Dirk answered, as Word comments on the sent copy (Cor, who only approved, sends none)."""
    titles = {i.rank: i.title for i in session.insights().insights}
    sent = session.sent_version("v1") / "draft.docx"
    an = [CommentSpec(titles[r], WORD[v], "An de Wit") for r, v in AN.items()]
    an.append(CommentSpec(titles[3], f"beter: {REWORDING}", "An de Wit"))
    bo = [CommentSpec(titles[r], WORD[v], "Bo Smit") for r, v in BO.items()]
    bo.append(CommentSpec(MISSING, PROPOSAL, "Bo Smit"))
    folder.mkdir(parents=True, exist_ok=True)
    return [add_comments(sent, folder / "an.docx", an), add_comments(sent, folder / "bo.docx", bo),
            dirk_copy(session, folder)]


def decided(review: dict[str, Any]) -> dict[str, Any]:
    """What review.json says was answered and decided, without where it came from (file, id, date, order)."""
    comments = sorted((c["author"], c["person"], c["text"], c["target"]["kind"], c["target"]["index"],
                       c["target"].get("title"), tuple(sorted(c["interpretation"].items())),
                       c["duplicate_of"] is None) for c in review["comments"])
    return {"comments": comments, "reviewers": review["reviewers"], "insights_hash": review["insights_hash"],
            "proposals": [(p["text"], p["proposed_by"], p["added"]) for p in review["proposals"]],
            "unmapped": review["unmapped"], "problems": review["problems"], "rules": review["rules"]}


def answer(driver: Any, click: str, note: str) -> None:
    """Click a choice (the page's script saves it at once) or a save button after typing; wait for "Bewaard."."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, click).click()
    wait_for(lambda: driver.find_element(By.ID, note).text == SAVED, 30, f"{click} to be saved")


PHONE_SHOTS = ("participant-390.png", "participant-wording-390.png", "participant-missing-390.png")


def phone_shot(driver: Any, section: str | None, name: str) -> None:
    """What the phone's screen (390x844) shows with `section` at its top (None: the page's top)."""
    driver.execute_script("const e = arguments[0] && document.getElementById(arguments[0]);"
                          "if (e) e.scrollIntoView({block: 'start'}); else window.scrollTo(0, 0);", section)
    driver.save_screenshot(str(SHOTS / f"walk-{name}"))


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_three_phones_and_a_word_copy_make_the_same_review_as_word_comments(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    oogst, session = round_session(tmp_path / "browser")
    state = tmp_path / "browser" / "state"
    oogst.state_dir = state / "oogst"  # where `oogst serve` keeps the answers ($XDG_STATE_HOME/oogst)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url=base, send=False).people}
    assert sorted(links) == sorted(r["name"] for r in ROSTER)  # all four present: all four get a link
    copy = dirk_copy(session, tmp_path / "dirk")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running_server(tmp_path / "browser" / "outputs", state, port):
        driver = chromium(tmp_path / "downloads")  # one Chromium, a window per participant
        try:
            windows = {}
            for name in ("An de Wit", "Bo Smit", "Cor Kok"):
                if windows:
                    driver.switch_to.new_window("window")
                windows[name] = driver.current_window_handle
                screen(driver, 390, 844)
                driver.get(links[name])
                assert name in driver.find_element(By.ID, "who").text
                check_width(driver, f"{name}'s page", 390)

            def to(name: str) -> Any:
                driver.switch_to.window(windows[name])
                return driver

            # interleaved, as three people on their own phones at the same time
            answer(to("An de Wit"), "agree-1", "saved-1")
            answer(to("Bo Smit"), "disagree-2", "saved-2")
            answer(to("An de Wit"), "agree-2", "saved-2")
            to("Bo Smit").find_element(By.ID, "missing-text").send_keys(PROPOSAL)
            # An writes a first wording and leaves the field (saved at once, but her phone's network holds that post
            # back), then writes it better and presses Bewaar: the better one must count, not the one sent first
            page = to("An de Wit")
            page.execute_script(SLOW_FIRST_POST)
            page.find_element(By.ID, "wording-3").send_keys(FIRST_TRY)
            page.find_element(By.ID, "remark-3").click()
            page.find_element(By.ID, "wording-3").send_keys(Keys.CONTROL, "a")
            page.find_element(By.ID, "wording-3").send_keys(REWORDING)
            to("Cor Kok").find_element(By.ID, "approve").click()
            answer(to("Bo Smit"), "save-missing", "saved-missing")
            phone_shot(driver, "missing", "participant-missing-390.png")
            answer(to("An de Wit"), "save-3", "saved-3")
            wait_for(lambda: driver.execute_script("return window.pending === 0"), 30, "An's posts to arrive")
            phone_shot(driver, "insight-3", "participant-wording-390.png")
            wait_for(lambda: to("Cor Kok").find_elements(By.ID, "approved"), 30, "Cor's approval")
            # a reload loses nothing
            page = to("An de Wit")
            page.get(links["An de Wit"])
            assert page.find_element(By.ID, "agree-2").is_selected()
            assert page.find_element(By.ID, "wording-3").get_attribute("value") == REWORDING
            phone_shot(page, None, "participant-390.png")
            page = to("Bo Smit")
            page.get(links["Bo Smit"])
            assert page.find_element(By.ID, "disagree-2").is_selected()
            assert not page.find_elements(By.ID, "approved")  # Bo did not approve

            # the facilitator, at a desktop: the round's table, Dirk's Word copy uploaded, the round closed
            desk = driver
            desk.switch_to.new_window("window")
            screen(desk, 1280, 1000)
            review = f"{base}/s/{session.name}/review"
            desk.get(review)
            rows = {r.get_attribute("data-name"): r.text for r in
                    desk.find_elements(By.CSS_SELECTOR, "#round-table tbody tr")}
            # present, opened, answered, approved
            assert {n: row.count("✓") for n, row in rows.items()} == {
                "An de Wit": 3, "Bo Smit": 3, "Cor Kok": 4, "Dirk Jansen": 1}, rows  # Dirk answers in Word
            desk.find_element(By.ID, "copies").send_keys(str(copy))
            desk.find_element(By.ID, "collect").click()
            wait_for(lambda: desk.find_elements(By.ID, "final-heading"), 60, "the final top 7")
            before = desk.find_element(By.ID, "final-heading")
            desk.find_element(By.ID, "close-round").click()
            wait_for(lambda: gone(before), 60, "the review page after closing")
            wait_for(lambda: desk.find_elements(By.ID, "final-heading"), 60, "the final top 7 after closing")
            check_width(desk, "the review page", 1280)
            shot(desk, SHOTS / "walk-review-round.png", 1280, 2400)
            # the round is closed: the links say so
            closed = to("An de Wit")
            closed.get(links["An de Wit"])
            assert not closed.find_elements(By.ID, "save-1") and "gesloten" in closed.page_source
        finally:
            driver.quit()

    by_browser = read_json(session.path("final.json"))
    review = read_json(session.path("review.json"))
    assert [a["name"] for a in review["approvals"]] == ["Cor Kok"]
    assert {c["author"] for c in review["comments"] if c.get("source") == "browser"} == {"An de Wit", "Bo Smit"}
    assert {c["author"] for c in review["comments"] if c["file"]} == {"Dirk Jansen"}

    word, twin = round_session(tmp_path / "word")
    word.collect(twin, word_copies(twin, tmp_path / "copies"))
    by_word = read_json(twin.path("final.json"))
    assert comparable(by_browser) == comparable(by_word)
    assert decided(review) == decided(read_json(twin.path("review.json")))
    assert read_json(twin.path("review.json"))["approvals"] == []  # an approval of the whole has no Word form

    # the answers did something: the comparison could fail
    assert by_browser["reviewers"] == ["An de Wit", "Bo Smit", "Dirk Jansen"]  # Cor only approved
    third = next(i for i in by_browser["insights"] if i.get("original_rank") == 3)
    assert third["text"] == REWORDING and third["reworded_by"] == ["An de Wit"]
    second = next(i for i in by_browser["insights"] if i.get("original_rank") == 2)
    assert second["votes"]["voters"] == {"An de Wit": 1, "Bo Smit": -1}
    assert [(p["text"], p["proposed_by"], p["added"]) for p in by_browser["proposals"]] == [
        (PROPOSAL, ["Bo Smit", "Dirk Jansen"], True)]  # two people proposed it: added
    assert any(PROPOSAL in i["text"] for i in by_browser["insights"])
    if os.environ.get("OOGST_DOCS_SCREENSHOTS") == "1":  # looked at, then kept in docs/ for the README
        for name in (*PHONE_SHOTS, "review-round.png"):
            (DOCS / name).write_bytes((SHOTS / f"walk-{name}").read_bytes())
