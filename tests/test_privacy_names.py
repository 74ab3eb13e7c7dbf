"""Names for pseudonymising beyond capitals (#24): Frog's analysis, lower-case names, sentence starts, names known in
the session, and contact details as a transcript writes them.

Sentences here are written for these tests; the detector's figures come from bench/bench_privacy.py's report sets,
never from these. The `slow`, `needs_system("frog")` tests run Debian's Frog (with the rules as the base detector, so
deduce's start-up is not paid); the others use a hand-made analysis.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.analysis.types import Sentence, Token, text_key
from pipeline.privacy.detect import RuleDetector, Span
from pipeline.privacy.lexicon import Lexicon
from pipeline.privacy.lists import NameLists
from pipeline.privacy.mapping import Pseudonyms
from pipeline.privacy.names import FrogDetector
from pipeline.privacy.shared import Shared, _detect_all


def _tok(text: str, tag: str, features: str = "", head: int | None = None, relation: str = "",
         entity: str = "", lemma: str = "") -> Token:
    return Token(text, lemma or text.lower(), (), tag, tuple(f for f in features.split(",") if f), 0.9, entity, "",
                 head, relation)


# "ik belde met bram ." and "de bram zat vast ." (a bramble, say: an article before it) as Frog would parse them
BRAM = Sentence((_tok("ik", "VNW", "pers,pron,nomin", 1, "su"), _tok("belde", "WW", "pv,verl,ev", None, "ROOT",
                                                                   lemma="bellen"),
                 _tok("met", "VZ", "init", 1, "mod"), _tok("bram", "N", "soort,ev", 2, "obj1"),
                 _tok(".", "LET", "", 3, "punct")))
THE_BRAM = Sentence((_tok("de", "LID", "bep", 1, "det"), _tok("bram", "N", "soort,ev", 2, "su"),
                     _tok("zat", "WW", "pv,verl,ev", None, "ROOT"), _tok("vast", "ADJ", "vrij", 2, "predc"),
                     _tok(".", "LET", "", 2, "punct")))
LEXICON = Lexicon({"roos": 37, "bos": 356, "bram": 0}, {"roos": 62, "bram": 224, "bos": 108, "zwolle": 160})


def test_the_lexicon_says_which_lower_case_words_are_mostly_names(tmp_path):
    lex = tmp_path / "x.lex"
    lex.write_text("224 Bram SPEC(deeleigen):224 \n356 bos N(soort,ev,basis,onz,stan):356 \n"
                   "114 Bos N(soort,ev,basis,onz,stan):6 SPEC(deeleigen):108 \n215 HAVO SPEC(deeleigen):211 \n"
                   "6 havo N(soort,ev,basis,onz,stan):6 \n", encoding="utf-8")
    lexicon = Lexicon.read(lex)
    assert lexicon.name_like("bram") is True and lexicon.name_like("Bos") is False
    assert lexicon.name_like("havo") is False  # an abbreviation in capitals is no proper name
    assert lexicon.name_like("tjabbe") is None


def test_a_lower_case_name_is_caught_and_known_in_the_session_but_not_after_an_article():
    texts = ["ik belde met bram.", "de bram zat vast."]
    analysis = {text_key(texts[0]): [BRAM], text_key(texts[1]): [THE_BRAM]}
    detector = FrogDetector(RuleDetector("nl"), analysis, None, LEXICON)
    first, second = detector.detect_texts(texts)
    assert [(s.kind, s.text) for s in first] == [("person", "bram")]
    assert second == []  # "de bram": a common noun, though the name is known in the session


def test_names_known_in_the_session_are_caught_in_lower_case_elsewhere():
    texts = ["Ik sprak Bram gisteren.", "en bram ook, maar de bram niet", "Ik sprak Bos.", "en bos ook"]
    lexicon = Lexicon({"bos": 356}, {"bos": 108})  # "bos" is mostly a word: a capital found it, not a name list
    found = FrogDetector(RuleDetector("nl"), {}, None, lexicon).detect_texts(texts)
    assert [[s.text for s in spans] for spans in found] == [["Bram"], ["bram"], ["Bos"], []]


def test_a_lower_case_spelling_joins_its_person_and_is_replaced_in_lower_case(tmp_path):
    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, "keep")
    _detect_all(FrogDetector(RuleDetector("nl"), {}, None, LEXICON), ["Ik sprak Bram gisteren.", "Bram belt."],
                pseudonyms, set())
    entity = pseudonyms.add_detected("bram", "person")
    assert entity is not None and entity.names == ["Bram", "bram"]
    shared = Shared(pseudonyms, "nl", ["Sanne"])
    assert shared.text("ik belde met bram, de bram zat vast") == "ik belde met [Persoon 1], de bram zat vast"
    # without the lower-case spelling a lower-case word is left alone, as before
    only = Pseudonyms(tmp_path / "other.json", True, "keep")
    only.add_detected("Bram", "person")
    assert Shared(only, "nl", []).text("ik belde met bram") == "ik belde met bram"


def test_a_participant_with_a_particle_or_title_is_no_third_party(tmp_path):
    class Fixed:
        name = "fixed"

        def detect(self, text: str) -> list[Span]:
            return [Span(0, 7, "person", "van Bas"), Span(8, 16, "person", "Opa Kees")]

    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, "keep")
    _detect_all(Fixed(), ["van Bas Opa Kees"], pseudonyms, Shared.protected_names(["Bas", "Kees"]))
    assert [e.names for e in pseudonyms.entities] == [["Opa Kees"]]  # a grandfather named like a participant


# -- contact details as a transcript writes them -----------------------------------------------------------------
@pytest.mark.parametrize(("language", "text", "expected"), [
    ("nl", "Bel haar op nul zes twaalf vierendertig vijfenzestig achtenzeventig, na vijf uur.",
     [("phone", "nul zes twaalf vierendertig vijfenzestig achtenzeventig")]),
    ("nl", "of plus eenendertig zes twaalf vierendertig vijfenzestig achtenzeventig",
     [("phone", "plus eenendertig zes twaalf vierendertig vijfenzestig achtenzeventig")]),
    ("en", "ring oh seven seven double oh nine oh oh one two three", [("phone", "oh seven seven double oh nine oh oh "
                                                                      "one two three")]),
    ("nl", "Haar mail is jan punt de vries apenstaartje gmail punt com, zeg maar.",
     [("email", "jan punt de vries apenstaartje gmail punt com")]),
    ("en", "email liam dot carter at example dot co dot uk please", [("email", "liam dot carter at example dot co "
                                                                       "dot uk")]),
    ("nl", "of mail petra.smit @ zorggroep.nl", [("email", "petra.smit @ zorggroep.nl")]),
    ("nl", "het dossiernummer is vier vijf zes zeven acht negen", [("id", "vier vijf zes zeven acht negen")]),
    ("en", "her NHS number is 943 476 5919", [("id", "943 476 5919")]),
    ("nl", "ze woont op de kerkstraat 14 in de wijk", [("place", "kerkstraat 14")]),
    ("en", "she lives at 14 church street now", [("place", "14 church street")]),
    # hundreds, hyphens, a house number and a birth date in words; an id number further from its word (#24, round 2)
    ("nl", "Bel maar naar nul dertig, tweehonderdvierendertig, vijfenvijftig, zesenzestig.",
     [("phone", "nul dertig, tweehonderdvierendertig, vijfenvijftig, zesenzestig")]),
    ("nl", "Het nummer is nul-zes-een-twee-drie-vier-vijf-zes-zeven-acht.",
     [("phone", "nul-zes-een-twee-drie-vier-vijf-zes-zeven-acht")]),
    ("nl", "Ze wonen op de Nieuwegracht tweeënveertig, driehoog.", [("place", "Nieuwegracht tweeënveertig")]),
    ("nl", "ze woont op de kastanjelaan drieëntwintig.", [("place", "kastanjelaan drieëntwintig")]),
    ("nl", "Hij is geboren op twaalf maart tweeduizend tien.", [("birthdate", "twaalf maart tweeduizend tien")]),
    ("nl", "Haar geboortedatum is drie juni negentien zesentachtig.",
     [("birthdate", "drie juni negentien zesentachtig")]),
    ("nl", "Ze is op de eenentwintigste april tweeduizendelf geboren.",
     [("birthdate", "eenentwintigste april tweeduizendelf")]),
    ("nl", "Het BSN van de jongen staat in het dossier: 1112 22 333.", [("id", "1112 22 333")]),
    ("nl", "Zijn cliëntnummer bij de gemeente is vier vijf zes zeven acht negen.",
     [("id", "vier vijf zes zeven acht negen")]),
    ("nl", "Noteer maar 111222333 in het formulier.", [("id", "111222333")]),  # passes the BSN eleven test
    ("nl", "Het nummer van de school is 030 - 234 56 78.", [("phone", "030 - 234 56 78")]),
    ("nl", "mail maar naar yasmina apestaartje hotmail punt com", [("email", "yasmina apestaartje hotmail punt com")]),
    ("nl", "het is j punt de boer at-teken kpnmail punt nl", [("email", "j punt de boer at-teken kpnmail punt nl")]),
    ("nl", "mail naar info at de streepje linde punt nl", [("email", "info at de streepje linde punt nl")]),
    # Dutch says the unit before the tens, so "nul twintig, zes ..." is two groups; a spoken dash inside an id; a
    # preposition before a spoken address; a domain said as two words; codes, postcodes, streets named after people;
    # a month by its number or as an ordinal (#24, names5)
    ("nl", "bel de buurvrouw, nul dertig, vijf een twee, zeven zeven acht een", [("phone", "nul dertig, vijf een twee, "
                                                                                 "zeven zeven acht een")]),
    ("nl", "zijn leerlingnummer is drie drie acht, streepje, vijf vijf een", [("id", "drie drie acht, streepje, vijf "
                                                                                "vijf een")]),
    ("nl", "stuur het aan petra punt smit apenstaartje zorg punt nl", [("email", "petra punt smit apenstaartje zorg "
                                                                                "punt nl")]),
    ("nl", "mail naar secretariaat at het anker punt nl", [("email", "secretariaat at het anker punt nl")]),
    ("nl", "Haar zaaknummer is Z-2021-0387, dat staat op de brief.", [("id", "Z-2021-0387")]),
    ("en", "The file says 44871-K on the front.", [("id", "44871-K")]),
    ("nl", "Het adres is 3512 JK, vlak bij het station; postcode 2011 ab.",
     [("place", "3512 JK"), ("place", "2011 ab")]),
    ("nl", "Ze woont aan de Pieter de Hoochlaan 4 in de flat.", [("place", "Pieter de Hoochlaan 4")]),
    ("nl", "hij is geboren op drie vier tweeduizend acht", [("birthdate", "drie vier tweeduizend acht")]),
    ("nl", "ze is geboren op de tweede van de elfde twee duizend twaalf", [("birthdate", "de tweede van de elfde twee "
                                                                             "duizend twaalf")]),
    ("en", "he was born on the fifth of June two thousand and ten", [("birthdate", "the fifth of June two thousand "
                                                                                   "and ten")]),
    # a date that is no birth date, "een" after a street, a number that fails the eleven test, an id word too far
    ("nl", "Op twaalf maart hebben we intervisie; ik liep de kerkstraat een keer door met 123456789 mensen.", []),
    ("nl", "Het dossiernummer weet ik niet. Wel dat er vier vijf zes zeven acht negen mensen waren.", []),
    # ordinary numbers and the word "at" stay
    ("nl", "Ik had drie of vier keer gebeld en toen twee weken niets gehoord; de hele weg 3 keer.", []),
    ("en", "We met at the station at nine and talked for twenty minutes; at home dot the i.", []),
    ("nl", "In 2019-2020 kwam COVID-19, in het jaar 1500 AD; de 12 A4-tjes; drie vier keer; groep vier vijf.", []),
    ("nl", "Ze is geboren in een gezin van drie, vier kinderen, en werd op twee drie plaatsen opgevangen.", []),
])
def test_contact_details_said_aloud(language, text, expected):
    assert [(s.kind, s.text) for s in RuleDetector(language).contacts(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Ze zit op ROC Friese Poort, de opleiding zorg.", [("school", "ROC Friese Poort")]),
    ("Hij is aangemeld bij GGZ Noord Holland.", [("institution", "GGZ Noord Holland")]),
    ("Hij speelt bij VV Zwaluwen Maar niet lang.", [("institution", "VV Zwaluwen")]),
    ("Hij voetbalt bij VV Zwaluwen, twee keer per week.", [("institution", "VV Zwaluwen")]),
    ("Ze gaat naar CBS De Regenboog.", [("school", "CBS De Regenboog")]),
    ("Hij woont in een huis van 's Koningshof.", [("institution", "'s Koningshof")]),
    ("Ze woont in 's-Hertogenbosch.", [("place", "'s-Hertogenbosch")]),
    ("OK Dan gaan we verder.", []),
])
def test_organisations_named_by_an_abbreviation_or_an_old_genitive(text, expected):
    assert [(s.kind, s.text) for s in RuleDetector("nl").detect(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("we phoned mrs holloway and she was not surprised", [("person", "holloway")]),  # a title in lower case
    ("i spoke to jayden's nan on monday", [("person", "jayden")]),  # a name before a family member
    ("Mr said nothing, and the teacher's mum and everyone's parents came", []),  # words, not names
    ("she lives at flat two, nineteen mill road now", [("place", "flat two, nineteen mill road")]),
    ("we bought an eighteen gig drive; thirty five percent is way off; a nine nine square grid", []),
])
def test_english_names_after_a_title_or_before_a_family_member(text, expected):
    """English has no analysis: spaCy's lexeme probabilities say which lower-case words are mostly names."""
    assert [(s.kind, s.text) for s in RuleDetector("en").detect(text)] == expected


