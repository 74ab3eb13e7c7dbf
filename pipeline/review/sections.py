"""The draft's sections with a chart, and the pieces every Word section is built from (a table with a bold header
row in the house style, a chart as PNG).

Speaking time: per participant the share of speaking time, the number of turns and the longest
uninterrupted turn, as a table and a bar chart (matplotlib, drawn off-screen), with a gentle note when one person
takes more than half of the time in a group of four or more.

A turn here is what the others hear as one: consecutive turns of turns.json by the same person (nobody else in
between) count once, and its length is the speech in it (the pauses inside are not counted). Speaking time is the
sum of the turns' durations, so the shares add up to 100 % of the time someone was speaking.

The session's course: the intervision phases as a small timeline (one bar per phase along the session's minutes)
and a table of the phases with their times and lengths, when the session has phases.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.core.language import clock, texts
from pipeline.core.types import Phase, Turns

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

DOMINANT_SHARE = 0.5  # "more than half of the time": the words, not a tuned figure
DOMINANT_MIN_GROUP = 4  # in a pair or a trio one voice taking half is ordinary


@dataclass(frozen=True)
class SpeakingTime:
    name: str
    seconds: float  # total speech
    share: float  # of everyone's speech, 0..1
    turns: int  # uninterrupted turns
    longest: float  # seconds of speech in the longest uninterrupted turn


def speaking_times(turns: Turns) -> list[SpeakingTime]:
    """Per display name, most speaking time first (ties: who spoke first)."""
    seconds: dict[str, float] = {}
    count: dict[str, int] = {}
    longest: dict[str, float] = {}
    previous: str | None = None
    current = 0.0
    for turn in turns.turns:
        name = turns.name(turn.speaker)
        duration = max(0.0, turn.end - turn.start)
        seconds[name] = seconds.get(name, 0.0) + duration
        if name != previous:
            count[name] = count.get(name, 0) + 1
            current = 0.0
        current += duration
        longest[name] = max(longest.get(name, 0.0), current)
        previous = name
    total = sum(seconds.values())
    order = list(seconds)
    people = [SpeakingTime(name, seconds[name], seconds[name] / total if total else 0.0, count[name], longest[name])
              for name in order]
    return sorted(people, key=lambda p: (-p.seconds, order.index(p.name)))


def dominant(times: list[SpeakingTime]) -> SpeakingTime | None:
    """The one person who took more than half of the time in a group of four or more, else None."""
    if len(times) < DOMINANT_MIN_GROUP:
        return None
    return next((p for p in times if p.share > DOMINANT_SHARE), None)


def percent(share: float) -> str:
    return f"{round(share * 100)} %"


@functools.cache
def fallback_fonts() -> tuple[str, ...]:
    """Font families matplotlib tries after DejaVu Sans for a glyph it lacks, such as an emoji in a participant's
    name (a box otherwise, with a "Glyph missing" warning): Symbola when fontconfig has it (`make sysdeps`)."""
    import shutil
    import subprocess

    from matplotlib import font_manager

    if shutil.which("fc-match") is None:
        return ()
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "Symbola"], capture_output=True, text=True,
                               timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    if "symbola" not in found.lower():  # fontconfig's nearest match: another font, so no Symbola
        return ()
    font_manager.fontManager.addfont(found)  # installed after matplotlib cached its font list
    return ("Symbola",)


def chart_png(times: list[SpeakingTime], language: str) -> bytes:
    """A horizontal bar chart of minutes (seconds, for a short talk) spoken per person, largest on top, as PNG."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # off-screen: no display, no pyplot state
    from matplotlib.figure import Figure

    lab = texts(language, "speaking")
    names = [p.name for p in times][::-1]
    in_minutes = max(p.seconds for p in times) >= 120
    minutes = [p.seconds / (60 if in_minutes else 1) for p in times][::-1]
    with matplotlib.rc_context({"font.family": ["DejaVu Sans", *fallback_fonts()]}):  # names are drawn in it
        figure = Figure(figsize=(6.0, 0.45 * len(times) + 1.0), dpi=150)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        bars = axes.barh(names, minutes, color="#4472C4")
        top = max(minutes, default=0.0) or 1.0
        for bar, person in zip(bars, times[::-1], strict=True):
            axes.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2, percent(person.share),
                      va="center", fontsize=9)
        axes.set_xlim(0, top * 1.15)
        axes.set_xlabel(lab["axis"] if in_minutes else lab["axis_seconds"])
        axes.spines[["top", "right"]].set_visible(False)
        return png_bytes(figure)


