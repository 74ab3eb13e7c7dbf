"""The summary's paragraphs in the facilitator's words (edits.json "summary", `pipeline.paragraphs`): kept apart
from what was said, applied in insights.json's shape, the draft and the mail; back to what was said; a save on an
older page refused; kept through a re-run while the paragraph is there, dropped with a note when it is not.

The fast tests use a session folder written by hand; the slow ones run the sample's script through the real stages
(Frog and all) and read the draft back with python-docx (the browser test is tests/test_summary_browser.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import docx
import pytest

from pipeline.core.errors import EditConflict, SessionError
from pipeline.core.layers import Edits, apply_edits, carry_section_edits, section_keys
from pipeline.core.session import EDITS, Session
from pipeline.core.settings import Settings
from pipeline.core.types import Insight, Insights, SummarySection, SummarySentence, Turn, Turns
from pipeline.paragraphs import back_to_said, rewrite, shown_sections
from pipeline.service import Oogst

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "recordings" / "voorbeeld-intervisie.txt"
MINE = "De groep zag vooral zorg achter de boosheid van de vader, en raadde een gesprek op school aan."


def sections(advice: str = "Ik zou de vader uitnodigen.") -> tuple[SummarySection, ...]:
    said = SummarySentence
    return (SummarySection("Casus", "casus", "Joris brengt een casus in.",
                           (said("De vader is boos over de cijfers.", "Joris", 10.0, 14.0, 1),), "Joris"),
            SummarySection("Advies", "advice", "In het advies zegt de groep:",
                           (said(advice, "Pieter", 40.0, 44.0, 2), said("Bel hem eerst.", "Sanne", 50.0, 52.0, 3))),
            SummarySection("Afspraken", None, "Afgesproken:", (said("Ik bel dinsdag.", "Joris", 60.0, 62.0, 4),)))


def write_session(out: Path) -> Session:
    session = Session.create(out, "groep")
    turns = Turns({"S1": "Joris", "S2": "Pieter"}, tuple(Turn("S1" if n % 2 else "S2", 10.0 * n, 10.0 * n + 8,
                                                              f"Regel {n}.") for n in range(8)))
    session.write("turns.json", turns.to_dict())
    parts = sections()
    summary = tuple(f"{s.speaker}: {s.text}" for part in parts for s in part.sentences)
    session.write("insights.json", Insights("nl", summary, (Insight(1, "Zorg", "Zorg achter boosheid.", ("Joris",),
                                                                    0.9, ()),), (), sections=parts).to_dict())
    return session


def test_a_rewritten_paragraph_replaces_the_one_said_and_goes_back(tmp_path: Path) -> None:
    session = write_session(tmp_path)
    oogst = Oogst(Settings(out_dir=tmp_path))
    before = json.loads(session.path("insights.json").read_text(encoding="utf-8"))
    key = dict((p.heading, k) for k, p in shown_sections(session))["Advies"]
    rewrite(oogst, session, key, f"  {MINE}\n", base=oogst.version(session, EDITS))

    kept = json.loads(session.path(EDITS).read_text(encoding="utf-8"))["summary"][key]
    assert kept["text"] == MINE and kept["phase"] == "advice" and kept["heading"] == "Advies"
    assert kept["original"] == ("In het advies zegt de groep: Ik zou de vader uitnodigen (Pieter). "
                                "Bel hem eerst (Sanne).")
    assert Edits.from_dict(json.loads(session.path(EDITS).read_text(encoding="utf-8"))).to_dict() == \
        json.loads(session.path(EDITS).read_text(encoding="utf-8"))  # the layer reads back as it was written
    assert json.loads(session.path("insights.json").read_text(encoding="utf-8")) == before  # never changed

    edited = apply_edits(session.insights(), session.edits())
    data = edited.to_dict()
    assert data["summary"] == before["summary"]  # summary keeps its shape (lines, bookmarks, review targets)
    advice = data["summary_sections"][1]
    assert set(before["summary_sections"][1]) < set(advice)  # only keys added
    assert advice["text"] == MINE and advice["edited"] is True
    assert advice["original_text"] == before["summary_sections"][1]["text"]
    assert advice["sentences"] == before["summary_sections"][1]["sentences"]  # what was said, with its times
    assert "edited" not in data["summary_sections"][0]
    assert Insights.from_dict(data).sections == edited.sections  # a sent version reads back with the edit

    back_to_said(oogst, session, key)
    assert session.edits().summary == {}
    assert apply_edits(session.insights(), session.edits()).to_dict()["summary_sections"] == \
        before["summary_sections"]


def test_the_paragraph_as_said_or_an_empty_one_is_no_edit_and_a_missing_one_is_refused(tmp_path: Path) -> None:
    session = write_session(tmp_path)
    oogst = Oogst(Settings(out_dir=tmp_path))
    key, said = next((k, p.text) for k, p in shown_sections(session) if p.heading == "Casus")
    rewrite(oogst, session, key, said)
    assert session.edits().summary == {}
    rewrite(oogst, session, key, "   ")
    assert session.edits().summary == {}
    with pytest.raises(SessionError, match="not in the summary"):
        rewrite(oogst, session, "000000000000", MINE)


def test_a_save_on_an_older_page_is_refused(tmp_path: Path) -> None:
    session = write_session(tmp_path)
    oogst = Oogst(Settings(out_dir=tmp_path))
    keys = [k for k, _ in shown_sections(session)]
    page = oogst.version(session, EDITS)
    rewrite(oogst, session, keys[0], "Eerste tab.", base=page)
    with pytest.raises(EditConflict):
        rewrite(oogst, session, keys[1], "Tweede tab.", base=page)
    assert {k: e.text for k, e in session.edits().summary.items()} == {keys[0]: "Eerste tab."}


def test_a_rerun_keeps_an_edit_while_its_paragraph_is_there_and_drops_it_with_a_note_when_not() -> None:
    old = sections()
    key = section_keys(old)[1]
    edits = Edits.from_dict({"summary": {key: {"text": MINE, "heading": "Advies", "phase": "advice"}}})
    again = sections(advice="Nodig de vader uit voor een gesprek.")  # other sentences, the same phase and heading
    assert carry_section_edits(edits, again, now="2026-01-01T10:00:00+01:00") is edits
    assert apply_edits(Insights("nl", (), (), (), sections=again), edits).sections[1].text == MINE

    relabelled = (again[0], SummarySection("Verkenning", "advice", "", again[1].sentences), again[2])
    carried = carry_section_edits(edits, relabelled, now="2026-01-01T10:00:00+01:00")
    assert carried.summary == {}
    assert [(e.key, e.heading, e.text, e.dropped_at) for e in carried.summary_dropped] == \
        [(key, "Advies", MINE, "2026-01-01T10:00:00+01:00")]
    assert apply_edits(Insights("nl", (), (), (), sections=relabelled), carried).sections == relabelled
    assert Edits.from_dict(carried.to_dict()) == carried


def test_two_cases_keep_their_own_paragraphs() -> None:
    """Two cases in one session: two "casus" paragraphs with one heading, each its own key."""
    first = sections()[0]
    keys = section_keys((first, first, sections()[1]))
    assert len(set(keys)) == 3 and keys[1] == f"{keys[0]}-2"


# -- the real stages: the sample's script, Frog, the draft read back ---------------------------------------------
@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipeline.core.types import RunRequest

    root = tmp_path_factory.mktemp("summary-edits")
    source = root / "sessie.txt"
    shutil.copyfile(SCRIPT, source)
    Oogst(Settings(out_dir=root / "out", quiet=True)).run(RunRequest(str(source), title="Intervisie"))
    return root


def paragraphs_after(doc: docx.document.Document, heading: str) -> list[str]:
    """The paragraphs between a summary heading and the next heading."""
    out, inside = [], False
    for p in doc.paragraphs:
        if p.style.name.startswith("Heading"):
            if inside:
                break
            inside = p.text == heading
        elif inside and p.text:
            out.append(p.text)
    return out


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_the_draft_and_the_mail_carry_the_facilitators_paragraph(processed: Path, tmp_path: Path) -> None:
    from pipeline.core.types import RunRequest
    from pipeline.review.draft import timestamp

    out = tmp_path / "out"
    shutil.copytree(processed / "out", out)
    oogst = Oogst(Settings(out_dir=out, quiet=True))
    session = oogst.session("sessie")
    shown = shown_sections(session)
    key, advice = next((k, p) for k, p in shown if p.phase == "advice")
    others = {p.heading: paragraphs_after(docx.Document(str(session.path("draft.docx"))), p.heading)
              for _, p in shown if p.phase != "advice"}
    rewrite(oogst, session, key, MINE)
    result = oogst.run(RunRequest(str(processed / "sessie.txt")))
    assert "draft" not in result.skipped  # the draft follows the edit

    document = docx.Document(str(session.path("draft.docx")))
    mine = f"{timestamp(advice.sentences[0].start)} {MINE}"  # at the moment its first sentence was said
    assert paragraphs_after(document, advice.heading) == [mine]  # in place of the lead and the sentences said
    assert {h: paragraphs_after(document, h) for h in others} == others  # the other paragraphs as they were
    first = advice.sentences[0].line
    body = document.element.body.xml
    at = body.index(f'w:name="oogst_summary_{first}"')
    assert body.index(MINE) > at and body.index(MINE) < body.index("bookmarkEnd", at)  # a comment on it: line 1
    summary = body[body.index('w:name="oogst_section_summary"'):body.index('w:name="oogst_section_top"')]
    assert advice.lead not in summary and not any(s.text in summary for s in advice.sentences)

    mail = oogst.mail_preview(session, ["an@example.nl"])
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    said = text[text.index("Samenvatting"):text.index("Top 7")]  # the mail's summary, before the top 7
    assert MINE in said and advice.lead not in said and advice.sentences[0].text not in said

    oogst.run(RunRequest(str(processed / "sessie.txt"), start="insights"))  # the insights made again: it stays
    assert session.edits().summary[key].text == MINE
    assert paragraphs_after(docx.Document(str(session.path("draft.docx"))), advice.heading) == [mine]


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_a_paragraph_the_rerun_no_longer_has_is_dropped_with_a_note(processed: Path, tmp_path: Path) -> None:
    """The session analysed again in English: no Dutch heading is left, so the edit is moved aside (kept, with
    when) and the draft shows the summary as said."""
    from pipeline.core.types import RunRequest

    out = tmp_path / "out"
    shutil.copytree(processed / "out", out)
    oogst = Oogst(Settings(out_dir=out, quiet=True))
    session = oogst.session("sessie")
    key, advice = next((k, p) for k, p in shown_sections(session) if p.phase == "advice")
    rewrite(oogst, session, key, MINE)
    oogst.run(RunRequest(str(processed / "sessie.txt"), language="en", start="insights"))
    edits = session.edits()
    assert edits.summary == {}
    assert [(e.key, e.heading, e.text) for e in edits.summary_dropped] == [(key, advice.heading, MINE)]
    assert edits.summary_dropped[0].dropped_at
    assert MINE not in docx.Document(str(session.path("draft.docx"))).element.body.xml
    back_to_said(oogst, session, key)  # the note taken away
    assert not session.edits()


def test_a_rewritten_paragraph_is_pseudonymised_like_the_rest(tmp_path: Path) -> None:
    """A pseudonymised session's draft and mail go through `Shared.insights`: the facilitator's words too."""
    from pipeline.privacy.mapping import Pseudonyms
    from pipeline.privacy.shared import Shared

    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, "keep")
    pseudonyms.add_detected("Tim de Vries", "person")
    session = write_session(tmp_path)
    key = section_keys(sections())[1]
    edits = Edits.from_dict({"summary": {key: {"text": "De groep dacht aan Tim de Vries, zijn zoon."}}})
    shared = Shared(pseudonyms, "nl", ["Joris", "Pieter"]).insights(apply_edits(session.insights(), edits))
    assert shared.sections is not None and shared.sections[1].text == "De groep dacht aan [Persoon 1], zijn zoon."
    assert shared.to_dict()["summary_sections"][1]["edited"] is True


# -- every sentence at its moment: the draft, a comment on it, the pseudonymised draft ---------------------------
def summary_paragraphs(document: docx.document.Document) -> dict[str, list[Any]]:
    """The draft's summary paragraphs (python-docx) under each heading of it."""
    out: dict[str, list[Any]] = {}
    heading = None
    for p in document.paragraphs:
        if p.style.name == "Heading 1" and heading is not None:
            break
        if p.style.name == "Heading 2":
            heading = p.text
            out[heading] = []
        elif heading is not None and p.text:
            out[heading].append(p)
    return out


