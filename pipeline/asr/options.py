"""What a transcription run is asked to do (TranscribeOptions), what a backend must offer, and the prompt."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipeline.core.errors import ConfigError
from pipeline.core.types import Segment
from pipeline.models.catalog import CPU_TYPES, GPU_TYPES, PRECISIONS

BACKENDS = ("faster-whisper", "openai-whisper")
COMPUTE_TYPES = PRECISIONS  # CPU_TYPES on the CPU; GPU_TYPES run CTranslate2 on a CUDA GPU
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class TranscribeOptions:
    language: str = "nl"  # a Whisper language code, or "auto" to detect (never translates)
    model: str | None = None  # None: the assembled default; else an installed model's name, a CTranslate2 folder,
    # or with openai-whisper a .pt path (a model hub name is refused: nothing is downloaded during a run)
    backend: str = "faster-whisper"
    # int8 + BatchedInferencePipeline: on real Dutch voices the same word error rate as float32 sequential at 0.29x
    # its time on a quiet 2-core machine (bench/results/20261125-202338-decoding-quiet.json; README, Speed).
    compute_type: str = "int8"
    batched: bool = True
    batch_size: int = 8
    beam_size: int = 5
    threads: int = 0  # 0: all cores
    vocabulary: tuple[str, ...] = ()  # participant names and domain words, given to the model as a prompt
    models_dir: Path = field(default=Path("models"), compare=False)

    def cache_settings(self) -> dict[str, Any]:
        """The options that change the transcript (and so belong in the stage's cache key)."""
        return {"language": self.language, "model": self.model_label, "backend": self.backend,
                "compute_type": self.compute_type, "batched": self.batched, "beam_size": self.beam_size,
                "vocabulary": list(self.vocabulary)}

    @property
    def model_label(self) -> str:
        """The model's name as transcript.json records it (`whisper-large-v3`, a folder's name): never a path."""
        from pipeline.models.catalog import canonical, folder_name

        if self.model is None:
            return "whisper-base"
        name = canonical(self.model)
        if name is not None and not Path(self.model).expanduser().exists():
            return folder_name(name)
        return Path(self.model).name.removesuffix(".pt") or self.model

    @property
    def device(self) -> str:
        """Where faster-whisper runs: a GPU precision (float16) means the CUDA GPU, anything else the CPU."""
        return "cuda" if self.compute_type in GPU_TYPES else "cpu"

    def cpu_threads(self) -> int:
        return self.threads or os.cpu_count() or 1


class Backend(Protocol):
    name: str
    model_name: str

    def transcribe(self, audio: np.ndarray, opts: TranscribeOptions) -> tuple[str, Iterator[Segment]]:
        """The language used, and the segments (with words) in time order."""
        ...


def validate(opts: TranscribeOptions) -> None:
    if opts.backend not in BACKENDS:
        raise ConfigError(f"--backend {opts.backend}: unknown; choose one of {', '.join(BACKENDS)}")
    if opts.compute_type not in COMPUTE_TYPES:
        raise ConfigError(f"--compute-type {opts.compute_type}: unknown; choose one of {', '.join(CPU_TYPES)} "
                          f"(CPU) or {', '.join(GPU_TYPES)} (a CUDA GPU)")
    if opts.device == "cuda" and opts.backend != "faster-whisper":
        raise ConfigError(f"--compute-type {opts.compute_type} is for faster-whisper on a CUDA GPU; openai-whisper "
                          "runs on the CPU here")
    if opts.language != "auto" and not re.fullmatch(r"[a-z]{2,3}", opts.language):
        raise ConfigError(f"--language {opts.language}: give a language code such as nl or en, or auto")


def prompt_text(vocabulary: tuple[str, ...], language: str) -> str | None:
    """An initial prompt that makes Whisper spell names and domain words the way the group does."""
    words = [w.strip() for w in vocabulary if w.strip()]
    if not words:
        return None
    if language == "auto":  # a Dutch or English lead-in would push language detection towards that language
        return f"{', '.join(words)}."
    lead = "Intervisie met" if language == "nl" else "Meeting with"
    return f"{lead} {', '.join(words)}."