def add_speaking_time(doc: DocxDocument, turns: Turns, language: str,
                      mark: Callable[[Paragraph, str], None] | None = None) -> None:
    """The "Spreektijd" section: intro line, table, chart and (when it applies) the gentle note (`mark`: as in
    `section_heading`)."""
    from docx.shared import Cm

    times = speaking_times(turns)
    if not times:
        return
    lab = texts(language, "speaking")
    section_heading(doc, lab["heading"], mark, "section_speaking")
    doc.add_paragraph(lab["intro"])
    table_rows(doc, (lab["who"], lab["share"], lab["time"], lab["turns"], lab["longest"]),
               [(p.name, percent(p.share), clock(p.seconds), str(p.turns), clock(p.longest)) for p in times])
    doc.add_picture(io.BytesIO(chart_png(times, language)), width=Cm(14))
    if (most := dominant(times)) is not None:
        note = doc.add_paragraph()
        note.add_run(lab["note"].format(name=most.name, share=percent(most.share), n=len(times))).italic = True
        if mark is not None:
            mark(note, "speaking_note")


if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table
    from matplotlib.figure import Figure

TABLE_STYLE = "Light Grid Accent 1"


def section_heading(doc: DocxDocument, title: str, mark: Callable[[Paragraph, str], None] | None,
                    bookmark: str) -> None:
    """A section's heading; `mark` bookmarks a paragraph under a name (the draft's bookmarks), so a comment on it is
    placed."""
    heading = doc.add_heading(title, level=1)
    if mark is not None:
        mark(heading, bookmark)


def table_rows(doc: DocxDocument, header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[Table, list[Any]]:
    """A house-style table with `header` and these rows of plain text; the table and each row's cells."""
    table = header_table(doc, header)
    cells = []
    for values in rows:
        row_cells = table.add_row().cells
        for cell, value in zip(row_cells, values, strict=True):
            cell.paragraphs[0].add_run(value)
        cells.append(row_cells)
    return table, cells


def header_table(doc: DocxDocument, header: Sequence[str]) -> Table:
    """A new table in the house style whose first row is `header`, in bold; rows are added by the caller."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles[TABLE_STYLE]
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    return table


def png_bytes(figure: Figure) -> bytes:
    """A matplotlib figure laid out tight, as PNG bytes."""
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

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

    lab = texts(language, "timeline")
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
    """The "Verloop van de sessie" section when the session has intervision phases; nothing otherwise."""
    from docx.shared import Cm

    rows = phase_rows(turns)
    if not rows:
        return
    lab = texts(language, "timeline")
    section_heading(doc, lab["heading"], mark, "section_phases")
    # heading, intro, chart and table move to the next page together rather than split
    intro = lab["intro_pattern"] if turns.phases is not None and turns.phases.found_by == "pattern" else lab["intro"]
    names = texts(language, "methods")
    method = turns.phases.method if turns.phases is not None else None
    if method in names:  # the method the group followed (Dutch, with Frog's analysis), whose steps the labels name
        intro += " " + lab["method"].format(name=names[str(method)])
    doc.add_paragraph(intro).paragraph_format.keep_with_next = True
    doc.add_picture(io.BytesIO(timeline_png(rows, language)), width=Cm(14))
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    table, cells = table_rows(doc, (lab["phase"], lab["time"], lab["length"]),
                              [(row.label, span(row), clock(row.end - row.start)) for row in rows])
    for i, row_cells in enumerate(cells, start=1):
        if mark is not None:
            mark(row_cells[0].paragraphs[0], f"phase_{i}")
    widths = (Cm(6.5), Cm(4.5), Cm(3.0))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for number, table_row in enumerate(table.rows):
        for cell, width in zip(table_row.cells, widths, strict=True):
            cell.width = width
            cell.paragraphs[0].paragraph_format.keep_with_next = number < len(table.rows) - 1
