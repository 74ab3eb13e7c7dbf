"""Doubtful words in draft.docx: the words the recogniser was unsure of, shown grey with a dotted underline.

Only run properties change (colour, underline), never the text, so the review's matching by text and the
bookmarks are unaffected. The words come from the session's transcript.json through a `DoubtfulWords` (in practice
`pipeline.insights.confidence.Recognition`, handed over by the stage runner: review imports only core).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.core.types import Insight

if TYPE_CHECKING:  # python-docx is imported inside the functions that need it
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

DOUBT_GREY = (0x76, 0x76, 0x76)  # grey text of doubtful words: still 4.5:1 contrast on white
VERBATIM = 0.8  # share of an insight text's words found in one quote for the text to count as that quote's sentence


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w']+", text.lower()))


class DoubtfulWords(Protocol):
    """Which words of a text, said from `start` (to `end`), the recogniser was unsure of."""

    def doubtful(self, text: str, start: float, end: float | None = None) -> list[tuple[int, int]]:
        """Character spans of the doubtful words of `text`."""
        ...


class Doubt:
    """Marks doubtful words as runs are added, and counts them (no marks: no explanation line)."""

    def __init__(self, words: DoubtfulWords | None) -> None:
        self.words = words
        self.count = 0

    def spans(self, text: str, start: float, end: float | None = None) -> list[tuple[int, int]]:
        return self.words.doubtful(text, start, end) if self.words is not None else []

    def insight_spans(self, insight: Insight) -> list[tuple[int, int]]:
        """The doubtful words of an insight's text, looked up at the time of the quote it was taken from.

        Only a text that is (nearly) a quote's sentence is marked: an extractive text is its seed sentence cleaned
        of fillers; a reworded (generative) text has no recognised words of its own.
        """
        def overlap(quote: Any) -> float:
            said = _words(quote.text)
            return sum(1 for w in _words(insight.text) if w in said) / max(1, len(_words(insight.text)))

        source = max(insight.quotes, key=overlap, default=None)
        if source is None or overlap(source) < VERBATIM:
            return []
        return self.spans(insight.text, source.start, source.end)

    def add(self, paragraph: Paragraph, text: str, spans: Sequence[tuple[int, int]] = (), *, offset: int = 0,
            italic: bool = False, size: float | None = None) -> None:
        """Add `text` as runs; the spans (shifted by `offset`) get grey text with a dotted underline."""
        from docx.enum.text import WD_UNDERLINE
        from docx.shared import Pt, RGBColor

        pieces, pos = [], 0
        for a, b in sorted((a + offset, b + offset) for a, b in spans):
            if a >= pos:
                pieces += [(text[pos:a], False), (text[a:b], True)]
                pos = b
        pieces.append((text[pos:], False))
        for piece, doubtful in pieces:
            if not piece:
                continue
            run = paragraph.add_run(piece)
            run.italic = italic or None
            if size is not None:
                run.font.size = Pt(size)
            if doubtful:
                run.font.color.rgb = RGBColor(*DOUBT_GREY)
                run.font.underline = WD_UNDERLINE.DOTTED
                self.count += 1

    def add_note(self, doc: DocxDocument, lab: Mapping[str, str], before: Paragraph | None, after: Paragraph) -> None:
        """The one line that explains the mark: before `before` (the review note's last line), else after `after`."""
        if not self.count:
            return
        note = doc.add_paragraph()
        self.add(note, lab["doubt_sample"], [(0, len(lab["doubt_sample"]))])
        self.count -= 1  # the sample is not a mark in the text
        note.add_run(lab["doubt_note"])
        if before is not None:
            before._p.addprevious(note._p)
        else:
            after._p.addnext(note._p)
