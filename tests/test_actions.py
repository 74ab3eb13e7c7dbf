"""Action points from clause structure: owner = the subject of the commitment, due words and due dates.

Every action sentence quoted in issue 11's "Why" is here (owner and due right, or rightly not an action), with
sentences written for these tests, in Dutch and English. The fast tests read them with the word-order rules (English,
and Dutch without Frog); the `slow`, `needs_system("frog")` ones read Dutch with Debian's Frog, the kinds of issue
24's list: commitments (inversion, separable verbs, delegated, conditional, the group's), and habits, the past,
hypotheticals, wishes, hospitality, timekeeping, what is done in the meeting, takeaways and norms, which are not.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterator

import pytest

from pipeline.analysis.frog import Frog
from pipeline.analysis.types import analyse_turns
from pipeline.core.types import Action, Turn, Turns
from pipeline.insights.actions import due_expression, extract_actions
from pipeline.insights.duedates import due_date
from pipeline.insights.nlp import Sentence, split_sentences

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


@pytest.mark.parametrize(("text", "due", "iso"), [
    # a week by its number, a day of the month by its ordinal, a month, the weekend, the coming weeks
    ("Dan plan ik in week twaalf een bezoek.", "in week twaalf", "2027-03-22"),
    ("Ik kom op de veertiende bij je kijken.", "op de veertiende", "2026-12-14"),
    ("Ik zet het op de agenda van de vergadering in maart.", "in maart", None),
    ("Die stuur ik jullie voor het weekend.", "voor het weekend", "2026-11-27"),
    ("We sluiten de komende drie weken elke les af met een vraag.", "de komende drie weken", None),
    # a meeting named by its day is when, unlike "het verslag van vandaag"
    ("Ik neem het mee naar de sectievergadering van dinsdag.", "sectievergadering van dinsdag", "2026-12-01"),
    # the day said goes before a vaguer time in the same clause
    ("Ik maak deze week een overzicht en vrijdag ga ik ermee naar haar toe.", "vrijdag", "2026-11-27"),
    ("Ik zet het op de agenda, volgende week dinsdag.", "volgende week dinsdag", "2026-12-01"),
    ("Dat ga ik doen, bij het volgende bezoek.", "bij het volgende bezoek", None),
])
def test_due_words_and_days(text: str, due: str, iso: str | None) -> None:
    found = due_expression(text, "nl")
    assert found == due
    when = due_date(found, WEDNESDAY, "nl")
    assert (when.isoformat() if when else None) == iso


def test_a_day_of_the_past_is_no_deadline() -> None:
    assert due_expression("Vorige week dinsdag bel ik haar op en dan zegt ze nee.", "nl") is None
    assert due_expression("Afgelopen vrijdag kwam ze binnen.", "nl") is None
    assert due_expression("Last Friday she called me.", "en") is None


def test_the_english_plain_future_with_a_day_commits_whatever_the_verb() -> None:
    """Issue 24: "I will interview ..." was missed because "interview" is no listed task verb."""
    assert one("I will interview two recent starters before our next meeting and bring their stories.", "en") == (
        "Sanne", "before our next meeting")
    assert one("I'll just interview them tomorrow.", "en") == ("Sanne", "tomorrow")
    for text in ("I will be there next week.", "I'll see you next Tuesday.", "I'll interview them.",
                 "I would interview them next week."):
        assert one(text, "en") is None, text


def test_a_request_inside_a_hypothetical_or_answered_with_a_judgement_is_not_accepted() -> None:
    hypothetical = said(("Sanne", "Ik zou tegen hem zeggen: je mag kiezen."), ("Sanne", "Kun jij haar morgen bellen?"),
                        ("Joris", "Ja."))
    same_turn = [dataclasses.replace(s, turn=0) if i < 2 else s for i, s in enumerate(hypothetical)]
    assert extract_actions(same_turn, "nl", NAMES, WEDNESDAY) == []
    judged = said(("Sanne", "Kun jij de ouders morgen bellen?"), ("Joris", "Ja, dat vind ik een goede vraag."))
    assert extract_actions(judged, "nl", NAMES, WEDNESDAY) == []


def test_an_offer_restated_with_a_pro_form_takes_its_day() -> None:
    offered = extract_actions(said(("Fatima", "Zal ik het artikel over feedback rondsturen?"), ("Sanne", "Graag."),
                                   ("Fatima", "Doe ik morgen.")), "nl", NAMES, WEDNESDAY)
    assert [(a.owner, a.due, a.due_date) for a in offered] == [("Fatima", "morgen", "2026-11-26")]
    assert offered[0].text.startswith("Zal ik het artikel")  # the offer's words: "Doe ik morgen." names no task
    accepted = extract_actions(said(("Fatima", "Zal ik het schema rondsturen?"), ("Sanne", "Ja, mooi.")), "nl", NAMES,
                               WEDNESDAY)
    assert [a.owner for a in accepted] == ["Fatima"]


# -- with Debian's Frog: the parse decides ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def frog() -> Iterator[Frog]:
    with Frog() as client:
        yield client


def conversation(frog: Frog, *lines: tuple[str, str]) -> list[Sentence]:
    """Each (speaker, text) its own turn, 10 s apart, split into Frog's sentences with their parse."""
    turns = Turns({speaker: speaker for speaker, _ in lines},
                  tuple(Turn(speaker, 10.0 * i, 10.0 * i + 8, text) for i, (speaker, text) in enumerate(lines)))
    return split_sentences(turns, "nl", analyse_turns([t.text for t in turns.turns], analyser=frog))


