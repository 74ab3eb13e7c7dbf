"""Fakes that ship with Oogst for fast tests, yours and ours: a speech recogniser that replays given segments.

    from pipeline.testing import ScriptedBackend
    transcript = transcribe(audio, opts, backend=ScriptedBackend(segments, duration=12.0))
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from pipeline.asr.options import TranscribeOptions
from pipeline.core.types import SAMPLE_RATE, Segment, shift_segment


class ScriptedBackend:
    """A backend that replays given segments: for fast tests and for trying the pipeline without a model."""

    name = "scripted"

    def __init__(self, segments: list[Segment], duration: float, language: str = "nl",
                 model_name: str = "scripted") -> None:
        self.segments = segments
        self.duration = duration
        self.language = language
        self.model_name = model_name
        self.calls: list[float] = []  # audio duration given to each call

    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        self.calls.append(len(audio) / SAMPLE_RATE)
        offset = self.duration - len(audio) / SAMPLE_RATE
        # Like a real model given the rest of the audio: times are relative to where that rest starts.
        rest = [shift_segment(s, -offset) for s in self.segments if s.start >= offset - 1e-6]
        return self.language, iter(rest)


class WordHashEncoder:
    """A stand-in for the sentence encoder: normalised bag-of-words vectors (no model, deterministic), for fast tests
    of the insights stage and of backends that fall back on it."""

    def embed(self, texts: list[str]) -> np.ndarray:
        import re
        import zlib

        vectors = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % 256] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.where(norms == 0, 1.0, norms))
