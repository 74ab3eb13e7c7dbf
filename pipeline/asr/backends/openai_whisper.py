"""The openai-whisper backend, on the same offline weights as faster-whisper (converted by `models.convert`).

`OpenAIWhisperBackend` transcribes a 16 kHz float32 array (never a file name: openai-whisper's own loader shells
out to ffmpeg). It feeds openai-whisper chunks of a few minutes cut at quiet points, because `whisper.transcribe`
computes the log-mel spectrogram of its whole input at once (≈1 GB of STFT for an hour); chunking keeps peak memory
flat in the duration of the recording.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pipeline.asr.options import TEMPERATURES, TranscribeOptions, prompt_text
from pipeline.core.errors import ModelError
from pipeline.core.types import SAMPLE_RATE, Segment, Word
from pipeline.ingest.audio import audio_chunks
from pipeline.models.convert import ensure_openai_checkpoint, load_openai_model, openai_checkpoint_path

log = logging.getLogger(__name__)

CHUNK_SECONDS = 180.0  # audio handed to whisper.transcribe at a time (memory is bounded by this, not the recording)


def _resolve_checkpoint(opts: TranscribeOptions) -> Path:
    """The .pt file for the options: the assembled default, an installed model by name (its downloaded checkpoint,
    else its CTranslate2 folder converted once), a CTranslate2 folder (converted), a .pt, or a name already in
    openai-whisper's own cache. Nothing is downloaded."""
    from pipeline.models.assemble import refused_name
    from pipeline.models.catalog import DEFAULT, canonical, folder_name

    models_dir = Path(opts.models_dir)
    candidate = Path(opts.model).expanduser() if opts.model is not None else None
    name = DEFAULT if opts.model is None else canonical(opts.model)
    if name is not None and (candidate is None or not candidate.exists()):
        ct2 = models_dir / folder_name(name)
        pt = openai_checkpoint_path(models_dir, ct2)
        if pt.is_file():
            return pt
        if (ct2 / "model.bin").is_file():
            log.info("converting %s for openai-whisper (one time)", ct2)
            return ensure_openai_checkpoint(models_dir, ct2)
        if name == DEFAULT:
            raise ModelError(f"{pt}: not found; run `oogst models` (or `make models`) to assemble the models")
        raise ModelError(f"--model {opts.model}: not installed in {models_dir}; run `oogst models get {name} "
                         "--backend openai-whisper` (or `oogst models get " + name + "`, converted on first use)",
                         "model_not_installed", model=name)
    assert candidate is not None and opts.model is not None
    if candidate.is_dir():
        if not (candidate / "model.bin").is_file():
            raise ModelError(f"{candidate}: neither a CTranslate2 model folder (no model.bin) nor a .pt checkpoint")
        return ensure_openai_checkpoint(models_dir, candidate)
    if candidate.is_file():
        return candidate
    import whisper

    if opts.model in whisper._MODELS:  # an official name, usable offline only when already in the cache
        cached = Path(os.getenv("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper" / f"{opts.model}.pt"
        if cached.is_file():
            return cached
    raise refused_name(opts.model)


class OpenAIWhisperBackend:
    """openai-whisper on CPU; segments with word timestamps, in time order, never translated."""

    name = "openai-whisper"

    def __init__(self, opts: TranscribeOptions) -> None:
        if "torch" not in sys.modules:
            # Busy-waiting OpenMP threads made each decoder step 4-7x slower whenever another process shared the
            # cores (measured 0.57-1.07 s vs 0.16 s per step on 2 busy cores; equal on idle cores). Read by
            # libgomp when torch loads, so only effective before the first torch import; the user's value wins.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import torch

        torch.set_num_threads(opts.threads or os.cpu_count() or 1)
        from pipeline.models.install import identity

        self.checkpoint = _resolve_checkpoint(opts)
        self.model_name, self.model_sha256 = identity(self.checkpoint)
        self.precision = "float32"
        self.model = load_openai_model(self.checkpoint)
        self.chunk_seconds = CHUNK_SECONDS

    def detect_language(self, audio: np.ndarray) -> str:
        """The language code openai-whisper hears in the first 30 s."""
        import torch
        import whisper

        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio[: 30 * SAMPLE_RATE]), self.model.dims.n_mels)
        with torch.no_grad():
            _, probs = self.model.detect_language(mel)
        return str(max(probs, key=probs.get))

    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        """Language used, and the segments (lazily, chunk by chunk) of a 16 kHz mono float32 signal."""
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        language = self.detect_language(audio) if opts.language in ("auto", "", None) else opts.language
        return language, self._segments(audio, language, opts)

    def _segments(self, audio: np.ndarray, language: str, opts: TranscribeOptions) -> Iterator[Segment]:
        import whisper

        prompt = prompt_text(opts.vocabulary, opts.language)
        for start, end in audio_chunks(audio, self.chunk_seconds):
            chunk = audio[start:end]
            if not chunk.size or float(np.abs(chunk).max()) < 1e-4:  # digital silence: nothing to hear
                continue
            offset = start / SAMPLE_RATE
            result = whisper.transcribe(
                self.model, chunk, verbose=None, language=language, task="transcribe",
                temperature=TEMPERATURES, beam_size=opts.beam_size, best_of=5, fp16=False,
                # no hallucination_silence_threshold: its re-seeking made decoding 4x slower here (RTF 6.3 vs 1.7)
                condition_on_previous_text=False, word_timestamps=True,
                compression_ratio_threshold=2.4, logprob_threshold=-1.0, no_speech_threshold=0.6,
                initial_prompt=prompt, carry_initial_prompt=prompt is not None,
            )
            limit = end / SAMPLE_RATE
            for seg in result["segments"]:
                text = str(seg["text"]).strip()
                if not text:
                    continue
                words = tuple(Word(min(offset + float(w["start"]), limit), min(offset + float(w["end"]), limit),
                                   str(w["word"]), float(w["probability"])) for w in seg.get("words", []))
                yield Segment(min(offset + float(seg["start"]), limit), min(offset + float(seg["end"]), limit),
                              text, words)
