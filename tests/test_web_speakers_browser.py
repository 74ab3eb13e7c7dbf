"""Speakers per turn in a real headless Chromium against a real `oogst serve` (server + worker), issue 27's test: on
the transcript page a line is moved to another speaker (at 390 px, where the control must fit), on the speakers page
two speakers are merged; turns.json's shown speakers, the speaking time on the page and in the draft, and the
draft's transcript follow after the re-run the web app queues, and all of it survives `oogst run` again.
A small English transcript (no Frog), so the runs are the quick ones (about a minute in all on an idle machine).
Screenshots go to outputs/screenshots/edits/speakers-*.png."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_web_edits_browser import SHOTS, Browser
from tests.web_helpers import free_port, running_server

pytestmark = [pytest.mark.slow, pytest.mark.needs_system("chromium", "chromedriver")]

SCRIPT = """[00:00:02] Anna: Welcome everyone, today we talk about the handover between the two teams.
[00:00:09] Ben: Thanks. The handover often goes wrong because nobody feels responsible for the client.
[00:00:17] Anna: I recognise that. We agreed that one person stays the contact until the handover is done.
[00:00:25] Carl: Does that also work when that person is ill? Then everything stops.
[00:00:31] Ben: Then the team leader steps in. The main thing is that it is written down.
[00:00:38] Anna: So ownership and a fixed stand-in. Ben, what would you like to try?
[00:00:45] Ben: I will make a short checklist for the handover and discuss it in the team next week.
"""


def draft_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def shown(out: Path) -> list[tuple[str, str]]:
    from pipeline.core.session import Session

    turns = Session(out / "handover").turns()
    return [(t.id, turns.name(t.speaker)) for t in turns.turns]


def test_move_a_turn_and_merge_two_speakers_in_the_browser(tmp_path: Path, models_dir: Path) -> None:
    from pipeline.core.settings import Settings
    from pipeline.core.types import RunRequest
    from pipeline.service import Oogst

    out, state, downloads = tmp_path / "outputs", tmp_path / "state", tmp_path / "downloads"
    downloads.mkdir()
    source = tmp_path / "handover.txt"
    source.write_text(SCRIPT, encoding="utf-8")
    oogst = Oogst(Settings(out_dir=out, models_dir=models_dir, quiet=True))
    oogst.run(RunRequest(str(source), title="Handover", language="en"))
    shutil.copyfile(source, out / "handover" / "handover.txt")  # kept in its folder, as an upload is
    draft = out / "handover" / "draft.docx"
    assert "Carl" in draft_text(draft) and shown(out)[1] == ("t900", "Ben")
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with running_server(out, state, port):
        server: dict[str, Any] = {"out": out, "base": f"http://127.0.0.1:{port}"}
        phone = Browser(server, downloads, width=390)
        try:
            phone.open("/s/handover/transcript")
            line = phone.find("#t1")
            line.find_element("css selector", ".turn-speaker summary").click()
            form = line.find_element("css selector", "form.move-turn")
            assert phone.sideways() == 0
            phone.shot("speakers-move-390")
            options = [o.text for o in form.find_elements("css selector", "select[name=speaker] option")]
            assert options == ["Anna", "Ben", "Carl", "nieuwe spreker"]
            form.find_element("css selector", "select[name=speaker] option[value=Carl]").click()
            since = time.time()
            phone.submit(form)
            assert "saved=1" in phone.driver.current_url and "Carl" in phone.text("#t1 .who")
            phone.job_done("handover", since)
        finally:
            phone.quit()
        assert shown(out)[1] == ("t900", "Carl")
        text = draft_text(draft)
        assert "[00:09] Carl: Thanks. The handover often goes wrong" in text  # the draft's transcript follows

        desk = Browser(server, downloads)
        try:
            desk.open("/s/handover/speakers")
            before = desk.text("#speaking-time")
            form = desk.find("form.merge-speakers")
            form.find_element("css selector", "select[name=from] option[value=Carl]").click()
            form.find_element("css selector", "select[name=into] option[value=Ben]").click()
            since = time.time()
            desk.submit(form)
            desk.job_done("handover", since)
            desk.open("/s/handover/speakers")
            after = desk.text("#speaking-time")
            assert "Carl" in before and "Carl" not in after and "Ben" in after
            assert [r.text.split()[0] for r in desk.finds("#speaking-time tbody tr")] == ["Ben", "Anna"]
            assert desk.finds("#undo-speaker") and "2" in desk.text("#undo-speaker")
            desk.shot("speakers-merged-desktop")
        finally:
            desk.quit()
    merged = [("t200", "Anna"), ("t900", "Ben"), ("t1700", "Anna"), ("t2500", "Ben"), ("t3100", "Ben"),
              ("t3800", "Anna"), ("t4500", "Ben")]
    assert shown(out) == merged
    text = draft_text(draft)
    assert "Carl" not in text and "[00:25] Ben: Does that also work" in text  # speaking time and transcript: 2 people

    oogst.run(RunRequest(str(out / "handover" / "handover.txt"), language="en", start="names"))  # names stage on
    assert shown(out) == merged and "Carl" not in draft_text(draft)
