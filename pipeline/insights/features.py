"""Per-sentence features for ranking: reflection cue, small talk, procedure, agreement, closing round, endorsers.

The cue of a sentence comes from its grammar when Frog's analysis is there (`lesson_marks`: a generic statement in
the present, a generic subject, a norm, a condition, an evaluation, a contrast, a reported insight, a conclusion
after a story; against them a story in the past, a plan of the group, a named or third person as subject), else
from the lexicon's reflection phrases (`[cues]`, English and Dutch without Frog)."""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.insights.nlp import (
    ADVICE_PROMPT,
    AGREEMENT,
    CLOSING_PROMPT,
    CUES,
    PROCEDURAL,
    SMALL_TALK,
    SPOKEN_STOP,
    Sentence,
    stop_words,
)

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence as Parsed

log = logging.getLogger(__name__)

Progress = Callable[[float], None]


@dataclass(frozen=True)
class SentenceFeatures:
    cue: float  # 0..1, strongest reflection cue in the sentence
    small_talk: bool
    procedural: bool
    agreement: bool  # the sentence opens with "precies", "mee eens"...
    content: int  # content words (no stop words)
    closing: float  # 1 inside the closing round, 0.5 near the end when no closing round was found
    endorsers: frozenset[str] = field(default_factory=frozenset)  # labels of others who agreed right after
    marks: frozenset[str] = field(default_factory=frozenset)  # the grammatical marks of a lesson (`lesson_marks`)
    facilitator: bool = False  # said by the one who chairs (`facilitator`)


CONTINUATION = {"nl": re.compile(r"^(?:en |ook )?(?:dat|ook dat)\b", re.IGNORECASE),
                "en": re.compile(r"^(?:and |also )?(?:that)\b", re.IGNORECASE)}


def _cue(text: str, lang: str) -> float:
    return max((weight for pattern, weight in CUES[lang] if pattern.search(text)), default=0.0)


# ---------------------------------------------------------------- lessons from the analysis (Dutch with Frog)

# Closed classes of Dutch grammar, by lemma: the modal verbs that state a norm, the subordinating conjunctions of a
# condition, the connectives of a contrast and of a conclusion, the negation words, the auxiliaries of the perfect.
_NORM_MODALS = frozenset({"moeten", "mogen", "hoeven", "kunnen"})
_CONDITIONAL = frozenset({"als", "wanneer", "zodra", "indien", "mits"})
_CONTRAST = frozenset({"maar", "toch", "juist", "wel"})
_CONCLUSION = frozenset({"dus", "daarom", "daardoor", "uiteindelijk", "achteraf"})
_NEGATION = frozenset({"niet", "geen", "nooit", "niets", "niemand"})
_PERFECT = frozenset({"hebben", "zijn", "worden"})
_AUXILIARIES = frozenset({"zijn", "hebben", "worden", "zullen", "moeten", "kunnen", "mogen", "willen", "hoeven",
                          "blijken", "lijken", "blijven"})
_CONTENT_TAGS = frozenset({"N", "ADJ", "WW", "SPEC"})
_COUNTERFACTUAL = frozenset({"zullen", "hebben"})  # "zou … doen", "had … moeten": advice and hindsight


# How much each mark says "lesson": a logistic regression (L2, C = 0.3) on the tune set's Dutch conversations
# (`tests/data/insights/tune`: 696 statements of five words or more in 7 conversations, not the chair's, whose own
# sentences weigh less in the ranking anyway; 273 on a line that voices an annotated lesson; leave-one-conversation-
# out AUC 0.61, where the `[cues]` phrases reach 0.51). Never fitted on a report set. A rule, a condition, a reported
# insight, a negation and a generic subject in the present say "lesson"; a story, the speaker's own "ik" and, in
# these conversations, a statement right after a story in the same turn (the story goes on) say the opposite.
LESSON_WEIGHTS = {
    "rule": 0.82, "conditional": 0.75, "report": 0.64, "negation": 0.38, "generic_present": 0.29, "generic": 0.25,
    "group": 0.14, "hindsight": 0.10, "present": 0.09, "evaluative": 0.07, "contrast": -0.01, "conclusion": -0.03,
    "norm": -0.13, "narrative": -0.28, "after_story": -0.39, "speaker": -0.46,
}
LESSON_INTERCEPT = -0.53
_CUE_ZERO, _CUE_FULL = 0.39, 0.65  # the share of lesson statements in that fit; about its 93rd percentile
_STORY_REACH = 4  # sentences back in the same turn where a story may end


