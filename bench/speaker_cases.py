"""Recordings with known speakers for calibrating and reporting speaker detection, with their cached inputs.

Shared by bench/calibrate_speakers.py (how the count rule was chosen) and bench/bench_speakers.py (old rule vs new).
Every case is an audio signal, its reference turns and a role:

- calibrate, real: the Dutch voice actors in ../shared/data/real-nl (fillets_dev_a/b, two speakers `klein` and
  `groot`): the whole files, contiguous 90 s slices of them, and ~90 s of one actor's clips joined (one speaker).
- calibrate, synthetic: the bundled sample (four espeak-ng voices), each of those voices alone reading the sample's
  lines (one speaker), and a three-voice script with a long pause.
- report (never used to choose anything): the two-speaker phone call shipped in pyannote-audio's wheel
  (tests/data/speakers/pyannote-sample).

Speech regions and window embeddings (the slow part) are cached as .npz, transcripts as JSON, under
$OOGST_SPEAKER_CACHE (default /tmp/oogst-speaker-cache), so each file is embedded and transcribed once.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devtools.scripts import THREE_VOICES  # noqa: E402
from pipeline.core.types import SAMPLE_RATE, Segment, Transcript, Word  # noqa: E402
from pipeline.speakers import diarize as speakers  # noqa: E402

REAL_NL = Path(os.environ.get("OOGST_REAL_NL", ROOT.parent / "shared" / "data" / "real-nl"))
PYANNOTE = ROOT / "tests" / "data" / "speakers" / "pyannote-sample"
SAMPLE = ROOT / "recordings" / "voorbeeld-intervisie.ogg"
CACHE = Path(os.environ.get("OOGST_SPEAKER_CACHE", "/tmp/oogst-speaker-cache"))
SLICE = 90.0  # seconds: the length of the real-nl slices and one-actor cuts

@dataclass(frozen=True)
class RefTurn:
    speaker: str
    start: float
    end: float


@dataclass
class Case:
    name: str
    group: str  # "real" | "synthetic" | "report"
    truth: list[RefTurn]
    windows: speakers.SpeakerWindows
    language: str = "nl"
    audio_path: Path | None = None  # set when the case is a whole file that can be transcribed

    @property
    def speakers(self) -> int:
        return len({t.speaker for t in self.truth})


# -- reference turns -------------------------------------------------------------------------------------


def read_segments(path: Path) -> list[RefTurn]:
    return [RefTurn(s["speaker"], float(s["start"]), float(s["end"]))
            for s in json.loads(path.read_text(encoding="utf-8"))]


def read_rttm(path: Path) -> list[RefTurn]:
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            turns.append(RefTurn(parts[7], start, start + duration))
    return turns


def read_truth_json(path: Path) -> list[RefTurn]:
    return [RefTurn(t["speaker"], float(t["start"]), float(t["end"]))
            for t in json.loads(path.read_text(encoding="utf-8"))["turns"]]


# -- cached embeddings and transcripts -------------------------------------------------------------------


def load(path: Path) -> np.ndarray:
    from pipeline.ingest.audio import load_audio

    return load_audio(path)


def phone_band(audio: np.ndarray) -> np.ndarray:
    """A telephone channel: 300-3400 Hz, 8 kHz sampling, 8-bit mu-law (the condition of the pyannote call)."""
    from scipy.signal import butter, resample_poly, sosfiltfilt

    sos = butter(6, [300, 3400], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    narrow = resample_poly(sosfiltfilt(sos, audio), 1, 2)
    peak = max(1e-6, float(np.abs(narrow).max()))
    mu = 255.0
    y = np.sign(narrow / peak) * np.log1p(mu * np.abs(narrow / peak)) / np.log1p(mu)
    y = np.round(y * 127) / 127
    narrow = peak * np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu
    return resample_poly(narrow, 2, 1).astype(np.float32)


def cached_windows(key: str, audio_fn, phone: bool = False) -> speakers.SpeakerWindows:  # type: ignore[no-untyped-def]
    """Speech regions (Silero) and resemblyzer windows of the audio, exactly as `speakers.diarize` computes them."""
    key = key + ("-phone" if phone else "")
    path = CACHE / f"{key}.windows.npz"
    if path.is_file():
        data = np.load(path)
        return speakers.SpeakerWindows(data["starts"], data["ends"], data["embeddings"])
    audio = audio_fn()
    audio = phone_band(audio) if phone else audio
    windows = speakers.embed_windows(audio, speakers.speech_regions(audio))
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, starts=windows.starts, ends=windows.ends, embeddings=windows.embeddings)
    return windows


def cached_transcript(key: str, audio_path: Path, language: str, models_dir: Path, threads: int = 2) -> Transcript:
    """Whisper base through Oogst's own transcription stage (faster-whisper, default options)."""
    path = CACHE / f"{key}.{language}.transcript.json"
    if path.is_file():
        return Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    print(f"transcribing {audio_path.name} ({language}) ...", file=sys.stderr)
    transcript = transcribe(load(audio_path), TranscribeOptions(language=language, threads=threads,
                                                                models_dir=models_dir))
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False), encoding="utf-8")
    return transcript


