"""The CTranslate2 Whisper model -> an openai-whisper checkpoint, verified against the original.

No package ships openai-whisper `.pt` checkpoints and nothing may be downloaded, so the models step converts the
CTranslate2 Whisper model (models/whisper-base/model.bin) into one: `read_ct2_model` parses model.bin, and
`convert_ct2_to_openai` splits the fused attention projections, renames the tensors and stores the alignment heads
(word timestamps) from config.json. `verify_checkpoint` runs both encoders on the same log-mel input and the
conversion is refused when they disagree. `load_openai_model` loads a checkpoint with its alignment heads.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import logging
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.errors import ModelError
from pipeline.core.session import atomic_write_bytes, atomic_write_json, hash_file
from pipeline.core.types import SAMPLE_RATE

log = logging.getLogger(__name__)

# Largest |difference| between the CTranslate2 and the converted encoder output on the same mel input that still
# counts as the same model. Float16 weights computed in float32 by two engines differ by ~1e-3 (measured 1.7e-3
# and less); a wrong mapping or a transposed/mis-split projection gives differences of order 1 and more.
VERIFY_TOLERANCE = 1e-2
CONVERTER_VERSION = 1

# CTranslate2 DataType ids (ctranslate2/include/ctranslate2/types.h).
_DTYPES: dict[int, np.dtype[Any]] = {
    0: np.dtype("<f4"), 1: np.dtype("i1"), 2: np.dtype("<i2"), 3: np.dtype("<i4"), 4: np.dtype("<f2"),
    5: np.dtype("<u2"),  # bfloat16: read as raw 16 bits, widened below
}


# -- reading model.bin ------------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, data: bytes, source: Path) -> None:
        self.data = data
        self.pos = 0
        self.source = source

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ModelError(f"{self.source}: truncated CTranslate2 model file (ends at byte {len(self.data)}); "
                             "re-assemble the models with `oogst models`")
        chunk = self.data[self.pos: self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return int(self.take(1)[0])

    def u16(self) -> int:
        return int(struct.unpack("<H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack("<I", self.take(4))[0])

    def string(self) -> str:
        return self.take(self.u16()).rstrip(b"\0").decode("utf-8")


def read_ct2_model(path: Path) -> dict[str, np.ndarray]:
    """All named tensors of a CTranslate2 `model.bin` (aliases resolved), as numpy arrays in their stored dtype.

    Layout: u32 version, [spec name, u32 revision], u32 count; per variable: name, u8 rank, u32 dims, u8 dtype id,
    u32 byte count, bytes; then u32 alias count and (alias, target) name pairs. Strings are u16 length + bytes.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "model.bin"
    if not path.is_file():
        raise ModelError(f"{path}: CTranslate2 model file not found; run `oogst models` to assemble the models")
    reader = _Reader(path.read_bytes(), path)
    version = reader.u32()
    if not 2 <= version <= 6:
        raise ModelError(f"{path}: unsupported CTranslate2 model format version {version} (expected 2-6)")
    reader.string()  # spec name, e.g. WhisperSpec
    reader.u32()  # spec revision
    tensors: dict[str, np.ndarray] = {}
    for _ in range(reader.u32()):
        name = reader.string()
        shape = tuple(reader.u32() for _ in range(reader.u8()))
        if version >= 4:
            dtype_id = reader.u8()
            nbytes = reader.u32()
        else:  # older files store the item size; only float32 and int8 existed then
            itemsize = reader.u8()
            nbytes = reader.u32() * itemsize
            dtype_id = 0 if itemsize == 4 else 1
        if dtype_id not in _DTYPES:
            raise ModelError(f"{path}: variable {name} has unknown data type id {dtype_id}")
        raw = np.frombuffer(reader.take(nbytes), dtype=_DTYPES[dtype_id])
        if dtype_id == 5:
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = raw.reshape(shape) if shape else raw.reshape(())
    if version >= 3:
        for _ in range(reader.u32()):
            alias, target = reader.string(), reader.string()
            if target not in tensors:
                raise ModelError(f"{path}: alias {alias} points to missing variable {target}")
            tensors[alias] = tensors[target]
    return tensors


# -- conversion -------------------------------------------------------------------------------------------------
def _weight(tensors: dict[str, np.ndarray], name: str) -> np.ndarray:
    """A float weight; int8 weights (a quantized CTranslate2 export) are dequantized with their `_scale`."""
    if name not in tensors:
        raise KeyError(name)
    value = tensors[name]
    if value.dtype == np.int8:
        scale = tensors[f"{name}_scale"].astype(np.float32)
        value = value.astype(np.float32) / (scale.reshape(-1, 1) if value.ndim == 2 else scale)
    return value.astype(np.float16) if value.dtype != np.float16 else value


