"""session -> draft.docx: the Word document participants comment on (and the look of final.docx).

The draft carries two things `review.collect` relies on, both plain Word features that Word and LibreOffice keep
when they save:
- custom document properties `OogstSession` (session name), `OogstInsights` (hash of the insights the draft was
  made from) and `OogstKind` ("draft" or "final"), so a copy from another session is recognised;
- a bookmark around every unit a comment can be about (`oogst_insight_<rank>`, its theme's heading in the summary
  `oogst_insight_<rank>_theme`, `oogst_summary_<i>`,
  `oogst_action_<i>_<col>`, `oogst_missing`, `oogst_turn_<turn id>`, ...), so a comment maps to its insight even when
  LibreOffice renumbers comment ids.

A moment of the conversation is shown as `[mm:ss]` (`timestamp`; a quote's after it, as text); a series' earlier
action's and every summary sentence's link to their turn's bookmark in the transcript appendix (`add_moment`), the
sentence's small and grey in front of it.

Words the recogniser was unsure of (`DoubtfulWords`, from the session's transcript.json) are shown grey with a
dotted underline in the top 7, the actions and the transcript appendix, explained by one line under the review
note. Only the run properties change: the text, and so the review's matching by text, stays the same.
"""

from __future__ import annotations

import datetime
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from pipeline.core.language import format_date, texts
from pipeline.core.layers import is_added
from pipeline.core.session import DRAFT, Session, atomic_write_bytes, cache_key
from pipeline.core.types import TOP_N, Action, Insight, Insights, Recognised, SummarySection, Turns
from pipeline.review.doubt import Doubt, DoubtfulWords
from pipeline.review.sections import add_phase_timeline, add_speaking_time, header_table, percent

if TYPE_CHECKING:  # python-docx is imported inside the functions that need it
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

    from pipeline.privacy.shared import Shared

log = logging.getLogger(__name__)

BOOKMARK_PREFIX = "oogst_"
PROP_SESSION = "OogstSession"
PROP_INSIGHTS = "OogstInsights"
PROP_KIND = "OogstKind"
PROP_TITLE = "OogstTitle"
PROP_DATE = "OogstDate"

_CUSTOM_PROPS_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_PROPS_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"

def timestamp(seconds: float) -> str:
    """[mm:ss] below an hour, [h:mm:ss] from an hour on."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"[{hours}:{minutes:02d}:{secs:02d}]" if hours else f"[{minutes:02d}:{secs:02d}]"


def insights_hash(insights: Insights) -> str:
    """The identity of an insights artefact as embedded in a draft (stable across JSON formatting). The actions' ids
    are bookkeeping, not content: a draft written before actions had ids is still the same draft."""
    data = Insights.from_dict(insights.to_dict()).to_dict()
    data["actions"] = [{k: v for k, v in action.items() if k != "id"} for action in data["actions"]]
    return cache_key(data)[:32]


def participants(turns: Turns, insights: Insights) -> list[str]:
    """Display names in order of first speaking, then anyone named only in the insights."""
    names: list[str] = []
    for turn in turns.turns:
        name = turns.name(turn.speaker)
        if name not in names:
            names.append(name)
    for label, name in turns.speakers.items():
        if (name or label) not in names:
            names.append(name or label)
    for insight in insights.insights:
        for name in insight.speakers:
            if name not in names:
                names.append(name)
    return names


def insight_heading_text(insight: Insight) -> str:
    """The text of an insight's numbered paragraph: "<title>: <sentence>"."""
    return f"{insight.title}: {insight.text}" if insight.title else insight.text


def quote_text(quote: Any) -> str:
    return f"\u201c{quote.text.strip()}\u201d \u2013 {quote.speaker} {timestamp(quote.start)}"


