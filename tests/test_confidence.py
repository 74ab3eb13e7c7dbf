"""Recognition confidence: words -> sentences by time and text, the within-theme preference, the insights artefact."""

from __future__ import annotations

import pytest

from pipeline.core.types import Action, Insight, Quote, Turn, Turns, Word
from pipeline.insights.confidence import (
    LOW_PROBABILITY,
    SENTENCE_LOW,
    Recognition,
    aggregate,
    prefer_recognised,
    tokens,
    whole_words,
)

LOW = round(LOW_PROBABILITY / 2, 3)  # surely doubtful
HIGH = 0.95


def spoken(text: str, start: float, probabilities: dict[str, float] | None = None, pace: float = 0.3) -> list[Word]:
    """Whisper-like words for `text` from `start` on, each `pace` seconds; named words get the given probability."""
    probabilities = probabilities or {}
    words = []
    for k, raw in enumerate(text.split()):
        bare = raw.strip(".,?!").lower()
        words.append(Word(start + k * pace, start + (k + 1) * pace, " " + raw, probabilities.get(bare, HIGH)))
    return words


def test_tokens_are_lower_case_without_punctuation_with_their_spans():
    assert tokens("Ja, zo'n ding!") == [("ja", 0, 2), ("zo'n", 4, 8), ("ding", 9, 13)]
    assert tokens("'...'") == []


def test_aggregate_is_the_mean_of_the_probabilities():
    assert aggregate([0.9, 0.5, 0.1]) == pytest.approx(0.5, abs=1e-4)
    assert aggregate([]) is None


def test_sentence_confidence_uses_only_its_own_words():
    words = (spoken("We gaan beginnen.", 0.0, {"beginnen": 0.2})
             + spoken("Luisteren helpt echt.", 2.0, {"echt": 0.5})
             + spoken("Dat herken ik.", 4.0))
    heard = Recognition(words)
    assert heard.confidence("Luisteren helpt echt.", 2.0, 2.9) == pytest.approx((HIGH + HIGH + 0.5) / 3, abs=1e-4)
    assert heard.confidence("We gaan beginnen.", 0.0, 0.9) == pytest.approx((HIGH + HIGH + 0.2) / 3, abs=1e-4)
    assert heard.confidence("Iets heel anders.", 2.0, 2.9) is None  # no word matches: unknown, not zero


def test_mapping_survives_interpolated_times_cleaning_and_sentence_splits():
    # one turn of two sentences; the sentence times below are a second off, as interpolation inside a turn can be
    words = spoken("Eh, ik denk dat je eerst moet luisteren. Daarna pas advies geven.", 10.0,
                   {"eh": 0.1, "luisteren": LOW, "advies": LOW})
    heard = Recognition(words)
    second = "Daarna pas advies geven."
    assert heard.doubtful(second, 11.5, 12.5) == [(11, 17)]  # "advies"
    cleaned = "Ik denk dat je eerst moet luisteren."  # the insight text: filler dropped, capitalised
    assert [cleaned[a:b] for a, b in heard.doubtful(cleaned, 11.0, 12.0)] == ["luisteren"]
    # a display name put into the text (not a word the recogniser heard) has no probability and is never marked
    named = "Volgens Sanne moet je eerst luisteren."
    marks = [named[a:b] for a, b in heard.doubtful(named, 10.0, 12.0)]
    assert marks == ["luisteren"]


def test_a_word_whisper_split_in_pieces_is_one_token_with_its_lowest_probability():
    words = [Word(0.0, 0.2, " M", 0.3), Word(0.2, 0.3, "'n", 0.9), Word(0.3, 0.7, " nacht", HIGH)]
    text = "M'n nacht."
    assert Recognition(words).probabilities(text, 0.0, 0.7) == [(0, 3, 0.3), (4, 9, HIGH)]
    assert [text[a:b] for a, b in Recognition(words).doubtful(text, 0.0, 0.7)] == ["M'n"]


def test_a_common_word_far_away_in_the_window_is_not_taken():
    # "de" was heard as "te"; the only "de" in the window is a doubtful one said seconds later
    words = spoken("dat is te kern", 0.0) + spoken("en verder niets", 1.2) + spoken("de", 2.5, {"de": LOW})
    heard = Recognition(words)
    assert [p for _, _, p in heard.probabilities("dat is de kern", 0.0, 1.2)][:3] == [HIGH, HIGH, None]
    assert heard.doubtful("dat is de kern", 0.0, 1.2) == []


