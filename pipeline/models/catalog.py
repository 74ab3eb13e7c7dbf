"""The Whisper models Oogst knows, what each costs and how well it hears Dutch, this machine, and the model to
recommend for it.

Every figure carries its source (`Figure.source`): `published` (with where), `measured` (here, for base) or
`estimated` (derived here from other figures; how is said). The README's table of models is made from `MODELS`.

How the estimates are made:
- CPU speed: base's real-time factor measured here (int8, batched, beam 5, real Dutch voices, 2 cores: 0.065,
  bench/README, bench_decoding) times the model's compute per 30-second window relative to base (`cpu_cost`:
  encoder over 1,500 frames plus 110 tokens x beam 5 through the decoder, counted from the models' layer sizes),
  divided by the cores beyond two (linear up to 16 cores, an assumption). Checked against the one published CPU
  figure: faster-whisper's small, int8, batched, 8 threads on an i7-12700K, RTF 0.065; this estimate gives 0.059.
- Memory on the CPU: published for small (faster-whisper's benchmark), measured for base, estimated for the others
  from the size of their weights.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.core.session import Session

log = logging.getLogger(__name__)

BASE_RTF_CPU = 0.065  # measured: int8 batched, real-nl, 2 cores, quiet machine (bench/README, bench_decoding)
BASE_CORES = 2
FAST_ENOUGH = 0.5  # the slowest real-time factor recommended: a two-hour session transcribed within an hour
OOGST_MEMORY_GB = 2.5  # what the rest of a warm worker holds besides Whisper (encoders, Frog, the audio)
CPU_TYPES = ("float32", "int8", "int8_float32")
GPU_TYPES = ("float16", "int8_float16")  # precisions that need a CUDA GPU (CTranslate2 here has no fast fp16 on CPU)
PRECISIONS = CPU_TYPES + GPU_TYPES

FASTER_WHISPER_BENCH = "published: faster-whisper README, v1.1.0 benchmark, 13 min of audio"
OPENAI_README = "published: openai/whisper README"
OPENAI_FIGURE = "published: openai/whisper README, language-breakdown.svg"
ESTIMATED = "estimated here from the layer sizes, scaled from base's measured speed"


@dataclass(frozen=True)
class Figure:
    """A number with where it comes from."""

    value: str
    source: str

    def __str__(self) -> str:
        return f"{self.value} ({self.source})"


@dataclass(frozen=True)
class ModelInfo:
    """One Whisper model: its names, its cost and what is known of its Dutch."""

    name: str  # what `oogst models get` and `--model` take
    folder: str  # under models/: the CTranslate2 folder; `<folder>-openai.pt` is its openai-whisper checkpoint
    parameters: str
    download: Figure  # the CTranslate2 conversion's size
    cpu_cost: float  # compute per 30-second window relative to base (see the module's docstring)
    cpu_memory_gb: float  # peak memory transcribing on the CPU (int8, batched)
    cpu_memory: Figure
    gpu_rtf: float | None  # float16 batched on a consumer GPU (None: not known)
    gpu_speed: Figure
    gpu_memory_gb: float | None
    gpu_memory: Figure
    dutch_wer: Figure
    rank: int  # accuracy order for the recommendation: higher hears Dutch better

    def cpu_rtf(self, cores: int) -> float:
        """Expected real-time factor on this many CPU cores (int8, batched)."""
        usable = max(1, min(int(cores), 16))
        return BASE_RTF_CPU * self.cpu_cost * BASE_CORES / usable

    @property
    def cpu_speed(self) -> Figure:
        if self.name == "base":
            return Figure(f"RTF {BASE_RTF_CPU} on 2 cores", "measured here: int8 batched, real Dutch voices")
        return Figure(f"RTF {self.cpu_rtf(BASE_CORES):.2f} on 2 cores, {self.cpu_rtf(8):.3f} on 8", ESTIMATED)


MODELS: dict[str, ModelInfo] = {m.name: m for m in (
    ModelInfo("base", "whisper-base", "74 M", Figure("145 MB", "measured here: models/whisper-base"), 1.0, 1.1,
              Figure("1.1 GB peak", "measured here: int8 batched, the 222 s sample"), None,
              Figure("not measured", "no GPU here"), None, Figure("~1 GB (openai-whisper)", OPENAI_README),
              Figure("0.387", "measured here: real-nl, 982 s of two Dutch actors, int8 batched"), 0),
    ModelInfo("small", "whisper-small", "244 M", Figure("484 MB", "published: Systran/faster-whisper-small"), 3.6,
              3.6, Figure("3.6 GB peak", f"{FASTER_WHISPER_BENCH}, int8, batch 8, 8 threads"), None,
              Figure("~4x base's time on an A100", f"{OPENAI_README} (relative speed)"), 2.0,
              Figure("~2 GB (openai-whisper)", OPENAI_README),
              Figure("not published here", "the Whisper paper's appendix D.2 lists it; not checked here"), 1),
    ModelInfo("medium", "whisper-medium", "769 M", Figure("1.53 GB", "published: Systran/faster-whisper-medium"),
              11.5, 5.0, Figure("~5 GB", "estimated here from the weights"), None,
              Figure("~2x large's speed on an A100", f"{OPENAI_README} (relative speed)"), 5.0,
              Figure("~5 GB (openai-whisper)", OPENAI_README),
              Figure("not published here", "the Whisper paper's appendix D.2 lists it; not checked here"), 2),
    ModelInfo("large-v3-turbo", "whisper-large-v3-turbo", "809 M",
              Figure("1.62 GB", "published: mobiuslabsgmbh/faster-whisper-large-v3-turbo"), 15.8, 6.0,
              Figure("~6 GB", "estimated here from the weights"), 0.015,
              Figure("RTF ~0.015 (float16, batched)", "estimated here from large-v2's published GPU figure and "
                     "the layer sizes"), 5.0, Figure("~6 GB (openai-whisper)", OPENAI_README),
              Figure("close to large-v3", "published: openai/whisper README (\"minimal degradation\"), no Dutch "
                     "figure"), 3),
    ModelInfo("large-v3", "whisper-large-v3", "1550 M", Figure("3.09 GB", "published: Systran/faster-whisper-large-v3"),
              22.8, 7.0, Figure("~7 GB", "estimated here from the weights"), 0.022,
              Figure("RTF 0.022 (float16, batch 8; 0.081 sequential)",
                     f"{FASTER_WHISPER_BENCH}, large-v2 on an RTX 3070 Ti 8 GB (same architecture)"), 7.0,
              Figure("6.1 GB batched, 4.5 GB sequential", f"{FASTER_WHISPER_BENCH}, large-v2, float16"),
              Figure("0.043 Common Voice 15, 0.052 FLEURS", OPENAI_FIGURE), 4),
)}
ALIASES = {"turbo": "large-v3-turbo", "large": "large-v3"}
DEFAULT = "base"


def canonical(name: str) -> str | None:
    """The catalog name for a model name as a person types it (`large-v3`, `whisper-large-v3`, `turbo`), or None."""
    key = name.strip().lower()
    key = key.removeprefix("whisper-")
    key = ALIASES.get(key, key)
    return key if key in MODELS else None


def folder_name(name: str) -> str:
    """The models/ folder of a catalog name (`large-v3` -> `whisper-large-v3`)."""
    return MODELS[name].folder


# -- this machine ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Gpu:
    name: str
    memory_gb: float


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_gb: float
    gpus: tuple[Gpu, ...] = ()

    def describe(self) -> str:
        gpu = ", ".join(f"{g.name} ({g.memory_gb:.0f} GB)" for g in self.gpus) or "no CUDA GPU"
        return f"{self.cores} cores, {self.memory_gb:.0f} GB memory, {gpu}"


def cuda_devices() -> int:
    """How many CUDA GPUs CTranslate2 (faster-whisper) can use; 0 without CUDA."""
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # a CTranslate2 built without CUDA, or a driver problem: no GPU for us
        return 0


def _gpus() -> tuple[Gpu, ...]:
    count = cuda_devices()
    if not count:
        return ()
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                                 capture_output=True, text=True, timeout=10).stdout
            found = []
            for line in out.strip().splitlines():
                name, _, mib = line.rpartition(",")
                found.append(Gpu(name.strip(), float(mib) / 1024))
            if found:
                return tuple(found[:count])
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            log.info("nvidia-smi: %s", exc)
    return tuple(Gpu(f"CUDA device {i}", 0.0) for i in range(count))


def _memory_gb() -> float:
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii")
        kib = int(re.search(r"MemTotal:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
        return kib / 2**20
    except (OSError, AttributeError, ValueError):
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        except (ValueError, OSError, AttributeError):
            return 0.0


def this_machine() -> Machine:
    """Cores this process may use, total memory and the CUDA GPUs."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return Machine(cores, round(_memory_gb(), 1), _gpus())