def _subject_kind(parsed: Parsed, i: int) -> str:
    """What the subject at `i` refers to: "generic" (je, men, iemand, an indefinite or bare plural noun, an
    infinitive), "speaker" (ik), "group" (we), "addressee" (jij, u), "third" (hij, ze, a name), "definite" (a noun
    with a definite determiner), else "other"."""
    token = parsed.tokens[i]
    features = set(token.tag_features)
    if token.tag == "VNW":
        if "onbep" in features or token.lemma.lower() == "men":
            return "generic"
        if "pers" not in features:
            return "other"
        if "1" in features:
            return "group" if "mv" in features else "speaker"
        if features & {"2v", "2b", "2"}:
            return "generic" if "red" in features else "addressee"  # unstressed "je" is anyone
        return "third" if features & {"3", "3p", "3m", "3v", "3o"} else "other"
    if token.tag == "SPEC" or token.entity_type == "PER":
        return "third"
    if token.tag == "WW":
        return "generic"  # "helpen wordt overnemen": an activity as such
    if token.tag == "N":
        determiners = [parsed.tokens[d] for d in parsed.dependents(i, "det")]
        if not determiners:
            return "generic" if "mv" in features else "other"
        if any("onbep" in d.tag_features for d in determiners):
            return "generic"  # "een collega die …", "elke cliënt"
        return "definite"
    return "other"


def finite_verb(parsed: Parsed, i: int) -> bool:
    """A finite verb, by its tag, unless it is a plural-present form that the parser hangs under another verb
    without a subject of its own: that is the infinitive of the same form ("had ik moeten bellen", "je moet
    afspraken maken")."""
    token = parsed.tokens[i]
    if not token.is_finite_verb:
        return False
    head = parsed.tokens[token.head] if token.head is not None else None
    return not ("mv" in token.tag_features and token.relation == "vc" and head is not None and head.tag == "WW"
                and parsed.subject(i) is None)


def _plural_present(parsed: Parsed, i: int) -> bool:
    """A verb the tagger read as an infinitive right after or before a plural personal pronoun in the nominative
    ("we spreken … af", "spreken we af"): Dutch spells the plural present as the infinitive, and an infinitive takes
    no nominative subject, so it is the finite verb in the present."""
    tokens = parsed.tokens
    if tokens[i].tag != "WW" or "inf" not in tokens[i].tag_features:
        return False
    return any(0 <= j < len(tokens) and tokens[j].tag == "VNW"
               and {"pers", "nomin", "mv"} <= set(tokens[j].tag_features)
               for j in (i - 1, i + 1))


def _or_none(index: int | None) -> int:
    return -1 if index is None else index


