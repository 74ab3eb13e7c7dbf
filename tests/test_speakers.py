"""Speaker turns from audio: espeak-ng conversations with known turn times, transcribed by real Whisper base."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from devtools.scripts import FOUR_VOICES, ONE_VOICE, THREE_VOICES
from devtools.synth import SpokenTurn, parse_script, synthesize
from pipeline.core.errors import ConfigError
from pipeline.core.types import Segment, Transcript, Turns, Word
from pipeline.speakers import clustering
from pipeline.speakers import diarize as speakers

WHISPER_DIR = Path(__file__).resolve().parents[1] / "models" / "whisper-base"

class Case:
    def __init__(self, audio: np.ndarray, truth: list[SpokenTurn], transcript: Transcript, asr_seconds: float):
        self.audio, self.truth, self.transcript, self.asr_seconds = audio, truth, transcript, asr_seconds


def _transcribe(model: object, audio: np.ndarray) -> Transcript:
    segments, _info = model.transcribe(audio, language="nl", word_timestamps=True,  # type: ignore[attr-defined]
                                       vad_filter=True)
    segs = tuple(Segment(s.start, s.end, s.text, tuple(Word(w.start, w.end, w.word, w.probability)
                                                         for w in s.words or ())) for s in segments)
    return Transcript("nl", len(audio) / 16000, "whisper-base", segs)


@pytest.fixture(scope="session")
def conversations(models_dir: Path) -> dict[str, Case]:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(WHISPER_DIR), device="cpu", compute_type="int8", cpu_threads=2)
    cases = {}
    for name, script in (("four", FOUR_VOICES), ("three", THREE_VOICES), ("one", ONE_VOICE)):
        audio, truth = synthesize(parse_script(script, name))
        started = time.perf_counter()
        transcript = _transcribe(model, audio)
        cases[name] = Case(audio, truth, transcript, time.perf_counter() - started)
    return cases


def _true_speaker(word: Word, truth: list[SpokenTurn]) -> str:
    """The scripted speaker who was talking during the word (most overlap, else the nearest turn)."""
    def overlap(t: SpokenTurn) -> float:
        return min(word.end, t.end) - max(word.start, t.start)

    best = max(truth, key=overlap)
    if overlap(best) > 0:
        return best.speaker
    middle = (word.start + word.end) / 2
    return min(truth, key=lambda t: min(abs(t.start - middle), abs(t.end - middle))).speaker


def _predicted(turns: Turns, words: list[Word]) -> list[str]:
    labels = []
    for word in words:
        turn = next(t for t in turns.turns if t.start <= word.start + 1e-3 and word.end <= t.end + 1e-3)
        labels.append(turn.speaker)
    return labels


def attribution(turns: Turns, case: Case) -> float:
    """Share of words with the right speaker under the best one-to-one mapping of labels to true speakers."""
    from scipy.optimize import linear_sum_assignment

    words = case.transcript.words
    truth = [_true_speaker(w, case.truth) for w in words]
    predicted = _predicted(turns, words)
    true_names, labels = sorted(set(truth)), sorted(set(predicted))
    counts = np.zeros((len(labels), len(true_names)))
    for p, t in zip(predicted, truth, strict=True):
        counts[labels.index(p), true_names.index(t)] += 1
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum() / len(words))


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
@pytest.mark.parametrize("name,expected", [("four", 4), ("three", 3)])
def test_automatic_speaker_count_and_attribution(conversations: dict[str, Case], name: str, expected: int) -> None:
    case = conversations[name]
    started = time.perf_counter()
    turns = speakers.diarize(case.audio, case.transcript)
    seconds = time.perf_counter() - started
    accuracy = attribution(turns, case)
    print(f"\n{name} voices: {len(turns.speakers)} speakers found (expected {expected}), "
          f"{accuracy:.1%} of {len(case.transcript.words)} words right; "
          f"diarization {seconds:.1f} s vs transcription {case.asr_seconds:.1f} s "
          f"for {len(case.audio) / 16000:.0f} s audio")
    assert len(turns.speakers) == expected
    assert accuracy >= 0.90
    assert list(turns.speakers) == [f"S{i}" for i in range(1, expected + 1)]
    assert turns.speakers["S1"] == "Spreker 1"
    assert turns.turns[0].speaker == "S1"
    # Turns cover every word once, in order, and never run backwards.
    assert " ".join(t.text for t in turns.turns).split() == case.transcript.text.split()
    assert all(t.start <= t.end for t in turns.turns)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(turns.turns, turns.turns[1:], strict=False))


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
def test_forced_speaker_count(conversations: dict[str, Case]) -> None:
    case = conversations["four"]
    two = speakers.diarize(case.audio, case.transcript, num_speakers=2)
    four = speakers.diarize(case.audio, case.transcript, num_speakers=4)
    print(f"\nforced 2 on four voices: {sorted(two.speakers)}; forced 4: {attribution(four, case):.1%} right")
    assert sorted(two.speakers) == ["S1", "S2"]
    assert two.extra["diarization"]["forced"] is True
    assert len(four.speakers) == 4 and attribution(four, case) >= 0.90
    one = speakers.diarize(case.audio, case.transcript, num_speakers=1)
    assert list(one.speakers) == ["S1"]


@pytest.mark.slow
@pytest.mark.needs_system("espeak-ng")
def test_one_speaker_with_long_silence_stays_one(conversations: dict[str, Case]) -> None:
    case = conversations["one"]
    progress: list[float] = []
    turns = speakers.diarize(case.audio, case.transcript, progress=progress.append)
    print(f"\none voice with 20 s silence: {len(turns.speakers)} speaker(s), {len(turns.turns)} turns")
    assert list(turns.speakers) == ["S1"]
    # The 20 s pause splits the monologue into two turns of the same speaker.
    assert len(turns.turns) == 2
    assert turns.turns[1].start - turns.turns[0].end > 15
    assert progress[-1] == 1.0 and progress == sorted(progress)


@pytest.mark.slow
def test_silence_only_and_english_names() -> None:
    audio = np.zeros(16000 * 30, np.float32)
    transcript = Transcript("en", 30.0, "x", (Segment(1.0, 2.0, " Hello there.", (
        Word(1.0, 1.5, " Hello", 0.9), Word(1.5, 2.0, " there.", 0.9))),))
    turns = speakers.diarize(audio, transcript)
    assert turns.speakers == {"S1": "Speaker 1"}
    assert [t.text for t in turns.turns] == ["Hello there."]


def test_viterbi_keeps_a_sentence_together() -> None:
    words = [Word(0.0, 0.3, " Ik", 1), Word(0.3, 0.6, " denk", 1), Word(0.6, 0.9, " dat", 1),
             Word(0.9, 1.2, " het", 1), Word(1.2, 1.5, " klopt.", 1), Word(2.3, 2.6, " Ja", 1),
             Word(2.6, 2.9, " zeker.", 1)]
    # One unsure word in the middle of the first sentence leans to the other speaker.
    scores = np.array([[0.9, 0.6], [0.9, 0.6], [0.7, 0.75], [0.9, 0.6], [0.9, 0.6], [0.6, 0.9], [0.6, 0.9]])
    costs = speakers._switch_costs(words, sentence_cost=1.0, pause_cost=2.0, mid_cost=12.0, pause=0.4)
    path = speakers.smooth_labels(scores, costs)
    assert path.tolist() == [0, 0, 0, 0, 0, 1, 1]
    turns = speakers.words_to_turns(words, path, language="nl")
    assert [(t.speaker, t.text) for t in turns.turns] == [("S1", "Ik denk dat het klopt."), ("S2", "Ja zeker.")]
    assert turns.speakers == {"S1": "Spreker 1", "S2": "Spreker 2"}


def test_labels_follow_first_appearance() -> None:
    words = [Word(float(i), i + 0.5, f" w{i}", 1) for i in range(4)]
    turns = speakers.words_to_turns(words, [2, 2, 0, 2], language="en")
    assert [t.speaker for t in turns.turns] == ["S1", "S2", "S1"]
    assert turns.speakers == {"S1": "Speaker 1", "S2": "Speaker 2"}


@pytest.mark.slow  # 3-7 s here: clustering 4500 windows
def test_clustering_subsamples_long_input_and_assigns_every_window() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 256))
    x = np.concatenate([c + 0.3 * rng.normal(size=(1500, 256)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    result = clustering.cluster_windows(x, max_cluster_windows=600)
    truth = np.repeat([0, 1, 2], 1500)
    assert len(result.centroids) == 3 and len(result.labels) == 4500
    agree = sum(np.bincount(result.labels[truth == t]).max() for t in range(3)) / len(truth)
    assert agree > 0.99


@pytest.mark.parametrize("bad", [0, -1, 21])
def test_forced_count_out_of_range_is_a_clear_error(bad: int) -> None:
    transcript = Transcript("nl", 1.0, "x", (Segment(0.0, 1.0, " Hoi.", (Word(0.0, 1.0, " Hoi.", 1.0),)),))
    with pytest.raises(ConfigError, match=rf"--speakers {bad}: give a number of speakers from 1 to 20"):
        speakers.diarize(np.zeros(16000, np.float32), transcript, num_speakers=bad)
