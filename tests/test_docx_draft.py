"""draft.docx: real Word structure (styles, list numbering, table style, page field), identity and anchors."""

from __future__ import annotations

import datetime
import shutil
import time
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx_helpers import convert_to_pdf, libreoffice_comment, pdf_page_count

from pipeline import review
from pipeline.core.session import Session, read_json
from pipeline.core.types import Insights, Turns, Word
from pipeline.insights.confidence import LOW_PROBABILITY, Recognition
from pipeline.review import draft as docx_draft

DATA = Path(__file__).parent / "data" / "session"
DATE = datetime.date(2026, 3, 5)


def make_session(root: Path, name: str = "intervisie-2026-03-05") -> tuple[Session, Turns, Insights]:
    session = Session.create(root, name)
    for artefact in ("turns.json", "insights.json", "transcript.json"):
        shutil.copy(DATA / artefact, session.path(artefact))
    return (session, Turns.from_dict(read_json(session.path("turns.json"))),
            Insights.from_dict(read_json(session.path("insights.json"))))


DOUBTFUL = {"eigenaar", "checklist", "warme"}  # the words the fake recogniser was unsure of


def recognised(turns: Turns, doubtful: set[str] = DOUBTFUL) -> Recognition:
    """Whisper-like words for every turn, spread over its time; the `doubtful` words under the threshold."""
    words = []
    for turn in turns.turns:
        raw = turn.text.split()
        step = (turn.end - turn.start) / len(raw)
        for k, word in enumerate(raw):
            p = LOW_PROBABILITY / 2 if word.strip(".,?:").lower() in doubtful else 0.97
            words.append(Word(turn.start + k * step, turn.start + (k + 1) * step, " " + word, p))
    return Recognition(words)


@pytest.fixture()
def draft(tmp_path):
    """A draft with doubtful words marked: everything below (structure, anchors, LibreOffice) holds with marks."""
    session, turns, insights = make_session(tmp_path)
    path = docx_draft.write_draft(session, turns, insights, title="Intervisie overdracht", date=DATE,
                                  words=recognised(turns))
    return session, turns, insights, path


def test_timestamps_switch_to_hours_after_an_hour():
    assert docx_draft.timestamp(0) == "[00:00]"
    assert docx_draft.timestamp(59.9) == "[00:59]"
    assert docx_draft.timestamp(754) == "[12:34]"
    assert docx_draft.timestamp(3600) == "[1:00:00]"
    assert docx_draft.timestamp(3725.5) == "[1:02:05]"


