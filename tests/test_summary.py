"""The summary as a facilitator writes it: a paragraph per phase of an intervision (or per theme), as said."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest

from pipeline.core.settings import Settings
from pipeline.core.types import Turn, Turns
from pipeline.insights.nlp import split_sentences
from pipeline.insights.summary import spoken
from pipeline.service import run_recording

ROOT = Path(__file__).resolve().parents[1]
WIJKTEAM = ROOT / "tests" / "data" / "phases" / "intervisie_wijkteam_nl.txt"
YOUTHWORK = ROOT / "tests" / "data" / "insights" / "tune" / "cop_youthwork_en.vtt"


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def said_somewhere(text: str, turns: list[str]) -> bool:
    """Every word of a summary sentence, in order, is in one turn (fillers and repeats may be left out)."""
    wanted = words(text)
    for turn in turns:
        have, at = words(turn), 0
        for word in have:
            if at < len(wanted) and word == wanted[at]:
                at += 1
        if at == len(wanted):
            return True
    return False


def test_fillers_and_false_starts_are_left_out_without_the_analysis():
    turns = Turns({"S1": "Sanne"}, (Turn("S1", 0.0, 5.0, "Eh, ik ik denk dat de de groep eerst moet luisteren."),))
    sentence = split_sentences(turns, "nl")[0]
    assert spoken(sentence, "nl") == "Ik denk dat de groep eerst moet luisteren."


@pytest.mark.slow  # the insights stage on 16 minutes of talk
def test_an_intervision_gets_a_paragraph_per_phase_from_what_was_said(tmp_path: Path):
    session = run_recording(WIJKTEAM, Settings(out_dir=tmp_path, language="nl"), date=None).session
    data = json.loads(session.path("insights.json").read_text(encoding="utf-8"))
    turns = json.loads(session.path("turns.json").read_text(encoding="utf-8"))
    sections = data["summary_sections"]
    phases = {p["phase"]: p for p in turns["phases"]}
    bringer = turns["case_bringers"][0]
    found = [s["phase"] for s in sections if s["phase"]]
    assert found[0] == "casus" and "advice" in found and found == sorted(found, key=list(phases).index)
    assert bringer in sections[0]["lead"] and sections[0]["heading"] == phases["casus"]["label"]
    texts = [t["text"] for t in turns["turns"]]
    lines = 0
    for section in sections:
        for sentence in section["sentences"]:
            lines += 1
            assert sentence["line"] == lines and data["summary"][lines - 1].endswith(sentence["text"])
            if section["phase"]:
                phase = phases[section["phase"]]
                assert phase["start"] <= sentence["start"] < phase["end"]
                assert said_somewhere(sentence["text"], texts), sentence["text"]
    assert lines == len(data["summary"]) and sections[-1]["phase"] is None  # the agreements close it
    import docx

    document = docx.Document(str(session.path("draft.docx")))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert [s["heading"] for s in sections] == headings[:len(sections)]
    body = document.element.body.xml
    assert all(f'w:name="oogst_summary_{n}"' in body for n in range(1, lines + 1))


@pytest.mark.slow
def test_another_conversation_gets_a_paragraph_per_theme_and_keeps_its_summary(tmp_path: Path):
    session = run_recording(YOUTHWORK, Settings(out_dir=tmp_path, language="en")).session
    data = json.loads(session.path("insights.json").read_text(encoding="utf-8"))
    sections = data["summary_sections"]
    assert sections and all(s["phase"] is None for s in sections)
    titles = {i["title"] for i in data["insights"]}
    assert sum(s["heading"] in titles for s in sections) >= len(sections) - 1  # themes (an opening at most)
    lines = sorted(s["line"] for part in sections for s in part["sentences"])
    assert lines == list(range(1, len(data["summary"]) + 1))  # every summary line, each once
    starts = [min(s["start"] for s in part["sentences"]) for part in sections]
    assert starts == sorted(starts)  # in the order the themes came up


def test_a_vote_on_a_themes_heading_in_the_summary_counts_for_its_insight(tmp_path: Path):
    """The summary's theme headings are the top 7's titles and come first in the draft: a '+1' there is a vote."""
    from docx_helpers import CommentSpec, add_comments

    from pipeline.core.session import Session
    from pipeline.service import Oogst

    settings = Settings(out_dir=tmp_path / "out", language="en")
    session = run_recording(YOUTHWORK, settings).session
    data = json.loads(session.path("insights.json").read_text(encoding="utf-8"))
    ranks = {i["title"]: i["rank"] for i in data["insights"]}
    theme = next(s["heading"] for s in data["summary_sections"] if s["heading"] in ranks)
    copy = add_comments(session.path("draft.docx"), tmp_path / "back.docx", [CommentSpec(theme, "+1", "Fatima")])
    document = docx.Document(str(copy))
    assert next(p for p in document.paragraphs if theme in p.text).style.name == "Heading 2"  # the summary's, first
    Oogst(settings).collect(Session(session.root), [copy])
    review = json.loads(session.path("review.json").read_text(encoding="utf-8"))
    assert review["reviewers"] == ["Fatima"]
    assert review["comments"][0]["target"]["index"] == ranks[theme]
    assert review["comments"][0]["target"]["kind"] == "insight"
    final = json.loads(session.path("final.json").read_text(encoding="utf-8"))
    summary = next(c["text"] for c in final["changes"] if c["kind"] == "summary")
    assert summary.startswith("Comments from 1 participant: Fatima (1 comment).")  # one, not "participant(s)"
