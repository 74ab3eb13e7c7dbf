"""Speaker detection on a real two-person phone call nobody on the project recorded (pyannote.audio's sample).

The count rule was calibrated elsewhere (bench/calibrate_speakers.py: real Dutch voices and espeak-ng voices); this
recording only reports how the rule does. Real models: Whisper base through Oogst's transcription stage, resemblyzer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from pipeline.core.types import Turns, Word
from pipeline.ingest.audio import load_audio
from pipeline.speakers import diarize as speakers

FIXTURE = Path(__file__).resolve().parent / "data" / "speakers" / "pyannote-sample"


def _reference_turns() -> list[tuple[str, float, float]]:
    turns = []
    for line in (FIXTURE / "sample.rttm").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            turns.append((parts[7], float(parts[3]), float(parts[3]) + float(parts[4])))
    return turns


def _reference_at_midpoint(word: Word, turns: list[tuple[str, float, float]]) -> tuple[set[str], bool]:
    """The reference speakers at the word's midpoint (both during overlap); outside every turn: the nearest turn."""
    mid = (word.start + word.end) / 2
    inside = {name for name, start, end in turns if start <= mid <= end}
    if inside:
        return inside, True
    name, _start, _end = min(turns, key=lambda t: min(abs(t[1] - mid), abs(t[2] - mid)))
    return {name}, False


def word_accuracy(turns: Turns, words: list[Word], reference: list[tuple[str, float, float]]) -> tuple[float, int]:
    """Share of words whose speaker is the reference one under the best label mapping, and the outside count."""
    predicted = []
    for word in words:
        turn = next(t for t in turns.turns if t.start <= word.start + 1e-3 and word.end <= t.end + 1e-3)
        predicted.append(turn.speaker)
    refs = [_reference_at_midpoint(w, reference) for w in words]
    labels, names = sorted(set(predicted)), sorted({t[0] for t in reference})
    gain = np.zeros((len(labels), len(names)))
    for p, (ref, _inside) in zip(predicted, refs, strict=True):
        for name in ref:
            gain[labels.index(p), names.index(name)] += 1
    rows, cols = linear_sum_assignment(-gain)
    mapping = {labels[r]: names[c] for r, c in zip(rows, cols, strict=True)}
    right = sum(mapping.get(p) in ref for p, (ref, _inside) in zip(predicted, refs, strict=True))
    return right / len(words), sum(not inside for _ref, inside in refs)


@pytest.mark.slow
def test_real_two_person_call_gives_two_speakers_and_most_words_right(models_dir: Path) -> None:
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    audio = load_audio(FIXTURE / "sample.wav")
    transcript = transcribe(audio, TranscribeOptions(language="en", threads=2, models_dir=models_dir))
    turns = speakers.diarize(audio, transcript)
    words = transcript.words
    accuracy, outside = word_accuracy(turns, words, _reference_turns())
    print(f"\npyannote sample call: {len(turns.speakers)} speakers (reference 2), {accuracy:.1%} of {len(words)} "
          f"words right ({outside} words with a midpoint outside every reference turn, given the nearest turn)")
    assert len(turns.speakers) == 2
    assert accuracy >= 0.85