def summary_lines(part: SummarySection, lines: int) -> list[tuple[int, float | None, str]]:
    """A summary paragraph as the draft shows it, a paragraph per sentence said: (its line in `summary`, 1..`lines`,
    its bookmark; its moment; its text); the facilitator's paragraph in one piece on its first sentence's line and
    at that moment (line 0 and no moment when it holds none)."""
    said = [(s.line, s) for s in part.sentences if s.line is not None and 0 < s.line <= lines]
    if part.written is None:
        return [(line, s.start, part.said(s)) for line, s in said]
    return [(said[0][0], said[0][1].start, part.written) if said else (0, None, part.written)]


def summary_line_text(moment: float | None, text: str) -> str:
    """A summary line's paragraph text in the draft: `[mm:ss] text`."""
    return text if moment is None else f"{timestamp(moment)} {text}"


# -- low-level WordprocessingML helpers ------------------------------------------------------------------------
class _Bookmarks:
    """Hands out bookmark ids; a bookmark may span several paragraphs."""

    def __init__(self) -> None:
        self.next_id = 100

    def start(self, paragraph: Paragraph, name: str) -> int:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        bid = self.next_id
        self.next_id += 1
        element = OxmlElement("w:bookmarkStart")
        element.set(qn("w:id"), str(bid))
        element.set(qn("w:name"), name)
        p = paragraph._p
        ppr = p.find(qn("w:pPr"))
        if ppr is not None:
            ppr.addnext(element)
        else:
            p.insert(0, element)
        return bid

    @staticmethod
    def end(paragraph: Paragraph, bid: int) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        element = OxmlElement("w:bookmarkEnd")
        element.set(qn("w:id"), str(bid))
        paragraph._p.append(element)

    def wrap(self, paragraph: Paragraph, name: str) -> None:
        self.end(paragraph, self.start(paragraph, name))


def add_moment(paragraph: Paragraph, seconds: float, turn: str | None, *, quiet: bool = False) -> None:
    """A moment of the conversation as the draft shows it (`[mm:ss]`, `timestamp`): a link to its turn in the
    transcript appendix (bookmark `oogst_turn_<id>`, Ctrl+click in Word) when `turn` is given, else plain text.

    Args:
        quiet: small and grey, not underlined, followed by a space: a moment in front of running text (the
            summary's sentences) that a reader can pass over.
    """
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "808080" if quiet else "1F4E79")
    rpr.append(color)
    if quiet:
        for tag in ("w:sz", "w:szCs"):
            size = OxmlElement(tag)
            size.set(qn("w:val"), "16")  # 8 pt
            rpr.append(size)
    elif turn is not None:
        underline = OxmlElement("w:u")
        underline.set(qn("w:val"), "single")
        rpr.append(underline)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = timestamp(seconds)
    run.append(text)
    if turn is None:
        paragraph._p.append(run)
    else:
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), f"{BOOKMARK_PREFIX}turn_{turn}")
        link.append(run)
        paragraph._p.append(link)
    if quiet:
        paragraph.add_run(" ")


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str) -> Any:
        run = OxmlElement("w:r")
        fld = OxmlElement("w:fldChar")
        fld.set(qn("w:fldCharType"), kind)
        run.append(fld)
        return run

    paragraph._p.append(char("begin"))
    run = OxmlElement("w:r")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run.append(instr)
    paragraph._p.append(run)
    paragraph._p.append(char("separate"))
    shown = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    shown.append(text)
    paragraph._p.append(shown)
    paragraph._p.append(char("end"))


