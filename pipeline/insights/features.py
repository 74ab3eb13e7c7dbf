"""Per-sentence features for ranking: reflection cue, small talk, procedure, agreement, closing round, endorsers."""
from __future__ import annotations

import logging
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
    Sentence,
    stop_words,
)

if TYPE_CHECKING:
    pass

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


CONTINUATION = {"nl": re.compile(r"^(?:en |ook )?(?:dat|ook dat)\b", re.IGNORECASE),
                "en": re.compile(r"^(?:and |also )?(?:that)\b", re.IGNORECASE)}


def _cue(text: str, lang: str) -> float:
    return max((weight for pattern, weight in CUES[lang] if pattern.search(text)), default=0.0)


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
    for s in sentences:
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
            content=sum(1 for w in s.lemmas if len(w) > 2 and w not in stop), closing=closing,
            endorsers=frozenset(endorsers.get(s.index, set()) - {s.label})))
    return result