def lesson_marks(parsed: Parsed) -> frozenset[str]:
    """The grammatical marks of a lesson (and of its opposites) in one analysed Dutch sentence, by CGN tags,
    dependency relations and the lemmas of closed classes:

    generic (its subject is anyone: je, men, iemand, een collega, cliënten, an infinitive), present (a finite verb in
    the present, not a perfect), narrative (the past or a perfect: a story), hindsight ("zou …", "had … moeten"),
    norm (a modal verb of obligation or permission in the present said of anyone or nobody), conditional (als,
    wanneer), evaluative (an adjective as predicate or adverbial, or a comparative), negation, contrast (a
    contrasting connective with a negation: "niet …, maar …"), conclusion (dus, daarom), rule (an infinitive
    clause without a finite verb: "eerst luisteren, dan adviseren"), report (ik + present + a "dat" clause: "ik merk
    dat …"), and the subjects speaker (ik), group (we), third (hij, ze, a name)."""
    tokens = parsed.tokens
    finite = [i for i, t in enumerate(tokens) if finite_verb(parsed, i)]
    plural = [] if finite else [i for i in range(len(tokens)) if _plural_present(parsed, i)]
    finite += plural
    present = bool(plural) or any("tgw" in tokens[i].tag_features for i in finite)
    perfect = any(tokens[i].lemma in _PERFECT and any(tokens[d].tag == "WW" and "vd" in tokens[d].tag_features
                                                       for d in parsed.dependents(i, "vc")) for i in finite)
    past = any("verl" in tokens[i].tag_features for i in finite)
    hindsight = any(tokens[i].lemma in _COUNTERFACTUAL and "verl" in tokens[i].tag_features
                    and any(tokens[d].tag == "WW" and not finite_verb(parsed, d)
                            for d in parsed.dependents(i, "vc")) for i in finite)
    subjects = {i: _subject_kind(parsed, i) for i, t in enumerate(tokens) if t.relation == "su"}
    kinds = set(subjects.values())
    marks = {kind for kind in kinds if kind in {"generic", "speaker", "group", "third"}}
    if present and not perfect:
        marks.add("present")
    if (past or perfect) and not hindsight and not (present and not perfect):
        marks.add("narrative")
    if hindsight:
        marks.add("hindsight")
    # A norm: a modal of obligation or permission in the present said of anyone ("je moet", "men mag", "iedereen
    # kan") or of nobody in particular (no subject: "moet kunnen").
    if any(tokens[i].lemma in _NORM_MODALS and "tgw" in tokens[i].tag_features
           and subjects.get(_or_none(parsed.subject(i)), "generic") == "generic" for i in finite):
        marks.add("norm")
    lemmas = {t.lemma.lower(): t for t in tokens}
    if any(t.tag == "VG" and t.lemma.lower() in _CONDITIONAL for t in tokens):
        marks.add("conditional")
    if any(t.tag == "ADJ" and (t.relation == "predc" or "comp" in t.tag_features or "sup" in t.tag_features
                               or t.relation == "mod" and t.head is not None and tokens[t.head].tag == "WW")
           for t in tokens):
        marks.add("evaluative")
    if _NEGATION & set(lemmas):
        marks.add("negation")
        if any(t.tag in {"VG", "BW"} and t.lemma.lower() in _CONTRAST for t in tokens):
            marks.add("contrast")
    if any(t.tag == "BW" and t.lemma.lower() in _CONCLUSION for t in tokens):
        marks.add("conclusion")
    if not finite and any(t.relation == "ROOT" and t.tag == "WW" and "inf" in t.tag_features for t in tokens):
        marks.add("rule")
    if "speaker" in kinds and present and any(t.tag == "VG" and t.lemma.lower() == "dat" for t in tokens):
        marks.add("report")
    return frozenset(marks)


def answered_sentence(previous: list[Sentence], agreeing: list[Sentence], stop: set[str]) -> Sentence:
    """The sentence of the previous turn that an agreeing turn answers: the one that shares the most content words
    with what the agreeing turn goes on to say, else the previous turn's last statement (not a question)."""
    said = {w for s in agreeing for w in s.lemmas if len(w) > 2 and w not in stop}
    statements = [s for s in previous if not s.is_question] or previous
    overlap = [(len(said & {w for w in s.lemmas if len(w) > 2 and w not in stop}), k) for k, s in enumerate(statements)]
    best, position = max(overlap)
    return statements[position] if best >= 2 else statements[-1]


