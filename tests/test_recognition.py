"""Poor recognition: the session's measure (`insights.confidence.recognised`)."""

from __future__ import annotations

import math

import pytest

from pipeline.core.types import Insight, Recognised, Word
from pipeline.insights.confidence import LOW_PROBABILITY, MIN_WORDS, POOR_MEAN_LOG, SENTENCE_LOW, recognised

LOW, HIGH = 0.2, 0.95
CROSSING = (math.log(HIGH) - POOR_MEAN_LOG) / (math.log(HIGH) - math.log(LOW))  # the share of LOW words at the line


def words_with(share_low: float, n: int = 100) -> list[Word]:
    """`n` whole words, the first `share_low` of them under the uncertainty threshold."""
    low = round(share_low * n)
    return [Word(k * 0.4, k * 0.4 + 0.3, f" woord{k}", LOW if k < low else HIGH) for k in range(n)]


def test_a_session_is_poor_when_its_words_mean_log_probability_is_under_the_calibrated_line():
    fair = recognised(words_with(CROSSING - 0.05))
    assert not fair.poor and fair.mean_log > POOR_MEAN_LOG
    poor = recognised(words_with(CROSSING + 0.05))
    assert poor.poor and poor.mean_log < POOR_MEAN_LOG
    assert poor.words == 100 and poor.uncertain == round((CROSSING + 0.05) * 100)  # what the warning counts
    assert poor.share == pytest.approx(poor.uncertain / 100)
    # a few very unsure words weigh more than many slightly unsure ones: the log, not the share, decides
    many_slightly = [Word(k * 0.4, k * 0.4 + 0.3, f" w{k}", 0.5 if k < 60 else HIGH) for k in range(100)]
    assert not recognised(many_slightly).poor and recognised(many_slightly).uncertain == 60
    few_badly = [Word(k * 0.4, k * 0.4 + 0.3, f" w{k}", 0.02 if k < 20 else HIGH) for k in range(100)]
    assert recognised(few_badly).poor and recognised(few_badly).uncertain == 20
    assert (poor.word_low, poor.sentence_low) == (LOW_PROBABILITY, SENTENCE_LOW)  # the thresholds travel with it
    assert recognised([]) is None  # an imported transcript: no probabilities, nothing to say
    few = recognised(words_with(1.0, MIN_WORDS - 1))
    assert few.uncertain == MIN_WORDS - 1 and not few.poor  # too few words to judge a session by


def test_pieces_of_one_word_count_once_with_their_lowest_probability():
    pieces = [Word(0.0, 0.2, " M", 0.9), Word(0.2, 0.4, "'n", 0.3), Word(0.5, 0.8, " fiets", 0.9)]
    assert (recognised(pieces).words, recognised(pieces).uncertain) == (2, 1)


def test_an_insight_is_unsure_when_its_words_were_and_nobody_reworded_it():
    measure = Recognised(100, 50, True, LOW_PROBABILITY, SENTENCE_LOW)
    insight = Insight(1, "Grenzen", "Grenzen stellen helpt.", ("Sanne",), 0.9, (), confidence=SENTENCE_LOW - 0.1)
    assert measure.unsure(insight)
    assert not measure.unsure(Insight(1, "Grenzen", "Grenzen stellen helpt.", (), 0.9, (), confidence=0.9))
    assert not measure.unsure(Insight(1, "Grenzen", "Grenzen stellen helpt.", (), 0.9, ()))  # not known
    reworded = insight.mark(edited=True, original_text="Grens en stellen hel pt.")
    assert not measure.unsure(reworded)  # the facilitator wrote it: no longer the recogniser's words
    retitled = insight.mark(edited=True, original_text=insight.text)
    assert measure.unsure(retitled)  # a new title leaves the misheard sentence as it was
