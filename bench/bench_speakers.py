"""Diarization time against transcription time, and speaker count and word attribution on recordings with known
speakers, old count rule against new; prints tables (bench/run.py contract).

    python bench/bench_speakers.py [--out-dir DIR] [--quick] [--repeat 8] [--threads 2] [--no-quality]

Quality table: real-nl fillets_dev_a/b (Dutch voice actors, ../shared/data/real-nl), the bundled sample (four
espeak-ng voices) and the pyannote-audio sample call (English phone call, tests/data/speakers/pyannote-sample; a
report case, never used for calibration). Each is transcribed once with Oogst's transcription stage (Whisper base)
and its speaker windows embedded once (both cached, see bench/speaker_cases.py); then the words are labelled with
the old count rule (split until two centroids have cosine >= 0.88) and the new one (pipeline/speakers.py). Word
accuracy: the share of Whisper words whose speaker is the reference speaker at the word's midpoint, under the best
one-to-one mapping of labels; a midpoint outside every reference turn takes the nearest turn (the share of such
words is shown), a midpoint inside two overlapping turns accepts either speaker.

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
sys.path.insert(0, str(ROOT / "bench"))

from pipeline.core.types import Segment, Transcript  # noqa: E402
from pipeline.ingest.audio import SAMPLE_RATE, load_audio  # noqa: E402
from pipeline.speakers import clustering  # noqa: E402
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


OLD_SAME_VOICE = 0.88  # the rule before: centroid cosine at which two groups count as one voice


def old_rule_count(embeddings: np.ndarray, max_speakers: int = clustering.MAX_SPEAKERS) -> int:
    """The speaker count as Oogst found it before: split into 2, 3, .. until two centroids have cosine >= 0.88."""
    sample = embeddings[:: max(1, int(np.ceil(len(embeddings) / 2000)))].astype(np.float64)
    m = len(sample)
    if m < 8:
        return 1
    neighbours = min(int(np.clip(round(m * 0.05), 10, 40)), m - 1)
    _values, spectral = clustering._spectral_embedding(clustering._affinity(sample, neighbours), max_speakers)
    found = 1
    for k in range(2, min(max_speakers, m - 1) + 1):
        cents = clustering._centroids(sample, clustering._kmeans(spectral[:, :k], k), k)
        sim = cents @ cents.T
        np.fill_diagonal(sim, -1.0)
        if sim.max() >= OLD_SAME_VOICE:
            break
        found = k
    return found


def quality_rows(threads: int) -> list[dict]:
    """Speaker count and word accuracy, old rule and new, on the recordings with reference turns."""
    import speaker_cases as sc

    rows = []
    cases = [c for c in sc.real_cases(slices=False, single=False) + sc.synthetic_cases(single=False)
             + sc.report_cases() if c.audio_path is not None]
    for case in cases:
        key = {"report": "pyannote", "synthetic": "sample"}.get(case.group, case.name)
        transcript = sc.cached_transcript(key, case.audio_path, case.language, ROOT / "models", threads)
        words = transcript.words
        _refs, outside = sc.word_references(words, case.truth)
        row: dict = {"case": case.name, "true": case.speakers, "words": len(words), "outside": outside}
        old_k = old_rule_count(case.windows.embeddings)
        for rule, forced in (("old", old_k), ("new", None)):
            path, k = speakers.label_words(words, case.windows, num_speakers=forced)
            predicted = [f"S{int(p) + 1}" for p in path]
            row[f"{rule}_speakers"] = k
            row[f"{rule}_accuracy"] = sc.word_accuracy(words, predicted, case.truth)
            row[f"{rule}_accuracy_inside"] = sc.word_accuracy(words, predicted, case.truth, skip_outside=True)
        rows.append(row)
    return rows


def quality_table(rows: list[dict]) -> str:
    lines = ["| recording | true speakers | words (midpoint outside turns) | old: speakers | old: words right | "
             "new: speakers | new: words right | new: right, outside words left out |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['true']} | {r['words']} ({r['outside']}) | {r['old_speakers']} | "
                     f"{r['old_accuracy']:.1%} | {r['new_speakers']} | {r['new_accuracy']:.1%} | "
                     f"{r['new_accuracy_inside']:.1%} |")
    return "\n".join(lines)


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
    parser.add_argument("--no-quality", action="store_true", help="skip the speaker count and word accuracy table")
    parser.add_argument("--quality-only", action="store_true", help="only the speaker count and word accuracy table")
    args = parser.parse_args()

    quality = [] if args.no_quality else quality_rows(args.threads)
    if quality:
        print(quality_table(quality))
    if args.quality_only:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        (args.out_dir / "speakers.json").write_text(json.dumps(
            {"name": "speakers", "title": "Speaker count and word attribution, old rule vs new",
             "table": quality_table(quality), "quality": quality}, indent=2), encoding="utf-8")
        return 0

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
    if quality:
        table = quality_table(quality) + "\n\n" + table
    args.out_dir.mkdir(parents=True, exist_ok=True)
    result = {"name": "speakers", "title": "Speaker turns: diarization against transcription time",
              "table": table, "rows": rows, "quality": quality, "peak_rss_mb": round(_peak_rss_mb())}
    (args.out_dir / "speakers.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
