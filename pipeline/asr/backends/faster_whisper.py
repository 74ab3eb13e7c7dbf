"""The default speech recogniser: faster-whisper (CTranslate2) on the CPU (or a CUDA GPU with float16), Silero VAD,
word times.

Guards against what users of Whisper tools complain about most:
- silent translation: the language is `nl` unless the user asks for `auto`, and the task is always "transcribe";
- invented text on silence: VAD on, `no_speech`/log-prob thresholds and `hallucination_silence_threshold`;
- repetition loops: `condition_on_previous_text=False` with the temperature fallback kept (float32 at
  temperature 0 alone looped in our runs); the guards in `asr.transcribe` then filter what still gets through.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.asr.options import TEMPERATURES, TranscribeOptions, prompt_text
from pipeline.core.errors import ModelError
from pipeline.core.types import SAMPLE_RATE, Segment, Word, shift_segment
from pipeline.ingest.audio import audio_chunks

log = logging.getLogger(__name__)

PIECE_SECONDS = 600.0  # faster-whisper gets the recording in pieces of about this length


class FasterWhisperBackend:
    name = "faster-whisper"

    def __init__(self, opts: TranscribeOptions) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        from pipeline.models.assemble import resolve_ct2_model
        from pipeline.models.catalog import cuda_devices
        from pipeline.models.install import identity

        if opts.device == "cuda" and not cuda_devices():
            raise ModelError(f"--compute-type {opts.compute_type} needs a CUDA GPU and none is found here; use int8 "
                             "or float32 on the CPU", "gpu_missing", precision=opts.compute_type)
        location = resolve_ct2_model(opts.model, opts.models_dir)
        self.model_name = opts.model_label
        self.model_sha256 = identity(Path(location))[1]
        self.precision = opts.compute_type
        try:
            self._model = WhisperModel(location, device=opts.device, compute_type=opts.compute_type,
                                       cpu_threads=opts.cpu_threads())
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{location}: cannot load the Whisper model on the {opts.device} ({exc}); "
                             "assemble or install it again (`oogst models`, `oogst models get NAME --force`)") from None
        self._pipeline = BatchedInferencePipeline(self._model) if opts.batched else None

    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        spans = audio_chunks(audio, PIECE_SECONDS)
        return self.transcribe_pieces(((start / SAMPLE_RATE, audio[start:end]) for start, end in spans), opts)

    def transcribe_pieces(self, pieces: Iterator[tuple[float, np.ndarray]],
                          opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        """`transcribe` on a recording given as (start in seconds, samples) pieces of about `PIECE_SECONDS`,
        each taken when the one before is done (`asr.isolated` sends them to its child process one by one)."""
        language = None if opts.language == "auto" else opts.language
        kwargs: dict[str, Any] = dict(
            language=language, task="transcribe", beam_size=opts.beam_size, word_timestamps=True,
            vad_filter=True, vad_parameters={"min_silence_duration_ms": 500, "speech_pad_ms": 300},
            condition_on_previous_text=False, temperature=list(TEMPERATURES),
            compression_ratio_threshold=2.4, log_prob_threshold=-1.0, no_speech_threshold=0.6,
            initial_prompt=prompt_text(opts.vocabulary, opts.language),
        )
        if self._pipeline is not None:
            pipeline = self._pipeline

            def run(piece: np.ndarray, args: dict[str, Any]) -> tuple[Any, Any]:
                return pipeline.transcribe(piece, batch_size=opts.batch_size, **args)
        else:
            model = self._model

            def run(piece: np.ndarray, args: dict[str, Any]) -> tuple[Any, Any]:
                return model.transcribe(piece, hallucination_silence_threshold=2.0, **args)

        # faster-whisper computes the features of everything it is given at once (and the batched pipeline keeps
        # every speech chunk's features), so it gets the recording in pieces cut at quiet moments: memory stays
        # flat however long the recording is.
        pieces = iter(pieces)
        offset, first = next(pieces)
        segments, info = run(first, kwargs)
        if language is None:
            log.warning("language detected: %s (probability %.2f); pass --language to fix it",
                        info.language, info.language_probability)
        rest = {**kwargs, "language": info.language}  # one recording, one language

        def generate() -> Iterator[Segment]:
            yield from (shift_segment(_segment(s), offset) if offset else _segment(s) for s in segments)
            for start, piece in pieces:
                more, _ = run(piece, rest)
                yield from (shift_segment(_segment(s), start) for s in more)

        return info.language, generate()


def _segment(raw: Any) -> Segment:
    words = tuple(Word(float(w.start), float(w.end), str(w.word), float(w.probability)) for w in (raw.words or []))
    return Segment(float(raw.start), float(raw.end), str(raw.text).strip(), words)