def sentence_features(sentences: list[Sentence], lang: str) -> list[SentenceFeatures]:
    stop = stop_words(lang)
    # The closing round starts at the facilitator's "wat neem je mee" in the second part of the conversation.
    end_time = max(s.end for s in sentences) or 1.0
    prompts = [s.index for s in sentences if CLOSING_PROMPT[lang].search(s.text) and s.start >= 0.4 * end_time]
    closing_from = prompts[0] if prompts else None
    advice = [s.index for s in sentences if ADVICE_PROMPT[lang].search(s.text)
              and (closing_from is None or s.index < closing_from)]
    advice_from = advice[-1] if advice else None
    # Agreement opening a turn endorses the one statement it answers, not the whole turn before it.
    by_turn: dict[int, list[Sentence]] = {}
    for s in sentences:
        by_turn.setdefault(s.turn, []).append(s)
    endorsers: dict[int, set[str]] = {}
    turn_ids = sorted(by_turn)
    for previous, current in zip(turn_ids, turn_ids[1:], strict=False):
        opener = by_turn[current][0]
        if AGREEMENT[lang].search(opener.text) and opener.label != by_turn[previous][0].label:
            answered = answered_sentence(by_turn[previous], by_turn[current], stop)
            endorsers.setdefault(answered.index, set()).add(opener.label)
    # The answer to a small-talk or logistics question is small talk too ("Is er parkeergelegenheid?" "Achter het
    # gebouw, met de code van de slagboom."): the first sentence of the next speaker's turn.
    answers_aside = {by_turn[current][0].index for previous, current in zip(turn_ids, turn_ids[1:], strict=False)
                     if by_turn[previous][-1].is_question and SMALL_TALK[lang].search(by_turn[previous][-1].text)
                     and by_turn[current][0].label != by_turn[previous][-1].label}
    result = []
    previous_cue = 0.0
    marks = _in_context(sentences)
    chair = facilitator(sentences) if sentences else None
    for s in sentences:
        if s.parsed is not None:
            cue = lesson_cue(marks[s.index])
        else:
            cue = _cue(s.text, lang)
            # "De sleutel is dat ik eerst luister. En dat ik ..." : the continuation carries the same cue.
            if previous_cue and CONTINUATION[lang].search(s.text) and s.turn == sentences[s.index - 1].turn:
                cue = max(cue, 0.9 * previous_cue)
        previous_cue = cue
        if closing_from is not None:
            closing = 1.0 if s.index > closing_from else 0.0
        else:
            closing = 0.5 if s.start >= 0.85 * end_time else 0.0
        if advice_from is not None and s.index > advice_from and (closing_from is None or s.index < closing_from):
            cue = max(cue, 0.3)  # the advice round
        if closing == 1.0:
            cue = max(cue, 0.6)  # whatever someone names in the closing round is, by definition, a takeaway
        result.append(SentenceFeatures(
            cue=cue, small_talk=bool(SMALL_TALK[lang].search(s.text)) or s.index in answers_aside,
            procedural=bool(PROCEDURAL[lang].search(s.text)), agreement=bool(AGREEMENT[lang].search(s.text)),
            content=content_words(s, stop), closing=closing,
            endorsers=frozenset(endorsers.get(s.index, set()) - {s.label}), marks=marks[s.index],
            facilitator=s.label == chair))
    return result


def facilitator(sentences: list[Sentence]) -> str | None:
    """The label of the one who chairs: with three or more speakers, the one who opens the conversation when she
    also asks the most questions (the facilitator steers by asking); None otherwise (a monologue, a dialogue, or
    an opener who does not steer)."""
    from collections import Counter

    if len({s.label for s in sentences}) < 3:
        return None
    questions = Counter(s.label for s in sentences if s.is_question)
    opener = sentences[0].label
    return opener if questions and questions.most_common(1)[0][0] == opener else None


def content_words(s: Sentence, stop: set[str]) -> int:
    """How many words of the sentence carry content. With the analysis: nouns, adjectives, names and verbs other
    than the auxiliaries and modals, by their CGN tags ("Eerst contact, dan pas de inhoud" has two), the spoken
    hedges and fillers of the lexicon left out; without it, the words that are no stop word."""
    if s.parsed is None:
        return sum(1 for w in s.lemmas if len(w) > 2 and w not in stop)
    spoken = SPOKEN_STOP["nl"]
    return sum(1 for t in s.parsed.tokens if t.tag in _CONTENT_TAGS and t.lemma.lower() not in _AUXILIARIES
               and t.lemma.lower() not in spoken and t.text.lower() not in spoken and any(c.isalpha() for c in t.text))


def _in_context(sentences: list[Sentence]) -> list[frozenset[str]]:
    """Each analysed sentence's `lesson_marks`, with two that need the sentences around it: generic_present (a
    generic subject with a verb in the present: a statement about anyone, now) and after_story (a statement in the
    present that follows a story in the past in the same turn: the speaker draws a conclusion)."""
    found: list[frozenset[str]] = []
    for s in sentences:
        if s.parsed is None:
            found.append(frozenset())
            continue
        marks = set(lesson_marks(s.parsed))
        if {"generic", "present"} <= marks:
            marks.add("generic_present")
        before = [found[j] for j in range(max(0, s.index - _STORY_REACH), s.index) if sentences[j].turn == s.turn]
        if "present" in marks and "narrative" not in marks and any("narrative" in m for m in before):
            marks.add("after_story")
        found.append(frozenset(marks))
    return found


def lesson_cue(marks: frozenset[str]) -> float:
    """0..1: how clearly the marks say a lesson, by the logistic weights of `LESSON_WEIGHTS` (0 at the tune set's
    share of lesson sentences, 1 at `_CUE_FULL`)."""
    logit = LESSON_INTERCEPT + sum(LESSON_WEIGHTS.get(mark, 0.0) for mark in marks)
    probability = 1 / (1 + math.exp(-logit))
    return min(max((probability - _CUE_ZERO) / (_CUE_FULL - _CUE_ZERO), 0.0), 1.0)