# Sentences written for these tests (none from a test conversation), one per turn, with the owner of its action.
COMMITMENTS = [
    ("Ik bel de moeder dinsdag terug.", "Sanne", "dinsdag"),
    ("Dan stuur ik het verslag vanavond naar iedereen.", "Sanne", "vanavond"),
    ("Donderdag zet ik het rooster in de gedeelde map.", "Sanne", "Donderdag"),
    ("Ik neem de nieuwe formulieren dinsdag mee naar het teamoverleg.", "Sanne", "dinsdag"),
    ("Dan mailt Fatima de directeur voor vrijdag.", "Fatima", "voor vrijdag"),
    ("Morgen vraag ik Pieter of hij de planning wil maken.", "Sanne", "Morgen"),
    ("Als de directie akkoord is, plan ik in januari een extra bijeenkomst.", "Sanne", "in januari"),
    ("We gaan het na de kerst opnieuw bekijken met het hele team.", "iedereen", "na de kerst"),
    ("Ik ga met de wijkagent praten.", "Sanne", None),
    ("Ik zal het protocol voor maandag rondsturen.", "Sanne", "voor maandag"),
    ("Ik moet donderdag de teamleider nog spreken over het rooster.", "Sanne", "donderdag"),
    ("Mocht het nodig zijn, dan bel ik haar zelf.", "Sanne", None),
    ("Joris, jij belt de school vrijdag over de nieuwe regeling.", "Joris", "vrijdag"),
    ("Mijn voorstel: we spreken af dat Joris de planning voor vrijdag rondstuurt.", "Joris", "voor vrijdag"),
    ("Vanaf volgende maand bespreken we bij elk overleg één casus.", "iedereen", "volgende maand"),
    ("Volgende week ben ik er niet, dus ik mail het vrijdag al.", "Sanne", "vrijdag"),  # "al": earlier than planned
    ("Ik bel haar morgen, maar ik weet niet of ze opneemt.", "Sanne", "morgen"),  # a doubt about something else
    ("Ik ga het eind volgende week aan het team voorleggen.", "Sanne", "het eind volgende week"),
    ("Ik heb besloten dat ik haar morgen bel.", "Sanne", "morgen"),  # the speaker's decision: the task inside
    ("Ik zorg dat de ouders het nieuwe rooster krijgen.", "Sanne", None),  # an undertaking, without a day
    ("Ik beloof dat ik het protocol doorlees.", "Sanne", None),
    # an agreement binds from now on: everyone's new habit is the group's task
    ("We spreken af dat iedereen elke ochtend het logboek bijwerkt.", "iedereen", None),
    ("Ik neem de formulieren mee naar mijn eigen teamoverleg, woensdag.", "Sanne", "woensdag"),  # "eigen": a goal
    ("Ik neem het voorstel mee naar de klassenraad van maandag.", "Sanne", "klassenraad van maandag"),
    ("Wacht, nog één ding: ik mail morgen de roosters naar Pieter.", "Sanne", "morgen"),  # "wacht" holds the floor
    ("Op de zesde bel ik haar.", "Sanne", "Op de zesde"),  # a day of the month: no noun after the ordinal
    ("Ik stuur het je voor de twaalfde.", "Sanne", "voor de twaalfde"),
    ("Pieter, jij gaat morgen de ouders bellen.", "Pieter", "morgen"),  # a task handed over
    ("Dan vraag ik Pieter of hij de planning wil maken.", "Sanne", None),  # asking someone else: the next step
]
NOT_COMMITMENTS = [
    "Ik bel altijd eerst de ouders voordat ik iets doe.",  # a habit
    "Meestal stuur ik het verslag op maandag rond.",  # a habit, on Mondays
    "Ik heb vorige week de moeder al gebeld.",  # the past
    "Toen belde ik haar terug en was het opgelost.",
    "Als ik jou was, zou ik de moeder morgen bellen.",  # a hypothetical
    "Ik zou willen dat de directie eens luistert.",  # a wish
    "Ik neem wel koekjes mee voor de volgende keer.",  # hospitality
    "Ik pak even koffie.",
    "Ik hou de tijd bij.",  # timekeeping
    "Ik let op de tijd, we hebben nog tien minuten.",
    "Ik deel even mijn scherm.",  # done right now, in the meeting
    "Ik lees het even voor.",
    "Ik neem mee dat ik vaker moet doorvragen.",  # a takeaway
    "Dat neem ik mee.",
    "Als begeleider moet ik mijn eigen mening inhouden.",  # a norm
    "Ik ga ervan uit dat de moeder morgen belt.",  # an expectation
    "Ik hoop dat ze het volgende week oppakt.",
    "Ik ga het niet doen, daar heb ik geen tijd voor.",  # a refusal
    "Ik neem mijn eigen laptop mee volgende keer.",  # the speaker's own things
    "Misschien bel ik haar morgen nog even.",  # a maybe
    "Ik vind dat we dat vaker moeten doen.",  # an opinion
    "Wij bespreken dat elke week in het teamoverleg.",  # the group's habit
    "Ik dacht: ik bel haar morgen gewoon.",  # reported thought
    "Ik bel haar morgen, denk ik.",  # hedged
    "Daar zie ik op maandag al tegen op.",  # it is so already
    "Vandaag doen we de incidentmethode.",  # the meeting's own agenda
    "Ik stuur het verslag rond.",  # a present tense that looks nowhere ahead: it may be how it goes
    "Sanne, draai je stoel maar om.",  # an instruction in the meeting
    "Pieter, jij kijkt alleen toe.",  # a role in the meeting: an address is no day
    "Als je iets gaat uitproberen, meld het dan, dan zet ik het op de lijst.",  # the chair's rule for the meeting
    "Bouke belt de leverancier morgen.",  # someone not in the meeting owns no action point of it
    "Ik ga beginnen met een kort rondje.",  # the meeting's own course
    "Als hij boos wordt, mag je zeggen: ik bel u morgen terug.",  # advice: what one may say
    "Vorige week dinsdag bel ik haar op en dan zegt ze nee.",  # the past told in the present
    "Ik moet morgen vroeg op.",  # a modal without its infinitive names no task
    "Eigenlijk wil ik haar morgen bellen, maar ik durf het niet.",  # a plan taken back by "maar ... niet"
    "Ik verheug me op volgende week.",  # a feeling about what comes
    "Ik kijk er volgende week naar uit.",
    "Dan krijg ik morgen weer dat gesprek.",  # receiving
    "Ik wacht tot donderdag af wat ze zegt.",  # waiting
    "Ik slaap morgen lekker uit.",
    "Ik merk dat ik morgen weer tegen dat gesprek opzie.",  # a particle of the clause inside is not the verb's
    "Stel, ik bel haar morgen en ze neemt niet op.",  # a supposition
    "We hebben vorige keer afgesproken dat Joris het voor vrijdag rondstuurt.",  # an earlier meeting's agreement
    "Ze spreken af dat hun teamleider elke week de cijfers bijhoudt.",  # others' agreement
    "We spreken af dat wat in deze kring gezegd wordt, hier blijft.",  # a norm: nobody's task
    "Ik zorg altijd dat de koffie klaarstaat.",  # a habit
    "En dan bel ik de directeur om drie uur 's nachts. Nee, grapje.",  # a joke taken back
    "Morgen mail ik het hele bestuur een gedicht... nee, dat neem ik terug.",
    "Ik wil graag terugblikken op de vierde sessie van het project.",  # a meeting's number, not the 4th
    "Ik vul het formulier nu even voor je in, en volgende week doen we het samen.",  # "het": the act of the moment
    "Fatima, je moet haar morgen echt even bellen.",  # advice to the one addressed
    "Joris, jij gaat morgen gewoon dat gesprek aan.",
    "Ik neem mee dat ik eerst moet luisteren, voor ik ga adviseren.",  # "voor ik": a conjunction, not a clause
    'Zeg "ik stuur het je vrijdag".',  # words to say, framed by a quote
    "Sindsdien bel ik de ouders op maandag zelf.",  # a habit since then
    "Dan vraag ik jullie of iedereen het formulier wil invullen.",  # asked of those present, in the meeting
    "Ja, ik loop wel.",  # a verb of motion without a goal
]


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_commitments_from_the_parse(frog: Frog) -> None:
    lines = [("Sanne", text) for text, _, _ in COMMITMENTS] + [("Sanne", text) for text in NOT_COMMITMENTS]
    sentences = conversation(frog, *lines)
    assert all(s.parsed is not None for s in sentences)
    found = {}
    for turn in range(len(lines)):
        actions = extract_actions([s for s in sentences if s.turn == turn], "nl", NAMES, WEDNESDAY)
        found[lines[turn][1]] = [(a.owner, a.due) for a in actions]
    for text, owner, due in COMMITMENTS:
        assert found[text] == [(owner, due)], text
    for text in NOT_COMMITMENTS:
        assert found[text] == [], text


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_what_the_conversation_adds_to_the_parse(frog: Frog) -> None:
    def actions(*lines: tuple[str, str]) -> list[tuple[str, str | None]]:
        return [(a.owner, a.due) for a in extract_actions(conversation(frog, *lines), "nl", NAMES, WEDNESDAY)]

    # "dan" goes on from the time just said, unless that was the past
    assert actions(("Joris", "Donderdag ben ik weer bij haar. Dan vraag ik hoe het thuis gaat.")) == [
        ("Joris", "Donderdag")]
    assert actions(("Joris", "Vorige week was ik er twee uur. En dan loop ik de hele dag achter.")) == []
    # a request answered with yes is the one asked's, in the words of the answer when it names the task
    assert actions(("Sanne", "Joris, kun jij de uitnodiging voor de ouderavond versturen?"),
                   ("Joris", "Ja, doe ik vrijdag.")) == [("Joris", "vrijdag")]
    answered = extract_actions(conversation(frog, ("Sanne", "Kun jij het rooster nog eens nakijken?"),
                                            ("Fatima", "Ja hoor. Morgen kijk ik het na en dan mail ik jullie.")),
                               "nl", NAMES, WEDNESDAY)
    assert [(a.owner, a.due, a.start) for a in answered] == [("Fatima", "Morgen", answered[0].start)]
    assert answered[0].text.startswith("Morgen kijk ik")
    assert actions(("Sanne", "Wie wil de volgende keer de casus inbrengen?"),
                   ("Fatima", "Doe ik. Dan neem ik het dossier mee.")) == [("Fatima", "de volgende keer")]
    # an offer restated with "doe ik": the offer's words, from when its owner commits
    restated = extract_actions(conversation(frog, ("Fatima", "Zal ik het schema rondsturen?"), ("Sanne", "Graag."),
                                            ("Fatima", "Doe ik morgen.")), "nl", NAMES, WEDNESDAY)
    assert [(a.owner, a.due, a.start) for a in restated] == [("Fatima", "morgen", 20.0)]
    assert restated[0].text.startswith("Zal ik het schema")
    # an offer about something from the past is no request of its own, yet the pro-form that commits to it later
    # says its task with the offer's words, not "Doe ik vanavond." alone; a pro-form after a mere question stays
    offer = "Zal ik de lijst met tips nog mailen die we de vorige keer hebben gemaakt?"
    recalled = extract_actions(conversation(frog, ("Fatima", offer), ("Sanne", "Graag."),
                                            ("Fatima", "Doe ik vanavond.")), "nl", NAMES, WEDNESDAY)
    assert [(a.owner, a.due, a.start) for a in recalled] == [("Fatima", "vanavond", 20.0)]
    assert recalled[0].text.startswith("Zal ik de lijst met tips")
    asked = extract_actions(conversation(frog, ("Sanne", "Hoe ging het gesprek met de moeder?"),
                                         ("Fatima", "Goed, ze was rustig."), ("Fatima", "Dat doe ik morgen wel.")),
                            "nl", NAMES, WEDNESDAY)
    assert [a.text for a in asked] == ["Dat doe ik morgen wel."]
    # a polite "zou" still asks; an offer declined, or a question answered with a judgement, is no action
    assert actions(("Sanne", "Pieter, zou jij dat willen uitzoeken?"), ("Pieter", "Ja, prima.")) == [("Pieter", None)]
    assert actions(("Pieter", "Zal ik de notulen maken?"), ("Sanne", "Nee hoor, dat doet Joris al.")) == []
    assert actions(("Sanne", "Wil je haar morgen zelf bellen?"), ("Joris", "Ja, dat vind ik een mooie vraag.")) == []
    assert actions(("Sanne", "Joris, wil je reageren op de adviezen?"), ("Joris", "Ja.")) == []  # now, in the meeting
    assert actions(("Sanne", "Zou je niet eerst met je teamleider overleggen?"), ("Joris", "Ja, goed punt.")) == []
    assert actions(("Sanne", "Wie brengt er vandaag een casus in?"), ("Joris", "Ik wil wel.")) == []  # the meeting's
    assert actions(("Sanne", "Wie brengt de volgende keer een casus in?"), ("Joris", "Ik wil wel.")) == [
        ("Joris", "de volgende keer")]
    # a verbless addition names the time of the commitment before it
    assert actions(("Joris", "Dan stuur ik jullie het overzicht. Na de kerstvakantie, als alles klaar is.")) == [
        ("Joris", "Na de kerstvakantie")]
    # a question that hands a task to someone by name is a request to that person
    assert actions(("Sanne", "Dan belt Joris de gemeente over de subsidie?"), ("Joris", "Ja, dat doe ik. Voor dinsdag.")
                   ) == [("Joris", "Voor dinsdag")]
    assert actions(("Sanne", "Dan belt Joris de gemeente over de subsidie?"), ("Pieter", "Ja, goed idee.")) == []
    # in the round of plans a present tense is a plan; in the closing round an undated intention is a takeaway
    plans = [("Joris", "Het was een lange dag met veel gedoe op de afdeling."), ("Pieter", "Dat snap ik wel."),
             ("Sanne", "Oké, wat gaan we doen?"), ("Fatima", "Ik zoek het protocol op en zet het in de map."),
             ("Pieter", "Ik bespreek het met mijn teamleider.")]
    assert actions(*plans) == [("Fatima", None), ("Pieter", None)]
    assert actions(*plans[:2], ("Sanne", "Wat neem je mee uit vandaag?"),
                   ("Pieter", "Ik ga het voorstellen aan mijn team.")) == []
