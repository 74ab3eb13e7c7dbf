"""Speaking time in the draft: per participant the share of speaking time, the number of turns and the longest
uninterrupted turn, as a table and a bar chart (matplotlib, drawn off-screen), with a gentle note when one person
takes more than half of the time in a group of four or more.

A turn here is what the others hear as one: consecutive turns of turns.json by the same person (nobody else in
between) count once, and its length is the speech in it (the pauses inside are not counted). Speaking time is the
sum of the turns' durations, so the shares add up to 100 % of the time someone was speaking.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.core.language import clock, text_language
from pipeline.core.types import Turns
from pipeline.review.parts import header_table, png_bytes

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

DOMINANT_SHARE = 0.5  # "more than half of the time": the words, not a tuned figure
DOMINANT_MIN_GROUP = 4  # in a pair or a trio one voice taking half is ordinary

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "heading": "Spreektijd",
        "intro": "Hoe lang ieder aan het woord was: een schatting, bedoeld als gespreksstof en niet als oordeel.",
        "who": "Wie", "share": "Aandeel", "time": "Spreektijd", "turns": "Beurten", "longest": "Langste beurt",
        "axis": "minuten aan het woord", "axis_seconds": "seconden aan het woord",
        "note": ("{name} was {share} van de tijd aan het woord, in een groep van {n}. Dat is niet goed of fout; "
                 "misschien een punt om de volgende keer samen naar te kijken, bijvoorbeeld met een rondje "
                 "waarin ieder eerst iets zegt."),
    },
    "en": {
        "heading": "Speaking time",
        "intro": "How long each person spoke: an estimate, meant to talk about, not as a judgement.",
        "who": "Who", "share": "Share", "time": "Speaking time", "turns": "Turns", "longest": "Longest turn",
        "axis": "minutes speaking", "axis_seconds": "seconds speaking",
        "note": ("{name} spoke {share} of the time, in a group of {n}. That is neither right nor wrong; perhaps "
                 "something to look at together next time, for instance with a round in which everyone speaks "
                 "first."),
    },
}


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


def chart_png(times: list[SpeakingTime], language: str) -> bytes:
    """A horizontal bar chart of minutes (seconds, for a short talk) spoken per person, largest on top, as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # off-screen: no display, no pyplot state
    from matplotlib.figure import Figure

    lab = LABELS[text_language(language)]
    names = [p.name for p in times][::-1]
    in_minutes = max(p.seconds for p in times) >= 120
    minutes = [p.seconds / (60 if in_minutes else 1) for p in times][::-1]
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
    """The "Spreektijd" section: intro line, table, chart and (when it applies) the gentle note.

    Args:
        mark: bookmarks a paragraph under a name (the draft's bookmarks), so a comment on it is placed.
    """
    from docx.shared import Cm

    times = speaking_times(turns)
    if not times:
        return
    lab = LABELS[text_language(language)]
    heading = doc.add_heading(lab["heading"], level=1)
    if mark is not None:
        mark(heading, "section_speaking")
    doc.add_paragraph(lab["intro"])
    table = header_table(doc, (lab["who"], lab["share"], lab["time"], lab["turns"], lab["longest"]))
    for person in times:
        values = (person.name, percent(person.share), clock(person.seconds), str(person.turns),
                  clock(person.longest))
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.paragraphs[0].add_run(value)
    doc.add_picture(io.BytesIO(chart_png(times, language)), width=Cm(14))
    if (most := dominant(times)) is not None:
        note = doc.add_paragraph()
        note.add_run(lab["note"].format(name=most.name, share=percent(most.share), n=len(times))).italic = True
        if mark is not None:
            mark(note, "speaking_note")
