"""Speech recognition side by side: faster-whisper (float32/int8, sequential/batched), openai-whisper on the same
weights, and the full `oogst run`, on the sample recording, the sample repeated to ~10 minutes and to ~60 minutes.

Every configuration runs in its own child process, so its peak RSS (from `wait4`) is its own. Prints a table and
writes `asr.json` into the bench session folder. Usage:

    python bench/bench_asr.py [--out-dir outputs/bench] [--quick] [--long-all] [--no-long]

--quick: only the sample itself; --no-long: skip the 60-minute audio; --long-all: also run the slow configurations
(faster-whisper int8 sequential, float32 batched, openai-whisper) on 60 minutes, which takes about an hour more.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import normalise, run_child  # noqa: E402

SAMPLE = ROOT / "recordings" / "voorbeeld-intervisie.ogg"
SCRIPT = ROOT / "recordings" / "voorbeeld-intervisie.txt"
RATE = 16000
GAP_SECONDS = 1.0  # silence between repetitions of the sample


@dataclass(frozen=True)
class Config:
    name: str
    kind: str  # "asr" (transcription only) or "oogst" (the full `oogst run`)
    backend: str = "faster-whisper"
    compute_type: str = "float32"
    batched: bool = False
    slow: bool = False  # left out of the 60-minute audio unless --long-all


CONFIGS = (
    Config("faster-whisper float32", "asr", slow=True),
    Config("faster-whisper int8", "asr", compute_type="int8", slow=True),
    Config("faster-whisper float32 batched", "asr", batched=True, slow=True),
    Config("faster-whisper int8 batched", "asr", compute_type="int8", batched=True),
    Config("openai-whisper", "asr", backend="openai-whisper", slow=True),
    Config("oogst run (end to end)", "oogst", compute_type="int8", batched=True),  # the default decoding
)
BASELINE = "faster-whisper float32"
FASTEST = "faster-whisper int8 batched"


# -- text and audio -----------------------------------------------------------------------------------------
def reference_text() -> str:
    from devtools.synth import parse_script

    return " ".join(line.text for line in parse_script(SCRIPT.read_text(encoding="utf-8"), str(SCRIPT)))


def sample_audio() -> Any:
    """The bundled sample decoded to 16 kHz (synthesized from its script when the .ogg is not there yet)."""
    if SAMPLE.is_file():
        from pipeline.ingest.audio import load_audio

        return load_audio(SAMPLE)
    from devtools import synth

    audio, _ = synth.synthesize(synth.parse_script(SCRIPT.read_text(encoding="utf-8"), str(SCRIPT)))
    return audio


def write_repeated(sample: Any, minutes: float, path: Path) -> int:
    """Write the sample repeated (with a second of silence between) to at least `minutes`, as 16-bit WAV.

    Streams one repetition at a time, so making the hour costs no more memory than the sample."""
    import wave

    import numpy as np

    pcm = (np.clip(sample, -1, 1) * 32767).astype(np.int16).tobytes()
    gap = bytes(2 * int(GAP_SECONDS * RATE))
    target = int(minutes * 60 * RATE)
    repeats = max(1, -(-target // (len(sample) + len(gap) // 2)))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        for i in range(repeats):
            wav.writeframes((gap if i else b"") + pcm)
    return repeats


# -- one configuration, in a child process ------------------------------------------------------------------------
def worker(config: Config, audio_path: Path, reference: str, repeats: int) -> dict[str, Any]:
    """Decode, transcribe and score one configuration (run in its own process)."""
    import jiwer

    from pipeline.asr.transcribe import TranscribeOptions, get_backend, transcribe
    from pipeline.ingest.audio import load_audio

    started = time.perf_counter()
    audio = load_audio(audio_path)
    decoded = time.perf_counter()
    opts = TranscribeOptions(backend=config.backend, compute_type=config.compute_type, batched=config.batched,
                             models_dir=ROOT / "models")
    backend = get_backend(opts)
    loaded = time.perf_counter()
    transcript = transcribe(audio, opts, backend=backend)
    done = time.perf_counter()
    duration = len(audio) / RATE
    full_reference = " ".join([reference] * repeats)
    return {
        "audio_seconds": round(duration, 2),
        "decode_seconds": round(decoded - started, 2),
        "load_seconds": round(loaded - decoded, 2),
        "transcribe_seconds": round(done - loaded, 2),
        "rtf": round((done - loaded) / duration, 4),
        "wer": round(jiwer.wer(normalise(full_reference), normalise(transcript.text)), 4),
        "segments": len(transcript.segments),
        "model": transcript.model,
        "decoded_audio_mb": round(audio.nbytes / 2**20, 1),
    }


def _oogst_command() -> list[str]:
    script = Path(sys.executable).with_name("oogst")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pipeline.cli"]


def measure(config: Config, audio_path: Path, label: str, repeats: int, work: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"config": config.name, "audio": label, "backend": config.backend,
                           "compute_type": config.compute_type, "batched": config.batched}
    if config.kind == "asr":
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", config.name, "--audio", str(audio_path),
               "--repeats", str(repeats)]
        child = run_child(cmd)
        if child.code == 0:
            row.update(json.loads(child.out.strip().splitlines()[-1]))
    else:
        out_dir = work / f"oogst-{label}"
        cmd = [*_oogst_command(), "run", str(audio_path), "--out-dir", str(out_dir), "--force", "--quiet"]
        child = run_child(cmd)
        if child.code == 0:
            run_json = next(out_dir.glob("*/run.json"))
            stages = json.loads(run_json.read_text(encoding="utf-8"))["stages"]
            transcript = json.loads((run_json.parent / "transcript.json").read_text(encoding="utf-8"))
            row.update(audio_seconds=round(float(transcript["duration"]), 2), stages=stages,
                       transcribe_seconds=stages.get("transcribe"), end_to_end_seconds=round(child.wall, 2),
                       # what everything but decoding adds (start-up, model loads, the later stages): issue 17's
                       # target is at most 1.15
                       end_to_end_over_transcription=round(child.wall / stages["transcribe"], 3)
                       if stages.get("transcribe") else None,
                       rtf=round(child.wall / float(transcript["duration"]), 4), session=str(run_json.parent))
    row["wall_seconds"] = round(child.wall, 2)
    row["rss_first_half_mb"], row["rss_second_half_mb"] = (round(x, 1) for x in child.rss_halves)
    row["peak_rss_mb"] = round(child.peak_rss_mb, 1)
    if child.code != 0:
        row["error"] = (child.err.strip().splitlines() or [f"exit code {child.code}"])[-1][:300]
    return row


# -- the table ----------------------------------------------------------------------------------------------------
def add_ratios(rows: list[dict[str, Any]]) -> None:
    """end-to-end / faster-whisper alone and openai-whisper / faster-whisper, per audio length."""
    for audio in {r["audio"] for r in rows}:
        same = {r["config"]: r for r in rows if r["audio"] == audio and "error" not in r}
        base = same.get(BASELINE)
        if not base:
            continue
        for row in same.values():
            if row["config"] == BASELINE:
                continue
            mine = row.get("end_to_end_seconds") or row.get("transcribe_seconds")
            if mine:
                row["ratio_vs_faster_whisper"] = round(mine / base["transcribe_seconds"], 2)


def table(rows: list[dict[str, Any]]) -> str:
    head = ("| audio | configuration | audio s | time s | RTF | × fw float32 | WER | peak RSS MB | notes |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---|")
    lines = [head]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['audio']} | {r['config']} | | | | | | {r['peak_rss_mb']:.0f} | FAILED: {r['error']} |")
            continue
        seconds = r.get("end_to_end_seconds") or r.get("transcribe_seconds")
        ratio = r.get("ratio_vs_faster_whisper")
        notes = ""
        if "stages" in r:
            notes = ", ".join(f"{k} {v:.0f}s" for k, v in r["stages"].items())
            if r.get("end_to_end_over_transcription"):
                notes += f"; end to end ÷ transcription {r['end_to_end_over_transcription']:.2f}"
        elif "load_seconds" in r:
            notes = f"decode {r['decode_seconds']:.1f}s, load {r['load_seconds']:.1f}s"
        notes += f"; RSS 1st/2nd half {r['rss_first_half_mb']:.0f}/{r['rss_second_half_mb']:.0f} MB"
        wer = f"{r['wer']:.3f}" if "wer" in r else ""
        lines.append(f"| {r['audio']} | {r['config']} | {r['audio_seconds']:.0f} | {seconds:.1f} | {r['rtf']:.3f} | "
                     f"{'' if ratio is None else f'{ratio:.2f}'} | {wer} | {r['peak_rss_mb']:.0f} | {notes} |")
    return "\n".join(lines)


def memory_check(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per configuration run on both 10 and 60 minutes: growth of peak RSS vs the growth of the decoded audio."""
    checks = []
    by = {(r["config"], r["audio"]): r for r in rows if "error" not in r}
    for config in CONFIGS:
        short, long_ = by.get((config.name, "10 min")), by.get((config.name, "60 min"))
        if not short or not long_:
            continue
        audio_growth = (long_["audio_seconds"] - short["audio_seconds"]) * RATE * 4 / 2**20  # float32 samples
        growth = long_["peak_rss_mb"] - short["peak_rss_mb"]
        checks.append({"config": config.name, "rss_10min_mb": short["peak_rss_mb"],
                       "rss_60min_mb": long_["peak_rss_mb"],
                       "growth_mb": round(growth, 1), "decoded_audio_growth_mb": round(audio_growth, 1),
                       # allowance: the audio once more (a copy while decoding/resampling) plus 150 MB of noise
                       "ok": growth <= 2 * audio_growth + 150})
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench", help="bench session folder")
    parser.add_argument("--quick", action="store_true", help="only the sample itself (a few minutes)")
    parser.add_argument("--no-long", action="store_true", help="skip the 60-minute audio")
    parser.add_argument("--long-all", action="store_true", help="run every configuration on 60 minutes too")
    parser.add_argument("--only", nargs="+", metavar="CONFIG", help="only these configurations (by name)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        config = next(c for c in CONFIGS if c.name == args.worker)
        print(json.dumps(worker(config, args.audio, reference_text(), args.repeats)))
        return 0

    out_dir: Path = args.out_dir
    work = out_dir / "audio"
    work.mkdir(parents=True, exist_ok=True)
    sample = sample_audio()
    sample_seconds = len(sample) / RATE
    audios: list[tuple[str, Path, int]] = []
    sample_wav = work / "sample.wav"
    audios.append(("sample", sample_wav, write_repeated(sample, 0, sample_wav)))
    if not args.quick:
        for label, minutes in (("10 min", 10.0), ("60 min", 60.0)):
            if label == "60 min" and args.no_long:
                continue
            path = work / f"sample-{int(minutes)}min.wav"
            audios.append((label, path, write_repeated(sample, minutes, path)))
    del sample

    configs = [c for c in CONFIGS if not args.only or c.name in args.only]
    rows: list[dict[str, Any]] = []
    print(f"sample: {sample_seconds:.0f} s ({'bundled' if SAMPLE.is_file() else 'synthesized from the script'})",
          file=sys.stderr)
    plan = [(label, path, repeats, config) for label, path, repeats in audios for config in configs
            if not (label == "60 min" and config.slow and not args.long_all)]
    # Most telling first, so an interrupted bench still has them: the sample, then the 10/60-minute pair of the
    # fastest configuration (the memory check), then the rest.
    pair = {("10 min", FASTEST), ("60 min", FASTEST)}
    plan.sort(key=lambda p: (p[0] != "sample", (p[0], p[3].name) not in pair, p[0] == "60 min"))
    for label, path, repeats, config in plan:
        print(f"[{time.strftime('%H:%M:%S')}] {label}: {config.name} ...", file=sys.stderr, flush=True)
        load_before = os.getloadavg()[0]
        row = measure(config, path, label, repeats, work)
        row["load_avg_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # before, after
        print(f"    {json.dumps(row)}", file=sys.stderr, flush=True)
        rows.append(row)
    order = {"sample": 0, "10 min": 1, "60 min": 2}
    names = [c.name for c in CONFIGS]
    rows.sort(key=lambda r: (order[r["audio"]], names.index(r["config"])))
    add_ratios(rows)
    checks = memory_check(rows)
    text = table(rows)
    if checks:
        text += "\n\nPeak memory, 10 vs 60 minutes (growth allowed: about the decoded audio itself):\n"
        text += "\n".join(f"- {c['config']}: {c['rss_10min_mb']:.0f} -> {c['rss_60min_mb']:.0f} MB "
                          f"(+{c['growth_mb']:.0f}; "
                          f"decoded audio +{c['decoded_audio_growth_mb']:.0f}) {'ok' if c['ok'] else 'GROWS'}"
                          for c in checks)
    if not args.long_all and not args.no_long and not args.quick:
        text += ("\n\n60 minutes: only the fastest configuration by default; add --long-all for the others "
                 "(about 1.5 h more on 2 idle cores).")
    result = {"name": "asr", "title": "Speech recognition: real-time factor, WER and peak memory",
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "processor": platform.processor() or platform.machine(),
                          "load_avg_at_end": os.getloadavg()},
              "sample_seconds": round(sample_seconds, 2), "rows": rows, "memory_check": checks, "table": text}
    (out_dir / "asr.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for _, path, _ in audios:  # the hour of WAV is 115 MB; the numbers are what we keep
        path.unlink(missing_ok=True)
    print(text)
    return 0 if all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
