"""Recurring and new themes: each insight of a session compared with the insights of the earlier sessions.

Two insights are the same theme when a content word of one's title is in the other (its title or its sentence) and
title plus sentence share at least two (content words: spaCy lookup lemmas without stop words, the same words the
action follow-up matches on). The title is the insight's 2-5 word theme, so a title word keeps two insights that
merely share everyday words ("team", "gesprek") apart; the second shared word keeps a one-word coincidence apart.
The title word may stand in the other's sentence: a title names the theme in its own words (with Frog's parse, a
phrase of the sentence: "Gesprek met de teamleider" for a sentence about the teamleider and the werkdruk), so the
same theme is often in the other's sentence and not in its title. The rule is the action follow-up's "two shared
content words", not a figure tuned on a fixture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.core.language import MONTHS, text_language, texts
from pipeline.series.actions import MIN_SHARED, content_words

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph


@dataclass(frozen=True)
class ThemeWords:
    title: frozenset[str]
    all: frozenset[str]


def theme_words(title: str, text: str, language: str) -> ThemeWords:
    title_words = frozenset(content_words(title, language))
    return ThemeWords(title_words, title_words | frozenset(content_words(text, language)))


def same_theme(a: ThemeWords, b: ThemeWords) -> bool:
    return bool(a.title & b.all or b.title & a.all) and len(a.all & b.all) >= MIN_SHARED


@dataclass(frozen=True)
class ThemeMark:
    rank: int
    times: int  # sessions with this theme, this one included (1: new)
    since: str  # ISO date of the first session with it ("" when new)


def theme_marks(insights: list[dict[str, Any]], earlier: list[tuple[str, dict[str, Any]]],
                language: str) -> list[ThemeMark]:
    """Per insight ({"rank", "title", "text"}) how many sessions had its theme, and since when."""
    past = [(str(entry.get("date") or ""), [theme_words(i["title"], i["text"], language)
                                            for i in entry.get("insights", [])]) for _, entry in earlier]
    marks = []
    for insight in insights:
        words = theme_words(insight["title"], insight["text"], language)
        dates = [date for date, others in past if any(same_theme(words, other) for other in others)]
        marks.append(ThemeMark(int(insight["rank"]), len(dates) + 1, min(dates) if dates else ""))
    return marks


def ordinal(n: int, language: str = "en") -> str:
    """3 -> "3e" in Dutch, "3rd" in English."""
    if text_language(language) == "nl":
        return f"{n}e"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n if n % 100 not in (11, 12, 13) else 0, 'th') }"


def mark_text(mark: ThemeMark, language: str, today: str) -> str:
    """"terugkerend thema (3e keer, sinds 4 maart)" or "nieuw thema"; the year only when it is another."""
    lab = texts(language, "themes")
    if mark.times <= 1:
        return lab["new"]
    day = dt.date.fromisoformat(mark.since) if mark.since else None
    since = ""
    if day is not None:
        since = f"{day.day} {MONTHS[text_language(language)][day.month - 1]}"
        if not today.startswith(str(day.year)):
            since += f" {day.year}"
    return lab["recurring"].format(nth=ordinal(mark.times, language), since=since or "?")


def theme_annotations(marks: list[ThemeMark], language: str, today: str
                      ) -> Callable[[DocxDocument, Callable[[Paragraph, str], None]], None]:
    """A draft section (`review.draft.Section`) that adds no heading: it puts each insight's theme mark in an italic
    line right under the insight's numbered paragraph (found by its bookmark `oogst_insight_<rank>`)."""

    def add(doc: DocxDocument, mark: Callable[[Paragraph, str], None]) -> None:
        from docx.oxml.ns import qn

        by_rank = {m.rank: m for m in marks}
        for start in list(doc.element.body.iter(qn("w:bookmarkStart"))):
            name = start.get(qn("w:name")) or ""
            if not name.startswith("oogst_insight_") or not name[14:].isdigit():
                continue
            theme = by_rank.get(int(name[14:]))
            if theme is None:
                continue
            heading = start.getparent()
            line = doc.add_paragraph(style="List Continue")  # made at the end, then moved under the insight
            line.add_run(mark_text(theme, language, today)).italic = True
            heading.addnext(line._p)  # inside the insight's bookmark: a comment on the line is about the insight

    return add
