"""openai-whisper backend: model.bin parsing, CTranslate2 -> openai-whisper conversion, and transcription."""

from __future__ import annotations

import json
import re
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.errors import ModelError
from pipeline.ingest.audio import SAMPLE_RATE, audio_chunks
from pipeline.models.convert import (
    VERIFY_TOLERANCE,
    decode_alignment_heads,
    ensure_openai_checkpoint,
    read_ct2_model,
    verify_checkpoint,
)

ROOT = Path(__file__).resolve().parents[1]
CT2_DIR = ROOT / "models" / "whisper-base"
SAMPLE = ROOT / "recordings" / "voorbeeld-intervisie.ogg"
SCRIPT = ROOT / "recordings" / "voorbeeld-intervisie.txt"
TRUTH = ROOT / "recordings" / "voorbeeld-intervisie.truth.json"



# -- model.bin parsing on a file written here -----------------------------------------------------------------
def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def _ct2_file(variables: dict[str, tuple[int, np.ndarray]], aliases: dict[str, str]) -> bytes:
    out = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<I", 3) + struct.pack("<I", len(variables))
    for name, (dtype_id, array) in variables.items():
        out += _string(name) + struct.pack("<B", array.ndim) + b"".join(struct.pack("<I", d) for d in array.shape)
        data = array.tobytes()
        out += struct.pack("<B", dtype_id) + struct.pack("<I", len(data)) + data
    out += struct.pack("<I", len(aliases))
    for alias, target in aliases.items():
        out += _string(alias) + _string(target)
    return out


def test_read_ct2_model_parses_every_dtype_and_resolves_aliases(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    f16 = rng.standard_normal((4, 3)).astype(np.float16)
    f32 = rng.standard_normal(5).astype(np.float32)
    i8 = rng.integers(-100, 100, (2, 2)).astype(np.int8)
    bf16_values = np.array([1.5, -2.0, 0.15625], dtype=np.float32)
    bf16 = (bf16_values.view(np.uint32) >> 16).astype(np.uint16)
    scalar = np.array(8, dtype=np.int16)
    (tmp_path / "model.bin").write_bytes(_ct2_file(
        {"a/weight": (4, f16), "b/bias": (0, f32), "c/q": (1, i8), "d/bf": (5, bf16), "num_heads": (2, scalar)},
        {"proj/weight": "a/weight"}))

    tensors = read_ct2_model(tmp_path)

    assert np.array_equal(tensors["a/weight"], f16) and tensors["a/weight"].dtype == np.float16
    assert np.array_equal(tensors["b/bias"], f32)
    assert np.array_equal(tensors["c/q"], i8)
    assert np.array_equal(tensors["d/bf"], bf16_values)  # exactly representable in bfloat16
    assert int(tensors["num_heads"]) == 8 and tensors["num_heads"].shape == ()
    assert tensors["proj/weight"] is tensors["a/weight"]


def test_read_ct2_model_truncated_or_missing_is_a_model_error(tmp_path: Path) -> None:
    data = _ct2_file({"a/weight": (0, np.ones((64, 64), np.float32))}, {})
    (tmp_path / "model.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="truncated"):
        read_ct2_model(tmp_path / "model.bin")
    with pytest.raises(ModelError, match="not found"):
        read_ct2_model(tmp_path / "missing")


def test_audio_chunks_cover_everything_and_cut_in_silence() -> None:
    rng = np.random.default_rng(1)
    seconds = 700
    audio = (0.3 * rng.standard_normal(seconds * SAMPLE_RATE)).astype(np.float32)
    gaps = range(7, seconds, 13)  # a quiet second every 13 s, like pauses between turns
    for gap in gaps:
        audio[gap * SAMPLE_RATE: (gap + 1) * SAMPLE_RATE] = 0.0

    chunks = list(audio_chunks(audio, chunk_seconds=120))

    assert chunks[0][0] == 0 and chunks[-1][1] == len(audio)
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))
    for _, end in chunks[:-1]:
        quiet = float(np.abs(audio[end - 800: end + 800]).max())
        assert quiet == 0.0, f"cut at {end / SAMPLE_RATE:.2f} s is not silent"
    assert max(e - s for s, e in chunks) <= 1.25 * 120 * SAMPLE_RATE
    print("chunks (s):", [(round(s / SAMPLE_RATE, 1), round(e / SAMPLE_RATE, 1)) for s, e in chunks])