def test_an_action_without_end_is_found_in_the_tail_of_its_sentence():
    words = spoken("Goed, dan zullen we het zo doen en stuurt Joris het verslag voor vrijdag.", 30.0,
                   {"verslag": LOW}, pace=0.6)
    heard = Recognition(words)
    text = "stuurt Joris het verslag voor vrijdag"
    assert [text[a:b] for a, b in heard.doubtful(text, 30.0)] == ["verslag"]
    assert heard.confidence(text, 30.0) == pytest.approx((5 * HIGH + LOW) / 6, abs=1e-4)


def test_no_words_no_confidence_and_no_marks():
    heard = Recognition(())
    assert not heard
    assert heard.confidence("Wat ik meeneem is rust.", 0.0, 2.0) is None
    assert heard.doubtful("Wat ik meeneem is rust.", 0.0, 2.0) == []


def test_prefer_recognised_moves_doubtful_candidates_back_and_keeps_order_otherwise():
    confidence = {"seed": SENTENCE_LOW - 0.1, "near": SENTENCE_LOW + 0.01, "far": 0.99, "bad": 0.1, "worse": 0.05}
    # the doubtful seed gives way to the nearest well-recognised candidate, not to the best-recognised one
    assert prefer_recognised(["seed", "near", "far", "bad"], confidence.get) == ["near", "far", "seed", "bad"]
    # a well-recognised seed stays first
    assert prefer_recognised(["near", "far"], confidence.get) == ["near", "far"]
    # all doubtful: best first
    assert prefer_recognised(["worse", "bad", "seed"], confidence.get) == ["seed", "bad", "worse"]
    # unknown confidence (imported transcript): the order does not change
    assert prefer_recognised(["c", "b", "a"], lambda _: None) == ["c", "b", "a"]


def test_confidence_keys_are_written_only_when_known():
    quote = Quote("Sanne", 1.0, 2.0, "Luisteren helpt.", 0.81234)
    insight = Insight(1, "Luisteren", "Luisteren helpt.", ("Sanne",), 0.5, (quote,), confidence=0.7)
    d = insight.to_dict()
    assert d["confidence"] == 0.7 and d["quotes"][0]["confidence"] == 0.8123
    assert Insight.from_dict(d).confidence == 0.7 and Insight.from_dict(d).quotes[0].confidence == 0.8123
    assert "confidence" not in Insight.from_dict(d).extra
    plain = Insight(1, "Luisteren", "Luisteren helpt.", ("Sanne",), 0.5, (Quote("Sanne", 1.0, 2.0, "x"),))
    assert "confidence" not in plain.to_dict() and "confidence" not in plain.to_dict()["quotes"][0]
    action = Action("Joris", "verslag sturen", "vrijdag", 3.0, 0.4)
    assert Action.from_dict(action.to_dict()) == action
    assert "confidence" not in Action("Joris", "verslag sturen", None, 3.0).to_dict()


def _theme(probabilities: list[dict[str, float]]):
    """Three sentences of three speakers on one theme, in the order the ranking put them (seed first)."""
    from pipeline.insights.features import SentenceFeatures
    from pipeline.insights.nlp import Sentence

    texts = ["Wat ik meeneem is eerst goed luisteren.", "Voor mij is de les dat luisteren eerst komt.",
             "Ik neem mee dat je eerst moet luisteren."]
    turns, sentences, words = [], [], []
    for k, (text, probs) in enumerate(zip(texts, probabilities, strict=True)):
        start = 10.0 * k
        words += spoken(text, start, probs)
        turns.append(Turn(f"S{k + 1}", start, start + 3.0, text))
        sentences.append(Sentence(k, k, f"S{k + 1}", f"S{k + 1}", text, start, start + 3.0, ()))
    features = [SentenceFeatures(cue=0.8, small_talk=False, procedural=False, agreement=False, content=4,
                                 closing=1.0)] * 3
    return Turns({}, tuple(turns)), sentences, features, Recognition(words)