def test_an_old_genitive_name_is_replaced_in_the_shared_text(tmp_path):
    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, "keep")
    text = "Hij woont in een huis van 's Koningshof, in 's-Hertogenbosch."
    _detect_all(RuleDetector("nl"), [text], pseudonyms, set())
    assert Shared(pseudonyms, "nl", []).text(text) == "Hij woont in een huis van [Instelling 1], in [Plaats 1]."


def test_name_lists_know_double_first_names_pet_forms_and_common_words():
    lists = NameLists(frozenset({"dirk", "jan", "sjaak", "piet", "bob", "storm"}), frozenset({"koster"}),
                      frozenset({"storm"}))
    assert lists.first_name("dirk-jan") and lists.first_name("Jan") and not lists.first_name("storm")
    assert lists.pet_name("Sjaakie") and lists.pet_name("pietje") and lists.pet_name("Bobbie")
    assert not lists.pet_name("koffie") and not lists.first_name("dirk-koffie")
    assert lists.surname("Koster") and not lists.surname("storm")


def test_an_id_number_has_a_label_in_both_languages(tmp_path):
    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, "keep")
    assert Shared(pseudonyms, "nl", []).text("BSN-nummer 12345678") == "BSN-nummer [Nummer]"
    assert Shared(pseudonyms, "en", []).text("patient number 1234567") == "patient number [ID number]"


