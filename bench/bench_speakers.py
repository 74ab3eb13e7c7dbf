"""Diarization time against transcription time on the same synthesized conversation; prints a table.

    python bench/bench_speakers.py [--script recordings/voorbeeld-intervisie.txt] [--repeat 8] [--threads 2]

The conversation is spoken by espeak-ng (pipeline.synth), transcribed once by faster-whisper (Whisper base, int8,
`language="nl"`, word timestamps, VAD filter) and diarized. `--repeat N` also diarizes the recording repeated N
times (a long session; the transcript is shifted along) to show time and memory stay in proportion.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import speakers  # noqa: E402
from pipeline.synth import SAMPLE_RATE, parse_script, synthesize  # noqa: E402
from pipeline.types import Segment, Transcript, Word  # noqa: E402


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _transcribe(audio: np.ndarray, threads: int) -> tuple[Transcript, float]:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(ROOT / "models" / "whisper-base"), device="cpu", compute_type="int8",
                         cpu_threads=threads)
    started = time.perf_counter()
    segments, _info = model.transcribe(audio, language="nl", word_timestamps=True, vad_filter=True)
    segs = tuple(Segment(s.start, s.end, s.text, tuple(Word(w.start, w.end, w.word, w.probability)
                                                         for w in s.words or ())) for s in segments)
    return Transcript("nl", len(audio) / SAMPLE_RATE, "whisper-base", segs), time.perf_counter() - started


def _shifted(transcript: Transcript, repeat: int, length: float) -> Transcript:
    segments = []
    for r in range(repeat):
        offset = r * length
        for s in transcript.segments:
            segments.append(Segment(s.start + offset, s.end + offset, s.text,
                                    tuple(replace(w, start=w.start + offset, end=w.end + offset) for w in s.words)))
    return Transcript(transcript.language, length * repeat, transcript.model, tuple(segments))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, default=ROOT / "recordings" / "voorbeeld-intervisie.txt")
    parser.add_argument("--repeat", type=int, default=0, help="also diarize the audio repeated this many times")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 threads for transcription")
    args = parser.parse_args()

    audio, truth = synthesize(parse_script(args.script.read_text(encoding="utf-8"), str(args.script)))
    length = len(audio) / SAMPLE_RATE
    transcript, asr_seconds = _transcribe(audio, args.threads)

    speakers.diarize(audio[: SAMPLE_RATE * 5], transcript)  # load the speaker model and librosa once
    started = time.perf_counter()
    turns = speakers.diarize(audio, transcript)
    diarize_seconds = time.perf_counter() - started

    rows = [("transcription (faster-whisper base int8)", length, asr_seconds),
            ("diarization (VAD + resemblyzer + spectral)", length, diarize_seconds)]
    if args.repeat > 1:
        long_audio = np.tile(audio, args.repeat)
        long_transcript = _shifted(transcript, args.repeat, length)
        started = time.perf_counter()
        long_turns = speakers.diarize(long_audio, long_transcript)
        rows.append((f"diarization, audio x{args.repeat}", len(long_audio) / SAMPLE_RATE,
                     time.perf_counter() - started))
        del long_audio
    print(f"{'stage':45} {'audio s':>8} {'seconds':>8} {'x real time':>11}")
    for name, seconds_audio, seconds in rows:
        print(f"{name:45} {seconds_audio:8.1f} {seconds:8.1f} {seconds / seconds_audio:11.3f}")
    print(f"diarization / transcription time: {diarize_seconds / asr_seconds:.1%}; "
          f"diarization share of both: {diarize_seconds / (diarize_seconds + asr_seconds):.1%}")
    print(f"speakers found: {len(turns.speakers)} (script has {len({t.speaker for t in truth})}); "
          f"turns: {len(turns.turns)}")
    if args.repeat > 1:
        print(f"long run: {len(long_turns.speakers)} speakers, {len(long_turns.turns)} turns")
    print(f"peak memory (whole process): {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
