"""Dutch clauses from Frog's parse, and whether one commits its subject to a task (for `actions`).

Frog gives every word its CGN tag (tense in `tgw`/`verl`, finite `pv`, infinitive `inf`, participle `vd`), its lemma
and a dependency parse. The parse is read with Dutch verb-second order where the parser is unsure: a main clause
has its finite verb second (after one constituent, or first in a question), its subject as that first constituent
or right after the verb ("Donderdag zet ik", "Dan mailt Ruud"), the verbs it governs after it and a subordinate
clause (its verb last) after a subordinating conjunction. From that: who (the speaker, the group, a named person,
the one addressed), which verb carries the task (the infinitive under gaan, zullen, willen, moeten; separable
particles joined: "neem ... mee" -> meenemen), the tense and mood, and the clause's adverbs of frequency, of the
moment and of negation. The closed classes (verbs that name no task, frequency adverbs, ...) are the `[actions]`
lists of `lexicons/nl.toml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pipeline.core.language import WEEKDAYS
from pipeline.insights.clauses import NameTest, Rules, Token, rules
from pipeline.insights.duedates import due_expression
from pipeline.insights.nlp import lexicon

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence as Parsed
    from pipeline.analysis.types import Token as Word

_BREAKS = {",", ";", ":", "...", "…", '"', "“", "”", "–", "-", "(", ")", ".", "!", "?"}
_SPLITTERS = {"en", "maar", "want", "dus"}  # coordinating conjunctions (Frog tags them VG(neven); "dus" is BW)
_PLURAL_SUBJECTS = {"we", "wij", "jullie", "ze", "zij"}
_PRONOUN_SUBJECTS = {"ik", "jij", "je", "u", "we", "wij", "hij", "zij", "ze", "jullie", "men", "iemand", "niemand"}
_WH_ADVERBS = {"hoe", "waar", "waarom", "wanneer", "hoelang"}
# A weekday alone ("op maandag") may be every Monday: it does not make a habit a plan, "volgende week" does.
_BARE_DAY = re.compile(r"(?:op )?(?:" + "|".join(WEEKDAYS["nl"]) + r")\w*", re.IGNORECASE)
# Words that open a clause the verb governs as its object: "ik neem mee dat ...", "ik neem mee hoe ...".
_CLAUSE_OBJECT = {"hoe", "wat", "waar", "waarom", "wanneer", "welke", "wie", "of", "dat", "hoeveel"}
_DEMONSTRATIVES = {"het", "dat", "dit", "die"}
_PRESENT = {"jij", "je", "jou", "u", "jullie", "iedereen"}  # those present in the meeting, asked there and then


@dataclass(frozen=True)
class Reading:
    """One clause of a parsed Dutch sentence: who does what, in which tense and mood, and what else it holds.

    `mood`: "present" (a lexical verb in the present: "ik bel", "Dan mailt Ruud"), "future" (gaan/zullen with an
    infinitive), "intent" (willen with one), "obligation" (moeten with one), "hortative" ("laten we ..."), "modal"
    (kunnen, mogen, hoeven), "wish" (willen without an infinitive: "ik wil dat ..."), "past", "perfect",
    "conditional" (zou, zouden), "passive".
    """

    who: str | None  # "speaker", "group", "addressee", "name", "other", or None (no subject: an imperative)
    name: str | None  # the name as written, for who == "name"
    verb: str  # lemma of the verb that carries the task, its separated particle joined ("meenemen")
    mood: str
    first: int  # token span of the clause (the main clause up to a subordinate clause inside it)
    last: int
    start: int  # character span of the clause in the sentence text
    end: int
    opener: str | None  # the sequencing adverb that opens it ("dan", "daarna"), if any
    complement: str | None  # the word opening a clause that the verb governs ("dat", "hoe", "of"), if any
    negated: bool
    habitual: bool  # a frequency adverb: "altijd", "meestal", "elke ..."
    immediate: bool  # an adverb of the moment: "even", "nu", "meteen"
    already: bool  # "al" with a present tense: it is so already ("daar zie ik op maandag al tegen op")
    proform: bool  # "doe ik", "dat ga ik doen": the task is named elsewhere
    destination: bool  # a goal: "naar het overleg", "bij Kim", "naar hem toe"
    own_things: bool  # "mijn eigen ..."
    meeting_object: bool  # "de tijd", "mijn scherm", "het woord", "de beurt"
    pronoun_object: bool  # no noun in the clause, or its object a demonstrative ("dat neem ik mee")
    text: str  # the clause's words as said
    agreed: bool = False  # the clause agreed on in "we spreken af dat ...": the agreement made now is its anchor


@dataclass(frozen=True)
class ParsedSentence:
    """The clauses of a parsed sentence and what holds for the sentence as a whole."""

    clauses: tuple[Reading, ...]
    conditional: bool  # a real condition is attached ("als de directie akkoord is, ...")
    counterfactual: bool  # a condition in the past ("als ik meer tijd had, ...")
    hedged: bool  # a parenthetical "denk ik", "hoop ik"
    question: bool
    retracted: bool = False  # a clause after "maar" negates it as a whole: "..., maar ik durf het niet"
    instruction: bool = False  # an imperative of more than one word: "zeg het dan ook, dan zet ik ...", "Slaap er
    # een nacht over, ik bel je morgen": a rule for the meeting, or words voiced to someone, not a plan
    attributive: frozenset[tuple[str, str]] = frozenset()  # ordinals before their noun ("zesde sessie")


def attributive_ordinals(parsed: Parsed) -> frozenset[tuple[str, str]]:
    """(ordinal, noun) pairs where Frog tags an ordinal right before a noun ("de zesde sessie"): a meeting's number,
    not a day of the month (`duedates.due_expression`)."""
    toks = parsed.tokens
    return frozenset((toks[k].text.lower(), toks[k + 1].text.lower()) for k in range(len(toks) - 1)
                     if toks[k].tag == "TW" and "rang" in toks[k].tag_features and toks[k + 1].tag == "N")


def _offsets(parsed: Parsed, text: str) -> list[tuple[int, int]]:
    """Each token's character span in `text` (the verbatim sentence); a token Frog normalised gets an empty span."""
    spans, at = [], 0
    for token in parsed.tokens:
        found = text.find(token.text.replace("_", " "), at)
        if found < 0:
            spans.append((at, at))
            continue
        spans.append((found, found + len(token.text)))
        at = found + len(token.text)
    return spans