def _linear(out: dict[str, np.ndarray], tensors: dict[str, np.ndarray], src: str, dst: str,
            bias: bool = True) -> None:
    out[f"{dst}.weight"] = _weight(tensors, f"{src}/weight")
    if bias:
        out[f"{dst}.bias"] = _weight(tensors, f"{src}/bias")


def _norm(out: dict[str, np.ndarray], tensors: dict[str, np.ndarray], src: str, dst: str) -> None:
    out[f"{dst}.weight"] = _weight(tensors, f"{src}/gamma")
    out[f"{dst}.bias"] = _weight(tensors, f"{src}/beta")


def _split_linear(out: dict[str, np.ndarray], tensors: dict[str, np.ndarray], src: str,
                  dsts: list[str]) -> None:
    """A fused projection (q|k|v or k|v stacked on the output axis) into separate Linear layers.

    openai-whisper's key projection has no bias; CTranslate2 stores zeros there, dropped here."""
    weights = np.split(_weight(tensors, f"{src}/weight"), len(dsts), axis=0)
    biases = np.split(_weight(tensors, f"{src}/bias"), len(dsts), axis=0)
    for dst, w, b in zip(dsts, weights, biases, strict=True):
        out[f"{dst}.weight"] = w
        if not dst.endswith(".key"):
            out[f"{dst}.bias"] = b


