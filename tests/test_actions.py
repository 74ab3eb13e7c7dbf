"""Action points from clause structure: owner = the subject of the commitment, due words and due dates.

Every action sentence quoted in issue 11's "Why" is here (owner and due right, or rightly not an action), with
sentences written for these tests, in Dutch and English. Fast: no models.
"""

from __future__ import annotations

import datetime
import re

import pytest

from pipeline.core.types import Action
from pipeline.insights.actions import due_expression, extract_actions
from pipeline.insights.duedates import due_date
from pipeline.insights.nlp import Sentence

WEDNESDAY = datetime.date(2026, 11, 25)
NAMES = ["Sanne", "Joris", "Fatima", "Pieter", "Tom", "Emma", "Priya", "Sam"]


def said(*lines: tuple[str, str]) -> list[Sentence]:
    """One sentence per (speaker, text), each its own turn, 10 s apart."""
    return [Sentence(index=i, turn=i, label=speaker, speaker=speaker, text=text, start=10.0 * i, end=10.0 * i + 5,
                     lemmas=tuple(re.findall(r"[\w']+", text.lower()))) for i, (speaker, text) in enumerate(lines)]


def one(text: str, language: str, speaker: str = "Sanne") -> tuple[str | None, str | None] | None:
    """(owner, due) of the single sentence's action, or None when it is not an action."""
    actions = extract_actions(said((speaker, text)), language, NAMES, WEDNESDAY)
    assert len(actions) <= 1
    return (actions[0].owner, actions[0].due) if actions else None


@pytest.mark.parametrize(("text", "language", "expected"), [
    # the "Why": a fronted adverbial puts the subject after the finite verb
    ("Daarna stuurt Joris het verslag naar de groep.", "nl", ("Joris", None)),
    ("We sturen het voor vrijdag naar de teamleider.", "nl", ("iedereen", "voor vrijdag")),
    ("Ik moet morgen de school bellen.", "nl", ("Sanne", "morgen")),
    ("I have to call her tomorrow.", "en", ("Sanne", "tomorrow")),
    ("I'm sending it next week, once the figures are in.", "en", ("Sanne", "next week")),
    # verb-second with the subject first, after a time word, after "dan"
    ("Ik bel de moeder dinsdag terug.", "nl", ("Sanne", "dinsdag")),
    ("Morgen mail ik de planning naar iedereen.", "nl", ("Sanne", "Morgen")),
    ("Dan zet ik het op de agenda van de volgende bijeenkomst.", "nl", ("Sanne", "de volgende bijeenkomst")),
    ("Pieter gaat de nieuwe roosters uitwerken voor het eind van de maand.", "nl",
     ("Pieter", "voor het eind van de maand")),
    ("Wij mailen de directie voor het eind van de maand.", "nl", ("iedereen", "voor het eind van de maand")),
    ("I'll email the parents on Thursday.", "en", ("Sanne", "on Thursday")),
    ("Then Priya will book the bigger room.", "en", ("Priya", None)),
    ("We'll circulate the notes before Friday.", "en", ("everyone", "before Friday")),
    ("I'm going to set up a meeting with the housing team in two weeks.", "en", ("Sanne", "in two weeks")),
    # a modal, a day and any infinitive at the clause's end, where Dutch puts it (not only the listed task verbs)
    ("Ik moet dinsdag de wijkagent nog raadplegen.", "nl", ("Sanne", "dinsdag")),
    ("We gaan volgende week de nieuwe ouders ontvangen.", "nl", ("iedereen", "volgende week")),
])
def test_commitments_and_their_owner(text: str, language: str, expected: tuple[str, str | None]) -> None:
    assert one(text, language) == expected