def _segments(toks: tuple[Word, ...]) -> list[tuple[int, int]]:
    """Token spans between punctuation and before coordinating conjunctions: the candidate clauses."""
    segments: list[tuple[int, int]] = []
    begin = 0
    for i, tok in enumerate(toks):
        low = tok.text.lower()
        if tok.tag == "LET" and low in _BREAKS:
            if begin < i:
                segments.append((begin, i))
            begin = i + 1
        elif i > begin and ((tok.tag == "VG" and "neven" in tok.tag_features and low != "of")
                            or low in _SPLITTERS) and not (
                low == "maar" and i + 1 < len(toks) and toks[i + 1].tag == "TW"):  # "maar één ...": only
            segments.append((begin, i))
            begin = i
    if begin < len(toks):
        segments.append((begin, len(toks)))
    return segments


def read_parsed(parsed: Parsed, text: str, is_name: NameTest) -> ParsedSentence:
    """The clauses of one Dutch sentence (`text`, verbatim) from Frog's analysis of it (see the module docstring)."""
    r = rules("nl")
    data = lexicon("nl")["actions"]
    toks = parsed.tokens
    spans = _offsets(parsed, text)
    readings: list[Reading] = []
    conditional = counterfactual = hedged = retracted = instruction = False

    def condition(at: int, end: int) -> None:
        nonlocal conditional, counterfactual
        if toks[at].text.lower() in r.words["conditional"]:
            tense = _finite_tense(toks, at + 1, end)
            conditional = conditional or tense == "tgw"
            counterfactual = counterfactual or tense == "verl"

    # a colon or an opening quote after a clause of saying frames what follows as words said ("Zeg "ik kom er
    # morgen op terug"")
    colon = next((k for k, tok in enumerate(toks) if tok.text in {":", '"', "“", "„"}), None)
    for a, b in _segments(toks):
        if colon is not None and colon < a and any(
                c.last < colon and (c.mood in {"past", "perfect", "conditional", "modal"}
                                    or c.who in {"other", "addressee"} or (c.who is None and c.last > c.first)
                                    or c.verb in data["course_verbs"])
                for c in readings):
            # "Ik voelde het als: als ik wegga, ...", "je mag zeggen: ik bel u terug", "vraag haar: ...": said (not
            # after a bare "wacht" or "kijk", which only hold the floor)
            break
        i, opener = a, None
        while i < b - 1 and (toks[i].text.lower() in r.words["openers"] or toks[i].tag == "TSW"
                             or (toks[i].tag == "VG" and "neven" in toks[i].tag_features)):
            if toks[i].text.lower() in data["sequencers"]:
                opener = toks[i].text.lower()
            i += 1
        if _subordinate(toks[i]) or (toks[i].tag == "VZ" and i + 1 < b and toks[i + 1].tag == "VNW"
                                     and "nomin" in toks[i + 1].tag_features):
            # a preposition before a subject pronoun is a conjunction Frog did not tag as one ("..., voor ik ga
            # oplossen"): a subordinate clause
            condition(i, b)
            continue
        if toks[i].is_finite_verb and toks[i].lemma == "mogen" and "verl" in toks[i].tag_features and not (
                text.rstrip().endswith("?")):
            conditional = True  # "Mocht het nodig zijn, dan bel ik haar": a condition, in verb-first order
            continue
        reading = _read_clause(parsed, spans, text, (i, b), opener, is_name)
        if reading is None:
            continue
        if reading.who is None and toks[i].is_finite_verb and reading.last > reading.first:
            instruction = True
        if reading.who == "speaker" and reading.verb in data["hedge_verbs"] and reading.last - reading.first <= 2:
            hedged = True  # "..., denk ik"
            continue
        if reading.who is None and reading.verb in data["supposition_verbs"] and reading.last == reading.first and (
                not readings):
            counterfactual = True  # "Stel, ik bel haar morgen en ...": an imperative of supposing opens a supposition
            continue
        inner = next((k for k in range(reading.last + 1, b) if _subordinate(toks[k])), None)
        if inner is not None:
            condition(inner, b)
        if readings and toks[a].text.lower() == "maar" and reading.negated and reading.complement is None and (
                reading.pronoun_object):
            retracted = True  # "Eigenlijk wil ik haar bellen, maar ik durf het niet": the plan taken back
        readings.append(reading)
        # "we spreken af dat ...", and the speaker's own decision in the perfect, "ik heb besloten dat ..." (not "we
        # hebben afgesproken dat ...", which may recall an agreement of an earlier meeting)
        decided = reading.mood == "perfect" and reading.who == "speaker" and any(
            toks[k].tag == "WW" and "vd" in toks[k].tag_features and toks[k].lemma.lower() in data["agreement_verbs"]
            for k in range(reading.first, reading.last + 1))
        agreeing = reading.verb in data["agreement_verbs"] or decided
        if agreeing and reading.complement == "dat" and inner is not None:
            agreed = _read_clause(parsed, spans, text, (inner + 1, b), None, is_name, verb_last=True)
            if agreed is not None:
                # "we spreken af dat Joris het rooster rondstuurt": agreed now by the speaker or the group
                now = reading.who in {"speaker", "group"} and reading.mood in {"present", "future", "hortative"}
                readings.append(replace(agreed, agreed=now))
    return ParsedSentence(tuple(readings), conditional, counterfactual, hedged, text.rstrip().endswith("?"),
                          retracted, instruction, attributive_ordinals(parsed))