def subset(windows: speakers.SpeakerWindows, start: float, end: float) -> speakers.SpeakerWindows:
    """The windows of a contiguous cut [start, end) of the recording."""
    keep = (windows.starts >= start) & (windows.ends <= end)
    return speakers.SpeakerWindows(windows.starts[keep] - start, windows.ends[keep] - start,
                                   windows.embeddings[keep])


def _clip_cut(audio: np.ndarray, turns: list[RefTurn], speaker: str, begin: float, limit: float = SLICE,
              gap: float = 0.6) -> tuple[np.ndarray, list[RefTurn]]:
    """About `limit` seconds of one speaker's clips from `begin` on, joined with `gap` s of silence."""
    pieces: list[np.ndarray] = [np.zeros(int(0.5 * SAMPLE_RATE), np.float32)]
    cut: list[RefTurn] = []
    cursor = 0.5
    for t in turns:
        if t.speaker != speaker or t.start < begin:
            continue
        clip = audio[int(t.start * SAMPLE_RATE): int(t.end * SAMPLE_RATE)]
        cut.append(RefTurn(speaker, cursor, cursor + len(clip) / SAMPLE_RATE))
        pieces += [clip, np.zeros(int(gap * SAMPLE_RATE), np.float32)]
        cursor += len(clip) / SAMPLE_RATE + gap
        if cursor >= limit:
            break
    return np.concatenate(pieces), cut


# -- the cases -------------------------------------------------------------------------------------------


def real_cases(*, slices: bool = True, single: bool = True, phone: bool = False) -> list[Case]:
    """real-nl: the two files, their 90 s slices, and one actor alone (90 s cuts, and all of file a's clips)."""
    cases = []
    tag = " (phone)" if phone else ""
    for name in ("fillets_dev_a", "fillets_dev_b"):
        flac = REAL_NL / f"{name}.flac"
        truth = read_segments(REAL_NL / f"{name}.segments.json")
        short = "nl-" + name[-1]
        windows = cached_windows(short, lambda flac=flac: load(flac), phone)
        cases.append(Case(short + tag, "real", truth, windows, "nl", None if phone else flac))
        length = max(t.end for t in truth)
        if slices:
            for start in np.arange(0.0, length - SLICE / 2, SLICE):
                end = float(start + SLICE)
                cut = [RefTurn(t.speaker, max(t.start, start) - start, min(t.end, end) - start)
                       for t in truth if t.end > start + 0.5 and t.start < end - 0.5]
                cases.append(Case(f"{short}[{start:.0f}:{min(end, length):.0f}]{tag}", "real", cut,
                                  subset(windows, float(start), end)))
        if not single:
            continue
        audio: np.ndarray | None = None
        # per actor: 90 s cuts from the start (both files) and the middle (file a), and all of file a's clips
        cuts = ((0.0, SLICE), (length / 2, SLICE), (0.0, 10_000.0)) if name.endswith("a") else ((0.0, SLICE),)
        for speaker in ("klein", "groot"):
            for begin, limit in cuts:
                key = f"{short}-{speaker}-{begin:.0f}" + ("-all" if limit > length else "")
                path = CACHE / f"{key}.turns.json"
                if not path.is_file():
                    audio = load(flac) if audio is None else audio
                    _, cut = _clip_cut(audio, truth, speaker, begin, limit)
                    CACHE.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps([t.__dict__ for t in cut]), encoding="utf-8")
                cut = [RefTurn(**t) for t in json.loads(path.read_text(encoding="utf-8"))]

                def make(speaker: str = speaker, begin: float = begin, limit: float = limit,
                         flac: Path = flac, truth: list[RefTurn] = truth) -> np.ndarray:
                    nonlocal audio
                    audio = load(flac) if audio is None else audio
                    return _clip_cut(audio, truth, speaker, begin, limit)[0]

                what = "all clips" if limit > length else f"@{begin:.0f}s"
                cases.append(Case(f"{short} {speaker} only {what}{tag}", "real", cut,
                                  cached_windows(key, make, phone)))
    return cases


def _synth_case(key: str, name: str, lines, voices, phone: bool) -> Case:  # type: ignore[no-untyped-def]
    from devtools.synth import synthesize

    turns_path = CACHE / f"{key}.turns.json"

    def make() -> np.ndarray:
        audio, spoken = synthesize(lines, voices=voices)
        CACHE.mkdir(parents=True, exist_ok=True)
        turns_path.write_text(json.dumps([{"speaker": t.speaker, "start": t.start, "end": t.end} for t in spoken]),
                              encoding="utf-8")
        return audio

    if not turns_path.is_file():
        cached_windows(key, make, False)  # writes the turns (and the clean windows)
    windows = cached_windows(key, make, phone)
    truth = [RefTurn(**t) for t in json.loads(turns_path.read_text(encoding="utf-8"))]
    return Case(name + (" (phone)" if phone else ""), "synthetic", truth, windows)


