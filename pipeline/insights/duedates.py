"""When an action is due: the time expression as spoken ("voor vrijdag") and, given the session date, the ISO date.

Dates are resolved by a small grammar (`due_date`) only where the words fix one day: a calendar date ("1 maart",
"donderdag 3 december", "op de veertiende", "voor de twaalfde", "the 3rd of March"; not an ordinal before its noun:
"vóór de zesde sessie") is the next such date; a weekday the first such day
after the session ("dinsdag" said on a Tuesday is a week later), or the one in the week said ("volgende week
dinsdag", "dinsdag volgende week"), or that many weeks after the first ("dinsdag over een week", "a week from
Tuesday"); "morgen"/"tomorrow", "overmorgen" and "vandaag"/"vanavond"/"today" count from the session; the edge of a
period its edge ("eind van de week", "voor het weekend": that Friday; "eind volgende maand", "eind januari": the
last day; "begin volgende week": the Monday; "half december": the 15th; "eind van het jaar": 31 December);
"volgende week"/"next week" and "volgende maand" their first day (the earliest day they can mean); "dit weekend" its
Saturday, "na het weekend" the Monday; "over twee weken", "over tien dagen", "over een maand", "within a month" that
far on; "week twaalf" that ISO week's Monday; "voor kerst" 25 December. Anything vaguer ("deze week", "in maart",
"voor de volgende bijeenkomst", "voor de zomervakantie", school holidays differ by region) keeps `due` and gets no
date. Where a text names a day and a vaguer time, the day is its due ("ik maak deze week een overzicht en vrijdag ga
ik ermee naar haar toe": vrijdag). The words said are found with the `[due]` patterns of the language's lexicon.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Collection

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
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "twenty": 20, "thirty": 30}
_ENGLISH_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                     "eighth": 8, "ninth": 9, "tenth": 10}


def due_expression(text: str, language: str, attributive: Collection[tuple[str, str]] = ()) -> str | None:
    """The first time expression in `text` that is a deadline and names a day, as spoken ("voor vrijdag", "next
    Tuesday"), else the first that is a deadline ("deze week"), or None: in "ik maak deze week een overzicht en
    vrijdag ga ik ermee naar haar toe" the day said is vrijdag.

    `attributive`: (ordinal, noun) pairs a parser read as an ordinal before its noun ("zesde sessie", from Frog's
    tags): "op de zesde sessie" names a meeting, not the sixth of the month, so such a match is no day."""
    lang = text_language(language)
    found = [_without_verb(match.group(0), text[:match.start()], lang) for match in DUE[lang].finditer(text)
             if (" " in match.group(0).strip() or not _OF_A_DAY[lang].search(text[:match.start()]))
             and not _PAST_DAY[lang].search(text[:match.start()])
             and not _before_its_noun(match, text, attributive)]
    return next((due for due in found if due_date(due, _ANY_DAY, lang) is not None), found[0] if found else None)


def _before_its_noun(match: re.Match[str], text: str, attributive: Collection[tuple[str, str]]) -> bool:
    """Does the match end in an ordinal that the parse put before its noun ("op de zesde | sessie")?"""
    if not attributive:
        return False
    words = match.group(0).split()
    following = re.match(r"\s+([\w-]+)", text[match.end():])
    if not words or following is None:
        return False
    return (words[-1].lower(), following.group(1).lower()) in attributive


# "begin" right after a subject pronoun is the verb ("ik begin volgende week met ..."), not the start of the week.
_SUBJECT_BEFORE = {"nl": re.compile(r"\b(?:ik|je|jij|u|we|wij|ze|zij|hij|jullie)\s+$", re.IGNORECASE)}


def _without_verb(found: str, before: str, lang: str) -> str:
    if lang in _SUBJECT_BEFORE and found.lower().startswith("begin ") and _SUBJECT_BEFORE[lang].search(before):
        return found[len("begin "):]
    return found


_ANY_DAY = datetime.date(2001, 1, 1)  # a reference date, to ask whether words name one day at all

# The grammar's closed classes, per language: a day relative to the session, which week ("deze"/"volgende"), the
# edges of a period, periods, and the two fixed feasts that name one day. School holidays ("de zomervakantie",
# "de herfstvakantie") differ by region: they stay words.
_RELATIVE_DAYS = {"nl": (("overmorgen", 2), ("morgen", 1), ("vandaag", 0), ("vanmiddag", 0), ("vanavond", 0),
                         ("vannacht", 0)),
                  "en": (("day after tomorrow", 2), ("tomorrow", 1), ("today", 0), ("tonight", 0),
                         ("this afternoon", 0), ("this evening", 0))}
_NEXT = {"nl": r"(?:volgende|komende)", "en": r"(?:next|coming)"}
_THIS = {"nl": r"(?:deze|de|dit|het)", "en": r"(?:this|the)"}
_END = {"nl": r"eind(?:e)?", "en": r"end"}
_BEGIN = {"nl": r"begin", "en": r"(?:beginning|start|early)"}
_MIDDLE = {"nl": r"(?:half|midden)", "en": r"(?:mid|middle of)"}
# A span's unit from its word, Dutch and English in one table (no word means two things across the two languages).
_UNIT = {"dag": "day", "dagen": "day", "weken": "week", "maand": "month", "maanden": "month", "jaar": "year",
         "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
         "year": "year"}
_FEASTS = {"nl": ((r"kerst(?:mis)?\b", 12, 25), (r"nieuwjaar|oud en nieuw", 1, 1)),
           "en": ((r"christmas\b", 12, 25), (r"new year", 1, 1))}
_WEEKEND = {"nl": r"weekend", "en": r"weekend"}
_BEFORE = {"nl": r"(?:v[oó]{2}r|uiterlijk)", "en": r"(?:before|by)"}
_AFTER = {"nl": r"na", "en": r"after"}


def due_date(due: str | None, session: datetime.date | None, language: str) -> datetime.date | None:
    """The day `due` names, counted from the session date; None when it names no single day (module docstring).

    A small grammar: a calendar date (day and month, or a day of the month by its ordinal, with or without its
    weekday) wins; else a weekday in a week ("volgende week dinsdag", "dinsdag over twee weken", "a week from
    Tuesday"); else a day relative to the session ("overmorgen"); else the edge of a period ("eind volgende week",
    "begin december", "end of the year"), the weekend, a week or month by its place ("volgende maand": its first
    day), a week by its number, a feast ("voor kerst"), and a span ("over tien dagen", "within a month")."""
    if due is None or session is None:
        return None
    lang = text_language(language)
    words = " " + re.sub(r"\s+", " ", due.lower().replace("’", "'")) + " "
    for reader in (_calendar_date, _weekday, _relative_day, _edge, _weekend, _named_period, _week_number, _feast,
                   _span):
        day = reader(words, session, lang)
        if day is not None:
            return day
    return None


def _month_in(words: str, lang: str) -> int:
    return next((m for m, name in enumerate(MONTHS[lang], 1) if re.search(r"\b" + name.lower() + r"\b", words)), 0)


def _weekday_in(words: str, lang: str) -> int | None:
    return next((day for day, name in enumerate(WEEKDAYS[lang]) if re.search(r"\b" + name, words)), None)


def _monday(session: datetime.date, weeks: int = 0) -> datetime.date:
    """The Monday of the session's week, `weeks` weeks on."""
    return session - datetime.timedelta(days=session.weekday()) + datetime.timedelta(weeks=weeks)


def _week_shift(words: str, lang: str) -> int | None:
    """Which week the words place a day in: 1 for "volgende week"/"next week", 0 for "deze week"/"this week"."""
    if re.search(r"\b" + _NEXT[lang] + r" week\b", words):
        return 1
    if re.search(r"\b(?:deze|this) week\b", words):
        return 0
    return None


def _calendar_date(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    """"3 december", "December 3rd", "donderdag de 12e", "op de veertiende", "the 12th": the next such date."""
    month = _month_in(words, lang)
    number = re.search(r"\b(\d{1,2})(?:st|nd|rd|th|e|de|ste)?\b", words)
    if month and number:
        return _on_or_after(session, month, int(number.group(1)))
    read = _ordinal if lang == "nl" else _english_ordinal
    # "voor de volgende keer op de 12e": the 12th; not an ordinal before its noun ("vóór de zesde sessie")
    day = next((d for m in re.finditer(r"\b(?:de|the) (\w+)\b(?!\s+(?!of\b|van\b)[^\W\d]\w*)", words)
                if (d := read(m.group(1))) is not None), None)
    if day is None:
        return None
    nearest = _day_of_month(session, day)
    weekday = _weekday_in(words, lang)
    if weekday is not None and nearest is not None and nearest.weekday() != weekday:
        # "donderdag de 12e" when the next 12th is no Thursday: the 12th after it if that one is (a month on)
        after = _day_of_month(nearest + datetime.timedelta(days=1), day)
        if after is not None and after.weekday() == weekday and (after - nearest).days <= 31:
            return after
    return nearest


def _weekday(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    """A weekday: the first after the session, or in the week said ("volgende week vrijdag", "deze week
    donderdag"), or that many weeks after the first ("dinsdag over een week", "a week from Tuesday")."""
    day = _weekday_in(words, lang)
    if day is None:
        return None
    shift = _week_shift(words, lang)
    if shift is not None:
        in_week = _monday(session, shift) + datetime.timedelta(days=day)
        if in_week > session:
            return in_week
    first = session + datetime.timedelta(days=(day - session.weekday() - 1) % 7 + 1)
    later = re.search(r"\b(?:over|in) (\w+) (?:week|weken|weeks?)\b|\b(\w+) weeks? from\b", words)
    count = _count(later.group(1) or later.group(2)) if later else None
    return first + datetime.timedelta(weeks=count) if count else first


def _relative_day(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    for name, days in _RELATIVE_DAYS[lang]:
        if re.search(r"\b" + name, words):
            return session + datetime.timedelta(days=days)
    return None


def _edge(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    """The end, start or middle of a period: "eind van de week" (its Friday), "eind volgende maand" (its last day),
    "begin volgende week" (its Monday), "eind november", "half december" (the 15th), "end of the year"."""
    edge = re.search(r"\b(?:(" + _END[lang] + r")|(" + _BEGIN[lang] + r")|(" + _MIDDLE[lang] + r"))\b"
                     r"(?: (?:van|of))?(?: (" + _THIS[lang] + r"|" + _NEXT[lang] + r"))? (\w+)\b", words)
    if edge is None:
        return None
    end, begin = edge.group(1) is not None, edge.group(2) is not None
    shift = 1 if edge.group(4) and re.fullmatch(_NEXT[lang], edge.group(4)) else 0
    unit = _UNIT.get(edge.group(5))
    month = _month_in(" " + edge.group(5) + " ", lang)
    if unit == "week":
        monday = _monday(session, shift)
        day = monday + datetime.timedelta(days=4 if end else 0 if begin else 2)
        return day if day >= session else None
    if unit == "month" or month:
        year, number = session.year, session.month
        if month:
            year, number = (year + 1, month) if month < session.month else (year, month)
        elif shift:
            year, number = (year + 1, 1) if number == 12 else (year, number + 1)
        last = calendar.monthrange(year, number)[1]
        return datetime.date(year, number, last if end else 1 if begin else 15)
    if unit == "year" and end:
        return datetime.date(session.year + shift, 12, 31)
    if unit == "day" and end and not shift:
        return session  # "by the end of the day"
    return None


def _weekend(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    """"voor het weekend": that Friday; "dit weekend"/"in het weekend": its Saturday; "na het weekend": the Monday."""
    if not re.search(r"\b" + _WEEKEND[lang] + r"\b", words):
        return None
    shift = 1 if re.search(r"\b" + _NEXT[lang] + r" " + _WEEKEND[lang], words) else 0
    saturday = _monday(session, shift) + datetime.timedelta(days=5)
    if session.weekday() == 6 and not shift:
        saturday += datetime.timedelta(weeks=1)
    if re.search(r"\b" + _BEFORE[lang] + r" (?:the |het )?" + _WEEKEND[lang], words):
        return saturday - datetime.timedelta(days=1)
    if re.search(r"\b" + _AFTER[lang] + r" (?:the |het )?" + _WEEKEND[lang], words):
        return saturday + datetime.timedelta(days=2)
    return saturday


def _named_period(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    """"volgende week"/"next week": its Monday; "volgende maand"/"next month": its first day (the earliest day they
    can mean); a weekday or an edge was read before."""
    if re.search(r"\b" + _NEXT[lang] + r" week\b", words):
        return _monday(session, 1)
    if re.search(r"\b" + _NEXT[lang] + r" (?:maand|month)\b", words):
        return (session.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return None


def _week_number(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    week = re.search(r"\bweek (\w+)\b", words)
    number = _number(week.group(1)) if week else None
    return _week_monday(session, number) if number is not None and 1 <= number <= 53 else None


def _feast(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    """"voor kerst", "before Christmas": the feast's day ("kerstvakantie" is a school holiday, no day)."""
    for pattern, month, day in _FEASTS[lang]:
        if re.search(r"\b(?:" + pattern + r")(?!vakantie|\w* (?:holiday|break|vacation))", words):
            return _on_or_after(session, month, day)
    return None


def _span(words: str, session: datetime.date, lang: str) -> datetime.date | None:
    """"over twee weken", "binnen tien dagen", "over een maand", "in two weeks", "within a month": that far on."""
    span = re.search(r"\b(?:over|binnen|in|within) (\w+) (\w+)\b", words)
    if span is None:
        return None
    count, unit = _count(span.group(1)), _UNIT.get(span.group(2))
    if count is None or unit is None:
        return None
    if unit == "month":
        if count != int(count):
            return None  # "over anderhalve maand": no one day
        year, month = divmod(session.month - 1 + int(count), 12)
        year += session.year
        return datetime.date(year, month + 1, min(session.day, calendar.monthrange(year, month + 1)[1]))
    if unit == "year":
        return None
    return session + datetime.timedelta(days=round(count * (1 if unit == "day" else 7)))


def _count(word: str) -> float | None:
    """A small count in digits or words, Dutch or English ("twee", "ten", "anderhalve": 1.5)."""
    if word in {"anderhalve", "anderhalf"}:
        return 1.5
    return _NUMBERS.get(word) or _number(word)


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


def _english_ordinal(word: str) -> int | None:
    """An English ordinal day of the month ("12th", "3rd", "third") as its number, 1..31."""
    digits = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", word)
    day = int(digits.group(1)) if digits else _ENGLISH_ORDINALS.get(word, 0)
    return day if 1 <= day <= 31 else None