def _subordinate(tok: Word) -> bool:
    """Does this word open a subordinate clause? A subordinating conjunction, but not "dan", which Frog sometimes
    tags so where it resumes a condition ("als ..., dan plan ik")."""
    return tok.tag == "VG" and ("onder" in tok.tag_features or tok.text.lower() == "als") and (
        tok.text.lower() != "dan")


def _embedded(toks: tuple[Word, ...], k: int, verb: int) -> bool:
    """Does an embedded clause start at k: a relative or interrogative word ("die we gevonden hebben", "hoe het
    is"), or "om" before a "te"-infinitive ("om daar te wonen")?"""
    tok = toks[k]
    if k <= verb + 1:
        return False
    if tok.tag == "VNW" and ("betr" in tok.tag_features or "vb" in tok.tag_features):
        return True
    if tok.tag == "BW" and tok.text.lower() in _WH_ADVERBS:
        return True
    return tok.text.lower() == "om" and any(t.text.lower() == "te" for t in toks[k + 1:k + 8])


def _finite_tense(toks: tuple[Word, ...], a: int, b: int) -> str | None:
    """"tgw" or "verl": the tense of the first finite verb in toks[a:b]."""
    for k in range(a, b):
        if toks[k].is_finite_verb:
            return "verl" if "verl" in toks[k].tag_features else "tgw"
    return None


