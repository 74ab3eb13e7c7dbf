"""Participants on their page (issue 26), action points and new versions: "klopt / klopt niet" with a remark on each
action point and "gedaan" on an action carried from an earlier session become the same review entries as the
equivalent Word comments (a "not right" shows in final.json, final.docx and "what changed"; a "done" reaches the
series' done marks); a version sent during the round carries the answers on what stayed and the page says what
changed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from docx_helpers import CommentSpec, add_comments
from test_docx_draft import DATE, make_session
from test_review_browser import ROSTER

from pipeline.core.editing import Edit
from pipeline.core.layers import text_key
from pipeline.core.session import CARRIED, Session, read_json
from pipeline.core.settings import Settings
from pipeline.review import draft as docx_draft
from pipeline.review.versions import current_insights
from pipeline.rounds import invite
from pipeline.series.actions import OpenAction, carried_map, carried_section, done_marks
from pipeline.service import Oogst
from tests.web_helpers import ROOT, make_client

EARLIER = OpenAction("2026-02-05_intervisie#a1b2c3d4e5f6", "Carla Smit", "Rooster voor de inwerkweek opstellen",
                     "maart", "2026-02-05_intervisie", "2026-02-05", "Intervisie februari")
WHY = "Dat zou Dirk doen, niet Bram."
OTHER = "Mag wel een datum bij."


def session_with_carried(root: Path) -> tuple[Oogst, Session]:
    """A sent session of a series: its draft carries an open action of an earlier session; with its roster."""
    session, turns, insights = make_session(root / "outputs")
    session.write(CARRIED, carried_map([EARLIER]))
    docx_draft.write_draft(session, turns, insights, title="Intervisie overdracht", date=DATE,
                           sections=[carried_section([EARLIER], {}, "nl")])
    oogst = Oogst(Settings(out_dir=root / "outputs", models_dir=ROOT / "models"))
    oogst.state_dir = root / "state"
    oogst.send_draft(session, reason="test")
    oogst.save_roster(session, ROSTER)
    return oogst, session


def post(client: Any, link: str, **data: str) -> str:
    """Send one form of the page as a browser does (its CSRF token), follow the redirect, return the page."""
    page = client.get(link).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]
    answer = client.post(link, data={"csrf": token, **data}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(client.get(answer.headers["location"]).text)


def outcome(session: Session) -> dict[str, Any]:
    final = read_json(session.path("final.json"))
    review = read_json(session.path("review.json"))
    carried = read_json(session.path(CARRIED))
    return {"checks": final["action_checks"], "changes": [c["text"] for c in final["changes"]],
            "done": {k: m["by"] for k, m in done_marks(session.name, review, carried).items()},
            "action_votes": sorted((c["author"], c["target"]["index"], c["interpretation"]["vote"])
                                   for c in review["comments"] if c["target"]["kind"] == "action")}


def test_action_answers_count_as_the_same_word_comments(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "browser" / "outputs", tmp_path / "browser" / "state")
    oogst, session = session_with_carried(tmp_path / "browser")
    oogst.state_dir = cfg.state_dir
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="http://127.0.0.1:8000",
                                                  send=False).people}
    an, bo = links["An de Wit"], links["Bo Smit"]
    page = client.get(an).text
    assert "Klopt actiepunt 1?" in page and "Vorige keer afgesproken" in page and EARLIER.text in page
    assert "Download een kopie van je antwoorden</a>" in page  # not the texts mapping's own copy method
    page = post(client, an, item="action:1", vote="disagree", remark=WHY)
    assert re.search(r'id="wrong-1" checked', page) and WHY in page and 'id="saved-action-1"' in page
    post(client, an, item="action:2", vote="agree", remark="")
    carried_id = re.search(r'name="item" value="carried:(carried_[0-9a-f]+)"', page)[1]
    page = post(client, an, item=f"carried:{carried_id}", done="1", remark="")
    assert re.search(rf'id="done-{carried_id}" checked', page)
    post(client, bo, item="action:1", vote="agree", remark=OTHER)
    copy = client.get(f"{an}/answers.txt").text  # the copy of her answers has them too
    assert f"Klopt niet\n   Opmerking: {WHY}" in copy and f"- {EARLIER.text}\n   Gedaan" in copy
    oogst.collect(session, [])
    by_browser = outcome(session)

    word, other = session_with_carried(tmp_path / "word")
    sent = other.sent_version("v1") / "draft.docx"
    actions = other.insights().actions
    when = dt.datetime.now(dt.UTC)
    copies = [add_comments(sent, tmp_path / "an.docx", [
        CommentSpec(actions[0].text, "klopt niet", "An de Wit"), CommentSpec(actions[0].text, WHY, "An de Wit"),
        CommentSpec(actions[1].text, "klopt", "An de Wit"), CommentSpec(EARLIER.text, "gedaan", "An de Wit")], when),
              add_comments(sent, tmp_path / "bo.docx", [CommentSpec(actions[0].text, "klopt", "Bo Smit"),
                                                       CommentSpec(actions[0].text, OTHER, "Bo Smit")], when)]
    word.collect(other, copies)
    by_word = outcome(other)
    assert by_browser == by_word
    check = by_browser["checks"][0]
    assert len(by_browser["checks"]) == 1 and check["number"] == 1 and check["not_right"] == ["An de Wit"]
    assert check["right"] == ["Bo Smit"] and {r["text"] for r in check["remarks"]} == {WHY, OTHER}
    line = next(c for c in by_browser["changes"] if c.startswith("Actiepunt 1"))
    assert "klopt niet volgens An de Wit" in line and WHY.rstrip(".") in line
    assert by_browser["done"] == {EARLIER.key: "An de Wit"}  # the series' done mark, as "gedaan" in Word gives
    import docx

    text = "\n".join(p.text for p in docx.Document(str(session.path("final.docx"))).paragraphs)
    assert line in text  # final.docx says it too, for the facilitator to act on


def test_a_version_sent_during_the_round_carries_the_answers_over(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = session_with_carried(tmp_path)
    oogst.state_dir = cfg.state_dir
    links = {p.name: str(p.link) for p in invite(oogst, session, base_url="http://127.0.0.1:8000",
                                                  send=False).people}
    link = links["An de Wit"]
    before = {i.rank: i for i in session.insights().insights}
    post(client, links["Bo Smit"], item="insight:2", vote="disagree", wording="", remark="")
    post(client, link, item="insight:4", vote="agree", wording="", remark="")  # dropped in v2
    post(client, link, item="insight:5", vote="agree", wording="", remark="")  # becomes 4
    post(client, link, item="insight:3", vote="disagree", wording="", remark="Te vaag")  # reworded in v2
    post(client, link, item="action:1", vote="disagree", remark=WHY)
    assert "bijgewerkt" not in client.get(link).text

    # the facilitator rewords insight 3, drops insight 4 and sends the draft again: v2
    oogst.edit(session, Edit("save", key=text_key(before[3].text), title=before[3].title,
                             text="Plan vaste tijd voor de overdracht in het rooster."))
    oogst.edit(session, Edit("drop", key=text_key(before[4].text)))
    docx_draft.write_draft(session, session.turns(), current_insights(session), title="Intervisie overdracht",
                           date=DATE, sections=[carried_section([EARLIER], {}, "nl")])
    assert oogst.send_draft(session, reason="test").name == "v2"

    page = client.get(link).text
    notice = re.search(r'<p class="notice" id="updated"[^>]*>(.*?)</p>', page, re.S)
    assert notice, "the page says what changed"
    said = notice[1].replace("&#34;", '"')
    assert "Sinds je laatste bezoek is de versie bijgewerkt" in said
    assert f"anders geformuleerd: \u201c{before[3].title}\u201d" in said
    assert f"vervallen: \u201c{before[4].title}\u201d" in said and f"nieuw: \u201c{before[8].title}\u201d" in said
    assert "Plan vaste tijd voor de overdracht" in page and before[4].text not in page
    assert re.search(r'id="agree-4" checked', page)  # old 5 is now 4: its answer moved with it
    assert re.search(r'id="disagree-3" checked', page) and "Te vaag" in page
    assert re.search(r'id="wrong-1" checked', page) and WHY in page
    assert not re.search(r'id="(agree|disagree)-7" checked', page)  # the new one is not answered
    again = post(client, link, item="insight:7", vote="agree", wording="", remark="")
    assert "bijgewerkt" not in again  # said once: they answered on the new version

    # Bo never came back; the reminder's new link (to v2) brings his answer along and says what changed
    bo = str(invite(oogst, session, names=["Bo Smit"], base_url="http://127.0.0.1:8000", send=False,
                    reminder=False).people[0].link)
    assert bo != links["Bo Smit"] and client.get(links["Bo Smit"]).status_code == 410
    page = client.get(bo).text
    assert re.search(r'id="disagree-2" checked', page) and 'id="updated"' in page

    oogst.collect(session, [])
    review = read_json(session.path("review.json"))
    assert review["insights_hash"] == oogst.send_draft(session, reason="test").insights_hash  # counted on v2
    votes = {(c["target"]["title"], c["interpretation"]["vote"]) for c in review["comments"]
             if c["target"]["kind"] == "insight" and c["interpretation"]["kind"] == "vote"}
    assert votes == {(before[5].title, 1), (before[3].title, -1), (before[8].title, 1), (before[2].title, -1)}
    assert read_json(session.path("final.json"))["action_checks"][0]["not_right"] == ["An de Wit"]


def test_a_comment_saying_an_action_is_not_right_is_a_down_vote() -> None:
    from pipeline.review.interpret import interpret

    for text in ("klopt niet", "Klopt helemaal niet.", "Dit klopt niet: het was Dirk", "onjuist", "niet juist",
                 "not right", "That's wrong", "incorrect"):
        assert interpret(text, "action").vote == -1, text
    for text in ("klopt", "Klopt, maar de datum is later", "eens"):
        assert interpret(text, "action").vote == 1, text


def test_an_answer_posted_by_the_page_script_is_saved_and_answered_with_json(tmp_path: Path) -> None:
    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    oogst, session = session_with_carried(tmp_path)
    oogst.state_dir = cfg.state_dir
    link = str(invite(oogst, session, base_url="http://127.0.0.1:8000", send=False).people[0].link)
    page = client.get(link).text
    assert '<script src="/static/app.js" defer></script>' in page
    assert page.count("data-autosave") == page.count('<form method="post"') - 1 == 13  # not the approval
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]
    json_post = {"accept": "application/json"}
    answer = client.post(link, data={"csrf": token, "item": "action:2", "vote": "disagree", "remark": WHY},
                         headers=json_post, follow_redirects=False)
    assert answer.status_code == 200 and answer.json() == {"saved": "action:2", "message": "Bewaard."}
    assert re.search(r'id="wrong-2" checked', client.get(link).text)  # kept, as the plain form keeps it
    assert client.post(link, data={"csrf": token, "item": "nothing"}, headers=json_post).status_code == 400
    assert client.post(link, data={"item": "action:2", "vote": "agree"}, headers=json_post).status_code == 403


@pytest.mark.slow
@pytest.mark.needs_system("chromium", "chromedriver")
def test_with_javascript_a_choice_is_saved_without_leaving_the_page(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from tests.web_helpers import chromium, free_port, running_server, wait_for

    oogst, session = session_with_carried(tmp_path)
    state = tmp_path / "state"
    oogst.state_dir = state / "oogst"  # where `oogst serve` keeps them
    port = free_port()
    link = str(invite(oogst, session, base_url=f"http://127.0.0.1:{port}", send=False).people[0].link)
    with running_server(tmp_path / "outputs", state, port):
        driver = chromium(tmp_path / "an")
        try:
            driver.set_window_size(390, 844)
            driver.get(link)
            driver.execute_script("window.stayed = 'yes';")  # gone if the page were loaded again
            driver.find_element(By.ID, "wrong-1").click()
            wait_for(lambda: driver.find_elements(By.ID, "saved-action-1")
                     and driver.find_element(By.ID, "saved-action-1").text == "Bewaard.", 30, "the autosave")
            assert driver.execute_script("return window.stayed") == "yes"
            driver.get(link)
            assert driver.find_element(By.ID, "wrong-1").is_selected()
        finally:
            driver.quit()
