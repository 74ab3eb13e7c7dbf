"""Due dates from what is said (issue 24): the time expression as spoken and the day it names, from a fixed session
date. Sentences written for these tests; the session is Wednesday 25 November 2026 unless a test says otherwise."""

from __future__ import annotations

import datetime

import pytest

from pipeline.insights.duedates import due_date, due_expression

WEDNESDAY = datetime.date(2026, 11, 25)


def said(text: str, language: str, session: datetime.date = WEDNESDAY) -> tuple[str | None, str | None]:
    """(the due words found in `text`, the ISO day they name on `session`)."""
    words = due_expression(text, language)
    day = due_date(words, session, language)
    return words, day.isoformat() if day else None


@pytest.mark.parametrize(("text", "words", "iso"), [
    # a weekday in a week said after it, or that many weeks after the first one
    ("Ik bel haar dinsdag volgende week.", "dinsdag volgende week", "2026-12-01"),
    ("Ik bel haar volgende week dinsdag.", "volgende week dinsdag", "2026-12-01"),
    ("Ik bel haar dinsdag over een week.", "dinsdag over een week", "2026-12-08"),
    ("Ik stuur het vrijdag over twee weken.", "vrijdag over twee weken", "2026-12-11"),
    ("Ik stuur het vrijdag aanstaande.", "vrijdag aanstaande", "2026-11-27"),
    ("Ik stuur het deze vrijdag.", "deze vrijdag", "2026-11-27"),
    # a weekday with its date: the date decides
    ("Ik stuur het donderdag 3 december.", "donderdag 3 december", "2026-12-03"),
    ("Ik kom op maandag de veertiende langs.", "op maandag de veertiende", "2026-12-14"),
    ("Ik stuur het donderdag de 12e.", "donderdag de 12e", "2026-12-12"),  # no Thursday: the next 12th
    # the edge of a period
    ("Ik regel het eind volgende week.", "het eind volgende week", "2026-12-04"),
    ("Ik regel het begin volgende week.", "het begin volgende week", "2026-11-30"),
    ("Ik regel het eind deze maand.", "het eind deze maand", "2026-11-30"),
    ("Ik regel het eind van de maand.", "het eind van de maand", "2026-11-30"),
    ("Ik lever het eind januari in.", "eind januari", "2027-01-31"),
    ("Ik lever het half december in.", "half december", "2026-12-15"),
    ("Ik lever het voor het einde van het jaar in.", "voor het einde van het jaar", "2026-12-31"),
    # spans, with the numbers beyond six and "anderhalve"
    ("Ik bel haar over tien dagen.", "over tien dagen", "2026-12-05"),
    ("Ik bel haar over een maand.", "over een maand", "2026-12-25"),
    ("Ik bel haar over anderhalve week.", "over anderhalve week", "2026-12-05"),
    # the weekend, next month, feasts, and a morning
    ("Ik stuur het dit weekend.", "dit weekend", "2026-11-28"),
    ("Ik stuur het na het weekend.", "na het weekend", "2026-11-30"),
    ("Ik stuur het volgende maand.", "volgende maand", "2026-12-01"),
    ("Ik stuur het voor kerst.", "voor kerst", "2026-12-25"),
    ("Ik stuur het voor nieuwjaar.", "voor nieuwjaar", "2027-01-01"),
    ("Ik stuur het morgenvroeg.", "morgenvroeg", "2026-11-26"),
    # school holidays are said but name no day (they differ by region), nor does the next meeting
    ("Ik stuur het voor de zomervakantie.", "voor de zomervakantie", None),
    ("Na de herfstvakantie bel ik haar.", "Na de herfstvakantie", None),
    ("Ik zoek het uit voor de volgende bijeenkomst.", "voor de volgende bijeenkomst", None),
])
def test_dutch_due_words_and_days(text: str, words: str, iso: str | None) -> None:
    assert said(text, "nl") == (words, iso)


