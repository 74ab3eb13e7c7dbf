"""Each speaker's clip: the clearest stretch of their speech (a turn of 1.5 s or more with the most confident
words, up to 8 s), cut from the recording once into the session's `.clips/` folder, and each speaker's share of
the turns (what the speakers page shows next to the clip)."""

from __future__ import annotations

import io
import threading
import wave
from collections import defaultdict
from typing import Any

import numpy as np

from pipeline.core.errors import SessionError
from pipeline.core.session import CLIPS, CLIPS_STAMP, TRANSCRIPT, TURNS, Session, atomic_write_bytes, hash_file
from pipeline.core.types import SAMPLE_RATE, Turns, Word

CLIP_SECONDS = 8.0
_clip_lock = threading.Lock()


def heard_words(session: Session) -> list[Word]:
    """The recogniser's words with their probabilities ([] for an imported transcript)."""
    if not session.has(TRANSCRIPT):
        return []
    transcript = session.transcript()
    return [] if transcript.words_estimated else list(transcript.words)


def _mean_probability(words: list[Word], start: float, end: float) -> float:
    inside = [w.probability for w in words if start <= (w.start + w.end) / 2 <= end]
    return float(np.mean(inside)) if inside else 0.0


def clearest_turns(turns: Turns, words: list[Word]) -> dict[str, tuple[float, float]]:
    """Per speaker, the span of their clearest speech: a turn of 1.5 s or more with the most confident words."""
    best: dict[str, tuple[float, tuple[float, float]]] = {}
    for turn in turns.turns:
        length = turn.end - turn.start
        score = _mean_probability(words, turn.start, turn.end) * min(length, CLIP_SECONDS) / CLIP_SECONDS
        score += 0.001 * min(length, CLIP_SECONDS)  # without probabilities: the longest turn
        if length >= 1.5 or turn.speaker not in best:
            if turn.speaker not in best or score > best[turn.speaker][0]:
                best[turn.speaker] = (score, (turn.start, min(turn.end, turn.start + CLIP_SECONDS)))
    return {label: span for label, (_, span) in best.items()}


def speaker_rows(turns: Turns) -> list[dict[str, Any]]:
    """Per speaker label: its index (the clip's number), label, name, share and seconds of speech, turns."""
    spoken: dict[str, float] = defaultdict(float)
    for turn in turns.turns:
        spoken[turn.speaker] += turn.end - turn.start
    total = sum(spoken.values()) or 1.0
    labels = sorted(set(turns.speakers) | set(spoken))
    return [{"index": n, "label": label, "name": turns.name(label), "share": spoken[label] / total,
             "seconds": spoken[label], "turns": sum(1 for t in turns.turns if t.speaker == label)}
            for n, label in enumerate(labels)]


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def write_clips(session: Session) -> dict[int, Any]:
    """Cut every speaker's clip from the recording once (one decode) into <session>/.clips/; {index: path}."""
    from pipeline.ingest.audio import load_audio

    folder = session.path(CLIPS)
    with _clip_lock:
        turns = session.turns()
        rows = speaker_rows(turns)
        clips = {row["index"]: folder / f"{row['index']}.wav" for row in rows}
        stamp = folder / CLIPS_STAMP
        digest = hash_file(session.path(TURNS))
        if stamp.is_file() and stamp.read_text() == digest:
            return clips
        recording = session.recording()
        if recording is None:
            raise SessionError(f"outputs/{session.name}: the recording is not in the session folder, so there are "
                               "no clips", "no_recording", name=session.name)
        audio = load_audio(recording)
        spans = clearest_turns(turns, heard_words(session))
        for row in rows:
            if row["label"] not in spans:
                continue
            start, end = spans[row["label"]]
            piece = audio[max(0, int((start - 0.2) * SAMPLE_RATE)): int((end + 0.2) * SAMPLE_RATE)]
            atomic_write_bytes(clips[row["index"]], _wav(piece))
        atomic_write_bytes(stamp, digest.encode())
    return clips