# -- the recommendation ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recommendation:
    model: str
    device: str  # cpu | cuda
    precision: str
    rtf: float
    why: str

    def speed(self) -> str:
        """The expected speed in words: real-time factor and what a two-hour session takes."""
        minutes = self.rtf * 120
        return f"about {self.rtf:.3f}x real time: a two-hour session in about {minutes:.0f} min"


def recommend(machine: Machine) -> Recommendation:
    """The model that hears Dutch best and still transcribes fast enough on `machine`.

    With a CUDA GPU: large-v3 when the GPU holds it batched in float16, else large-v3-turbo when that fits. On the
    CPU: the most accurate model expected at `FAST_ENOUGH` real time or faster whose memory fits next to the rest
    of Oogst; base when none does.
    """
    best_gpu = max((g.memory_gb for g in machine.gpus), default=None)
    if best_gpu is not None:
        for name in ("large-v3", "large-v3-turbo"):
            info = MODELS[name]
            if info.gpu_memory_gb is not None and info.gpu_rtf is not None and best_gpu >= info.gpu_memory_gb:
                return Recommendation(name, "cuda", "float16", info.gpu_rtf,
                                      f"the GPU ({best_gpu:.0f} GB) holds it in float16")
    room = machine.memory_gb - OOGST_MEMORY_GB
    for info in sorted(MODELS.values(), key=lambda m: -m.rank):
        rtf = info.cpu_rtf(machine.cores)
        if rtf <= FAST_ENOUGH and info.cpu_memory_gb <= room:
            why = (f"on {machine.cores} cores it is expected at {rtf:.2f}x real time and needs about "
                   f"{info.cpu_memory_gb:.1f} GB")
            return Recommendation(info.name, "cpu", "int8", rtf, why)
    base = MODELS[DEFAULT]
    return Recommendation(DEFAULT, "cpu", "int8", base.cpu_rtf(machine.cores),
                          "no larger model is fast enough or fits in memory here")


def session_model(session: Session) -> str | None:
    """The catalog name of the model a session's transcript was made with (None: none, imported, or a folder;
    moved here from `service`, which keeps the name)."""
    from pipeline.core.errors import OogstError
    from pipeline.core.session import TRANSCRIPT

    if not session.has(TRANSCRIPT):
        return None
    try:
        data = session.read(TRANSCRIPT)
    except OogstError:
        return None
    if not isinstance(data, dict) or data.get("imported") or not isinstance(data.get("model"), str):
        return None
    return canonical(data["model"])