@pytest.mark.parametrize(("text", "words", "iso"), [
    ("I'll send it on Tuesday next week.", "on Tuesday next week", "2026-12-01"),
    ("I'll send it a week from Tuesday.", "a week from Tuesday", "2026-12-08"),
    ("I'll send it by Thursday the 3rd.", "by Thursday the 3rd", "2026-12-03"),
    ("I'll send it on the 12th.", "on the 12th", "2026-12-12"),
    ("I'll send it by the end of next week.", "by the end of next week", "2026-12-04"),
    ("I'll send it early next week.", "early next week", "2026-11-30"),
    ("I'll send it in ten days.", "in ten days", "2026-12-05"),
    ("I'll send it within a month.", "within a month", "2026-12-25"),
    ("I'll send it by the weekend.", "by the weekend", "2026-11-27"),
    ("I'll send it the day after tomorrow.", "the day after tomorrow", "2026-11-27"),
    ("I'll send it before Christmas.", "before Christmas", "2026-12-25"),
    ("I'll send it before the Christmas break.", "before the Christmas break", None),
])
def test_english_due_words_and_days(text: str, words: str, iso: str | None) -> None:
    assert said(text, "en") == (words, iso)


@pytest.mark.parametrize(("due", "session", "iso"), [
    # "volgende week dinsdag" is the Tuesday of the next calendar week, whatever day the session is on
    ("volgende week dinsdag", datetime.date(2026, 11, 23), "2026-12-01"),  # said on a Monday
    ("volgende week dinsdag", datetime.date(2026, 11, 29), "2026-12-01"),  # said on a Sunday
    ("dinsdag", datetime.date(2026, 11, 29), "2026-12-01"),
    # "deze week donderdag" is this week's Thursday while it is still to come
    ("deze week donderdag", WEDNESDAY, "2026-11-26"),
    # the end of the month in December, and a month already passed this year is next year's
    ("eind van de maand", datetime.date(2026, 12, 10), "2026-12-31"),
    ("eind volgende maand", datetime.date(2026, 12, 10), "2027-01-31"),
    ("begin maart", datetime.date(2026, 11, 25), "2027-03-01"),
    ("over een maand", datetime.date(2027, 1, 31), "2027-02-28"),
    ("voor het weekend", datetime.date(2026, 11, 27), "2026-11-27"),  # said on the Friday itself
    # vaguer words keep no day
    ("deze week", WEDNESDAY, None),
    ("in maart", WEDNESDAY, None),
    ("de komende drie weken", WEDNESDAY, None),
    ("over een paar dagen", WEDNESDAY, None),
])
def test_days_counted_from_the_session(due: str, session: datetime.date, iso: str | None) -> None:
    day = due_date(due, session, "nl")
    assert (day.isoformat() if day else None) == iso


def test_the_verb_begin_is_no_edge_of_a_past_week() -> None:
    """"Ik begin deze week met de gesprekken": the start of this week has passed, so no day (as "deze week")."""
    assert said("Ik begin deze week met de gesprekken.", "nl")[1] is None


def test_the_verb_begin_is_not_the_start_of_a_week() -> None:
    assert said("Ik begin volgende week met de nieuwe werkwijze.", "nl") == ("volgende week", "2026-11-30")
    assert said("Begin volgende week bel ik haar.", "nl") == ("Begin volgende week", "2026-11-30")


def test_an_ordinal_after_other_words() -> None:
    assert due_date("voor de volgende bijeenkomst op de 12e", WEDNESDAY, "nl") == datetime.date(2026, 12, 12)
    assert due_date("before the next meeting on the 12th", WEDNESDAY, "en") == datetime.date(2026, 12, 12)


@pytest.mark.parametrize(("text", "words", "iso"), [
    # a day of the month after a deadline's preposition
    ("Ik stuur het voor de twaalfde.", "voor de twaalfde", "2026-12-12"),
    ("Uiterlijk de 3e lever ik het in.", "Uiterlijk de 3e", "2026-12-03"),
    # a meeting by its number is a time said, but no day
    ("Ik lees het vóór sessie zeven.", "vóór sessie zeven", None),
    ("Ik lees het voor de derde bijeenkomst.", "voor de derde bijeenkomst", None),
])
def test_a_day_of_the_month_and_a_meeting_by_its_number(text: str, words: str, iso: str | None) -> None:
    assert said(text, "nl") == (words, iso)


def test_an_ordinal_before_its_noun_is_no_day() -> None:
    """The parse (Frog's tags, passed as (ordinal, noun) pairs) tells "op de zesde sessie" from "op de zesde"."""
    assert due_expression("Ik kijk terug op de zesde sessie met het team.", "nl", {("zesde", "sessie")}) is None
    assert due_expression("Op de zesde bel ik haar.", "nl", {("zesde", "sessie")}) == "Op de zesde"
    assert due_date("vóór de zesde sessie", WEDNESDAY, "nl") is None