def _person(tok: Word, is_name: NameTest, first: bool) -> tuple[str, str | None] | None:
    """A subject: a personal pronoun (by the `[actions]` lists) or a person's name (a speaker's, or what Frog tags
    a proper name or a person)."""
    w = rules("nl").words
    low = tok.text.lower()
    if tok.tag == "VNW":
        if low in lexicon("nl")["actions"]["everyone"]:
            return "group", None  # "iedereen": everyone present
        if "bez" in tok.tag_features or low not in _PRONOUN_SUBJECTS:
            return None  # "Neem je badge mee": a possessive, not a subject
        if low in w["first_person"]:
            return "speaker", None
        if low in w["group"]:
            return "group", None
        return ("addressee", None) if low in w["second_person"] else ("other", None)
    if (tok.tag == "SPEC" or tok.entity_type == "PER") and tok.text[:1].isupper() and (
            tok.entity_type == "PER" or is_name(Token(tok.text, low, 0), first)):
        return "name", tok.text
    return None


def _finite(toks: tuple[Word, ...], i: int, b: int, verb_last: bool, is_name: NameTest) -> int | None:
    """The clause's finite verb: the first word Frog tags finite (near the clause's start: verb-second), or, where
    Frog tagged it something else ("Ik deel even mijn scherm", "dan plan ik", "maandag kaart ik het aan"), the word
    right after a subject pronoun that the `[actions]` verb forms know, or the word right before a subject pronoun
    after at most one word."""
    r = rules("nl")
    low = [t.text.lower() for t in toks]
    if verb_last:
        # up to a clause inside it ("dat we één ding vertellen dat we geprobeerd hebben"); a plural present the
        # tagger took for the infinitive ("dat we allemaal twee cijfers meenemen") is the verb after a plural subject
        stop = next((k for k in range(i + 1, b) if _subordinate(toks[k]) or (
            toks[k].tag == "VNW" and "betr" in toks[k].tag_features)), b)
        found = next((k for k in range(i, stop) if toks[k].is_finite_verb), None)
        if found is None and any(low[k] in _PLURAL_SUBJECTS for k in range(i, stop)):
            found = next((k for k in reversed(range(i, stop))
                          if toks[k].tag == "WW" and "inf" in toks[k].tag_features), None)
        return found
    verb = None
    for k in range(i, min(b, i + 7)):
        if toks[k].is_finite_verb:
            verb = k
            break
        if k > i and _subordinate(toks[k]):
            break
    if not (verb is None or (verb > i + 1 and toks[i].tag == "VNW" and "pers" in toks[i].tag_features)):
        return verb
    for k in range(i, min(b, i + 3)):
        after_subject = k == i + 1 and low[i] in _PRONOUN_SUBJECTS and low[k] in r.finite
        before_subject = (k + 1 < b and low[k + 1] in _PRONOUN_SUBJECTS and toks[k].tag in {"N", "ADJ", "WW"}
                          and (k == i or toks[k - 1].tag not in {"LID", "VZ", "VNW", "VG"}))
        if after_subject or before_subject:
            return k
    return verb


