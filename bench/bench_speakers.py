"""Diarization time against transcription time on the same recording; prints a table (bench/run.py contract).

    python bench/bench_speakers.py [--out-dir DIR] [--quick] [--repeat 8] [--threads 2]

The bundled sample (recordings/voorbeeld-intervisie.ogg) is transcribed once with Oogst's default options
(faster-whisper, Whisper base, float32) and diarized. Without --quick the recording repeated `--repeat` times
(default 8, about 30 minutes; the transcript shifted along) is diarized too, to show that time and memory stay in
proportion. Writes DIR/speakers.json with {"name", "title", "table", "rows"}.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.types import Segment, Transcript  # noqa: E402
from pipeline.ingest.audio import SAMPLE_RATE, load_audio  # noqa: E402
from pipeline.speakers import diarize as speakers  # noqa: E402


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _transcribe(audio: np.ndarray, threads: int) -> tuple[Transcript, float]:
    from pipeline.asr.transcribe import TranscribeOptions, get_backend, transcribe

    opts = TranscribeOptions(threads=threads, models_dir=ROOT / "models")
    backend = get_backend(opts)  # model loading is not part of the timing
    started = time.perf_counter()
    transcript = transcribe(audio, opts, backend=backend)
    return transcript, time.perf_counter() - started


def _shifted(transcript: Transcript, repeat: int, length: float) -> Transcript:
    segments = []
    for r in range(repeat):
        offset = r * length
        for s in transcript.segments:
            segments.append(Segment(s.start + offset, s.end + offset, s.text,
                                    tuple(replace(w, start=w.start + offset, end=w.end + offset) for w in s.words)))
    return Transcript(transcript.language, length * repeat, transcript.model, tuple(segments))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="the sample only, no long repeated recording")
    parser.add_argument("--audio", type=Path, default=ROOT / "recordings" / "voorbeeld-intervisie.ogg")
    parser.add_argument("--repeat", type=int, default=8, help="also diarize the audio repeated this many times")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 threads for transcription")
    args = parser.parse_args()

    audio = load_audio(args.audio)
    length = len(audio) / SAMPLE_RATE
    print("transcribing the sample ...", file=sys.stderr)
    transcript, asr_seconds = _transcribe(audio, args.threads)

    started = time.perf_counter()
    speakers.diarize(audio[: SAMPLE_RATE * 5], transcript)  # loads the speaker model: reported apart
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    turns = speakers.diarize(audio, transcript)
    diarize_seconds = time.perf_counter() - started

    rows = [{"what": "transcription (faster-whisper base float32)", "audio_seconds": length, "seconds": asr_seconds},
            {"what": "speaker model load (once per process)", "audio_seconds": 0.0, "seconds": load_seconds},
            {"what": "diarization (VAD + resemblyzer + spectral)", "audio_seconds": length,
             "seconds": diarize_seconds, "speakers": len(turns.speakers)}]
    if not args.quick and args.repeat > 1:
        long_audio = np.tile(audio, args.repeat)
        long_transcript = _shifted(transcript, args.repeat, length)
        print(f"diarizing the sample x{args.repeat} ...", file=sys.stderr)
        started = time.perf_counter()
        long_turns = speakers.diarize(long_audio, long_transcript)
        rows.append({"what": f"diarization, audio x{args.repeat}", "audio_seconds": len(long_audio) / SAMPLE_RATE,
                     "seconds": time.perf_counter() - started, "speakers": len(long_turns.speakers)})
        del long_audio
    lines = ["| stage | audio s | seconds | × real time | speakers |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        rtf = f"{row['seconds'] / row['audio_seconds']:.3f}" if row["audio_seconds"] else ""
        lines.append(f"| {row['what']} | {row['audio_seconds']:.0f} | {row['seconds']:.1f} | {rtf} | "
                     f"{row.get('speakers', '')} |")
    lines.append(f"| diarization ÷ transcription (same audio) | | {diarize_seconds / asr_seconds:.1%} | | |")
    lines.append(f"| peak RSS (whole process) | | {_peak_rss_mb():.0f} MB | | |")
    table = "\n".join(lines)
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    result = {"name": "speakers", "title": "Speaker turns: diarization against transcription time",
              "table": table, "rows": rows, "peak_rss_mb": round(_peak_rss_mb())}
    (args.out_dir / "speakers.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
