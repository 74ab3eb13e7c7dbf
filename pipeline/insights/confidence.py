"""How well a piece of text was recognised: the recogniser's word probabilities behind a sentence, quote or action.

turns.json holds text without words; transcript.json holds Whisper's words with their probabilities. A sentence is
mapped to words by time and text: the words whose times fall within the sentence's span (widened by `slack`,
because sentence times are interpolated inside a turn) are aligned to the sentence's tokens (lower case,
punctuation removed) with difflib, so a cleaned insight text (fillers dropped, capitalised), a sentence split in
the middle of a turn, or a name put in place of a label still finds its words. A token without a matching word has
no probability and counts neither way.

Calibrated on real Dutch speech (real-nl fillets_dev_a, `python bench/calibrate_confidence.py`; fillets_dev_b
only reports):
- a word is *doubtful* when its probability is under `LOW_PROBABILITY`, the probability below which a word is more
  often wrong than right (logistic fit, P(wrong) = 0.5);
- a text's `confidence` is the mean probability of its matched words (`aggregate`); None when no word matched
  (imported transcripts have no probabilities). Of mean, minimum, 10th and 25th percentile and share of doubtful
  words, the mean follows a clip's word error rate best (Spearman);
- a sentence is doubtful when its confidence is under `SENTENCE_LOW`, the mean under which a sentence more often
  than not has a quarter or more of its words wrong. Within a theme, the insights prefer sentences above it.

A whole session was recognised poorly when the mean log-probability of its words is under `POOR_MEAN_LOG`
(`recognised`): of the share of doubtful words, the mean probability and the mean log-probability, it follows a
stretch's word error rate best, and -0.57 tells stretches with half or more of their words wrong from the others
best, on 30-second stretches of real and synthetic Dutch speech, clean and degraded
(`python bench/calibrate_recognition.py`, bench/README.md). The session page, the top 7 page and the draft then say
so, with the number of doubtful words.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import TypeVar

from pipeline.core.types import Recognised, Word

LOW_PROBABILITY = 0.55  # a word under it is more often wrong than right (bench/calibrate_confidence.py: 0.5497)
SENTENCE_LOW = 0.80  # a sentence whose mean is under it is more often garbled than not (same script: 0.7995)
MEASURED_ON = "whisper-base"  # the model the two thresholds were fitted for
POOR_MEAN_LOG = -0.57  # words' mean log-probability under it: poorly recognised (bench/calibrate_recognition.py)
MIN_WORDS = 25  # fewer words say too little to warn about a whole session
SLACK = 2.0  # seconds around a sentence's interpolated span in which its words are looked for
REACH = 15.0  # seconds after a start in which a text without an end (an action) is looked for

_TOKEN = re.compile(r"[\w']+")
T = TypeVar("T")


@dataclass(frozen=True)
class Thresholds:
    """A recogniser's word probabilities read the same way only for the model they were fitted on: per model, the
    probability under which a word is marked doubtful and the mean under which a sentence is."""

    word: float
    sentence: float
    measured: bool  # fitted on this model (False: base's values, until measured)


# Per model, as transcript.json names it. Only base is measured (bench/calibrate_confidence.py on real-nl); every
# other model uses base's values until it is (README, "Recognition errors").
THRESHOLDS = {MEASURED_ON: Thresholds(LOW_PROBABILITY, SENTENCE_LOW, True)}


def thresholds_for(model: str | None) -> Thresholds:
    """The thresholds for a model: its own when measured, else base's (marked as not measured)."""
    found = THRESHOLDS.get(model or MEASURED_ON)
    if found is not None:
        return found
    base = THRESHOLDS[MEASURED_ON]
    return Thresholds(base.word, base.sentence, measured=False)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """The normalised tokens of a text with their character spans: `"Ja, zo'n"` -> `[("ja", 0, 2), ("zo'n", 4, 8)]`."""
    return [(m.group().lower().strip("'"), m.start(), m.end()) for m in _TOKEN.finditer(text)
            if m.group().strip("'")]


def aggregate(probabilities: Sequence[float]) -> float | None:
    """A text's confidence from its words' probabilities: the mean (None for no words)."""
    return round(sum(probabilities) / len(probabilities), 4) if probabilities else None