def synthetic_cases(*, single: bool = True, phone: bool = False) -> list[Case]:
    """The sample (four espeak voices), each voice alone reading the sample's lines, three voices with a pause."""
    from devtools.synth import VOICES, parse_script

    cases = [Case("sample (4 espeak voices)" + (" (phone)" if phone else ""), "synthetic",
                  read_truth_json(SAMPLE.with_suffix(".truth.json")), cached_windows("sample", lambda: load(SAMPLE),
                                                                                     phone),
                  "nl", None if phone else SAMPLE)]
    script = parse_script((ROOT / "recordings" / "voorbeeld-intervisie.txt").read_text(encoding="utf-8"))
    if single:
        for i, voice in enumerate(VOICES[:4]):
            lines = [type(line)("Solo", line.text, 0.0) for line in script[:16]]  # ~75 s
            cases.append(_synth_case(f"synth-solo-{i + 1}", f"espeak voice {i + 1} ({voice.variant}) alone", lines,
                                     {"Solo": voice}, phone))
        lines = [type(line)("Solo", line.text, 0.0) for line in script]  # the whole script, ~3 min
        cases.append(_synth_case("synth-solo-long", "espeak voice 2 (m2) alone, whole script", lines,
                                 {"Solo": VOICES[1]}, phone))
    cases.append(_synth_case("synth-three", "three espeak voices, 15 s pause", parse_script(THREE_VOICES), None,
                             phone))
    return cases


def report_cases() -> list[Case]:
    wav = PYANNOTE / "sample.wav"
    return [Case("pyannote sample call (en)", "report", read_rttm(PYANNOTE / "sample.rttm"),
                 cached_windows("pyannote-sample", lambda: load(wav)), "en", wav)]


def calibration_cases() -> list[Case]:
    """Everything the rule may be chosen on: real-nl and espeak voices, as recorded and through a phone channel."""
    return (real_cases() + synthetic_cases() + real_cases(slices=True, phone=True)
            + synthetic_cases(phone=True))


# -- scoring ---------------------------------------------------------------------------------------------


def window_truth(case: Case) -> np.ndarray:
    """Reference speaker index per window (most overlap), -1 when a window overlaps no reference turn."""
    names = sorted({t.speaker for t in case.truth})
    w = case.windows
    overlap = np.zeros((len(w.starts), len(names)))
    for t in case.truth:
        overlap[:, names.index(t.speaker)] += np.clip(np.minimum(w.ends, t.end) - np.maximum(w.starts, t.start), 0,
                                                      None)
    labels = np.argmax(overlap, axis=1)
    labels[overlap.max(axis=1) <= 0] = -1
    return labels


def word_references(words: list[Word], truth: list[RefTurn]) -> tuple[list[set[str]], int]:
    """The reference speaker(s) at each word's midpoint, and how many midpoints fell outside every turn.

    A midpoint inside two overlapping turns accepts either speaker. A midpoint outside every turn takes the
    nearest turn (by distance to its nearer edge), so every Whisper word is counted.
    """
    refs: list[set[str]] = []
    outside = 0
    for word in words:
        mid = (word.start + word.end) / 2
        inside = {t.speaker for t in truth if t.start <= mid <= t.end}
        if not inside:
            outside += 1
            nearest = min(truth, key=lambda t: min(abs(t.start - mid), abs(t.end - mid)))
            inside = {nearest.speaker}
        refs.append(inside)
    return refs, outside


def word_accuracy(words: list[Word], predicted: list[str], truth: list[RefTurn],
                  *, skip_outside: bool = False) -> float:
    """Share of words whose predicted speaker is the reference one, under the best one-to-one label mapping."""
    from scipy.optimize import linear_sum_assignment

    refs, _ = word_references(words, truth)
    if skip_outside:
        keep = [i for i, w in enumerate(words)
                if any(t.start <= (w.start + w.end) / 2 <= t.end for t in truth)]
        words, predicted, refs = [words[i] for i in keep], [predicted[i] for i in keep], [refs[i] for i in keep]
    if not words:
        return 0.0
    names = sorted({t.speaker for t in truth})
    labels = sorted(set(predicted))
    gain = np.zeros((len(labels), len(names)))
    for p, ref in zip(predicted, refs, strict=True):
        for name in ref:  # an overlapped word counts for whichever of its speakers the mapping picks
            gain[labels.index(p), names.index(name)] += 1
    rows, cols = linear_sum_assignment(-gain)
    mapping = {labels[r]: names[c] for r, c in zip(rows, cols, strict=True)}
    return sum(mapping.get(p) in ref for p, ref in zip(predicted, refs, strict=True)) / len(words)


def turn_speakers(turns, words: list[Word]) -> list[str]:  # type: ignore[no-untyped-def]
    """The speaker label of each word, read back from diarized turns (words are covered in order)."""
    labels = []
    for word in words:
        turn = next(t for t in turns.turns if t.start <= word.start + 1e-3 and word.end <= t.end + 1e-3)
        labels.append(turn.speaker)
    return labels


def transcript_of(words: list[Word], language: str, duration: float) -> Transcript:
    return Transcript(language, duration, "cached", (Segment(0.0, duration, "", tuple(words)),))
