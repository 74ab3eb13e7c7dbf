"""When an action is due: the time expression as spoken ("voor vrijdag") and, given the session date, the ISO date.

Dates are resolved only where the words fix one day: a weekday is the first such day after the session ("dinsdag"
said on a Tuesday is a week later), "morgen"/"tomorrow" the next day, "vandaag"/"vanavond"/"today" the session day,
"volgende week"/"next week" the Monday of the next week (the earliest day it can mean), "eind van de week" and "voor
het weekend" that Friday, "eind van de maand" its last day, "over twee weken"/"in two weeks" that many days on,
"week twaalf" that ISO week's Monday, "op de veertiende" the next 14th, and "1 maart"/"the 3rd of March" that date
this year or next (whichever is on or after the session). Anything vaguer ("deze week", "in maart", "voor de
volgende bijeenkomst", "na de zomer") keeps `due` and gets no date. Where a text names a day and a vaguer time, the
day is its due ("ik maak deze week een overzicht en vrijdag ga ik ermee naar haar toe": vrijdag).
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
            "month": "(?:" + "|".join(m.lower() for m in MONTHS[language]) + ")", "number": data["number"],
            "week": data.get("week", r"\d{1,2}"), "ordinal": data.get("ordinal", r"\d{1,2}(?:st|nd|rd|th)")}
    patterns = [*data["patterns"], *lexicon(language)["actions"]["due_extra"]]
    parts = []
    for part in patterns:
        for key, value in fill.items():
            part = part.replace("{" + key + "}", value)
        parts.append(part)
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


DUE = {language: _due_pattern(language) for language in ("nl", "en")}

# A day named as the origin of something ("het verslag van vandaag", "yesterday's notes") is not a deadline.
_OF_A_DAY = {"nl": re.compile(r"\b(?:van|sinds|vanaf|tot en met)\s+$", re.IGNORECASE),
             "en": re.compile(r"\b(?:of|from|since)\s+$", re.IGNORECASE)}
# Nor is a day of the past ("vorige week dinsdag", "afgelopen maandag", "last Friday").
_PAST_DAY = {"nl": re.compile(r"\b(?:vorige|verleden|afgelopen)(?: week)?\s+$", re.IGNORECASE),
             "en": re.compile(r"\b(?:last|past)(?: week)?\s+$", re.IGNORECASE)}
_NUMBERS = {"een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "a": 1, "one": 1, "two": 2, "three": 3,
            "four": 4, "five": 5, "six": 6}


def due_expression(text: str, language: str) -> str | None:
    """The first time expression in `text` that is a deadline and names a day, as spoken ("voor vrijdag", "next
    Tuesday"), else the first that is a deadline ("deze week"), or None: in "ik maak deze week een overzicht en
    vrijdag ga ik ermee naar haar toe" the day said is vrijdag."""
    lang = text_language(language)
    found = [match.group(0) for match in DUE[lang].finditer(text)
             if (" " in match.group(0).strip() or not _OF_A_DAY[lang].search(text[:match.start()]))
             and not _PAST_DAY[lang].search(text[:match.start()])]
    return next((due for due in found if due_date(due, _ANY_DAY, lang) is not None), found[0] if found else None)


_ANY_DAY = datetime.date(2001, 1, 1)  # a reference date, to ask whether words name one day at all


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
    if re.search(r"\beind(?:e)? van de(?:ze)? week\b|\bend of (?:the|this) week\b|\bv[oó]{2}r het weekend\b"
                 r"|\bbefore the weekend\b", words):
        return session + datetime.timedelta(days=(4 - session.weekday()) % 7)
    if re.search(r"\beind(?:e)? van de(?:ze)? maand\b|\bend of (?:the|this) month\b", words):
        return session.replace(day=calendar.monthrange(session.year, session.month)[1])
    if re.search(r"\b(?:volgende|komende|next|coming) week\b", words) and not re.search(r"\beind|\bend\b", words):
        return next_monday
    week = re.search(r"\bweek (\w+)\b", words)
    week_number = _number(week.group(1)) if week else None
    if week_number is not None and 1 <= week_number <= 53:
        return _week_monday(session, week_number)
    ordinal = re.search(r"\bop de (\w+)\b", words)
    month_day = _ordinal(ordinal.group(1)) if ordinal else None
    if month_day is not None:
        return _day_of_month(session, month_day)
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


_UNITS = ["een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
_TEENS = ["tien", "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien", "negentien"]
_TENS = {"twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50}
_ORDINAL_WORDS = {"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4, "vijfde": 5, "zesde": 6, "zevende": 7,
                  "achtste": 8, "negende": 9}


def _number(word: str) -> int | None:
    """A Dutch cardinal in digits or words up to 59 ("twaalf", "drieëntwintig")."""
    if word.isdigit():
        return int(word)
    if word in _UNITS:
        return _UNITS.index(word) + 1
    if word in _TEENS:
        return _TEENS.index(word) + 10
    if word in _TENS:
        return _TENS[word]
    compound = re.fullmatch(r"(\w+?)(?:en|ën)(twintig|dertig|veertig|vijftig)", word)
    if compound and compound.group(1) in _UNITS:
        return _UNITS.index(compound.group(1)) + 1 + _TENS[compound.group(2)]
    return None


def _ordinal(word: str) -> int | None:
    """A Dutch ordinal day of the month ("veertiende", "14e", "eenentwintigste") as its number, 1..31."""
    digits = re.fullmatch(r"(\d{1,2})(?:e|de|ste)", word)
    if digits:
        day = int(digits.group(1))
    elif word in _ORDINAL_WORDS:
        day = _ORDINAL_WORDS[word]
    elif word.endswith("ste") or word.endswith("de"):
        day = _number(word[:-3] if word.endswith("ste") else word[:-2]) or 0
    else:
        day = 0
    return day if 1 <= day <= 31 else None


def _week_monday(session: datetime.date, week: int) -> datetime.date | None:
    """The Monday of ISO week `week`, this year's or next year's, whichever week has not ended at the session."""
    for year in (session.isocalendar()[0], session.isocalendar()[0] + 1):
        try:
            monday = datetime.date.fromisocalendar(year, week, 1)
        except ValueError:
            continue
        if monday + datetime.timedelta(days=6) >= session:
            return monday
    return None


def _day_of_month(session: datetime.date, day: int) -> datetime.date | None:
    """The next date on or after the session whose day of the month is `day`."""
    year, month = session.year, session.month
    for _ in range(13):
        try:
            candidate = datetime.date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= session:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None