def _set_language(doc: DocxDocument, language: str) -> None:
    """Spell-check the document in its own language."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tag = "en-GB" if language.lower().startswith("en") else "nl-NL"
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), tag)
    doc.core_properties.language = tag


def _add_custom_properties(doc: DocxDocument, props: dict[str, str]) -> None:
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    items = "".join(
        f'<property fmtid="{_CUSTOM_FMTID}" pid="{pid}" name="{escape(name)}"><vt:lpwstr>{escape(value)}'
        "</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(props.items(), start=2)
    )
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           f"{items}</Properties>")
    package = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"), _CUSTOM_PROPS_CT, xml.encode("utf-8"), package)
    package.relate_to(part, _CUSTOM_PROPS_RT)


def _add_footer_page_numbers(doc: DocxDocument, lab: Mapping[str, str]) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for section in doc.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(lab["page"])
        _add_field(paragraph, "PAGE")
        paragraph.add_run(lab["of"])
        _add_field(paragraph, "NUMPAGES")


# -- the document ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DocSpec:
    """What goes into a draft or final document besides the insights themselves."""

    title: str
    date: datetime.date
    participants: tuple[str, ...]
    session_name: str
    insights_hash: str
    kind: str = "draft"  # "draft" | "final"
    review_note: bool = True
    missing_line: bool = True
    changes: tuple[str, ...] = ()  # final.docx: one line per change
    changes_heading: bool = False
    recogniser: str = ""  # the speech recognition model behind the transcript, named on the last line


def _add_insight(doc: DocxDocument, insight: Insight, lab: Mapping[str, str], marks: _Bookmarks, doubt: Doubt,
                 unsure: bool = False) -> None:
    head = doc.add_paragraph(style="List Number")
    bid = marks.start(head, f"{BOOKMARK_PREFIX}insight_{insight.rank}")
    if insight.title:
        head.add_run(insight.title).bold = True
        head.add_run(": ")
    doubt.add(head, insight.text, doubt.insight_spans(insight))
    last = head
    if insight.speakers:
        who = doc.add_paragraph(style="List Continue")
        who.add_run(f"{lab['raised_by']}: ").italic = True
        who.add_run(", ".join(insight.speakers))
        last = who
    for quote in insight.quotes[:2]:
        para = doc.add_paragraph(style="List Continue")
        spans = doubt.spans(quote.text.strip(), quote.start, quote.end)
        doubt.add(para, quote_text(quote), spans, offset=1, italic=True, size=10)  # offset: the opening quote mark
        last = para
    if unsure:  # built on words the recogniser was unsure of: say so under it, inside its bookmark
        last = doc.add_paragraph(style="List Continue")
        last.add_run(lab["insight_unsure"]).italic = True
    marks.end(last, bid)


def _add_actions(doc: DocxDocument, actions: Sequence[Action], lab: Mapping[str, str], marks: _Bookmarks,
                 doubt: Doubt) -> None:
    marks.wrap(doc.add_heading(lab["actions"], level=1), f"{BOOKMARK_PREFIX}section_actions")
    if not actions:
        doc.add_paragraph(lab["no_actions"])
        return
    table = header_table(doc, (lab["who"], lab["what"], lab["when"]))
    for i, action in enumerate(actions, start=1):
        cells = table.add_row().cells
        values = (action.owner or lab["nobody"], action.text, action.due or "")
        for col, (cell, value) in enumerate(zip(cells, values, strict=True)):
            heard = col == 1 and not is_added(action)  # one the facilitator added was typed, never heard
            doubt.add(cell.paragraphs[0], value, doubt.spans(value, action.start) if heard else ())
            marks.wrap(cell.paragraphs[0], f"{BOOKMARK_PREFIX}action_{i}_{col}")


# A section another part adds after the action points (e.g. a series' earlier actions): it gets the document and
# a function that bookmarks a paragraph as `oogst_<name>`, so a comment on it is tied to it.
Section = Callable[["DocxDocument", Callable[["Paragraph", str], None]], None]


def build_document(spec: DocSpec, insights: Insights, turns: Turns | None,
                   words: DoubtfulWords | None = None, sections: Sequence[Section] = (),
                   recognition: Recognised | None = None) -> DocxDocument:
    """The python-docx Document of a draft (turns given: transcript appendix, speaking time) or final document.

    Args:
        words: the recogniser's doubtful words (None for an imported transcript, and for final.docx): marked.
        sections: added after the action points, in order.
        recognition: how well the session was recognised: a poor one gets a warning under the heading, and
            insights built on uncertain words a line saying so (None: no warning).
    """
    import docx
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    lab = texts(insights.language, "draft")
    marks = _Bookmarks()
    doubt = Doubt(words)
    doc = docx.Document()
    _set_language(doc, insights.language)
    doc.core_properties.title = spec.title
    doc.core_properties.author = "Oogst"
    doc.core_properties.subject = f"{spec.kind} {spec.session_name}"
    doc.core_properties.identifier = f"oogst:{spec.session_name}:{spec.insights_hash}"
    _add_custom_properties(doc, {PROP_SESSION: spec.session_name, PROP_INSIGHTS: spec.insights_hash,
                                 PROP_KIND: spec.kind, PROP_TITLE: spec.title,
                                 PROP_DATE: spec.date.isoformat()})

    marks.wrap(doc.add_heading(spec.title, level=0), f"{BOOKMARK_PREFIX}title")
    meta = doc.add_paragraph()
    meta.add_run(f"{lab['date']}: ").bold = True
    meta.add_run(format_date(spec.date, insights.language))
    meta.add_run().add_break()
    meta.add_run(f"{lab['participants']}: ").bold = True
    meta.add_run(", ".join(spec.participants))
    written_by = insights.generated_by  # --insights llm: which model and server wrote the text
    if isinstance(written_by, dict) and written_by.get("note"):
        meta.add_run().add_break()
        meta.add_run(str(written_by["note"])).italic = True
    marks.wrap(meta, f"{BOOKMARK_PREFIX}meta")
    if recognition is not None and recognition.poor:
        warning = doc.add_paragraph()
        warning.add_run(lab["poor_recognition_lead"]).bold = True
        warning.add_run(lab["poor_recognition"].format(uncertain=recognition.uncertain, words=recognition.words,
                                                       share=percent(recognition.share)))
        marks.wrap(warning, f"{BOOKMARK_PREFIX}recognition")

    if spec.review_note:
        heading = doc.add_heading(lab["howto"], level=1)
        bid = marks.start(heading, f"{BOOKMARK_PREFIX}howto")
        last = doc.add_paragraph(lab["howto_intro"])
        for key in ("howto_up", "howto_down", "howto_reword", "howto_missing"):
            last = doc.add_paragraph(lab[key], style="List Bullet")
        last = doc.add_paragraph(lab["howto_return"])
        marks.end(last, bid)
        note_before: Paragraph | None = last
    else:
        note_before = None

    if spec.changes_heading:
        marks.wrap(doc.add_heading(lab["changes"], level=1), f"{BOOKMARK_PREFIX}section_changes")
        for i, line in enumerate(spec.changes, start=1):
            marks.wrap(doc.add_paragraph(line, style="List Bullet"), f"{BOOKMARK_PREFIX}change_{i}")

    appendix = turns is not None and bool(turns.turns)

    def turn_at(seconds: float) -> str | None:
        """The id of the appendix turn said at that moment (None without an appendix: final.docx)."""
        n = turns.at(seconds) if turns is not None and appendix else None
        return (turns.turns[n].id or None) if turns is not None and n is not None else None

    if insights.summary:
        marks.wrap(doc.add_heading(lab["summary"], level=1), f"{BOOKMARK_PREFIX}section_summary")
        shown: set[int] = set()
        themes = {i.title: i.rank for i in insights.insights}
        for part in insights.sections or ():  # the summary as paragraphs: a phase or a theme each
            heading = doc.add_heading(part.heading, level=2)
            if part.phase is None and part.heading in themes:  # a comment on a theme's heading is about its insight
                marks.wrap(heading, f"{BOOKMARK_PREFIX}insight_{themes[part.heading]}_theme")
            shown.update(s.line for s in part.sentences if s.line is not None)
            if part.lead and part.written is None:
                doc.add_paragraph().add_run(part.lead).italic = True
            # a paragraph per sentence said, each after its moment; the facilitator's paragraph in one piece
            for number, moment_at, text in summary_lines(part, len(insights.summary)):
                paragraph = doc.add_paragraph()
                if moment_at is not None:
                    add_moment(paragraph, moment_at, turn_at(moment_at), quiet=True)
                paragraph.add_run(text)
                if number:  # a comment on the facilitator's paragraph goes to its first sentence's line
                    marks.wrap(paragraph, f"{BOOKMARK_PREFIX}summary_{number}")
        for i, line in enumerate(insights.summary, start=1):
            if i not in shown:  # a summary without sections (made before them), or a line no section holds
                marks.wrap(doc.add_paragraph(line), f"{BOOKMARK_PREFIX}summary_{i}")

    top = min(TOP_N, len(insights.insights))  # "Top 6" when the facilitator dropped one
    marks.wrap(doc.add_heading(lab["top"].format(n=top), level=1), f"{BOOKMARK_PREFIX}section_top")
    for insight in insights.insights[:TOP_N]:
        _add_insight(doc, insight, lab, marks, doubt, recognition is not None and recognition.unsure(insight))
    if spec.missing_line:
        missing = doc.add_paragraph()
        missing.add_run(lab["missing"]).bold = True
        marks.wrap(missing, f"{BOOKMARK_PREFIX}missing")

    _add_actions(doc, insights.actions, lab, marks, doubt)

    def mark(paragraph: Paragraph, name: str) -> None:
        marks.wrap(paragraph, f"{BOOKMARK_PREFIX}{name}")

    for section in sections:
        section(doc, mark)
    if turns is not None and turns.turns:
        add_phase_timeline(doc, turns, insights.language, mark)  # intervision phases, when there are any
        add_speaking_time(doc, turns, insights.language, mark)

    if turns is not None and turns.turns:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        marks.wrap(doc.add_heading(lab["appendix"], level=1), f"{BOOKMARK_PREFIX}section_appendix")
        for turn in turns.turns:
            para = doc.add_paragraph()
            para.add_run(f"{timestamp(turn.start)} ")
            para.add_run(f"{turns.name(turn.speaker)}: ").bold = True
            text = turn.text.strip()
            doubt.add(para, text, doubt.spans(text, turn.start, turn.end))
            marks.wrap(para, f"{BOOKMARK_PREFIX}turn_{turn.id}")  # by id: a comment stays with its turn

    doubt.add_note(doc, lab, note_before, meta)
    if spec.recogniser:
        last = doc.add_paragraph()
        run = last.add_run(lab["recognised_by"].format(model=spec.recogniser))
        run.italic = True
        run.font.size = Pt(8)
        marks.wrap(last, f"{BOOKMARK_PREFIX}recogniser")
    _add_footer_page_numbers(doc, lab)
    return doc


def save_document(doc: DocxDocument, path: Path) -> Path:
    buffer = io.BytesIO()
    doc.save(buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def write_draft(session: Session, turns: Turns, insights: Insights, *, title: str, date: datetime.date,
                path: Path | None = None, words: DoubtfulWords | None = None, shared: Shared | None = None,
                sections: Sequence[Section] = (), recogniser: str = "", recognition: Recognised | None = None) -> Path:
    """Write the review draft (default `<session>/draft.docx`) and return its path.

    Args:
        words: the recogniser's words of the session (None for an imported transcript): doubtful ones are marked.
        shared: the session is pseudonymised: every text (title, session name in the properties, turns,
            insights) goes through it; the draft still carries the hash of the original insights for `collect`.
        sections: added after the action points (`Section`), e.g. a series' earlier actions.
        recogniser: the speech recognition model, named on the draft's last line (empty: no line).
        recognition: how well the session was recognised (`build_document`); None for an imported transcript.
    """
    target = Path(path) if path is not None else session.path(DRAFT)
    source_hash, name = insights_hash(insights), session.name
    if shared is not None:
        turns, insights = shared.turns(turns), shared.insights(insights)
        title, name = shared.text(title, any_case=True), shared.text(session.name, any_case=True)
    spec = DocSpec(title=title, date=date, participants=tuple(participants(turns, insights)),
                   session_name=name, insights_hash=source_hash, recogniser=recogniser)
    save_document(build_document(spec, insights, turns, words, sections, recognition), target)
    log.info("wrote %s (%d insights, %d turns)", target, min(TOP_N, len(insights.insights)), len(turns.turns))
    return target
