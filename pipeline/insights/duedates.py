"""When an action is due: the time expression as spoken ("voor vrijdag") and, given the session date, the ISO date.

Dates are resolved only where the words fix one day: a weekday is the first such day after the session ("dinsdag"
said on a Tuesday is a week later), "morgen"/"tomorrow" the next day, "vandaag"/"vanavond"/"today" the session day,
"volgende week"/"next week" the Monday of the next week (the earliest day it can mean), "eind van de week" that
Friday, "eind van de maand" its last day, "over twee weken"/"in two weeks" that many days on, and "1 maart"/"the
3rd of March" that date this year or next (whichever is on or after the session). Anything vaguer ("deze week",
"voor de volgende bijeenkomst", "na de zomer") keeps `due` and gets no date.
"""

from __future__ import annotations

import calendar
import datetime
import re

from pipeline.core.language import MONTHS, WEEKDAYS, text_language
from pipeline.insights.nlp import lexicon


def _due_pattern(language: str) -> re.Pattern[str]:
    """Due expressions of the language, from its lexicon data, with weekday, month and number filled in."""
    data = lexicon(language)["due"]
    fill = {"weekday": "(?:" + "|".join(WEEKDAYS[language]) + ")" + data["day_part"],
            "month": "(?:" + "|".join(m.lower() for m in MONTHS[language]) + ")", "number": data["number"]}
    patterns = [*data["patterns"], *lexicon(language)["actions"]["due_extra"]]
    parts = [part.replace("{weekday}", fill["weekday"]).replace("{month}", fill["month"])
             .replace("{number}", fill["number"]) for part in patterns]
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


DUE = {language: _due_pattern(language) for language in ("nl", "en")}

# A day named as the origin of something ("het verslag van vandaag", "yesterday's notes") is not a deadline.
_OF_A_DAY = {"nl": re.compile(r"\b(?:van|sinds|vanaf|tot en met)\s+$", re.IGNORECASE),
             "en": re.compile(r"\b(?:of|from|since)\s+$", re.IGNORECASE)}
_NUMBERS = {"een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "a": 1, "one": 1, "two": 2, "three": 3,
            "four": 4, "five": 5, "six": 6}


def due_expression(text: str, language: str) -> str | None:
    """The first time expression in `text` that is a deadline, as spoken ("voor vrijdag", "next Tuesday"), or None."""
    lang = text_language(language)
    for match in DUE[lang].finditer(text):
        if " " in match.group(0).strip() or not _OF_A_DAY[lang].search(text[:match.start()]):
            return match.group(0)
    return None


def due_date(due: str | None, session: datetime.date | None, language: str) -> datetime.date | None:
    """The day `due` names, counted from the session date; None when it names no single day (module docstring)."""
    if due is None or session is None:
        return None
    lang = text_language(language)
    words = due.lower()
    weekdays = WEEKDAYS[lang]
    next_monday = session + datetime.timedelta(days=7 - session.weekday())
    for day, name in enumerate(weekdays):
        if re.search(r"\b" + name, words):
            if re.search(r"\b(?:volgende|next) week\b", words):
                return next_monday + datetime.timedelta(days=day)
            return session + datetime.timedelta(days=(day - session.weekday() - 1) % 7 + 1)
    month = next((m for m, name in enumerate(MONTHS[lang], 1) if re.search(r"\b" + name.lower() + r"\b", words)), 0)
    number = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", words)
    if month and number:
        return _on_or_after(session, month, int(number.group(1)))
    if re.search(r"\bovermorgen\b", words):
        return session + datetime.timedelta(days=2)
    if re.search(r"\b(?:morgen|tomorrow)", words):
        return session + datetime.timedelta(days=1)
    if re.search(r"\b(?:vandaag|vanmiddag|vanavond|today|tonight|this afternoon)\b", words):
        return session
    if re.search(r"\beind(?:e)? van de(?:ze)? week\b|\bend of (?:the|this) week\b", words):
        return session + datetime.timedelta(days=(4 - session.weekday()) % 7)
    if re.search(r"\beind(?:e)? van de(?:ze)? maand\b|\bend of (?:the|this) month\b", words):
        return session.replace(day=calendar.monthrange(session.year, session.month)[1])
    if re.search(r"\b(?:volgende|komende|next|coming) week\b", words) and not re.search(r"\beind|\bend\b", words):
        return next_monday
    span = re.search(r"\b(?:over|binnen|in|within) (\w+) (dag|dagen|week|weken|days?|weeks?)\b", words)
    if span and (span.group(1).isdigit() or span.group(1) in _NUMBERS):
        count = int(span.group(1)) if span.group(1).isdigit() else _NUMBERS[span.group(1)]
        return session + datetime.timedelta(days=count * (1 if span.group(2).startswith(("dag", "day")) else 7))
    return None


def _on_or_after(session: datetime.date, month: int, day: int) -> datetime.date | None:
    for year in (session.year, session.year + 1):
        try:
            candidate = datetime.date(year, month, day)
        except ValueError:
            continue
        if candidate >= session:
            return candidate
    return None
