"""How poor recognition is told apart: a session-level measure of Whisper's word probabilities against the word
error rate, on real and synthetic Dutch speech, clean and degraded.

    python bench/calibrate_recognition.py [--json OUT.json] [--stretch SECONDS]

The web pages and the draft warn when "many words were uncertain". Which measure, and how many is many, is chosen
here. Data (none of it written for this purpose):
- real voices: ../shared/data/real-nl (professional Dutch actors, reference text per clip), fillets_dev_a to
  choose, fillets_dev_b to check;
- synthetic voices: espeak-ng (devtools/synth.py) speaking the sample's script (recordings/voorbeeld-intervisie.txt,
  to choose) and the first 40 turns of the wijkteam intervision (tests/data/phases/intervisie_wijkteam_nl.txt, to
  check), with the exact time of every turn.
Each is heard in four conditions, so that poor recognition occurs: `clean`; `room` (a synthetic room: exponentially
decaying noise as the impulse response, RT60 0.8 s, plus white noise at 15 dB SNR); `noise5` and `noise0` (white
noise at 5 and 0 dB SNR). The noise is seeded, so the audio is the same every run.

Every file is transcribed with the project's default transcription (`pipeline.asr`, TranscribeOptions()), cached
under /tmp/oogst-recognition-cache/ (keyed by file, condition and options). It is cut into *stretches* of at least
`--stretch` seconds (30) of consecutive reference clips or turns; per stretch the word error rate (jiwer, on
normalised tokens) and three measures of the words Whisper gave in it (whole words, as
`pipeline.insights.confidence.whole_words` joins them): the share of words under `LOW_PROBABILITY` (0.55, the
word-level threshold of bench/calibrate_confidence.py), the mean probability and the mean log-probability.

A stretch is *poorly recognised* when half or more of its words are wrong (WER >= 0.5): a top 7 read from it is
more wrong than right. The measure that follows the WER best (Spearman on the stretches to choose from) is taken,
and its threshold is the one with the highest balanced accuracy on those stretches (the mean of the share of poor
stretches warned and the share of good ones left alone; the degraded conditions make most stretches poor, so a
logistic fit's P(poor) = 0.5 would warn on clean speech too). Stretches in which Whisper heard fewer than 10 words
are left out. The check files
report how often the warning would be right (precision) and how many poor stretches it catches (recall), and the
whole-file figures (what a session shows) for all sixteen recordings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calibrate_confidence import marked_stats, spearman, tokens  # noqa: E402

from pipeline.core.session import cache_key  # noqa: E402
from pipeline.core.types import SAMPLE_RATE, Transcript, Word  # noqa: E402
from pipeline.insights.confidence import LOW_PROBABILITY, whole_words  # noqa: E402

REAL_NL = ROOT.parent / "shared" / "data" / "real-nl"
SAMPLE_SCRIPT = ROOT / "recordings" / "voorbeeld-intervisie.txt"
WIJKTEAM = ROOT / "tests" / "data" / "phases" / "intervisie_wijkteam_nl.txt"
CACHE = Path("/tmp/oogst-recognition-cache")
CONDITIONS = ("clean", "room", "noise5", "noise0")
POOR = 0.5  # a stretch with at least this word error rate is poorly recognised
MEASURES = ("share_low", "mean", "mean_log")
MIN_WORDS = 10  # a stretch in which Whisper heard fewer words is left out: its measures say too little


@dataclass(frozen=True)
class Unit:
    """A reference clip or a spoken turn: its time and text."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Recording:
    name: str
    role: str  # "choose" or "check"
    kind: str  # "real" or "synthetic"
    units: tuple[Unit, ...]
    audio: np.ndarray


def real(name: str, role: str) -> Recording:
    from pipeline.ingest.audio import load_audio

    clips = json.loads((REAL_NL / f"{name}.segments.json").read_text(encoding="utf-8"))
    return Recording(name, role, "real", tuple(Unit(c["start"], c["end"], c["text"]) for c in clips),
                     load_audio(REAL_NL / f"{name}.flac"))


def synthetic(name: str, script: str, role: str) -> Recording:
    """espeak-ng speaking `script` (`Name: text` lines), cached as a WAV with its truth."""
    from devtools.synth import parse_script, synthesize, write_wav
    from pipeline.ingest.audio import load_audio

    wav, truth = CACHE / f"{name}.wav", CACHE / f"{name}.truth.json"
    if not (wav.is_file() and truth.is_file()):
        print(f"speaking {name} with espeak-ng", file=sys.stderr)
        audio, turns = synthesize(parse_script(script, name))
        CACHE.mkdir(parents=True, exist_ok=True)
        write_wav(wav, audio)
        truth.write_text(json.dumps([t.__dict__ for t in turns], ensure_ascii=False), encoding="utf-8")
    units = tuple(Unit(t["start"], t["end"], t["text"]) for t in json.loads(truth.read_text(encoding="utf-8")))
    return Recording(name, role, "synthetic", units, load_audio(wav))