def _subject(parsed: Parsed, span: tuple[int, int], verb: int, verb_last: bool,
             is_name: NameTest) -> tuple[str, str | None] | None:
    """Who the clause is about: the one pronoun or name before the finite verb, else a pronoun or name right after
    it (inversion), else what the parser calls its subject (a noun: someone else)."""
    toks = parsed.tokens
    i, end = span
    if verb_last:
        return next((found for k in range(i, verb) if (found := _person(toks[k], is_name, False))), None)
    low = toks[i].text.lower()
    subject = None
    if verb - i == 1 and (low in _PRONOUN_SUBJECTS or toks[i].tag != "VNW"):
        subject = _person(toks[i], is_name, i == 0)
    if subject is None and verb + 1 < end:
        subject = _person(toks[verb + 1], is_name, False)
        if verb == i and subject and subject[0] == "addressee" and toks[-1].text != "?":
            return None  # verb first, not asking: an imperative ("Femke, draai je stoel maar om")
    if subject is None:
        su = [k for k in parsed.dependents(verb, "su") if i <= k < end]
        if su:
            subject = _person(toks[su[0]], is_name, su[0] == 0) or (
                ("other", None) if toks[su[0]].tag in {"N", "VNW"} else None)
    if subject is None and 0 < verb - i <= 3 and (toks[i].tag == "N" or (toks[i].tag == "VNW"
                                                                        and low not in _PRONOUN_SUBJECTS)):
        subject = ("other", None)
    return subject


def _mood(toks: tuple[Word, ...], verb: int, lemma: str, scope: range, who: str | None) -> tuple[str, int | None]:
    """The clause's mood (see `Reading`) and the infinitive that carries its task, if a verb other than the finite
    one does."""
    finite = toks[verb]
    features = finite.tag_features if finite.tag == "WW" else ("pv", "tgw")
    infinitives = [k for k in scope if k != verb and toks[k].tag == "WW" and "inf" in toks[k].tag_features]
    participles = [k for k in scope if k != verb and toks[k].tag == "WW" and "vd" in toks[k].tag_features]
    last = infinitives[-1] if infinitives else None
    if "verl" in features:
        return ("conditional" if lemma == "zullen" else "past"), None
    if lemma in {"hebben", "zijn"} and participles:
        return "perfect", None
    if lemma == "worden" and participles:
        return "passive", None
    if lemma in {"gaan", "zullen"} and last is not None:
        return "future", last
    if lemma == "willen":
        return ("intent", last) if last is not None else ("wish", None)
    if lemma == "moeten" and last is not None:
        return "obligation", last
    if lemma in {"kunnen", "mogen", "hoeven"} or (lemma in {"moeten", "zullen"} and last is None):
        return "modal", None  # "ik moet morgen vroeg op": a modal without its infinitive names no task
    if lemma == "laten" and last is not None and who == "group":
        return "hortative", last
    if lemma == "komen" and last is not None:
        return "present", last  # "dan kom ik bij Mohamed kijken"
    return "present", None


