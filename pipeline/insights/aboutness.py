"""Aboutness: how much of a sentence is made of the words the group keeps using.

A summary of a conversation is written in the conversation's own subject words (the ones many speakers use, and
often), in ordinary function words, and hardly ever in the speakers' "I", "you" and "we" or their fillers. Each word
of a sentence gets the probability that a word like it appears in a summary of the conversation, from six
properties of the word in this conversation: a function word of the language, a first- or second-person pronoun, a
spoken filler or hedge, how often it is said (log), the share of the speakers who say it, and its length. A sentence's
aboutness is the mean over its words. Nothing here names a subject: the same model serves any conversation and any
language with the lexicon's lists.

The weights are a logistic regression on QMSum train (`bench/calibrate_insights.py --words`; label: the word, Porter
stemmed, occurs in the annotators' summary). Never fitted on val or on the report set.
"""
from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.insights.nlp import SPOKEN_STOP, Sentence, function_words, lexicon

if TYPE_CHECKING:
    import numpy as np

# Weights for (function word, personal pronoun, spoken filler, log(1 + count), share of speakers, length / 12) and
# the intercept.
WEIGHTS = (0.04, -4.2, -3.1, 0.88, 0.76, 1.97)
INTERCEPT = -5.28

_WORD = re.compile(r"[^\W\d_][\w']*")
_LETTERS = re.compile(r"[^\W\d_]+")  # the register table's words: letters only, split at apostrophes (i'm: i, m)


def word_features(sentences: Sequence[Sentence], lang: str) -> tuple[dict[str, list[float]], list[list[str]]]:
    """Per distinct word of the conversation its six properties, and each sentence's words (lower case)."""
    function, personal = function_words(lang), set(lexicon(lang)["pronouns"]["personal"])
    spoken = SPOKEN_STOP[lang]
    words = [_WORD.findall(s.text.lower()) for s in sentences]
    counts: Counter[str] = Counter(w for ws in words for w in ws)
    speakers: dict[str, set[str]] = {}
    for s, ws in zip(sentences, words, strict=True):
        for w in ws:
            speakers.setdefault(w, set()).add(s.label)
    n_speakers = max(len({s.label for s in sentences}), 1)
    table = {w: [float(w in function), float(w in personal), float(w in spoken and w not in function),
                 math.log1p(counts[w]), len(speakers[w]) / n_speakers, min(len(w), 12) / 12] for w in counts}
    return table, words


def aboutness(sentences: Sequence[Sentence], indices: Sequence[int], lang: str) -> np.ndarray:
    """Per sentence in `indices`, the mean probability that its words belong in a summary of the conversation."""
    import numpy as np

    table, words = word_features(sentences, lang)
    if not table:
        return np.zeros(len(indices))
    vocabulary = list(table)
    matrix = np.array([table[w] for w in vocabulary])
    logit = matrix @ np.array(WEIGHTS) + INTERCEPT
    probability = dict(zip(vocabulary, 1 / (1 + np.exp(-logit)), strict=True))
    return np.array([float(np.mean([probability[w] for w in words[i]])) if words[i] else 0.0 for i in indices])


def register_words(lang: str) -> set[str]:
    """The closed-class words a register table may hold: the language's function words and spoken words."""
    return {part for word in function_words(lang) | SPOKEN_STOP[lang] for part in _LETTERS.findall(word)}


def register_tokens(text: str) -> list[str]:
    return _LETTERS.findall(text.lower())


@functools.cache
def register_table(lang: str) -> dict[str, float]:
    """The lexicon's `[register]` table: word -> share of summaries that keep it (empty for other languages); read
    once per language, not to be changed."""
    entries = lexicon(lang).get("register", {}).get("kept", [])
    return {word: float(share) for word, share in (entry.split() for entry in entries)}


def register(sentences: Sequence[Sentence], indices: Sequence[int], lang: str) -> np.ndarray | None:
    """Per sentence in `indices`, how written its register is: the mean, over its closed-class words, of how often
    summaries keep that word (the lexicon's `[register]` table: "the", "of", "decided" high; "I", "you", "yeah",
    "because", "maybe" low). None when the language has no table."""
    import numpy as np

    table = register_table(lang)
    if not table:
        return None
    default = float(np.mean(list(table.values())))
    values = []
    for i in indices:
        known = [table[w] for w in register_tokens(sentences[i].text) if w in table]
        values.append(float(np.mean(known)) if known else default)
    return np.array(values)