# -- conversion of the real model ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Path:
    models_dir = tmp_path_factory.mktemp("models")
    started = time.perf_counter()
    pt = ensure_openai_checkpoint(models_dir, CT2_DIR)
    print(f"conversion + verification: {time.perf_counter() - started:.1f} s")
    return pt


@pytest.mark.slow
@pytest.mark.usefixtures("models_dir")  # fails loudly when the model is not assembled
def test_converted_checkpoint_loads_strictly_with_the_official_alignment_heads(converted: Path) -> None:
    import torch
    import whisper

    checkpoint = torch.load(converted, map_location="cpu", weights_only=True)
    dims = whisper.model.ModelDimensions(**checkpoint["dims"])
    expected = whisper.model.Whisper(dims).state_dict()
    state = checkpoint["model_state_dict"]
    assert set(state) == set(expected), f"missing {set(expected) - set(state)}, extra {set(state) - set(expected)}"
    assert all(state[k].shape == expected[k].shape for k in expected)
    assert checkpoint["dims"] == {"n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 512, "n_audio_head": 8,
                                  "n_audio_layer": 6, "n_vocab": 51865, "n_text_ctx": 448, "n_text_state": 512,
                                  "n_text_head": 8, "n_text_layer": 6}
    config_heads = json.loads((CT2_DIR / "config.json").read_text())["alignment_heads"]
    assert decode_alignment_heads(checkpoint["alignment_heads"], 6, 8) == config_heads
    # the same heads openai-whisper itself uses for its official "base" checkpoint
    assert decode_alignment_heads(whisper._ALIGNMENT_HEADS["base"], 6, 8) == config_heads

    info = json.loads(converted.with_suffix(".json").read_text())
    print(f"encoder max |diff| vs CTranslate2: {info['max_abs_diff']:.2e} (tolerance {VERIFY_TOLERANCE:g})")
    assert info["max_abs_diff"] < VERIFY_TOLERANCE

    before = converted.stat().st_mtime_ns
    started = time.perf_counter()
    assert ensure_openai_checkpoint(converted.parent, CT2_DIR) == converted
    assert converted.stat().st_mtime_ns == before, "a second models step must not convert again"
    print(f"second models step (no-op): {time.perf_counter() - started:.2f} s")


@pytest.mark.slow
@pytest.mark.usefixtures("models_dir")  # fails loudly when the model is not assembled
def test_verification_catches_a_wrong_mapping(converted: Path, tmp_path: Path) -> None:
    import torch

    checkpoint = torch.load(converted, map_location="cpu", weights_only=True)
    state = checkpoint["model_state_dict"]
    # a plausible converter bug: query and key of one encoder layer swapped
    state["encoder.blocks.2.attn.query.weight"], state["encoder.blocks.2.attn.key.weight"] = (
        state["encoder.blocks.2.attn.key.weight"], state["encoder.blocks.2.attn.query.weight"])
    broken = tmp_path / "broken.pt"
    torch.save(checkpoint, broken)

    diff = verify_checkpoint(CT2_DIR, broken)

    print(f"encoder max |diff| with q/k swapped in one layer: {diff:.3g}")
    assert diff > 10 * VERIFY_TOLERANCE


