"""Poor recognition said plainly: the session's measure (`insights.confidence.recognised`), the draft's warning and
its line under an insight built on uncertain words, and the session and top 7 pages (in process; the browser test
at phone width is tests/test_web_phone.py)."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path

import pytest
from docx import Document

from pipeline.core.language import texts
from pipeline.core.session import Session
from pipeline.core.types import Insight, Insights, Recognised, Turns, Word
from pipeline.insights.confidence import LOW_PROBABILITY, MIN_WORDS, POOR_MEAN_LOG, SENTENCE_LOW, recognised
from pipeline.review.draft import write_draft

DATA = Path(__file__).parent / "data" / "session"
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


def session_folder(root: Path, name: str, share_low: float | None, confidence: float | None = 0.5) -> Session:
    """A processed session from tests/data/session: its turns spoken as Whisper words with `share_low` of them
    uncertain (None: an imported transcript), the first insight with `confidence`."""
    folder = root / name
    folder.mkdir(parents=True)
    for artefact in ("turns.json", "insights.json"):
        shutil.copy(DATA / artefact, folder / artefact)
    turns = json.loads((DATA / "turns.json").read_text(encoding="utf-8"))["turns"]
    segments, k = [], 0
    for turn in turns:
        parts = turn["text"].split()
        step = (turn["end"] - turn["start"]) / len(parts)
        words = []
        for i, part in enumerate(parts):
            low = share_low is not None and (k % 10) < share_low * 10
            words.append({"start": turn["start"] + i * step, "end": turn["start"] + (i + 1) * step,
                          "word": " " + part, "probability": LOW if low else HIGH})
            k += 1
        segments.append({"start": turn["start"], "end": turn["end"], "text": turn["text"], "words": words})
    transcript = {"language": "nl", "duration": 3622.34, "model": "whisper-base", "segments": segments}
    if share_low is None:
        transcript.update(imported=True, words_estimated=True)
    (folder / "transcript.json").write_text(json.dumps(transcript), encoding="utf-8")
    insights = json.loads((DATA / "insights.json").read_text(encoding="utf-8"))
    if confidence is not None:
        insights["insights"][0]["confidence"] = confidence
    (folder / "insights.json").write_text(json.dumps(insights), encoding="utf-8")
    return Session(folder)


def draft_text(session: Session, measure: Recognised | None) -> list[str]:
    path = write_draft(session, session.turns(), session.insights(), title="Overdracht", date=dt.date(2026, 3, 4),
                       recognition=measure)
    return [p.text for p in Document(str(path)).paragraphs]


@pytest.mark.slow  # three drafts with their speaking-time charts
def test_the_draft_warns_under_its_heading_and_marks_the_unsure_insight(tmp_path):
    session = session_folder(tmp_path, "slecht", share_low=0.5)
    measure = recognised(session.transcript().words)
    assert measure.poor and measure.share == pytest.approx(0.5, abs=0.01)
    lab = texts("nl", "draft")
    paragraphs = draft_text(session, measure)
    warning = next(p for p in paragraphs if p.startswith(lab["poor_recognition_lead"]))
    assert f"{measure.uncertain} van de {measure.words} woorden onzeker, 50 %" in warning
    assert paragraphs.index(warning) < paragraphs.index(lab["howto"])  # read before the top 7
    first = next(i for i, p in enumerate(paragraphs) if p.startswith("Eigenaarschap expliciet maken"))
    second = next(i for i, p in enumerate(paragraphs) if p.startswith(session.insights().insights[1].title))
    assert lab["insight_unsure"] in paragraphs[first:second]  # under the first insight, before the next
    assert paragraphs.count(lab["insight_unsure"]) == 1  # the others carry no confidence

    fine = session_folder(tmp_path, "goed", share_low=0.1, confidence=0.95)
    paragraphs = draft_text(fine, recognised(fine.transcript().words))
    assert not any(p.startswith(lab["poor_recognition_lead"]) or p == lab["insight_unsure"] for p in paragraphs)
    assert not any(lab["poor_recognition_lead"] in p for p in draft_text(session, None))  # imported: nothing


def test_the_pages_warn_and_point_to_the_transcript(tmp_path):
    from tests.web_helpers import make_client

    client, cfg = make_client(tmp_path / "outputs", tmp_path / "state")
    session_folder(cfg.out_dir, "slecht", share_low=0.5)
    session_folder(cfg.out_dir, "goed", share_low=0.1, confidence=0.95)
    session_folder(cfg.out_dir, "ingelezen", share_low=None)
    words = texts("nl", "web")
    for path in ("/s/slecht", "/s/slecht/insights"):
        html = client.get(path).text
        assert 'id="poor-recognition"' in html and words["poor_recognition_title"] in html, path
        assert "De spraakherkenning was onzeker over" in html and "(50 %)" in html
        assert 'id="to-transcript" href="/s/slecht/transcript"' in html
    top7 = client.get("/s/slecht/insights").text
    assert top7.count('class="unsure"') == 1 and words["insight_unsure"] in top7
    turns = Turns.from_dict(json.loads((DATA / "turns.json").read_text(encoding="utf-8")))
    quote = Insights.from_dict(json.loads((DATA / "insights.json").read_text(encoding="utf-8"))).insights[0].quotes[0]
    line = next(n for n, t in enumerate(turns.turns) if t.start <= quote.start <= t.end)
    # to the line the insight was taken from, on the transcript page that holds it
    assert f'href="/s/slecht/transcript?from=0#t{line}"' in top7
    english = client.get("/s/slecht/insights", headers={"Accept-Language": "en"}).text
    assert "Speech recognition was unsure of" in english and "uncertain recognition" in english
    for quiet in ("/s/goed", "/s/goed/insights", "/s/ingelezen", "/s/ingelezen/insights"):
        html = client.get(quiet).text
        assert 'id="poor-recognition"' not in html and 'class="unsure"' not in html, quiet
    # the transcript page marks the words the warning counts: the same threshold
    marked = client.get("/s/slecht/transcript").text.count('<mark class="low">') - 1  # minus the legend
    assert marked == recognised(Session(cfg.out_dir / "slecht").transcript().words).uncertain
