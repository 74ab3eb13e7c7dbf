"""Decoding options on real Dutch speech: WER, real-time factor and peak memory per faster-whisper configuration.

Data: the real Dutch voices in ../shared/data/real-nl/ (fillets_dev_a.flac 597 s and fillets_dev_b.flac 385 s, with
reference text). Configurations: sequential vs batched, float32 vs int8, beam 5 vs 1, VAD off / other VAD parameters,
each against the project's current default, which runs first and again last (to see drift on a shared machine).
Every configuration runs in its own child process (peak RSS = that child's ru_maxrss) and goes through the project's
own transcription code (pipeline.asr.transcribe); only the VAD settings, which TranscribeOptions does not expose, are
overridden on the faster-whisper call inside it. Usage:

    python bench/bench_decoding.py [--out-dir outputs/bench] [--quick] [--data DIR] [--only NAME...]
                                   [--wait-idle SECONDS]

--quick: the first ~120 s of fillets_dev_b and 3 configurations. --wait-idle: before each configuration, wait up to
SECONDS for the CPUs to be mostly idle (other people's heavy jobs make the times meaningless).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import normalise, run_child  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "real-nl"
FILES = ("fillets_dev_a", "fillets_dev_b")
QUICK_FILE = "fillets_dev_b"
QUICK_SECONDS = 120.0
RATE = 16000
IDLE_CPU_PERCENT = 25.0  # --wait-idle: "idle" is other processes using less than this share of all CPUs


@dataclass(frozen=True)
class Config:
    name: str
    options: dict[str, Any] = field(default_factory=dict)  # TranscribeOptions fields changed from the default
    vad: dict[str, Any] = field(default_factory=dict)  # faster-whisper transcribe() VAD arguments overridden
    quick: bool = False  # one of the --quick configurations

    @property
    def direct(self) -> bool:
        """Whether this configuration needs faster-whisper arguments the project does not expose."""
        return bool(self.vad)


DEFAULT = "default"
CONFIGS = (
    Config(DEFAULT, quick=True),
    Config("int8", {"compute_type": "int8"}),
    Config("beam 1", {"beam_size": 1}, quick=True),
    Config("int8, beam 1", {"compute_type": "int8", "beam_size": 1}),
    Config("batched", {"batched": True}),
    Config("int8, batched (--fast)", {"compute_type": "int8", "batched": True}, quick=True),
    Config("int8, batched, beam 1", {"compute_type": "int8", "batched": True, "beam_size": 1}),
    Config("VAD off", vad={"vad_filter": False}),
    Config("VAD min silence 250 ms", vad={"vad_parameters": {"min_silence_duration_ms": 250, "speech_pad_ms": 300}}),
    Config("VAD min silence 2000 ms",
           vad={"vad_parameters": {"min_silence_duration_ms": 2000, "speech_pad_ms": 300}}),
)
DEFAULT_AGAIN = "default (again, last)"


# -- pure helpers (tested in tests/test_bench_decoding.py) ----------------------------------------------------------
def word_counts(reference: str, hypothesis: str) -> dict[str, int]:
    """Substitutions, deletions, insertions and hits of `hypothesis` against `reference`, both normalised."""
    import jiwer

    out = jiwer.process_words(normalise(reference), normalise(hypothesis))
    return {"substitutions": out.substitutions, "deletions": out.deletions, "insertions": out.insertions,
            "hits": out.hits}


def wer_of(counts: dict[str, int]) -> float:
    errors = counts["substitutions"] + counts["deletions"] + counts["insertions"]
    words = counts["substitutions"] + counts["deletions"] + counts["hits"]
    if words == 0:
        raise ValueError("WER of an empty reference")
    return errors / words


def pooled_wer(per_file: list[dict[str, int]]) -> float:
    """WER over several files as one: all errors / all reference words (not the mean of the files' WERs)."""
    keys = ("substitutions", "deletions", "insertions", "hits")
    return wer_of({k: sum(c[k] for c in per_file) for k in keys})


def cut_at(segments: list[dict[str, Any]], seconds: float) -> tuple[float, str]:
    """Where to cut a recording near `seconds` without splitting a clip, and the reference text before the cut.

    Cuts halfway through the pause after the last clip that ends by `seconds` (at least one clip is kept)."""
    kept = [s for s in segments if s["end"] <= seconds] or segments[:1]
    following = segments[len(kept)] if len(kept) < len(segments) else None
    end = kept[-1]["end"]
    cut = (end + following["start"]) / 2 if following else end + 0.5
    return cut, " ".join(s["text"] for s in kept)


# -- one configuration, in a child process --------------------------------------------------------------------
class _Recorder:
    """Stands in for the backend's WhisperModel (or batched pipeline): records the arguments of every transcribe()
    call and applies the configuration's VAD overrides, so the row says what was really decoded."""

    def __init__(self, target: Any, overrides: dict[str, Any], calls: list[dict[str, Any]]) -> None:
        self._target = target
        self._overrides = overrides
        self._calls = calls

    def transcribe(self, audio: Any, **kwargs: Any) -> Any:
        kwargs.update(self._overrides)
        self._calls.append({k: kwargs.get(k) for k in ("beam_size", "batch_size", "vad_filter", "vad_parameters",
                                                        "condition_on_previous_text", "temperature")})
        return self._target.transcribe(audio, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def worker(config: Config, inputs: list[tuple[str, Path, float | None]], models_dir: Path) -> dict[str, Any]:
    """Transcribe every input with one configuration (run in its own process); times, settings and hypotheses."""
    # The only place this bench touches the project's code: repoint these imports when pipeline/ moves.
    from pipeline.asr.options import TranscribeOptions
    from pipeline.asr.transcribe import get_backend, transcribe
    from pipeline.ingest.audio import load_audio

    audios = []
    for name, path, cut in inputs:
        audio = load_audio(path)
        audios.append((name, audio[: int(cut * RATE)] if cut else audio))
    opts = dataclasses.replace(TranscribeOptions(models_dir=models_dir), **config.options)
    started = time.perf_counter()
    backend = get_backend(opts)
    load_seconds = time.perf_counter() - started
    calls: list[dict[str, Any]] = []
    # The sequential path calls WhisperModel.transcribe, the batched one BatchedInferencePipeline.transcribe.
    attr = "_pipeline" if opts.batched else "_model"
    if getattr(backend, attr, None) is None:
        raise RuntimeError(f"{type(backend).__name__} has no {attr}: the bench's hook into the backend needs "
                           "updating after a change in pipeline/")
    setattr(backend, attr, _Recorder(getattr(backend, attr), config.vad, calls))
    files = []
    for name, audio in audios:
        started, cpu_started = time.perf_counter(), time.process_time()
        transcript = transcribe(audio, opts, backend=backend)
        files.append({"file": name, "audio_seconds": round(len(audio) / RATE, 2),
                      "transcribe_seconds": round(time.perf_counter() - started, 2),
                      "transcribe_cpu_seconds": round(time.process_time() - cpu_started, 2),
                      "segments": len(transcript.segments), "hypothesis": transcript.text})
    if not calls:
        raise RuntimeError("the backend never called faster-whisper through the bench's hook")
    settings = {"compute_type": opts.compute_type, "batched": opts.batched, "batch_size": opts.batch_size,
                "beam_size": opts.beam_size, "threads": opts.cpu_threads(), "model": opts.model_label,
                **{k: calls[0][k] for k in ("vad_filter", "vad_parameters", "condition_on_previous_text")}}
    return {"load_seconds": round(load_seconds, 2), "settings": settings, "files": files}


# -- measuring ------------------------------------------------------------------------------------------------------
def other_cpu_percent(seconds: float) -> float:
    """Share of all CPUs busy over `seconds` (this process idles meanwhile), in percent."""
    import psutil

    return float(psutil.cpu_percent(interval=seconds))


def wait_for_idle(limit: float) -> tuple[float, float]:
    """Wait up to `limit` seconds until the CPUs are mostly idle; (seconds waited, last busy percent)."""
    started = time.perf_counter()
    busy = other_cpu_percent(2.0)
    while busy >= IDLE_CPU_PERCENT and time.perf_counter() - started < limit:
        busy = other_cpu_percent(5.0)
    return time.perf_counter() - started, busy


def busy_cpu_seconds() -> float:
    import psutil

    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def measure(config: Config, label: str, inputs: list[tuple[str, Path, float | None]], references: dict[str, str],
            models_dir: Path, hyp_dir: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"config": label, "changes": {**config.options, **config.vad},
                           "direct_faster_whisper": config.direct}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", config.name, "--models-dir", str(models_dir),
           "--inputs", json.dumps([[n, str(p), c] for n, p, c in inputs])]
    busy_before = busy_cpu_seconds()
    child = run_child(cmd)
    busy = busy_cpu_seconds() - busy_before
    cpus = os.cpu_count() or 1
    # CPU time spent by everything else on the machine while this configuration ran: the noise in its timing.
    row["other_cpu_percent"] = round(100 * max(0.0, busy - child.cpu_seconds) / (child.wall * cpus), 1)
    row["wall_seconds"] = round(child.wall, 2)
    row["cpu_seconds"] = round(child.cpu_seconds, 1)
    row["peak_rss_mb"] = round(child.peak_rss_mb, 1)
    if child.code != 0:
        row["error"] = (child.err.strip().splitlines() or [f"exit code {child.code}"])[-1][:300]
        return row
    result = json.loads(child.out.strip().splitlines()[-1])
    row["load_seconds"] = result["load_seconds"]
    row["settings"] = result["settings"]
    row["files"] = []
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    (hyp_dir / slug).mkdir(parents=True, exist_ok=True)
    for f in result["files"]:
        counts = word_counts(references[f["file"]], f["hypothesis"])
        (hyp_dir / slug / f"{f['file']}.txt").write_text(f["hypothesis"] + "\n", encoding="utf-8")
        row["files"].append({k: v for k, v in f.items() if k != "hypothesis"} | counts
                            | {"wer": round(wer_of(counts), 4),
                               "rtf": round(f["transcribe_seconds"] / f["audio_seconds"], 4)})
    row["wer"] = round(pooled_wer(row["files"]), 4)
    row["audio_seconds"] = round(sum(f["audio_seconds"] for f in row["files"]), 2)
    row["transcribe_seconds"] = round(sum(f["transcribe_seconds"] for f in row["files"]), 2)
    row["rtf"] = round(row["transcribe_seconds"] / row["audio_seconds"], 4)
    # CPU seconds (all threads) per audio second: less disturbed by other people's jobs than wall time, though
    # not immune (OpenMP threads spin while they wait for a core).
    row["cpu_rtf"] = round(sum(f["transcribe_cpu_seconds"] for f in row["files"]) / row["audio_seconds"], 4)
    return row


def add_ratios(rows: list[dict[str, Any]], key: str = "rtf") -> float | None:
    """`key` ÷ the default's (the mean of its first and last run) as `<key>_vs_default`; returns that mean."""
    defaults = [r[key] for r in rows if r["config"] in (DEFAULT, DEFAULT_AGAIN) and key in r]
    if not defaults:
        return None
    base = sum(defaults) / len(defaults)
    for r in rows:
        if key in r:
            r[f"{key}_vs_default"] = round(r[key] / base, 3)
    return base


def describe(settings: dict[str, Any]) -> str:
    vad = "VAD off"
    if settings.get("vad_filter"):
        p = settings.get("vad_parameters") or {}
        vad = f"VAD {p.get('min_silence_duration_ms', '?')}/{p.get('speech_pad_ms', '?')} ms"
    mode = f"batched ×{settings['batch_size']}" if settings["batched"] else "sequential"
    return f"{settings['compute_type']}, {mode}, beam {settings['beam_size']}, {vad}"


def table(rows: list[dict[str, Any]], names: list[str]) -> str:
    cols = " | ".join(f"WER {n.removeprefix('fillets_')}" for n in names)
    lines = [f"| configuration | settings | {cols} | WER pooled | RTF | ÷ default | CPU s per audio s | ÷ default | "
             "load s | peak RSS MB | load avg before→after | other CPU % |",
             "|---|---|" + "---:|" * (len(names) + 7) + "---|---:|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['config']} | FAILED: {r['error']} |" + " |" * (len(names) + 9))
            continue
        wers = " | ".join(f"{f['wer']:.3f}" for f in r["files"])
        mark = " ¹" if r["direct_faster_whisper"] else ""
        la = r["load_avg"]
        lines.append(f"| {r['config']}{mark} | {describe(r['settings'])} | {wers} | {r['wer']:.3f} | {r['rtf']:.3f} | "
                     f"{r['rtf_vs_default']:.2f} | {r['cpu_rtf']:.3f} | {r['cpu_rtf_vs_default']:.2f} | "
                     f"{r['load_seconds']:.1f} | {r['peak_rss_mb']:.0f} | "
                     f"{la['before'][0]:.2f}→{la['after'][0]:.2f} | {r['other_cpu_percent']:.0f} |")
    return "\n".join(lines)


def notes(rows: list[dict[str, Any]], base_rtf: float | None, quick: bool) -> str:
    out = ["WER: jiwer on both texts lower-cased, punctuation (hyphens, edge apostrophes) turned into spaces, numbers "
           "as written (\"737\" ≠ \"zevenhonderdzevenendertig\"); pooled = all errors ÷ all reference words. "
           "RTF = transcription seconds ÷ audio seconds (model load excluded: `load s`); "
           f"÷ default = RTF ÷ the mean RTF of the default's runs ({base_rtf:.3f}). CPU s per audio s: the "
           "transcribing process's CPU time (all threads) per audio second, a second view less moved by other "
           "people's jobs." if base_rtf else "",
           "¹ VAD settings are not in TranscribeOptions: the child builds the project's backend and overrides only "
           "`vad_filter`/`vad_parameters` on its faster-whisper call (everything else as `oogst run`).",
           "other CPU %: CPU used by other processes while the configuration ran, as a share of all cores: the "
           "timing noise; load avg: 1-minute load average before → after."]
    first = next((r for r in rows if r["config"] == DEFAULT and "rtf" in r), None)
    last = next((r for r in rows if r["config"] == DEFAULT_AGAIN and "rtf" in r), None)
    if first and last:
        out.append(f"Drift: the default's RTF {first['rtf']:.3f} first, {last['rtf']:.3f} last "
                   f"({last['rtf'] / first['rtf']:.2f}×); WER {first['wer']:.3f} vs {last['wer']:.3f}.")
    if quick:
        out.append(f"--quick: the first {QUICK_SECONDS:.0f} s of {QUICK_FILE} only; not for conclusions.")
    return "\n".join(f"- {line}" for line in out if line)


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bench", "pipeline"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench", help="bench session folder")
    parser.add_argument("--quick", action="store_true",
                        help=f"the first ~{QUICK_SECONDS:.0f} s of {QUICK_FILE} and 3 configurations")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the real-nl folder (default {DATA})")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models", help="where whisper-base is")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[c.name for c in CONFIGS],
                        help="only these configurations (the default always runs first and last)")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before each configuration, wait up to SECONDS for the CPUs to be mostly idle")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--inputs", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        config = next(c for c in CONFIGS if c.name == args.worker)
        inputs = [(n, Path(p), c) for n, p, c in json.loads(args.inputs)]
        print(json.dumps(worker(config, inputs, args.models_dir), ensure_ascii=False))
        return 0

    data: Path = args.data
    missing = [f"{n}.{ext}" for n in FILES for ext in ("flac", "txt", "segments.json")
               if not (data / f"{n}.{ext}").is_file()]
    if missing:
        print(f"{data}: missing {', '.join(missing)}; give the real-nl folder with --data "
              "(see ../shared/data/README.md)", file=sys.stderr)
        return 1
    inputs: list[tuple[str, Path, float | None]] = []
    references: dict[str, str] = {}
    if args.quick:
        segments = json.loads((data / f"{QUICK_FILE}.segments.json").read_text(encoding="utf-8"))
        cut, references[QUICK_FILE] = cut_at(segments, QUICK_SECONDS)
        inputs.append((QUICK_FILE, data / f"{QUICK_FILE}.flac", round(cut, 3)))
    else:
        for n in FILES:
            references[n] = (data / f"{n}.txt").read_text(encoding="utf-8")
            inputs.append((n, data / f"{n}.flac", None))
    configs = [c for c in CONFIGS if (c.quick or not args.quick) and (not args.only or c.name in args.only
                                                                       or c.name == DEFAULT)]
    plan = [(c, c.name) for c in configs]
    if not args.quick:
        plan.append((configs[0], DEFAULT_AGAIN))  # the default again, last: how much did the machine drift?
    hyp_dir = args.out_dir / "decoding"
    hyp_dir.mkdir(parents=True, exist_ok=True)
    print(f"data: {data} ({', '.join(n for n, _, _ in inputs)}{' , quick cut' if args.quick else ''}); "
          f"{len(plan)} runs", file=sys.stderr, flush=True)

    rows: list[dict[str, Any]] = []
    for config, label in plan:
        waited, busy = wait_for_idle(args.wait_idle) if args.wait_idle else (0.0, other_cpu_percent(1.0))
        print(f"[{time.strftime('%H:%M:%S')}] {label} ... (CPU busy {busy:.0f} %, waited {waited:.0f} s)",
              file=sys.stderr, flush=True)
        load_before = os.getloadavg()
        row = measure(config, label, inputs, references, args.models_dir, hyp_dir)
        row["load_avg"] = {"before": [round(x, 2) for x in load_before],
                           "after": [round(x, 2) for x in os.getloadavg()]}
        row["cpu_busy_percent_before"] = round(busy, 1)
        row["waited_for_idle_seconds"] = round(waited, 1)
        shown = {k: v for k, v in row.items() if k != "files"}
        print(f"    {json.dumps(shown, ensure_ascii=False)}", file=sys.stderr, flush=True)
        rows.append(row)
        # Kept as it goes: an interrupted run of half an hour still leaves its rows.
        (args.out_dir / "decoding.partial.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n",
                                                            encoding="utf-8")

    base_rtf = add_ratios(rows)
    add_ratios(rows, "cpu_rtf")
    names = [n for n, _, _ in inputs]
    text = table(rows, names) + "\n\n" + notes(rows, base_rtf, args.quick)
    result = {
        "name": "decoding",
        "title": "Decoding options on real Dutch speech (real-nl): WER, real-time factor, peak memory",
        "date": dt.datetime.now().isoformat(timespec="seconds"), "commit": git_commit(), "quick": args.quick,
        "data": {"folder": str(data), "files": [{"file": n, "cut_seconds": c, "reference_words":
                                                 len(normalise(references[n]).split())} for n, _, c in inputs],
                 "licence": "Fish Fillets NG Dutch voices (fillets-ng-data-nl 1.0.1, GPL-2)"},
        "normalisation": "lower case; punctuation, hyphens and edge apostrophes -> spaces; numbers as written",
        "default_rtf": base_rtf,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(), "python": platform.python_version()},
        "rows": rows, "table": text,
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "decoding.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
    print(text)
    return 0 if rows and all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