def test_insight_text_is_the_best_recognised_comparable_sentence_of_its_theme():
    from pipeline.insights.extract import ExtractiveBackend

    backend = ExtractiveBackend(max_quotes=2)
    turns, sentences, features, heard = _theme([{"wat": LOW, "ik": LOW, "meeneem": LOW, "luisteren": LOW},
                                                {"les": LOW}, {}])
    insight = backend._insight(1, 0, [0, 1, 2], 0.9, "Luisteren", sentences, features, turns, "nl", heard)
    # the seed is doubtful (mean under SENTENCE_LOW): the nearest well-recognised sentence of the theme is the text
    assert insight.text == "Voor mij is de les dat luisteren eerst komt."
    assert insight.confidence == pytest.approx(heard.confidence(insight.text, 10.0, 13.0), abs=1e-4)
    # and the two quotes are the two well-recognised sentences, each with its own confidence
    assert [q.text for q in insight.quotes] == [sentences[1].text, sentences[2].text]
    assert insight.quotes[1].confidence == pytest.approx(HIGH, abs=1e-4)
    assert insight.speakers == ("S1", "S2", "S3")  # who carried the theme does not depend on recognition

    # without probabilities (an imported transcript) nothing changes: the seed is the text, no confidence
    plain = backend._insight(1, 0, [0, 1, 2], 0.9, "Luisteren", sentences, features, turns, "nl", Recognition(()))
    assert plain.text == "Wat ik meeneem is eerst goed luisteren." and plain.confidence is None
    assert [q.text for q in plain.quotes] == [sentences[0].text, sentences[1].text]
    assert all(q.confidence is None for q in plain.quotes)


@pytest.mark.slow
def test_sample_recording_insights_carry_confidence_and_the_draft_marks_doubtful_words(tmp_path, models_dir, sample):
    """The bundled sample through the real pipeline: confidences in insights.json, marks in draft.docx."""
    import docx
    from docx.oxml.ns import qn

    from pipeline.core.session import read_json
    from pipeline.core.settings import Settings
    from pipeline.core.types import Insights, Transcript
    from pipeline.service import run_recording

    session = run_recording(sample, Settings(out_dir=tmp_path, models_dir=models_dir)).session
    insights = Insights.from_dict(read_json(session.path("insights.json")))
    words = Transcript.from_dict(read_json(session.path("transcript.json"))).words
    assert insights.insights  # how many is the ranking's business; each carries a confidence
    for insight in insights.insights:
        assert insight.confidence is not None and 0.0 < insight.confidence <= 1.0
        assert all(q.confidence is not None and 0.0 < q.confidence <= 1.0 for q in insight.quotes)
    assert all(a.confidence is not None for a in insights.actions)

    words = whole_words(words)  # " M" + "'n" -> " M'n", as the text has it
    doubtful = {tok for w in words if w.probability < LOW_PROBABILITY for tok, _, _ in tokens(w.word)}
    doc = docx.Document(str(session.path("draft.docx")))

    def marks(paragraph) -> list[str]:
        return ["".join(t.text for t in run.iter(qn("w:t"))) for run in paragraph._p.iter(qn("w:r"))
                if run.find(qn("w:rPr")) is not None and run.find(qn("w:rPr")).find(qn("w:u")) is not None]

    paragraphs = doc.paragraphs
    (note,) = [p for p in paragraphs if p.text.startswith("Grijs met stippellijn")]  # not the poor-recognition line
    assert marks(note) == ["Grijs met stippellijn"]
    appendix_at = next(i for i, p in enumerate(paragraphs) if p.text == "Bijlage: volledig transcript")
    top = [m for p in paragraphs[:appendix_at] if p is not note for m in marks(p)]
    cells = [m for row in doc.tables[0].rows for cell in row.cells for m in marks(cell.paragraphs[0])]
    appendix = [m for p in paragraphs[appendix_at:] for m in marks(p)]
    assert top, "the sample's top 7 has doubtful words: the draft marks some"
    assert {tokens(m)[0][0] for m in top + cells + appendix} <= doubtful
    # the appendix holds every turn, so every doubtful word of the transcript is marked there, once
    low = sum(len(tokens(w.word)) for w in words if w.probability < LOW_PROBABILITY)
    assert 0.95 * low <= len(appendix) <= low