def _read_clause(parsed: Parsed, spans: list[tuple[int, int]], text: str, span: tuple[int, int],
                 opener: str | None, is_name: NameTest, verb_last: bool = False) -> Reading | None:
    """The clause of toks[span] (a main clause; with `verb_last`, a subordinate one), or None without a finite
    verb."""
    r = rules("nl")
    data = lexicon("nl")["actions"]
    toks = parsed.tokens
    i, b = span
    verb = _finite(toks, i, b, verb_last, is_name)
    if verb is None:
        return None
    low = [t.text.lower() for t in toks]
    end = next((k for k in range(verb + 1, b) if _subordinate(toks[k]) or _embedded(toks, k, verb)), b)
    scope = range(i, end)
    subject = _subject(parsed, (i, end), verb, verb_last, is_name)
    who, name = subject if subject else (None, None)
    finite = toks[verb]
    lemma = finite.lemma.lower() if finite.tag == "WW" else _rule_infinitive(low[verb], r)
    mood, carrier = _mood(toks, verb, lemma, scope, who)
    if carrier is not None:
        task = toks[carrier].lemma.lower()
    else:
        # its separated particle joined, from this clause only ("Ik merk dat ik er tegen opzie": not "tegenmerken")
        task = ("".join(toks[k].lemma for k in parsed.dependents(verb, "svp")
                        if i <= k < end and toks[k].tag in {"VZ", "BW", "ADJ"} and " " not in toks[k].lemma)
                + finite.lemma).lower() if finite.tag == "WW" else lemma
        particle = next((low[k] for k in range(verb + 1, end)
                         if toks[k].tag == "VZ" and "fin" in toks[k].tag_features and low[k] in r.words["particles"]),
                        None)
        if particle and task in {lemma, finite.lemma.lower()}:
            task = particle + task  # "Ik neem wel stroopwafels mee": Frog did not attach "mee"
    words = set(low[i:end])
    nouns = [k for k in scope if toks[k].tag in {"N", "SPEC"} and k != verb]
    objects = [k for k in scope if toks[k].relation in {"obj1", "obj2"} and k != verb]
    start, stop = spans[i][0], spans[end - 1][1]
    return Reading(
        who=who, name=name, verb=task, mood=mood, first=i, last=end - 1, start=start, end=stop,
        opener=opener, complement=low[end] if end < b else None,
        negated=bool(words & set(data["negation"])),
        # "in elk geval", "in ieder geval": in any case, not every time
        habitual=any(low[k] in data["habitual_words"] and not (k + 1 < end and toks[k + 1].lemma == "geval")
                     for k in range(i, end)),
        immediate=bool(words & set(data["immediate_words"])),
        already=mood == "present" and any(low[k] in data["already_words"] and toks[k].tag == "BW" for k in scope),
        proform="doen" in {task, lemma} and not any(toks[k].tag == "N" for k in objects),
        destination=any(low[k] in {"naar", "bij", "langs"} and k + 1 < end for k in scope) or "toe" in words,
        # "mijn eigen laptop" as what is brought, not "naar mijn eigen gesprek" (a goal)
        own_things=any(low[k] == "eigen" and low[k - 1] in {"mijn", "m'n"} and not (k >= 2 and toks[k - 2].tag == "VZ")
                       for k in range(i + 1, end)),
        meeting_object=any(toks[k].lemma.lower() in data["meeting_objects"] and toks[k - 1].tag in {"LID", "VNW"}
                           for k in nouns if k > i),
        pronoun_object=not nouns or any(toks[k].tag == "VNW" and low[k] in _DEMONSTRATIVES for k in objects)
        or (toks[i].tag == "VNW" and low[i] in _DEMONSTRATIVES and i < verb),
        text=text[start:stop])


def _rule_infinitive(form: str, r: Rules) -> str:
    """The infinitive of a verb form the `[actions]` verb list knows ("plan" -> "plannen")."""
    for entry in lexicon(r.lang)["actions"]["verbs"]:
        forms = entry.split()
        if form in forms:
            return forms[-1]
    return form


