"""Long sessions end to end (issue 25): `oogst run` on real Dutch speech repeated to 10, 60 and 120 minutes, with
the stage split, the word error rate against the real transcripts and the peak memory of the process that runs the
stages (the same stages, in one process, that a worker runs); optionally the same 2-hour recording at another commit
in the same run, so the comparison is a ratio measured on the same machine under the same load.

    python bench/bench_long.py [--out-dir outputs/bench] [--quick] [--minutes 10 60 120] [--against REV]

The recording is `../shared/data/real-nl/*.flac` (two actors, 598 s and 385 s) played whole, one after the other,
again and again with a second of silence between until at least 95 % of the length (10 minutes: one file), written as
a 16 kHz WAV a file at a time. --quick: 10 minutes only. --against REV: the longest recording
also through `git archive REV` (run from its own folder, with this checkout's models). Memory: peak RSS of the
process (`wait4`) and of its process tree (sampled; Frog is a child), and the growth per hour against the decoded
audio itself (16 kHz float32: 225 MiB an hour). About 20 minutes on 2 idle cores (estimated, not yet run whole),
twice that with --against. Run it alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import normalise, run_child  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "real-nl"
RATE = 16000
GAP_SECONDS = 1.0
AUDIO_MB_PER_HOUR = 3600 * RATE * 4 / 2**20  # the decoded audio itself, float32


def voices() -> list[Path]:
    return sorted(DATA.glob("*.flac"))


def write_long(minutes: float, path: Path) -> tuple[float, list[Path]]:
    """The real-nl recordings one after the other, again and again, whole, until at least 95 % of `minutes`;
    (seconds, the recordings in order)."""
    import wave

    import numpy as np

    from pipeline.ingest.audio import load_audio

    gap = bytes(2 * int(GAP_SECONDS * RATE))
    files = voices()
    pieces = {p: (np.clip(load_audio(p), -1, 1) * 32767).astype(np.int16).tobytes() for p in files}
    used: list[Path] = []
    samples = 0
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        while samples < 0.95 * minutes * 60 * RATE:
            piece = files[len(used) % len(files)]
            wav.writeframes(pieces[piece] + gap)
            used.append(piece)
            samples += (len(pieces[piece]) + len(gap)) // 2
    return samples / RATE, used


def reference(used: list[Path]) -> str:
    return " ".join(p.with_suffix(".txt").read_text(encoding="utf-8") for p in used)


def unpack(rev: str, into: Path) -> str:
    """`git archive REV` of this checkout into `into`; the commit's short hash."""
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    with tempfile.TemporaryFile() as tar:
        subprocess.run(["git", "archive", commit], cwd=ROOT, stdout=tar, check=True)
        tar.seek(0)
        with tarfile.open(fileobj=tar) as archive:
            archive.extractall(into, filter="data")
    return commit


def run_once(tree: Path, audio: Path, out_dir: Path, used: list[Path]) -> dict[str, Any]:
    """`oogst run` of `tree`'s code on `audio`, measured in a child process."""
    cmd = [sys.executable, "-m", "pipeline.cli", "run", str(audio), "--out-dir", str(out_dir), "--force", "--quiet",
           "--models-dir", str(ROOT / "models")]
    load_before = os.getloadavg()[0]
    child = run_child(cmd, env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree)
    row: dict[str, Any] = {"wall_seconds": round(child.wall, 1), "cpu_seconds": round(child.cpu_seconds, 1),
                           "peak_rss_mb": round(child.peak_rss_mb, 1),
                           "tree_peak_rss_mb": round(max(child.rss_halves), 1),
                           "load_avg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    if child.code != 0:
        row["error"] = (child.err.strip().splitlines() or [f"exit code {child.code}"])[-1][:300]
        return row
    import jiwer

    run_json = next(out_dir.glob("*/run.json"))
    row["stages"] = json.loads(run_json.read_text(encoding="utf-8"))["stages"]
    transcript = json.loads((run_json.parent / "transcript.json").read_text(encoding="utf-8"))
    text = " ".join(str(s.get("text", "")) for s in transcript.get("segments", []))
    row["wer"] = round(jiwer.wer(normalise(reference(used)), normalise(text)), 4)
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| code | audio min | end to end | RTF | WER | peak RSS MB (process / tree) | stages (s) | load 1 min |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['code']} | {r['minutes']:.0f} | FAILED: {r['error']} | | | | | |")
            continue
        stages = ", ".join(f"{k} {v:.0f}" for k, v in r["stages"].items())
        minutes, seconds = divmod(r["wall_seconds"], 60)
        lines.append(f"| {r['code']} | {r['minutes']:.0f} | {minutes:.0f} min {seconds:.0f} s | "
                     f"{r['wall_seconds'] / r['audio_seconds']:.3f} | {r['wer']:.3f} | "
                     f"{r['peak_rss_mb']:.0f} / {r['tree_peak_rss_mb']:.0f} | {stages} | "
                     f"{r['load_avg_1min'][0]:.1f} -> {r['load_avg_1min'][1]:.1f} |")
    return "\n".join(lines)