def recordings() -> list[Recording]:
    wijkteam = "\n".join(re.sub(r"^\[[0-9:]+\]\s*", "", line)
                         for line in WIJKTEAM.read_text(encoding="utf-8").splitlines()[:40])
    return [real("fillets_dev_a", "choose"), synthetic("sample", SAMPLE_SCRIPT.read_text(encoding="utf-8"), "choose"),
            real("fillets_dev_b", "check"), synthetic("wijkteam", wijkteam, "check")]


def degrade(audio: np.ndarray, condition: str, seed: int) -> np.ndarray:
    """The recording as heard in `condition` (seeded, so the same every run)."""
    rng = np.random.default_rng(seed)
    if condition == "clean":
        return audio
    power = float(np.mean(audio[np.abs(audio) > 1e-3] ** 2))  # the speech's power, pauses left out
    if condition == "room":
        from scipy.signal import fftconvolve

        t = np.arange(int(0.8 * SAMPLE_RATE)) / SAMPLE_RATE
        rir = rng.normal(size=t.size) * np.exp(-6.9 * t / 0.8)  # amplitude down 60 dB in RT60 = 0.8 s
        rir[0] = 1.0 / 0.3  # the direct sound
        heard = fftconvolve(audio, rir / np.abs(rir).max())[: len(audio)]
        audio = (heard * np.sqrt(power / float(np.mean(heard[np.abs(audio) > 1e-3] ** 2)))).astype(np.float32)
        snr = 15.0
    else:
        snr = float(condition.removeprefix("noise"))
    noise = rng.normal(size=len(audio)) * np.sqrt(power / 10 ** (snr / 10))
    mixed = audio + noise.astype(np.float32)
    return (mixed / max(1.0, float(np.abs(mixed).max()))).astype(np.float32)


def cached_path(recording: Recording, condition: str) -> Path:
    """Where the transcript of the recording in a condition is cached (keyed by the transcription's settings)."""
    from pipeline.asr.transcribe import TranscribeOptions

    opts = TranscribeOptions(models_dir=ROOT / "models")
    return CACHE / f"{recording.name}.{condition}.{cache_key(opts.cache_settings())[:12]}.json"


def heard(recording: Recording, condition: str) -> list[Word]:
    """Whisper's whole words of the recording in a condition (transcribed once, then cached)."""
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    opts = TranscribeOptions(models_dir=ROOT / "models")
    cached = cached_path(recording, condition)
    if not cached.is_file():
        print(f"transcribing {recording.name} ({condition}), cached afterwards in {cached}", file=sys.stderr)
        seed = sum(map(ord, f"{recording.name}/{condition}"))
        transcript = transcribe(degrade(recording.audio, condition, seed), opts)
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False), encoding="utf-8")
    return whole_words(Transcript.from_dict(json.loads(cached.read_text(encoding="utf-8"))).words)


def measures(words: list[Word]) -> dict[str, float]:
    p = np.array([w.probability for w in words]) if words else np.array([0.0])
    return {"share_low": float(np.mean(p < LOW_PROBABILITY)), "mean": float(np.mean(p)),
            "mean_log": float(np.mean(np.log(np.maximum(p, 1e-6))))}


def wer(reference: str, words: list[Word]) -> float:
    import jiwer

    ref, hyp = " ".join(tokens(reference)), " ".join(t for w in words for t in tokens(w.word))
    if not hyp:
        return 1.0
    return float(jiwer.wer(ref, hyp))


def stretches(units: tuple[Unit, ...], seconds: float) -> list[tuple[float, float, str]]:
    """Consecutive units grouped into stretches of at least `seconds`; each stretch reaches halfway into the pauses
    around it, so every word belongs to exactly one."""
    groups: list[list[Unit]] = [[]]
    for unit in units:
        if groups[-1] and groups[-1][-1].end - groups[-1][0].start >= seconds:
            groups.append([])
        groups[-1].append(unit)
    if len(groups) > 1 and groups[-1][-1].end - groups[-1][0].start < seconds / 2:
        groups[-2] += groups.pop()  # a short tail joins the stretch before it
    bounds = [0.0] + [(a[-1].end + b[0].start) / 2 for a, b in zip(groups, groups[1:], strict=False)] + [1e9]
    return [(bounds[i], bounds[i + 1], " ".join(u.text for u in group)) for i, group in enumerate(groups)]


def rows_of(recording: Recording, condition: str, seconds: float) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    words = heard(recording, condition)
    rows = []
    for start, end, text in stretches(recording.units, seconds):
        inside = [w for w in words if start <= (w.start + w.end) / 2 < end]
        rows.append({"recording": recording.name, "condition": condition, "role": recording.role,
                     "kind": recording.kind, "start": round(start, 1), "wer": round(wer(text, inside), 3),
                     "words": len(inside), **{k: round(v, 4) for k, v in measures(inside).items()}})
    reference = " ".join(u.text for u in recording.units)
    whole = {"recording": recording.name, "condition": condition, "role": recording.role, "words": len(words),
             "wer": round(wer(reference, words), 3), **{k: round(v, 4) for k, v in measures(words).items()}}
    return rows, whole