class Recognition:
    """A session's recognised words, looked up by time and text."""

    def __init__(self, words: Sequence[Word], *, slack: float = SLACK, model: str | None = None) -> None:
        """`model`: the recogniser that gave the words (transcript.json's `model`), for its thresholds."""
        self.slack = slack
        self.thresholds = thresholds_for(model)
        # one entry per token of a word: (token, probability, start, end); a word such as "zo'n-achtig" gives two
        self._tokens = [(tok, w.probability, w.start, w.end)
                        for w in whole_words(words) for tok, _, _ in tokens(w.word)]
        self._starts = [t[2] for t in self._tokens]

    def __bool__(self) -> bool:
        return bool(self._tokens)

    def probabilities(self, text: str, start: float, end: float | None = None) -> list[tuple[int, int, float | None]]:
        """Each token of `text` as (char start, char end, probability of the word it was recognised as or None).

        Args:
            end: the end of the text's time span; None (an action knows only the start of its sentence, and may
                be its tail): up to `REACH` seconds on.
        """
        spans = tokens(text)
        if end is None:
            end = start + REACH
        lo = bisect.bisect_left(self._starts, start - self.slack)
        hi = bisect.bisect_right(self._starts, end + self.slack)
        window = self._tokens[lo:hi]
        found: list[float | None] = [None] * len(spans)
        matcher = SequenceMatcher(None, [s[0] for s in spans], [w[0] for w in window], autojunk=False)
        blocks = [block for block in matcher.get_matching_blocks() if block.size]
        if blocks:
            # the longest run of equal tokens places the text; a lone "de" far off in the window is not its word
            anchor = max(blocks, key=lambda block: block.size)
            drift = max(3, len(spans))  # a cleaned or reordered text (an action) shifts by a few words, not more
            for a, b, size in blocks:
                if abs((b - a) - (anchor.b - anchor.a)) <= drift:
                    for k in range(size):
                        found[a + k] = window[b + k][1]
        return [(s[1], s[2], p) for s, p in zip(spans, found, strict=True)]

    def confidence(self, text: str, start: float, end: float | None = None) -> float | None:
        """The confidence of a text said between `start` and `end` (see `aggregate`)."""
        return aggregate([p for _, _, p in self.probabilities(text, start, end) if p is not None])

    def doubtful(self, text: str, start: float, end: float | None = None,
                 threshold: float | None = None) -> list[tuple[int, int]]:
        """Character spans of the tokens of `text` recognised with a probability under `threshold` (default: the
        model's word threshold)."""
        limit = self.thresholds.word if threshold is None else threshold
        return [(a, b) for a, b, p in self.probabilities(text, start, end) if p is not None and p < limit]


def recognised(words: Sequence[Word], model: str | None = None) -> Recognised | None:
    """How well a session was recognised: its whole words, how many are doubtful (under the model's word
    threshold), and whether that is poor (None: no words with probabilities, e.g. an imported transcript).

    `POOR_MEAN_LOG` was measured on `MEASURED_ON` only; other models use it until they are measured."""
    whole = whole_words(words)
    if not whole:
        return None
    limits = thresholds_for(model)
    uncertain = sum(1 for w in whole if w.probability < limits.word)
    mean_log = sum(math.log(max(w.probability, 1e-6)) for w in whole) / len(whole)
    poor = len(whole) >= MIN_WORDS and mean_log < POOR_MEAN_LOG
    return Recognised(len(whole), uncertain, poor, limits.word, limits.sentence, round(mean_log, 4))


def whole_words(words: Sequence[Word]) -> list[Word]:
    """Whisper's words in time order, a piece without a leading space joined to the word before it.

    Whisper splits "M'n" into " M" and "'n"; the text has one token "m'n". The joined word keeps the lower
    probability of its pieces.
    """
    whole: list[Word] = []
    for word in sorted(words, key=lambda w: (w.start, w.end)):
        last = whole[-1] if whole else None
        if last is not None and word.word[:1] not in ("", " ") and word.start - last.end < 0.05:
            whole[-1] = Word(last.start, word.end, last.word + word.word, min(last.probability, word.probability))
        else:
            whole.append(word)
    return whole


def prefer_recognised(candidates: Sequence[T], confidence: Callable[[T], float | None],
                      threshold: float = SENTENCE_LOW) -> list[T]:
    """The candidates, well-recognised ones first in their given order, then the doubtful ones best first.

    A candidate is doubtful when its confidence is under `threshold`; one without a confidence (an imported
    transcript) is never doubtful, so without probabilities the order does not change.
    """
    def key(item: tuple[int, T]) -> tuple[int, float]:
        value = confidence(item[1])
        return (0, item[0]) if value is None or value >= threshold else (1, -value)

    return [c for _, c in sorted(enumerate(candidates), key=key)]