def moment_of(paragraph: Any) -> tuple[str, str | None, Any]:
    """The moment in front of a summary paragraph: its text, the bookmark it links to (None: no link), its run."""
    from docx.oxml.ns import qn

    first = next(el for el in paragraph._p if el.tag in (qn("w:r"), qn("w:hyperlink")))
    run = first.find(qn("w:r")) if first.tag == qn("w:hyperlink") else first
    anchor = first.get(qn("w:anchor")) if first.tag == qn("w:hyperlink") else None
    return "".join(t.text for t in run.iter(qn("w:t"))), anchor, run


def written_draft(tmp_path: Path, shared: Any = None) -> tuple[Session, Oogst, str, Path]:
    """The hand-written session with its advice paragraph rewritten, and its draft written from it."""
    import datetime

    from pipeline.review.draft import write_draft

    session = write_session(tmp_path / "out")
    oogst = Oogst(Settings(out_dir=tmp_path / "out"))
    key = dict((p.heading, k) for k, p in shown_sections(session))["Advies"]
    rewrite(oogst, session, key, MINE)
    path = write_draft(session, session.turns(), apply_edits(session.insights(), session.edits()), title="Groep",
                       date=datetime.date(2026, 3, 5), shared=shared)
    return session, oogst, key, path


def test_every_summary_sentence_shows_its_moment_in_the_draft_linked_to_its_turn(tmp_path: Path) -> None:
    import datetime

    from docx.oxml.ns import qn

    from pipeline.review.draft import timestamp

    session, _, _, path = written_draft(tmp_path)
    document = docx.Document(str(path))
    shown = summary_paragraphs(document)
    turns = session.turns().turns
    body = document.element.body.xml
    for part in sections()[::2]:  # the paragraphs as said: the lead, then a sentence a paragraph, at its moment
        assert [p.text for p in shown[part.heading]] == [part.lead] + [
            f"{timestamp(s.start)} {part.said(s)}" for s in part.sentences]
        for paragraph, sentence in zip(shown[part.heading][1:], part.sentences, strict=True):
            text, anchor, run = moment_of(paragraph)
            said_in = [t for t in turns if t.start <= sentence.start + 0.01][-1]  # the turn it was said in
            assert text == timestamp(sentence.start) and anchor == f"oogst_turn_{said_in.id}"
            assert f'w:name="{anchor}"' in body  # the appendix's turn, where Ctrl+click goes
            assert run.find(qn("w:rPr")).find(qn("w:color")).get(qn("w:val")) == "808080"  # small and grey
            assert run.find(qn("w:rPr")).find(qn("w:sz")).get(qn("w:val")) == "16"
    rewritten = sections()[1]  # the facilitator's paragraph: at its first sentence's moment, no lead
    assert [p.text for p in shown[rewritten.heading]] == [f"{timestamp(rewritten.sentences[0].start)} {MINE}"]
    assert moment_of(shown[rewritten.heading][0])[1] == "oogst_turn_t4000"

    from pipeline.review.draft import DocSpec, build_document, insights_hash

    insights = apply_edits(session.insights(), session.edits())  # final.docx: no appendix, so the time unlinked
    spec = DocSpec("Groep", datetime.date(2026, 3, 5), ("Joris",), "groep", insights_hash(insights), kind="final")
    final = summary_paragraphs(build_document(spec, insights, None))
    assert [moment_of(p)[:2] for p in final["Casus"][1:]] == [(timestamp(10.0), None)]