@pytest.mark.parametrize(("text", "language"), [
    # the "Why": an expectation about someone else, and a takeaway
    ("Ik ga ervan uit dat hij morgen belt.", "nl"),
    ("Dat neem ik ook mee.", "nl"),
    ("I'll take that with me.", "en"),
    # other expectations, the past, hypotheticals, habits, procedure, jokes
    ("Ik neem aan dat de coördinator het dan met de ouders bespreekt.", "nl"),
    ("I guess the board will ignore the letter, though.", "en"),
    ("Ik heb vorige week de school al gebeld.", "nl"),
    ("I already emailed the head of year last week.", "en"),
    ("If I had more time, I'd shadow a colleague for a day.", "en"),
    ("Als ik meer tijd had, zou ik elke collega bellen.", "nl"),
    ("Wij bespreken er elke week eentje kort in de pauze.", "nl"),
    ("Fatima brengt vandaag een casus in over een lastig gesprek.", "nl"),
    ("I'm going to tell you that's supposed to be a tiger.", "en"),
    ("Dan neem ik volgende keer taart mee.", "nl"),
    ("Feedback werkt als je het meteen geeft.", "nl"),
    # a capitalised noun opening a general statement is no person: "X werkt als ...", "X helps when ..."
    ("Coaching werkt als die over gedrag gaat en niet over de persoon.", "nl"),
    ("Structuur helpt wanneer de groep groot is.", "nl"),
    ("Supervision works when it is about behaviour, not about the person.", "en"),
    # real-meeting talk: a group's wish without a day, light verbs, questions about the meeting itself
    ("We have to check the numbers.", "en"),
    ("We need to make sure the parents feel heard.", "en"),
    ("I'll ask her another question about the funding.", "en"),
    ("I'm gonna be on the phone tomorrow, so keep it short.", "en"),
    # a modal without a day, or a day with a word in -en that is no infinitive, stays a wish or a remark
    ("Ik moet eerlijk zeggen dat het me tegenviel.", "nl"),
    ("Ik moet dinsdag weer naar binnen.", "nl"),
])
def test_not_actions(text: str, language: str) -> None:
    assert one(text, language) is None


def test_the_deadline_is_not_the_day_something_is_from() -> None:
    """"Het verslag van vandaag" names what is sent; "morgen" is when (a known bug of the old rules)."""
    assert one("Ik stuur het verslag van vandaag morgen rond.", "nl") == ("Sanne", "morgen")
    assert one("I'll send the notes of today tomorrow morning.", "en") == ("Sanne", "tomorrow morning")


def test_a_deadline_in_another_clause_is_not_the_commitments() -> None:
    assert one("De volgende bijeenkomst is over vier weken, ik zet het in de agenda.", "nl") == ("Sanne", None)
    assert one("Next call is in six weeks, I'll send the link.", "en") == ("Sanne", None)


def test_a_request_answered_with_yes_is_the_action_of_the_one_asked() -> None:
    actions = extract_actions(said(("Sanne", "Kun jij de uitnodiging voor dinsdag versturen?"),
                                   ("Fatima", "Ja, doe ik."),
                                   ("Sanne", "Joris, kun jij het rooster checken?"),
                                   ("Joris", "Prima."),
                                   ("Sanne", "Kun jij het boek meenemen?"),
                                   ("Pieter", "Nee, dat lukt me niet.")), "nl", NAMES, WEDNESDAY)
    assert [(a.owner, a.due) for a in actions] == [("Fatima", "voor dinsdag"), ("Joris", None)]
    english = extract_actions(said(("Emma", "Can I ask a question about the room?"), ("Tom", "Yes, go ahead."),
                                   ("Emma", "Can you check the room for Thursday?"), ("Priya", "Sure, will do."),
                                   ("Emma", "Could you send the slides?"), ("Tom", "Hm, what slides?")),
                              "en", NAMES, WEDNESDAY)
    assert [(a.owner, a.due) for a in english] == [("Priya", "Thursday")]


