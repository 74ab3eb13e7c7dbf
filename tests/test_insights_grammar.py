"""Insights read through Frog's analysis (Dutch): the grammatical marks of a lesson, content words by part of
speech, the one who chairs, and titles that are noun phrases, infinitive phrases or short clauses, never a lone
verb, adjective, ordinal, pronoun or noun of time.

The fast tests read Frog's analysis of the sentences below from `data/insights/grammar_nl.analysis.json`; the slow
ones analyse them again with Debian's Frog and must agree. Rewrite the file after a Frog upgrade with
`python tests/test_insights_grammar.py --write`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pipeline.analysis.types import Sentence as Parsed
from pipeline.analysis.types import from_dict, text_key, to_dict
from pipeline.core.types import Turn, Turns
from pipeline.insights.features import content_words, facilitator, lesson_cue, lesson_marks
from pipeline.insights.nlp import Sentence, stop_words
from pipeline.insights.phrases import sentence_phrases

STORED = Path(__file__).parent / "data" / "insights" / "grammar_nl.analysis.json"

# Sentences written for these tests (general Dutch, no fixture's words).
MARKS = {
    "Je moet eerst luisteren voordat je een oplossing geeft.": ({"generic", "present", "norm"}, {"narrative"}),
    "Toen belde ze haar dochter en ging het mis.": ({"narrative", "third"}, {"present", "generic"}),
    "Als je de grens vooraf noemt, geeft dat rust.": ({"conditional", "generic", "present"}, {"narrative"}),
    "Eerst luisteren, dan adviseren.": ({"rule"}, {"narrative", "present"}),
    "We spreken volgende week weer af.": ({"group", "present"}, {"generic"}),
    "Een grens is geen afwijzing, maar juist houvast.": ({"negation", "contrast", "generic"}, {"narrative"}),
    "Ik merk dat ik te snel met oplossingen kom.": ({"report", "speaker"}, {"narrative"}),
    "Achteraf had ik de arts moeten bellen.": ({"hindsight"}, {"narrative", "present"}),
}
TITLES = {  # sentence -> (a phrase that must be among its candidates, words no candidate may be)
    "Kleine aanpassingen in huis geven de cliënt meer rust.": ("Kleine aanpassingen in huis", set()),
    "Als je een grens stelt, geeft dat rust.": ("een grens stellen", set()),
    "Je moet vooraf met de familie afspraken maken.": ("afspraken maken", set()),
    "Helpen wordt overnemen wanneer de ander niet meer beslist.": ("Helpen wordt overnemen", set()),
    "Eerst luisteren, dan adviseren.": ("Eerst luisteren, dan adviseren", set()),
    "Nou, ze blijft twintig minuten en dan gaat ze weer.": (None, {"twintig minuten", "minuten"}),
    "Dat heb ik toen tegen haar gezegd.": (None, {"gezegd", "toen"}),
    "De tweede keer ging het al veel beter.": (None, {"tweede", "tweede keer", "keer", "beter"}),
    "Het thema van vandaag is de helft van de tijd.": (None, {"thema van vandaag", "helft van de tijd", "thema",
                                                             "helft"}),
}
CONTENT = {"Eerst contact, dan pas de inhoud.": 2, "Ja, dat is eigenlijk wel zo, hè.": 0}
# A short conversation: a story in the past, lessons in the present, a plan of the group.
CONVERSATION = [
    ("S1", "Wie heeft er een casus?"),
    ("S2", "Vorige week belde een cliënt mij drie keer op een avond. Ik nam steeds op en bleef lang praten."),
    ("S2", "Daarna was ik helemaal leeg en sliep ik slecht."),
    ("S3", "Als je elke keer opneemt, leert de cliënt dat je altijd bereikbaar bent."),
    ("S4", "Een duidelijke grens geeft de cliënt juist houvast."),
    ("S2", "Toen heb ik de telefoon in de kast gelegd."),
    ("S3", "Je hoeft niet alles meteen op te lossen, samen zoeken werkt beter."),
    ("S1", "We spreken volgende week weer af in dezelfde zaal."),
    ("S4", "Ik neem mee dat een grens geen afwijzing is."),
]
SENTENCES = [*MARKS, *TITLES, *CONTENT, *(text for _, text in CONVERSATION)]


def stored() -> dict[str, list[Parsed]]:
    return from_dict(json.loads(STORED.read_text(encoding="utf-8")))


def live() -> dict[str, list[Parsed]]:
    from pipeline.analysis.frog import shared_frog

    texts = list(dict.fromkeys(SENTENCES))
    return dict(zip((text_key(t) for t in texts), shared_frog().analyse(texts), strict=True))


def one(analysis: dict[str, list[Parsed]], text: str) -> Parsed:
    sentences = analysis[text_key(text)]
    assert len(sentences) == 1, text
    return sentences[0]


@pytest.fixture(scope="module", params=["stored", pytest.param("live", marks=[
    pytest.mark.slow, pytest.mark.needs_system("frog")])])
def analysis(request: pytest.FixtureRequest) -> dict[str, list[Parsed]]:
    return stored() if request.param == "stored" else live()


@pytest.mark.parametrize(("text", "marks"), MARKS.items(), ids=list(range(len(MARKS))))
def test_lesson_marks_come_from_tense_subject_and_closed_classes(analysis: dict[str, list[Parsed]], text: str,
                                                                 marks: tuple[set[str], set[str]]) -> None:
    found = lesson_marks(one(analysis, text))
    present, absent = marks
    assert present <= found, (text, found)
    assert not absent & found, (text, found)


def test_a_generic_norm_is_a_clearer_lesson_than_a_story_or_a_plan(analysis: dict[str, list[Parsed]]) -> None:
    def cue(text: str) -> float:
        return lesson_cue(lesson_marks(one(analysis, text)))

    assert cue("Je moet eerst luisteren voordat je een oplossing geeft.") > cue(
        "Toen belde ze haar dochter en ging het mis.")
    assert cue("Eerst luisteren, dan adviseren.") > cue("We spreken volgende week weer af.")
    assert cue("Toen belde ze haar dochter en ging het mis.") == 0.0


@pytest.mark.parametrize(("text", "expected"), TITLES.items(), ids=list(range(len(TITLES))))
def test_title_candidates_are_phrases_never_lone_verbs_ordinals_or_time(analysis: dict[str, list[Parsed]], text: str,
                                                                        expected: tuple[str | None, set[str]]) -> None:
    parsed = one(analysis, text)
    phrases = [p.text for p in sentence_phrases(parsed)]
    wanted, banned = expected
    if wanted is not None:
        assert any(p.endswith(wanted) for p in phrases), phrases
    assert not {p.lower() for p in phrases} & banned, phrases
    verbs = {t.text.lower() for t in parsed.tokens if t.tag == "WW"}
    assert not any(p.lower() in verbs for p in phrases), phrases  # never a lone verb


@pytest.mark.parametrize(("text", "count"), CONTENT.items())
def test_content_words_by_part_of_speech(analysis: dict[str, list[Parsed]], text: str, count: int) -> None:
    s = Sentence(0, 0, "S1", "Sanne", text, 0.0, 1.0, (), one(analysis, text))
    assert content_words(s, stop_words("nl")) == count


def test_the_opener_who_asks_most_is_the_facilitator() -> None:
    def said(label: str, text: str, k: int) -> Sentence:
        return Sentence(k, k, label, label, text, float(k), k + 1.0, tuple(text.lower().split()))

    lines = [("S1", "Welkom allemaal."), ("S2", "Ik heb een casus."), ("S1", "Wat gebeurde er?"),
             ("S3", "Wanneer was dat?"), ("S1", "En hoe voelde dat?")]
    sentences = [said(label, text, k) for k, (label, text) in enumerate(lines)]
    assert facilitator(sentences) == "S1"
    assert facilitator(sentences[:2]) is None  # two speakers: nobody chairs
    sentences[0] = said("S2", "Welkom allemaal.", 0)
    assert facilitator(sentences) is None  # the opener is not the one who asks


def conversation() -> Turns:
    turns = tuple(Turn(label, 10.0 * k, 10.0 * k + 8, text) for k, (label, text) in enumerate(CONVERSATION))
    return Turns({label: label for label, _ in CONVERSATION}, turns)


def test_with_the_analysis_lessons_outrank_the_story_and_titles_are_phrases(
        analysis: dict[str, list[Parsed]]) -> None:
    from pipeline.insights.extract import ExtractiveBackend, InsightContext
    from pipeline.testing import WordHashEncoder

    turns = conversation()
    result = ExtractiveBackend(encoder=WordHashEncoder()).extract(
        turns, language="nl", top=3, context=InsightContext(analysis=analysis))
    texts = [i.text for i in result.insights]
    assert texts, "no insights"
    story = ("belde", "nam steeds", "sliep", "kast gelegd", "volgende week")
    assert not any(word in text for text in texts for word in story), texts
    titles = [i.title for i in result.insights]
    assert len(set(titles)) == len(titles), titles
    assert all(len(title.split()) >= 2 for title in titles), titles


def test_without_the_analysis_the_rules_still_rank_and_title() -> None:
    from pipeline.insights.extract import ExtractiveBackend, InsightContext
    from pipeline.testing import WordHashEncoder

    result = ExtractiveBackend(encoder=WordHashEncoder()).extract(conversation(), language="nl", top=3,
                                                                  context=InsightContext())
    assert result.insights and all(i.title for i in result.insights)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    from pipeline.analysis.frog import shared_frog

    STORED.write_text(json.dumps(to_dict(live(), shared_frog().describe()), ensure_ascii=False) + "\n",
                      encoding="utf-8")
    print(f"wrote {STORED}")