def growth(rows: list[dict[str, Any]]) -> list[str]:
    """Peak memory per extra hour of audio, against the decoded audio itself."""
    mine = sorted((r for r in rows if r["code"] == "this" and "error" not in r), key=lambda r: r["audio_seconds"])
    notes = []
    for short, long_ in zip(mine, mine[1:], strict=False):
        hours = (long_["audio_seconds"] - short["audio_seconds"]) / 3600
        per_hour = (long_["peak_rss_mb"] - short["peak_rss_mb"]) / hours
        notes.append(f"{short['minutes']:.0f} -> {long_['minutes']:.0f} min: peak RSS +{per_hour:.0f} MB per hour "
                     f"of audio (the decoded audio itself: {AUDIO_MB_PER_HOUR:.0f} MB per hour)"
                     f"{'' if per_hour <= AUDIO_MB_PER_HOUR * 1.1 else ' GROWS MORE'}")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench", help="bench session folder")
    parser.add_argument("--quick", action="store_true", help="10 minutes only")
    parser.add_argument("--minutes", nargs="+", type=float, help="lengths to run (default 10 60 120)")
    parser.add_argument("--against", metavar="REV", help="also run the longest recording at this commit")
    args = parser.parse_args(argv)
    if not voices():
        print(f"no recordings in {DATA}", file=sys.stderr)
        return 1
    lengths = sorted(args.minutes or ([10.0] if args.quick else [10.0, 60.0, 120.0]))
    out_dir: Path = args.out_dir
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-long-") as tmp:
        work = Path(tmp)
        trees = {"this": ROOT}
        if args.against:
            (work / "against").mkdir()
            trees[unpack(args.against, work / "against")] = work / "against"
        for minutes in lengths:
            audio = work / f"real-nl-{minutes:.0f}min.wav"
            seconds, used = write_long(minutes, audio)
            codes = list(trees) if minutes == lengths[-1] else ["this"]
            for code in codes:
                print(f"[{time.strftime('%H:%M:%S')}] {minutes:.0f} min: oogst run ({code}) ...", file=sys.stderr,
                      flush=True)
                row = {"code": code, "minutes": minutes, "audio_seconds": round(seconds, 1),
                       **run_once(trees[code], audio, work / f"out-{code}-{minutes:.0f}", used)}
                print(f"    {json.dumps(row)}", file=sys.stderr, flush=True)
                rows.append(row)
            audio.unlink()
    text = table(rows)
    notes = growth(rows)
    ok = [r for r in rows if "error" not in r]
    longest = [r for r in ok if r["minutes"] == lengths[-1]]
    if len(longest) == 2:
        this, other = (r for r in sorted(longest, key=lambda r: r["code"] != "this"))
        wall, cpu = this["wall_seconds"] / other["wall_seconds"], this["cpu_seconds"] / other["cpu_seconds"]
        notes.append(f"{lengths[-1]:.0f} min, this / {other['code']}: end to end ×{wall:.2f}, CPU ×{cpu:.2f}, "
                     f"WER {this['wer']:.3f} vs {other['wer']:.3f}")
    if notes:
        text += "\n\n" + "\n".join(f"- {n}" for n in notes)
    result = {"name": "long", "title": "Long sessions end to end: time, stage split, WER and peak memory",
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "rows": rows, "notes": notes,
              "table": text}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "long.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(text)
    return 0 if len(ok) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