def parsed_commitment(sentence: ParsedSentence, *, dated: bool, follows_plan: bool = False, answers: bool = False,
                      planning: bool = False, closing: bool = False) -> Reading | None:
    """The first clause of a parsed sentence that commits its subject to a task, or None.

    A commitment is in the present or future, by the speaker, the group, a named person or (when named in the
    address) the one addressed; it needs to look ahead: a day or time is said (`dated`), a condition is attached
    ("als de directie akkoord is, plan ik ..."), it answers a request, or it goes on from a plan just said ("Dan
    vraag ik ..." after "Donderdag ben ik bij hem"); an address alone does not ("Bertus, jij luistert alleen").
    Gaan and zullen with an infinitive commit by themselves, except in the closing round, where an undated
    intention is what someone takes away; willen and moeten need a day or a condition. An undertaking ("ik zorg dat
    ..."), the speaker asking someone not present as the next step ("Dan vraag ik Marja of zij ...") and what the
    speaker or the group agrees on now ("we spreken af dat iedereen ...", even a new habit) commit without a day.
    Not commitments: questions, the past, the perfect, "zou", can/may, negations, a habit or the moment ("ik deel
    even mijn scherm") without a day, the meeting's own means and talk (saying, proposing: a day of their own clause
    is needed), hospitality, the speaker's own things, taking something away ("ik neem mee
    dat ..."), verbs that name no task (thinking, being, having), hedges, a sentence with an instruction in it ("zeg
    het dan ook, dan zet ik het in het verslag"), advice to the one addressed ("je moet ...", or with a modal
    particle: "jij gaat gewoon dat gesprek aan"), a pro-form after an act of the moment ("Ik doe dit nu even voor
    je, en de volgende keer doen we het samen"). A day is not read from an ordinal before its noun ("op de zesde
    sessie").

    Args:
        dated: the sentence names a coming day or time (`duedates.due_expression`).
        follows_plan: the sentence before it in the same turn looked ahead (a commitment or a coming time).
        answers: the sentence answers a request or an offer the speaker accepted.
        planning: it is said in the round where the group plans what to do ("Wat gaan we doen?"), where a present
            tense is a plan ("daar bel ik haar zelf over").
        closing: it is said in the closing round ("wat neem je mee?").
    """
    if sentence.question or sentence.counterfactual or sentence.hedged or sentence.retracted or sentence.instruction:
        return None
    r = rules("nl")
    data = lexicon("nl")["actions"]
    now = False  # an earlier clause is an act of the moment ("Ik doe dit nu even voor je, en ...")
    for c in sentence.clauses:
        if c.verb in data["agreement_verbs"] and c.complement == "dat" and len(sentence.clauses) > 1:
            continue  # "we spreken af dat ...": the agreed clause is the task
        if c.proform and now:
            continue  # "..., en de volgende keer doen we het samen": "het" is that act, how it will go, no new task
        now = now or (c.immediate and c.mood == "present" and due_expression(c.text, "nl", sentence.attributive)
                      is None)
        if _commits(c, sentence, r, data, dated=dated, follows_plan=follows_plan or planning, answers=answers,
                    closing=closing, planning=planning):
            return c
    return None