# -- with Frog ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def frog_detector():
    from pipeline.analysis.frog import shared_frog

    return FrogDetector(RuleDetector("nl"), None, shared_frog())


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_finds_names_the_rules_miss(frog_detector):
    texts = ["ik heb gisteren met bram gebeld over zijn moeder.",  # lower case, as Whisper may write it
             "we zijn met de hele klas naar amersfoort geweest.",
             "Roos zei dat het thuis niet goed gaat.",  # a name that is a word, at a sentence start
             "Eindhoven is een mooie stad.",
             "Henk van der Berg werkt daar al jaren.",
             "de roos in de tuin bloeit weer.",  # a common noun
             "Haha. Pak maar een kop koffie. Super, dank je.",  # a sentence start's capital is no name
             "Tjabbe belde gisteren nog.",  # a name no list knows, the subject of a verb of communication
             "ik heb met sanne van der meer gebeld.",  # a full name in lower case ("meer" is also a word)
             "ze woont al jaren in apeldoorn.",  # Frog's tagger guesses a plural: the lexicon knows better
             "Storm zei dat hij niet meer wilde.",  # a word, but as the subject of "zeggen" a name
             "Lucertis heeft hem aangemeld."]  # the main verb under an auxiliary
    found = [[(s.kind, s.text) for s in spans] for spans in frog_detector.detect_texts(texts)]
    assert found[0] == [("person", "bram")]
    assert found[1] == [("place", "amersfoort")]
    assert found[2] == [("person", "Roos")]
    assert found[3] == [("place", "Eindhoven")]
    assert found[4] == [("person", "Henk van der Berg")]
    assert found[5] == [] and found[6] == []
    assert found[7] == [("person", "Tjabbe")]
    assert found[8] == [("person", "sanne van der meer")] and found[9] == [("place", "apeldoorn")]
    assert found[10] == [("person", "Storm")] and found[11] == [("person", "Lucertis")]


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_a_session_with_frog_keeps_participants_and_hides_lower_case_names(frog_detector, tmp_path):
    texts = ["Sanne, wil jij beginnen?", "Ja. Ik heb een leerling, Daan, en daan loopt steeds weg.",
             "ik heb met sanne en met zijn moeder Ellen gebeld."]
    pseudonyms = Pseudonyms(tmp_path / "pseudonyms.json", True, "keep")
    _detect_all(frog_detector, texts, pseudonyms, Shared.protected_names(["Sanne", "Joris"]))
    shared = Shared(pseudonyms, "nl", ["Sanne", "Joris"])
    shown = [shared.text(t) for t in texts]
    assert shown[0] == "Sanne, wil jij beginnen?"
    assert "Daan" not in shown[1] and "daan" not in shown[1] and shown[1].count("[Persoon 1]") == 2
    assert shown[2] == "ik heb met sanne en met zijn moeder [Persoon 2] gebeld."


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_with_titles_name_lists_and_person_roles(frog_detector):
    texts = ["ik heb het met meneer mulder besproken.",  # a title before a lower-case surname
             "juf smit zei dat het goed ging.",
             "mevrouw el amrani kwam ook langs.",  # a particle after the title
             "daarna kwam dirk-jan binnen met zijn moeder.",  # a double first name from deduce's list
             "Sjaakie komt altijd te laat.",  # a pet form at a sentence start
             "koster zei dat hij het dossier had gelezen.",  # a bare surname that is a word, subject of "zeggen"
             "Ze is vorig jaar naar zeist verhuisd.",  # a lower-case place where someone moved to
             "mijn collega ahmed heeft het overgenomen.",  # apposition; the tagger guesses a past tense
             # no name: a role said without article, a common noun with one, a verb after a title, a plural
             "meester zei dat we moesten opruimen.", "Papa zei dat het goed was.", "Dokter zei dat ze moest rusten.",
             "Ik heb met de slager gebeld over het vlees.", "De juf zei niks.", "We zijn naar bergen gaan kijken.",
             "Ze woont in een groot huis, ik ging naar huis.", "Meneer op kamer vier had nauwelijks geplast."]
    found = [[(s.kind, s.text) for s in spans] for spans in frog_detector.detect_texts(texts)]
    assert found[0] == [("person", "mulder")] and found[1] == [("person", "smit")]
    assert found[2] == [("person", "el amrani")] and found[3] == [("person", "dirk-jan")]
    assert found[4] == [("person", "Sjaakie")] and found[5] == [("person", "koster")]
    assert found[6] == [("place", "zeist")] and found[7] == [("person", "ahmed")]
    assert found[8:] == [[]] * 8


