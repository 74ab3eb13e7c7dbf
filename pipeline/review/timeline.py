"""The intervision phases in the draft: a small timeline (one bar per phase along the session's minutes, drawn
off-screen with matplotlib) above a table with each phase's time range and length.

The phases come from turns.json (`phases`, found by `pipeline.insights.phases`). A session without them (a meeting,
a community of practice) gets no section at all: the reason is in turns.json, and a draft is no place to tell a
group that its meeting was not an intervision.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.core.language import clock, text_language
from pipeline.core.types import Phase, Turns
from pipeline.review.parts import header_table, png_bytes

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

LABELS: dict[str, dict[str, str]] = {
    "nl": {"heading": "Verloop van de sessie",
           "intro": "De fasen van de intervisie zoals Oogst ze in het gesprek herkende, aan de aankondigingen en "
                    "aan wie er aan het woord was. Klopt een grens niet? Zet er een opmerking bij.",
           "intro_pattern": "De fasen van de intervisie zoals Oogst ze in het gesprek herkende. Er werd geen "
                            "aankondiging verstaan; de fasen zijn herkend aan wie er aan het woord was en hoe lang. "
                            "Klopt een grens niet? Zet er een opmerking bij.",
           "phase": "Fase", "time": "Tijd", "length": "Duur", "axis": "minuten"},
    "en": {"heading": "How the session went",
           "intro": "The phases of the intervision as Oogst recognised them in the conversation, from what was "
                    "announced and who was speaking. Is a boundary wrong? Add a comment.",
           "intro_pattern": "The phases of the intervision as Oogst recognised them in the conversation. No "
                            "announcement was understood; the phases were recognised from who was speaking and for "
                            "how long. Is a boundary wrong? Add a comment.",
           "phase": "Phase", "time": "Time", "length": "Length", "axis": "minutes"},
}
# One colour per phase, the same in every draft, so a group learns to read them.
COLOURS = {"opening": "#A5A5A5", "casus": "#4472C4", "questions": "#5B9BD5", "advice": "#70AD47",
           "reaction": "#FFC000", "closing": "#ED7D31"}


def phase_rows(turns: Turns) -> list[Phase]:
    """The phases recorded in turns.json (none for a session that is no intervision)."""
    return list(turns.phases.phases) if turns.phases is not None else []


def span(row: Phase) -> str:
    """"m:ss–m:ss"."""
    return f"{clock(row.start)}\u2013{clock(row.end)}"


def timeline_png(rows: list[Phase], language: str) -> bytes:
    """One horizontal bar per phase on a shared axis of minutes, the first phase on top, as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # off-screen: no display, no pyplot state
    from matplotlib.figure import Figure

    lab = LABELS[text_language(language)]
    figure = Figure(figsize=(6.0, 0.32 * len(rows) + 0.9), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for y, row in enumerate(rows):
        start, end = row.start / 60, row.end / 60
        axes.barh(y, end - start, left=start, height=0.7, color=COLOURS.get(row.phase, "#4472C4"))
    axes.set_yticks(range(len(rows)), [row.label for row in rows], fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(rows[0].start / 60, rows[-1].end / 60)
    axes.set_xlabel(lab["axis"], fontsize=9)
    axes.tick_params(axis="x", labelsize=8)
    axes.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    return png_bytes(figure)


def add_phase_timeline(doc: DocxDocument, turns: Turns, language: str,
                       mark: Callable[[Paragraph, str], None] | None = None) -> None:
    """The "Verloop van de sessie" section when the session has intervision phases; nothing otherwise.

    Args:
        mark: bookmarks a paragraph under a name (the draft's bookmarks), so a comment on it is placed.
    """
    from docx.shared import Cm

    rows = phase_rows(turns)
    if not rows:
        return
    lab = LABELS[text_language(language)]
    heading = doc.add_heading(lab["heading"], level=1)
    if mark is not None:
        mark(heading, "section_phases")
    # heading, intro, chart and table move to the next page together rather than split
    intro = lab["intro_pattern"] if turns.phases is not None and turns.phases.found_by == "pattern" else lab["intro"]
    doc.add_paragraph(intro).paragraph_format.keep_with_next = True
    doc.add_picture(io.BytesIO(timeline_png(rows, language)), width=Cm(14))
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    table = header_table(doc, (lab["phase"], lab["time"], lab["length"]))
    for i, row in enumerate(rows, start=1):
        cells = table.add_row().cells
        values = (row.label, span(row), clock(row.end - row.start))
        for cell, value in zip(cells, values, strict=True):
            cell.paragraphs[0].add_run(value)
        if mark is not None:
            mark(cells[0].paragraphs[0], f"phase_{i}")
    widths = (Cm(6.5), Cm(4.5), Cm(3.0))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for number, table_row in enumerate(table.rows):
        for cell, width in zip(table_row.cells, widths, strict=True):
            cell.width = width
            cell.paragraphs[0].paragraph_format.keep_with_next = number < len(table.rows) - 1