def test_draft_has_real_word_structure(draft):
    session, turns, insights, path = draft
    assert path == session.path("draft.docx")
    assert not [p for p in session.root.iterdir() if p.name.endswith(".tmp")]
    doc = docx.Document(str(path))
    paragraphs = doc.paragraphs

    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == "Intervisie overdracht"
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings == ["Zo geef je commentaar", "Samenvatting", "Top 7 inzichten", "Actiepunten", "Spreektijd",
                        "Bijlage: volledig transcript"]
    meta = paragraphs[1].text
    assert "5 maart 2026" in meta
    for name in turns.speakers.values():
        assert name in meta
    assert "S1" not in meta

    numbered = [p for p in paragraphs if p.style.name == "List Number"]
    assert len(numbered) == 7  # the fixture has 8 insights: only the top 7 are in the draft
    assert [p.text.split(":")[0] for p in numbered] == [i.title for i in insights.insights[:7]]
    num_id = doc.styles["List Number"].element.pPr.numPr.numId.val
    numbering = doc.part.numbering_part.element
    assert any(n.get(qn("w:numId")) == str(num_id) for n in numbering.findall(qn("w:num")))
    assert "Werkdruk benoemen" not in "\n".join(p.text for p in paragraphs[:-len(turns.turns)])

    body = "\n".join(p.text for p in paragraphs)
    assert "Ingebracht door: Bram Jansen, Carla Smit, Anna de Vries" in body
    first_quote = insights.insights[0].quotes[0]
    assert f"{first_quote.text}\u201d \u2013 Bram Jansen {docx_draft.timestamp(first_quote.start)}" in body
    assert any("Mist er iets?" in p.text for p in paragraphs if p.style.name == "Normal")
    for sentence in insights.summary:
        assert sentence in body

    table, _speaking = doc.tables  # actions, then speaking time
    assert table.style.name == "Light Grid Accent 1"
    assert [c.text for c in table.rows[0].cells] == ["Wie", "Wat", "Wanneer"]
    assert len(table.rows) == 1 + len(insights.actions)
    assert table.rows[2].cells[2].text == "12 maart"
    assert table.rows[4].cells[0].text == "(niet genoemd)"

    transcript = paragraphs[-len(turns.turns):]
    assert transcript[0].text.startswith("[00:05] Anna de Vries: Welkom allemaal.")
    assert transcript[-1].text.startswith("[1:00:15] Dirk Bakker: ")

    footer = doc.sections[0].footer._element
    instructions = [t.text.strip() for t in footer.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert doc.styles["Normal"].element.rPr.find(qn("w:lang")).get(qn("w:val")) == "nl-NL"


def test_draft_carries_identity_and_anchors(draft):
    session, turns, insights, path = draft
    reading = review.read_docx(path)
    assert reading.properties[docx_draft.PROP_SESSION] == session.name
    assert reading.properties[docx_draft.PROP_INSIGHTS] == docx_draft.insights_hash(insights)
    assert reading.properties[docx_draft.PROP_KIND] == "draft"
    assert reading.properties[docx_draft.PROP_DATE] == "2026-03-05"
    targets = {(p.target.kind, p.target.index) for p in reading.paragraphs if p.target}
    assert {("insight", r) for r in range(1, 8)} <= targets
    assert ("insight", 8) not in targets
    assert {("summary", 1), ("summary", 3), ("missing", None), ("action", 4)} <= targets
    # the transcript's turns are marked by their stable ids (turns.json), not by their number
    marked = {p.target.turn for p in reading.paragraphs if p.target and p.target.kind == "transcript"}
    assert marked == {turn.id for turn in turns.turns} and ("transcript", 23) not in targets
    # every paragraph of an insight (title line, who, quotes) points to that insight
    quote_para = next(p for p in reading.paragraphs if insights.insights[2].quotes[1].text in p.text)
    assert (quote_para.target.kind, quote_para.target.index) == ("insight", 3)
    # the hash ignores JSON formatting: re-reading the file gives the same identity
    assert docx_draft.insights_hash(Insights.from_dict(read_json(session.path("insights.json")))) == \
        docx_draft.insights_hash(insights)


def test_english_session_gets_english_texts(tmp_path):
    session, turns, insights = make_session(tmp_path)
    english = Insights.from_dict({**insights.to_dict(), "language": "en"})
    path = docx_draft.write_draft(session, turns, english, title="Peer review", date=DATE,
                                  path=tmp_path / "elsewhere" / "d.docx")
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert path == tmp_path / "elsewhere" / "d.docx"
    assert "How to review" in text and "Anything missing?" in text and "5 March 2026" in text
    assert "Zo geef je commentaar" not in text


@pytest.mark.parametrize(("language", "expected", "other"), [
    ("de", ("How to review", "Anything missing?", "5 March 2026", "Appendix: full transcript"), "Zo geef je"),
    ("nl-BE", ("Zo geef je commentaar", "Mist er iets?", "5 maart 2026", "Bijlage: volledig transcript"), "How to"),
    ("Nederlands", ("Zo geef je commentaar", "Mist er iets?", "5 maart 2026"), "How to"),
])
def test_draft_labels_follow_the_language_fallback(tmp_path, language, expected, other):
    """German (any language without its own labels) falls back to English; Belgian Dutch is Dutch."""
    session, turns, insights = make_session(tmp_path)
    relabelled = Insights.from_dict({**insights.to_dict(), "language": language})
    path = docx_draft.write_draft(session, turns, relabelled, title="Intervisie", date=DATE)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    for label in expected:
        assert label in text, label
    assert other not in text


@pytest.mark.slow
@pytest.mark.needs_system("soffice")
def test_libreoffice_keeps_identity_and_anchors_and_renders(draft, tmp_path):
    session, turns, insights, path = draft
    started = time.monotonic()
    (saved,) = libreoffice_comment([(path, tmp_path / "resaved.docx", [])])
    reading = review.read_docx(saved)
    assert reading.application.lower().startswith("libreoffice")
    assert reading.properties[docx_draft.PROP_SESSION] == session.name
    assert reading.properties[docx_draft.PROP_INSIGHTS] == docx_draft.insights_hash(insights)
    targets = {(p.target.kind, p.target.index) for p in reading.paragraphs if p.target}
    assert {("insight", r) for r in range(1, 8)} | {("missing", None), ("summary", 2)} <= targets
    pdf = convert_to_pdf(path, tmp_path)
    pages = pdf_page_count(pdf)
    print(f"LibreOffice round trip + PDF: {time.monotonic() - started:.1f} s, draft.pdf has {pages} pages")
    assert pages >= 3


def marked_runs(paragraph) -> list[str]:
    """The texts of the runs that carry the doubtful-word mark, checked in the run properties themselves."""
    found = []
    for run in paragraph._p.iter(qn("w:r")):
        rpr = run.find(qn("w:rPr"))
        underline = rpr.find(qn("w:u")) if rpr is not None else None
        color = rpr.find(qn("w:color")) if rpr is not None else None
        dotted = underline is not None and underline.get(qn("w:val")) == "dotted"
        grey = color is not None and color.get(qn("w:val")) == "767676"
        assert dotted == grey, "the mark is grey text and a dotted underline together"
        if dotted:
            found.append("".join(t.text for t in run.iter(qn("w:t"))))
    return found


def test_doubtful_words_are_marked_exactly_and_explained(draft):
    session, turns, insights, path = draft
    doc = docx.Document(str(path))
    paragraphs = doc.paragraphs
    # one explaining line, inside the review note, just before its last line; its sample carries the mark
    (note,) = [p for p in paragraphs if "spraakherkenning" in p.text]
    assert note.text.startswith("Grijs met stippellijn: woorden die de spraakherkenning")
    assert marked_runs(note) == ["Grijs met stippellijn"]
    assert paragraphs[paragraphs.index(note) + 1].text.startswith("Sla het document op")

    # the appendix: exactly the doubtful words, each occurrence, nothing else
    appendix = paragraphs[-len(turns.turns):]
    expected = [w.strip(".,?:") for t in turns.turns for w in t.text.split() if w.strip(".,?:").lower() in DOUBTFUL]
    assert [m for p in appendix for m in marked_runs(p)] == expected
    assert len(expected) == 7  # eigenaar 1, checklist 3, warme 3

    # quotes: Bram's "eigenaar"; an abstractive insight text (not a verbatim sentence) gets no marks
    quote = next(p for p in paragraphs if p.text.startswith("\u201cDank je. Bij ons"))
    assert marked_runs(quote) == ["eigenaar"]
    heading = next(p for p in paragraphs if p.text.startswith("Eigenaarschap expliciet maken:"))
    assert marked_runs(heading) == []
    every = [m for p in paragraphs for m in marked_runs(p)]
    assert {m.lower() for m in every if m != "Grijs met stippellijn"} == DOUBTFUL

    # actions: only the "what" column, found in the tail of the sentence the action came from
    table, _speaking = doc.tables  # actions, then speaking time
    marks = [[marked_runs(c.paragraphs[0]) for c in row.cells] for row in table.rows[1:]]
    assert marks[0] == [[], ["Checklist"], []]
    assert marks[3] == [[], ["checklist"], []]
    assert marks[1] == marks[2] == [[], [], []]
    assert "".join(c.text for c in table.rows[1].cells) == "Bram JansenChecklist voor de overdracht maken en in het " \
        "team besprekenvolgende week"


def test_a_verbatim_insight_text_is_marked(tmp_path):
    session, turns, insights = make_session(tmp_path)
    first = insights.insights[0]
    verbatim = Insights.from_dict({**insights.to_dict(), "insights": [
        {**first.to_dict(), "text": "Bij ons gaat de overdracht vaak mis omdat niemand zich eigenaar voelt."},
        *[i.to_dict() for i in insights.insights[1:]]]})
    path = docx_draft.write_draft(session, turns, verbatim, title="Intervisie", date=DATE, words=recognised(turns))
    heading = next(p for p in docx.Document(str(path)).paragraphs if p.text.startswith("Eigenaarschap"))
    assert marked_runs(heading) == ["eigenaar"]
    assert heading.text == f"{first.title}: Bij ons gaat de overdracht vaak mis omdat niemand zich eigenaar voelt."


@pytest.mark.parametrize("words", [None, Recognition(()), "all sure"])
def test_no_probabilities_or_no_doubt_no_marks_and_no_line(tmp_path, words):
    """An imported transcript (no words), or a recording where every word was sure: no marks, no explaining line."""
    session, turns, insights = make_session(tmp_path)
    if words == "all sure":
        words = recognised(turns, set())
    english = Insights.from_dict({**insights.to_dict(), "language": "en"})
    path = docx_draft.write_draft(session, turns, english, title="Peer review", date=DATE, words=words)
    paragraphs = docx.Document(str(path)).paragraphs
    assert not [m for p in paragraphs for m in marked_runs(p)]
    assert not [p for p in paragraphs if "speech recognition" in p.text]


def test_english_explaining_line(tmp_path):
    session, turns, insights = make_session(tmp_path)
    english = Insights.from_dict({**insights.to_dict(), "language": "en"})
    path = docx_draft.write_draft(session, turns, english, title="Peer review", date=DATE, words=recognised(turns))
    (note,) = [p for p in docx.Document(str(path)).paragraphs if "speech recognition" in p.text]
    assert note.text.startswith("Grey with a dotted underline: words the speech recognition was unsure of")