def test_without_frog_dutch_keeps_deduce_and_the_rules(monkeypatch, tmp_path):
    import pipeline.analysis.frog as frog
    from pipeline.privacy import detect
    from pipeline.privacy.shared import detector_for

    monkeypatch.setattr(frog, "missing", lambda binary="frog": "the Frog program (frog) is not installed")
    monkeypatch.setattr(detect, "load_deduce", lambda cache_dir: object())
    chosen = detector_for("nl", Path(tmp_path))
    assert chosen.name == "deduce-3.0.6+rules-4"
    assert detector_for("nl", Path(tmp_path), {"k": []}).name == "frog+deduce-3.0.6+rules-4"
    assert detector_for("en", Path(tmp_path)).name == "rules-4"


@pytest.mark.slow
@pytest.mark.needs_system("frog")
def test_frog_names_given_by_their_place_in_the_sentence(frog_detector):
    """#24, names5: a naming verb, a bare first name as subject, a name before "z'n", a compound naming a school,
    street or neighbourhood the lexicon does not know, a word no lexicon knows after a preposition."""
    texts = ["ze heet noor met twee o's en ze is pas elf",  # the name a naming verb gives, in lower case
             "Van Dam, zo heet die buurman, heeft ook gebeld.",
             "Beer is pas zes maar hij slaat al van zich af.",  # a first name that is a word, bare as the subject
             "ik heb toen noah z'n vader gebeld",  # a name before a possessive
             "ze zit nu op de vlinderschool in de bloemenbuurt",  # compounds the lexicon does not know
             "hij traint twee keer per week bij zwoekadi",  # a word no lexicon knows after a preposition
             # no name: a common noun with an article or an adjective, what something is called, the season, a
             # pronoun or an article before "z'n", compounds that are words, a compound of known words
             "De beer in de dierentuin sliep. Het heet gewoon intervisie. Het was winter in de klas.",
             "Iedereen z'n eigen tempo, de jongen z'n fiets.",
             "Hij zit op de basisschool in een woonwijk, in een zijstraat.",
             "We hadden een keukentafelgesprek bij zorgbalansteams."]
    found = [[(s.kind, s.text) for s in spans] for spans in frog_detector.detect_texts(texts)]
    assert found[0] == [("person", "noor")]
    assert found[1] == [("person", "Van Dam")]
    assert found[2] == [("person", "Beer")]
    assert found[3] == [("person", "noah")]
    assert found[4] == [("school", "vlinderschool"), ("place", "bloemenbuurt")]
    assert [text for _kind, text in found[5]] == ["zwoekadi"]
    assert found[6:] == [[]] * 4