@pytest.mark.slow
@pytest.mark.usefixtures("models_dir")  # fails loudly when the model is not assembled
def test_unknown_or_uncached_model_names_are_model_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.asr.backends.openai_whisper import OpenAIWhisperBackend
    from pipeline.asr.options import TranscribeOptions

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(ModelError, match="never downloads"):  # an official name, not in openai-whisper's cache
        OpenAIWhisperBackend(TranscribeOptions(backend="openai-whisper", model="large-v2", models_dir=tmp_path))
    with pytest.raises(ModelError, match=r"run `oogst models`"):  # base is the assembled model (none here)
        OpenAIWhisperBackend(TranscribeOptions(backend="openai-whisper", model="base", models_dir=tmp_path))
    with pytest.raises(ModelError, match=r"run `oogst models get large-v3 --backend openai-whisper`"):
        OpenAIWhisperBackend(TranscribeOptions(backend="openai-whisper", model="large-v3", models_dir=tmp_path))
    with pytest.raises(ModelError, match="not an installed model nor a model folder"):
        OpenAIWhisperBackend(TranscribeOptions(backend="openai-whisper", model=str(tmp_path / "nope.pt"),
                                               models_dir=tmp_path))
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"PK\x03\x04 not really a checkpoint")
    with pytest.raises(ModelError, match="damaged.pt: not a loadable"):
        OpenAIWhisperBackend(TranscribeOptions(backend="openai-whisper", model=str(damaged), models_dir=tmp_path))


# -- transcription ------------------------------------------------------------------------------------------------
def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w']+", " ", text.lower())).strip()


def _sample_start(max_seconds: float = 75.0) -> tuple[np.ndarray, str]:
    """The first turns (up to `max_seconds`) of the bundled sample recording, and their script text.

    Cut at a turn boundary from the sample's ground truth (openai-whisper on all of it takes minutes on 2 cores);
    synthesized from the script when the recording is not there."""
    from devtools import synth

    if SAMPLE.is_file() and TRUTH.is_file():
        from pipeline.ingest.audio import load_audio

        audio = load_audio(SAMPLE)
        turns = [(float(t["end"]), str(t["text"])) for t in json.loads(TRUTH.read_text(encoding="utf-8"))["turns"]]
    else:
        audio, truth = synth.synthesize(synth.parse_script(SCRIPT.read_text(encoding="utf-8"), str(SCRIPT)))
        turns = [(turn.end, turn.text) for turn in truth]
    kept = [(end, text) for end, text in turns if end <= max_seconds]
    cut = int((kept[-1][0] + 0.3) * SAMPLE_RATE)
    return audio[:cut], " ".join(text for _, text in kept)


@pytest.mark.slow
@pytest.mark.usefixtures("models_dir")  # fails loudly when the model is not assembled
def test_converted_checkpoint_transcribes_the_sample_like_faster_whisper(converted: Path) -> None:
    import jiwer

    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    audio, reference = _sample_start()
    duration = len(audio) / SAMPLE_RATE
    results = {}
    for backend, model in (("faster-whisper", str(CT2_DIR)), ("openai-whisper", str(converted))):
        # Like for like: the same weights at the same precision, one piece at a time (openai-whisper has no batched
        # int8 mode; faster-whisper's default is int8 batched).
        opts = TranscribeOptions(backend=backend, model=model, models_dir=converted.parent, compute_type="float32",
                                 batched=False)
        started = time.perf_counter()
        transcript = transcribe(audio, opts)
        seconds = time.perf_counter() - started
        wer = jiwer.wer(_normalise(reference), _normalise(transcript.text))
        results[backend] = (wer, transcript)
        print(f"{backend}: WER {wer:.3f}, real-time factor {seconds / duration:.3f} on {duration:.0f} s; "
              f"{transcript.text[:120]!r}")

    wer_fw, _ = results["faster-whisper"]
    wer_oa, transcript = results["openai-whisper"]
    assert transcript.language == "nl" and transcript.extra["backend"] == "openai-whisper"
    assert transcript.model == converted.stem
    assert wer_oa <= wer_fw + 0.05, f"openai-whisper WER {wer_oa:.3f} vs faster-whisper {wer_fw:.3f}"
    assert wer_oa < 0.9  # it heard Dutch words, not noise
    words = transcript.words
    assert len(words) > 50
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(0 <= w.start <= w.end <= duration + 0.01 for w in words)
    assert transcript.to_dict()["segments"][0]["words"][0].keys() == {"start", "end", "word", "probability"}