def test_an_accepted_offer_is_the_askers_unless_restated() -> None:
    restated = extract_actions(said(("Fatima", "Zal ik je dat artikel over feedback sturen?"), ("Sanne", "Graag."),
                                    ("Fatima", "Dan stuur ik het je vanavond.")), "nl", NAMES, WEDNESDAY)
    assert [(a.owner, a.due, a.start) for a in restated] == [("Fatima", "vanavond", 20.0)]
    offered = extract_actions(said(("Tom", "Shall I forward the report to the team?"), ("Emma", "Yes please.")),
                              "en", NAMES, WEDNESDAY)
    assert [(a.owner, a.start) for a in offered] == [("Tom", 0.0)]


@pytest.mark.parametrize(("due", "language", "iso"), [
    ("dinsdag", "nl", "2026-12-01"),  # the next Tuesday after Wednesday 25 November
    ("woensdag", "nl", "2026-12-02"),  # said on a Wednesday: a week later, not today
    ("morgen", "nl", "2026-11-26"),
    ("vanavond", "nl", "2026-11-25"),
    ("volgende week", "nl", "2026-11-30"),  # the Monday of next week
    ("volgende week vrijdag", "nl", "2026-12-04"),
    ("voor 1 maart", "nl", "2027-03-01"),  # after the session date: next year
    ("uiterlijk 30 november", "nl", "2026-11-30"),
    ("over twee weken", "nl", "2026-12-09"),
    ("voor het eind van de maand", "nl", "2026-11-30"),
    ("next Tuesday", "en", "2026-12-01"),
    ("tomorrow morning", "en", "2026-11-26"),
    ("by the 3rd of March", "en", "2027-03-03"),
    ("by the end of the week", "en", "2026-11-27"),
    ("deze week", "nl", None),  # no single day: kept as words only
    ("voor de volgende bijeenkomst", "nl", None),
    ("after this call", "en", None),
])
def test_due_date(due: str, language: str, iso: str | None) -> None:
    when = due_date(due, WEDNESDAY, language)
    assert (when.isoformat() if when else None) == iso


def test_due_date_needs_the_session_date_and_is_written() -> None:
    text = "Ik bel de vader dinsdag terug."
    assert [a.due_date for a in extract_actions(said(("Sanne", text)), "nl", NAMES)] == [None]
    action = extract_actions(said(("Sanne", text)), "nl", NAMES, WEDNESDAY)[0]
    assert action.due_date == "2026-12-01"
    assert action.to_dict()["due_date"] == "2026-12-01"
    assert Action.from_dict(action.to_dict()) == action
    old = {"owner": "Sanne", "text": text, "due": "dinsdag", "start": 0.0}  # insights.json before due_date
    assert Action.from_dict(old).due_date is None


def test_due_expression_keeps_the_words() -> None:
    assert due_expression("Ik mail het uiterlijk 3 maart.", "nl") == "uiterlijk 3 maart"
    assert due_expression("I'll send it by March 3rd.", "en") == "by March 3rd"
    assert due_expression("Ik denk dat luisteren belangrijk is.", "nl") is None


@pytest.mark.parametrize(("text", "language"), [
    # the facilitator handing the turn over is meeting procedure, not a task a series should carry
    ("Ik geef het woord aan Joris.", "nl"),
    ("Dan geef ik nu het woord aan jou, Fatima.", "nl"),
    ("Ik geef de beurt aan Pieter.", "nl"),
    ("We gaan nu naar de adviesronde.", "nl"),
    ("I'll give the floor to Joris.", "en"),
    ("I'm handing over to Fatima now.", "en"),
    # the meeting's own agenda happens in the meeting
    ("Vandaag bespreken we de werkdruk in het team van Joris.", "nl"),
    ("Today we discuss the workload in Joris's team.", "en"),
])
def test_handing_the_turn_over_or_the_agenda_is_not_an_action(text: str, language: str) -> None:
    assert one(text, language) is None


def test_giving_something_to_someone_is_still_an_action() -> None:
    assert one("Ik geef het rapport morgen aan Joris.", "nl") == ("Sanne", "morgen")
    assert one("I will give the report to Joris tomorrow.", "en") == ("Sanne", "tomorrow")
    assert one("We bespreken het vrijdag met de teamleider.", "nl") == ("iedereen", "vrijdag")