@pytest.mark.parametrize("bookmarks", [True, False], ids=["by-bookmark", "by-text"])
def test_a_comment_on_a_summary_sentence_or_on_the_rewritten_paragraph_lands_on_its_line(
        tmp_path: Path, bookmarks: bool) -> None:
    from docx_helpers import CommentSpec, add_comments

    from tests.test_pseudonymise import _without_bookmarks

    session, oogst, _, path = written_draft(tmp_path)
    copy = add_comments(path, tmp_path / "back.docx", [
        CommentSpec("De vader is boos", "Mooi samengevat", "An"),
        CommentSpec(MINE[:40], "Klopt, zo zagen wij het ook", "Bo"),
        CommentSpec("Ik bel dinsdag", "Wel voor vrijdag graag", "An")])
    if not bookmarks:
        copy = _without_bookmarks(copy, tmp_path / "stripped.docx")
    oogst.collect(session, [copy])
    review = json.loads(session.path("review.json").read_text(encoding="utf-8"))
    targets = {c["text"]: (c["target"]["kind"], c["target"]["index"]) for c in review["comments"]}
    assert targets == {"Mooi samengevat": ("summary", 1), "Klopt, zo zagen wij het ook": ("summary", 2),
                       "Wel voor vrijdag graag": ("summary", 4)}


def test_the_pseudonymised_draft_keeps_the_moments(tmp_path: Path) -> None:
    from pipeline.privacy.mapping import Pseudonyms
    from pipeline.privacy.shared import Shared
    from pipeline.review.draft import timestamp

    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, "pseudonymise")
    _, _, _, path = written_draft(tmp_path, Shared(pseudonyms, "nl", ["Joris", "Pieter", "Sanne"]))
    shown = summary_paragraphs(docx.Document(str(path)))
    agreements = sections()[2]
    text = shown[agreements.heading][1].text
    assert text.startswith(f"{timestamp(agreements.sentences[0].start)} Ik bel dinsdag (")
    assert "Joris" not in text  # the speaker in brackets pseudonymised, the moment kept
    assert moment_of(shown[agreements.heading][1])[1] == "oogst_turn_t6000"