def _self_attention_and_ffn(out: dict[str, np.ndarray], tensors: dict[str, np.ndarray], src: str, dst: str) -> None:
    """The parts encoder and decoder layers share: fused self-attention (split in three) and the MLP."""
    _split_linear(out, tensors, f"{src}/self_attention/linear_0",
                  [f"{dst}.attn.query", f"{dst}.attn.key", f"{dst}.attn.value"])
    _linear(out, tensors, f"{src}/self_attention/linear_1", f"{dst}.attn.out")
    _norm(out, tensors, f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
    _linear(out, tensors, f"{src}/ffn/linear_0", f"{dst}.mlp.0")
    _linear(out, tensors, f"{src}/ffn/linear_1", f"{dst}.mlp.2")
    _norm(out, tensors, f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")


def _layer_count(tensors: dict[str, np.ndarray], prefix: str) -> int:
    layer = re.compile(rf"^{prefix}/layer_(\d+)/")
    return len({m.group(1) for name in tensors if (m := layer.match(name))})


def ct2_state_dict(tensors: dict[str, np.ndarray]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """openai-whisper `dims` and `model_state_dict` (float16 numpy arrays) from CTranslate2 Whisper tensors."""
    enc_layers, dec_layers = _layer_count(tensors, "encoder"), _layer_count(tensors, "decoder")
    conv1 = tensors["encoder/conv1/weight"]
    embedding = tensors["decoder/embeddings/weight"]
    dims = {
        "n_mels": int(conv1.shape[1]),
        "n_audio_ctx": int(tensors["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(conv1.shape[0]),
        "n_audio_head": int(tensors["encoder/num_heads"]),
        "n_audio_layer": enc_layers,
        "n_vocab": int(embedding.shape[0]),
        "n_text_ctx": int(tensors["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(embedding.shape[1]),
        "n_text_head": int(tensors["decoder/num_heads"]),
        "n_text_layer": dec_layers,
    }
    sd: dict[str, np.ndarray] = {}
    _linear(sd, tensors, "encoder/conv1", "encoder.conv1")
    _linear(sd, tensors, "encoder/conv2", "encoder.conv2")
    sd["encoder.positional_embedding"] = _weight(tensors, "encoder/position_encodings/encodings")
    for i in range(enc_layers):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        _self_attention_and_ffn(sd, tensors, src, dst)
    _norm(sd, tensors, "encoder/layer_norm", "encoder.ln_post")
    sd["decoder.token_embedding.weight"] = _weight(tensors, "decoder/embeddings/weight")
    sd["decoder.positional_embedding"] = _weight(tensors, "decoder/position_encodings/encodings")
    for i in range(dec_layers):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        _self_attention_and_ffn(sd, tensors, src, dst)
        _linear(sd, tensors, f"{src}/attention/linear_0", f"{dst}.cross_attn.query")
        _split_linear(sd, tensors, f"{src}/attention/linear_1", [f"{dst}.cross_attn.key", f"{dst}.cross_attn.value"])
        _linear(sd, tensors, f"{src}/attention/linear_2", f"{dst}.cross_attn.out")
        _norm(sd, tensors, f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
    _norm(sd, tensors, "decoder/layer_norm", "decoder.ln")
    return dims, sd


def encode_alignment_heads(heads: list[list[int]], n_layers: int, n_heads: int) -> str:
    """(layer, head) pairs as the base85(gzip(bool array)) string that `Whisper.set_alignment_heads` reads."""
    mask = np.zeros((n_layers, n_heads), dtype=bool)
    for layer, head in heads:
        mask[int(layer), int(head)] = True
    return base64.b85encode(gzip.compress(mask.tobytes(), mtime=0)).decode("ascii")


def decode_alignment_heads(dump: str | bytes, n_layers: int, n_heads: int) -> list[list[int]]:
    """The inverse of `encode_alignment_heads`: sorted (layer, head) pairs."""
    raw = dump.encode("ascii") if isinstance(dump, str) else dump
    mask = np.frombuffer(gzip.decompress(base64.b85decode(raw)), dtype=bool).reshape(n_layers, n_heads)
    return [[int(layer), int(head)] for layer, head in np.argwhere(mask)]


def convert_ct2_to_openai(ct2_dir: Path, out_pt: Path) -> Path:
    """Write an openai-whisper checkpoint `{"dims", "model_state_dict", "alignment_heads"}` (atomically)."""
    import torch

    ct2_dir, out_pt = Path(ct2_dir), Path(out_pt)
    tensors = read_ct2_model(ct2_dir / "model.bin")
    try:
        dims, state = ct2_state_dict(tensors)
    except KeyError as exc:
        raise ModelError(f"{ct2_dir}/model.bin: not a CTranslate2 Whisper model (no variable {exc.args[0]})") from None
    config_path = ct2_dir / "config.json"
    heads: list[list[int]] = []
    if config_path.is_file():
        heads = json.loads(config_path.read_text(encoding="utf-8")).get("alignment_heads") or []
    if not heads:  # openai-whisper's own default: every head of the last half of the decoder layers
        log.warning("%s has no alignment_heads; word timestamps use the last half of the decoder layers", ct2_dir)
        heads = [[layer, head] for layer in range(dims["n_text_layer"] // 2, dims["n_text_layer"])
                 for head in range(dims["n_text_head"])]
    checkpoint = {
        "dims": dims,
        "model_state_dict": {name: torch.from_numpy(np.array(value)) for name, value in state.items()},
        "alignment_heads": encode_alignment_heads(heads, dims["n_text_layer"], dims["n_text_head"]),
    }
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    atomic_write_bytes(out_pt, buffer.getvalue())
    log.info("converted %s -> %s (%d tensors)", ct2_dir, out_pt, len(state))
    return out_pt


# -- loading and verifying ------------------------------------------------------------------------------------
def _official_alignment_heads(path: Path) -> bytes | None:
    """openai-whisper's alignment heads for an official checkpoint, by its sha256: one in openai-whisper's cache
    (~/.cache/whisper/base.pt, hashed now), or one `oogst models get` installed (its record names it and holds the
    sha256 checked at the install)."""
    import whisper

    name, digest = path.stem, None
    record = path.with_suffix(".json")
    if record.is_file():
        try:
            info = json.loads(record.read_text(encoding="utf-8"))
            name, digest = str(info.get("openai_name") or name), info.get("sha256")
        except (OSError, ValueError, AttributeError):
            pass
    url = whisper._MODELS.get(name)
    if url is None or name not in whisper._ALIGNMENT_HEADS:
        return None
    expected = url.split("/")[-2]
    return whisper._ALIGNMENT_HEADS[name] if (digest or hash_file(path)) == expected else None


def load_openai_model(path: Path, device: str = "cpu") -> Any:
    """`whisper.load_model(path)` plus the alignment heads the checkpoint carries (or the official ones)."""
    import torch
    import whisper

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: openai-whisper checkpoint not found; run `oogst models` or give --model PATH.pt")
    try:
        model = whisper.load_model(str(path), device=device)
    except Exception as exc:  # a damaged or foreign .pt raises anything from pickle/zip/torch
        raise ModelError(f"{path}: not a loadable openai-whisper checkpoint ({type(exc).__name__}: {exc}); "
                         "delete it and run `oogst models` again") from None
    # mmap: reads only the small "alignment_heads" entry, not the weights a second time
    dump = torch.load(str(path), map_location="cpu", weights_only=True, mmap=True).get("alignment_heads")
    heads = dump.encode("ascii") if isinstance(dump, str) else dump or _official_alignment_heads(path)
    if heads:
        model.set_alignment_heads(heads)
    else:
        log.warning("%s carries no alignment heads; word timestamps may be less precise", path)
    return model


def speechlike_signal(seconds: float = 30.0, seed: int = 7) -> np.ndarray:
    """A deterministic voiced signal (gliding pitch, formants, syllable rhythm, noise) to compare encoders on."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    pitch = 120 + 40 * np.sin(2 * np.pi * 0.3 * t) + 20 * np.sin(2 * np.pi * 1.7 * t)
    phase = np.cumsum(pitch / SAMPLE_RATE)
    pulses = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float64)
    voiced = pulses
    for formant, bandwidth in ((700, 130), (1200, 70), (2600, 160)):
        r = np.exp(-np.pi * bandwidth / SAMPLE_RATE)
        theta = 2 * np.pi * formant / SAMPLE_RATE
        voiced = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], voiced)
    envelope = np.clip(np.sin(2 * np.pi * 3.5 * t), 0, None) ** 0.5 * (t % 6 < 4.5)
    signal = voiced * envelope + 0.01 * rng.standard_normal(n)
    return (0.5 * signal / np.abs(signal).max()).astype(np.float32)


def verify_checkpoint(ct2_dir: Path, pt: Path, audio: np.ndarray | None = None) -> float:
    """Largest |difference| between CTranslate2's and the checkpoint's encoder output on one 30 s log-mel input."""
    import ctranslate2
    import torch
    import whisper

    samples = speechlike_signal() if audio is None else np.asarray(audio, dtype=np.float32)
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(samples))  # (80, 3000)
    ct2_model = ctranslate2.models.Whisper(str(ct2_dir), device="cpu", compute_type="float32")
    reference = np.array(ct2_model.encode(ctranslate2.StorageView.from_array(mel.numpy()[None])))
    del ct2_model
    model = load_openai_model(Path(pt))
    with torch.no_grad():
        converted = model.encoder(mel[None]).numpy()
    if reference.shape != converted.shape:
        raise ModelError(f"{pt}: encoder output shape {converted.shape} differs from CTranslate2's {reference.shape}")
    return float(np.abs(reference - converted).max())


def openai_checkpoint_path(models_dir: Path, ct2_dir: Path) -> Path:
    """Where the converted checkpoint of `ct2_dir` lives: models/<ct2 dir name>-openai.pt."""
    return Path(models_dir) / f"{Path(ct2_dir).name}-openai.pt"


def ensure_openai_checkpoint(models_dir: Path, ct2_dir: Path, tolerance: float = VERIFY_TOLERANCE) -> Path:
    """Convert and verify the CTranslate2 model into an openai-whisper checkpoint; a no-op when already done.

    A sidecar `<name>.json` records the source hash and the verification; a checkpoint whose sidecar does not
    match its source (or that failed verification) is rebuilt. Raises ModelError when the check fails."""
    ct2_dir = Path(ct2_dir)
    out_pt = openai_checkpoint_path(models_dir, ct2_dir)
    sidecar = out_pt.with_suffix(".json")
    source = ct2_dir / "model.bin"
    if not source.is_file():
        raise ModelError(f"{source}: not found; assemble the Whisper model first (`oogst models`)")
    source_hash = hash_file(source)
    if out_pt.is_file() and sidecar.is_file():
        try:
            info = json.loads(sidecar.read_text(encoding="utf-8"))
        except ValueError:
            info = {}
        if (info.get("source_sha256") == source_hash and info.get("converter") == CONVERTER_VERSION
                and info.get("sha256") == hash_file(out_pt) and info.get("max_abs_diff", 1e9) <= tolerance):
            return out_pt
    convert_ct2_to_openai(ct2_dir, out_pt)
    diff = verify_checkpoint(ct2_dir, out_pt)
    log.info("openai-whisper checkpoint %s: encoder max |diff| vs CTranslate2 = %.2e", out_pt, diff)
    if not diff <= tolerance:
        out_pt.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        raise ModelError(f"{out_pt}: converted checkpoint disagrees with {ct2_dir} (encoder max difference "
                         f"{diff:.3g} > {tolerance:g}); the CTranslate2 model may be damaged: re-run `oogst models`")
    atomic_write_json(sidecar, {"source": str(source), "source_sha256": source_hash, "converter": CONVERTER_VERSION,
                                "sha256": hash_file(out_pt), "max_abs_diff": diff, "tolerance": tolerance})
    return out_pt