def balanced_threshold(x: np.ndarray, poor: np.ndarray) -> tuple[float, float]:
    """The threshold t (poor when x > t) with the highest balanced accuracy (the mean of the share of poor stretches
    warned and of good ones not warned), halfway between two observed values: the degraded conditions make most
    stretches poor, so a fit of P(poor) would warn on nearly everything."""
    values = np.unique(x)
    cuts = (values[:-1] + values[1:]) / 2 if len(values) > 1 else values
    scores = [(float(np.mean(x[poor] > t)) + float(np.mean(x[~poor] <= t))) / 2 for t in cuts]
    k = int(np.argmax(scores))
    return float(cuts[k]), scores[k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--stretch", type=float, default=30.0, help="seconds per stretch (default 30)")
    parser.add_argument("--cached-only", action="store_true",
                        help="only the recordings and conditions already transcribed (no transcription)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME.CONDITION",
                        help="with --cached-only: transcribe this one too (e.g. wijkteam.clean; repeatable)")
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    for recording in recordings():
        for condition in CONDITIONS:
            wanted = f"{recording.name}.{condition}" in args.only
            if args.cached_only and not wanted and not cached_path(recording, condition).is_file():
                print(f"skipped {recording.name} ({condition}): not transcribed yet", file=sys.stderr)
                continue
            found, whole = rows_of(recording, condition, args.stretch)
            rows += found
            files.append(whole)
    choose = [r for r in rows if r["role"] == "choose" and r["words"] >= MIN_WORDS]
    check = [r for r in rows if r["role"] == "check" and r["words"] >= MIN_WORDS]
    result: dict[str, Any] = {"stretch_seconds": args.stretch, "poor_wer": POOR, "low_probability": LOW_PROBABILITY}

    print(f"stretches of >= {args.stretch:.0f} s: {len(choose)} to choose from, {len(check)} to check; "
          f"poor = WER >= {POOR}")
    print("\nSpearman correlation of each measure with the stretch's WER (share_low: positive = good; mean, "
          "mean_log: negative = good)")
    result["spearman"] = {}
    for label, subset in (("choose", choose), ("check", check)):
        if len(subset) < 3:  # nothing (or too little) of it transcribed (--cached-only)
            continue
        wer_ = np.array([r["wer"] for r in subset])
        corr = {m: round(spearman(np.array([r[m] for r in subset]), wer_), 3) for m in MEASURES}
        result["spearman"][label] = corr
        print(f"  {label:<7} " + ", ".join(f"{m} {v:+.3f}" for m, v in corr.items()))
    best = max(MEASURES, key=lambda m: abs(result["spearman"]["choose"][m]))
    result["measure"] = best
    sign = 1.0 if best == "share_low" else -1.0  # poor when share_low is high, or when the mean is low
    x = np.array([sign * r[best] for r in choose])
    poor = np.array([r["wer"] >= POOR for r in choose])
    threshold, balanced = balanced_threshold(x, poor)
    threshold *= sign
    result["fit"] = {"threshold": round(threshold, 4), "balanced_accuracy": round(balanced, 3)}
    rounded = round(threshold, 2)
    print(f"\nmeasure: {best}; highest balanced accuracy on the stretches to choose from ({balanced:.3f}) at {best} = "
          f"{threshold:.4f} -> {rounded:.2f}")

    def warned(r: dict[str, Any]) -> bool:
        return bool(sign * r[best] > sign * rounded)

    print(f"\nwarned = {best} {'>' if sign > 0 else '<'} {rounded:.2f}; precision = warned stretches that were poor; "
          "recall = poor stretches warned")
    print(f"{'stretches':<22}{'n':>4}{'poor':>6}{'warned':>8}{'precision':>11}{'recall':>8}")
    result["stretches"] = {}
    for label, subset in (("choose", choose), ("check", check),
                          ("check, real", [r for r in check if r["kind"] == "real"]),
                          ("check, synthetic", [r for r in check if r["kind"] == "synthetic"])):
        if not subset:
            continue
        stats = marked_stats(np.array([-1.0 if warned(r) else 1.0 for r in subset]),
                             np.array([r["wer"] >= POOR for r in subset]), 0.0)
        result["stretches"][label] = stats
        print(f"{label:<22}{stats['words']:>4}{stats['wrong']:>6}{stats['marked']:>8}{stats['precision']:>11.2f}"
              f"{stats['recall']:>8.2f}")

    print("\nwhole recordings (what a session's pages would say)")
    print(f"{'recording':<16}{'condition':<10}{'words':>7}{'WER':>7}{'share_low':>11}{'mean':>7}{'mean_log':>10}"
          f"{'warned':>8}")
    for f in files:
        f["warned"] = warned(f)
        print(f"{f['recording']:<16}{f['condition']:<10}{f['words']:>7}{f['wer']:>7.2f}{f['share_low']:>11.3f}"
              f"{f['mean']:>7.3f}{f['mean_log']:>10.3f}{'yes' if f['warned'] else '':>8}")
    result["files"] = files
    result["rows"] = rows
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