def _commits(c: Reading, sentence: ParsedSentence, r: Rules, data: dict[str, Any], *, dated: bool,
             follows_plan: bool, answers: bool, closing: bool, planning: bool = False) -> bool:
    if c.who not in {"speaker", "group", "name", "addressee"}:
        return False
    if c.agreed:
        # What is agreed binds from now on whatever its form: a new habit ("dat we elk incident in het logboek
        # zetten") or a refusal ("dat we geen mails meer sturen na zes uur") is the agreement's content.
        return c.mood in {"present", "future", "intent", "obligation"} and not (
            c.meeting_object or r.matches("hospitality", c.text))
    if c.mood in {"past", "perfect", "conditional", "passive", "modal", "wish"} or c.negated:
        return False
    if c.who == "addressee" and (c.mood == "obligation" or set(re.findall(r"\w+", c.text.lower()))
                                 & set(data["advice_particles"])):
        return False  # "Fatima, je moet haar morgen echt bellen", "jij gaat gewoon dat gesprek aan": advice, not a task
    own_day = due_expression(c.text, "nl", sentence.attributive)
    if (c.immediate and own_day is None) or (c.habitual and (own_day is None or _BARE_DAY.fullmatch(own_day))):
        return False  # "ik deel even mijn scherm", "meestal stuur ik het op maandag"; not "vanaf volgende maand ..."
    # "al" with a coming day is earlier than planned ("ik mail het vrijdag al"); without one, or with "op maandag"
    # (any Monday), it is so already ("daar zie ik op maandag al tegen op")
    any_weekday = own_day is not None and bool(_BARE_DAY.fullmatch(own_day)) and own_day.lower().startswith("op ")
    if (c.already and (own_day is None or any_weekday)) or (c.who == "group" and c.mood != "future" and own_day
                                                             and own_day.lower() in data["today_words"]):
        return False  # "vandaag doen we de roddelmethode": the meeting itself
    if c.meeting_object or r.matches("hospitality", c.text):
        return False
    if c.own_things and c.verb in data["bringing_verbs"]:
        return False
    taking_away = c.verb == "meenemen" and not c.destination and (
        c.complement in _CLAUSE_OBJECT or c.pronoun_object)
    if taking_away or (r.matches("takeaway", c.text) and not (c.verb == "meenemen" and c.destination)):
        return False
    if any(r.matches(kind, c.text) for kind in ("expectation", "hypothetical", "procedure", "immediate")):
        return False
    if c.verb in data["not_task_verbs"] or (c.verb in data["motion_verbs"] and not c.destination):
        return False
    if c.verb in data["course_verbs"] and own_day is None:
        return False  # "ik ga beginnen met een rondje", "dan zeg ik dat ...": the meeting's own course, or what
        # will be said in a conversation planned elsewhere; a day of its own makes it a task ("ik vertel het vrijdag")
    conditional = sentence.conditional
    # "ik zorg dat ...", "ik beloof dat ...": the speaker takes the outcome on, now
    undertaking = c.verb in data["undertaking_verbs"] and c.complement == "dat" and c.mood in {"present", "future"}
    # "Dan vraag ik Marja of zij ...": the speaker's next step, asking someone outside the meeting (not "jullie")
    # whether they will do something, is a plan of its own
    delegating = (c.who == "speaker" and c.opener is not None and c.mood == "present" and c.complement == "of"
                  and c.verb in data["delegation_verbs"]
                  and not set(re.findall(r"\w+", c.text.lower())) & _PRESENT)
    if c.proform and not (dated or answers):
        return False  # "Dat doe ik liever alleen": a pro-form commits only to a task just asked for, or with a day
    # An assignment to someone named in the address ("Joris, jij belt de school vrijdag") needs what any other
    # commitment needs: "Bertus, jij luistert alleen" is the meeting's own business.
    anchored = dated or conditional or answers or undertaking or delegating or (
        follows_plan and (c.opener is not None or planning))
    # The group commits with a day of its own clause ("we sturen het voor vrijdag"), not with one said elsewhere in
    # the sentence ("we werken vandaag volgens ...: ... en we sluiten af met een rondje").
    grouped = own_day is not None or conditional or undertaking
    if c.mood == "future":
        return (anchored or not closing) and (c.who != "group" or grouped)
    if c.mood in {"intent", "obligation"}:
        return (dated or conditional or answers) and (c.who != "group" or grouped)
    if c.mood == "hortative" or c.who == "group":
        return grouped
    return anchored
