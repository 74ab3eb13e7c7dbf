"""The corrected transcript as a Word document: a heading, the date, the participants, one paragraph per turn
(time, speaker in bold, the text), in the look of the draft (`review.draft`'s helpers: language, page numbers,
the time stamps and the order of the participants)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from pipeline.core.language import format_date, texts
from pipeline.core.types import Insights
from pipeline.review.draft import _add_footer_page_numbers, _set_language, participants, timestamp

if TYPE_CHECKING:
    from pipeline.export import Material


def transcript_docx(what: Material) -> bytes:
    import docx
    from docx.shared import Pt, RGBColor

    assert what.turns is not None
    draft, lab = texts(what.language, "draft"), texts(what.language, "export")
    doc = docx.Document()
    _set_language(doc, what.language)
    doc.core_properties.title = f"{what.title} \u2013 {lab['transcript']}"
    doc.core_properties.author = "Oogst"
    doc.core_properties.subject = f"transcript {what.name}"
    doc.add_heading(what.title, level=0)
    meta = doc.add_paragraph()
    if what.date:
        meta.add_run(f"{draft['date']}: ").bold = True
        meta.add_run(format_date(what.date, what.language))
        meta.add_run().add_break()
    meta.add_run(f"{draft['participants']}: ").bold = True
    meta.add_run(", ".join(participants(what.turns, what.insights or Insights(what.language, (), (), ()))))
    if what.pseudonymised:
        meta.add_run().add_break()
        meta.add_run(lab["docx_pseudonymised"]).italic = True
    doc.add_heading(lab["transcript"], level=1)
    for turn in what.turns.turns:
        para = doc.add_paragraph()
        para.paragraph_format.space_after = Pt(4)
        when = para.add_run(f"{timestamp(turn.start)} ")
        when.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
        when.font.size = Pt(9)
        para.add_run(f"{what.turns.name(turn.speaker)}: ").bold = True
        para.add_run(" ".join(turn.text.split()))
    _add_footer_page_numbers(doc, draft)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
