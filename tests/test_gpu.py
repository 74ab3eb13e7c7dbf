"""The GPU path: on a machine with a CUDA GPU, faster-whisper in float16 there, and what `oogst worker` chooses.
Skipped where there is no CUDA GPU (this project's machines have none, so it has not run here);
OOGST_REQUIRE_GPU=1 makes it fail instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import normalise

from pipeline.asr.options import TranscribeOptions
from pipeline.asr.transcribe import get_backend, transcribe
from pipeline.core.settings import Settings
from pipeline.core.types import SAMPLE_RATE
from pipeline.ingest.audio import load_audio
from pipeline.jobs.engines import worker_precision
from pipeline.models.catalog import cuda_devices


@pytest.mark.slow
@pytest.mark.needs_gpu
def test_float16_on_the_gpu_hears_what_int8_on_the_cpu_hears(models_dir: Path, sample: Path) -> None:
    assert worker_precision(Settings(), cuda_devices()) == "float16"  # what `oogst worker` picks here
    audio = load_audio(sample)[: 60 * SAMPLE_RATE]
    gpu = TranscribeOptions(compute_type="float16", models_dir=models_dir)
    assert gpu.device == "cuda"
    heard = transcribe(audio, gpu, backend=get_backend(gpu))
    assert heard.to_dict()["precision"] == "float16" and heard.segments
    cpu = transcribe(audio, TranscribeOptions(models_dir=models_dir))
    words_gpu, words_cpu = normalise(heard.text).split(), normalise(cpu.text).split()
    shared = len(set(words_gpu) & set(words_cpu)) / max(1, len(set(words_cpu)))
    assert shared > 0.7, (heard.text, cpu.text)  # the same model: mostly the same words
