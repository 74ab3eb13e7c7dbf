"""How the low-confidence threshold for words was chosen: Whisper's word probabilities against real Dutch speech.

    python bench/calibrate_confidence.py [--json OUT.json]

Data: ../shared/data/real-nl/ (professional Dutch voice actors, see ../shared/data/README.md). Both files are
transcribed with the project's default transcription (`pipeline.asr`, TranscribeOptions()); transcripts are cached
under /tmp/oogst-confidence-cache/ (keyed by the options), so a re-run only re-computes the statistics.

Each hypothesis word is aligned to the reference text (jiwer's word alignment on normalised tokens: lower case,
punctuation removed); a word is *wrong* when any of its tokens is a substitution or an insertion.

Fit on fillets_dev_a only: a logistic regression of wrong ~ probability, and the threshold is the probability at
which a word is as likely wrong as right (P(wrong) = 0.5): below it a word is more often wrong than right. The
script prints it; pipeline/insights/confidence.py holds it rounded to two decimals (LOW_PROBABILITY). Then, on
fillets_dev_b (never used to choose anything): how many words that threshold marks, the share of marked words
that were wrong (precision) and the share of wrong words that were marked (recall).

For the sentence-level confidence: per clip (the reference's own segments), the clip's word error rate against
aggregates of its words' probabilities (mean, minimum, 10th/25th percentile, share under the threshold); the
Spearman correlation on dev_a says which aggregate follows the error rate best, dev_b checks it. Then the sentence
threshold (SENTENCE_LOW, under which the insights prefer another sentence of the theme): a clip is *garbled* when at
least a quarter of its words are wrong (WER >= 0.25: about one content word in two); a logistic fit of garbled ~
mean probability on dev_a clips gives the mean under which a clip is more often garbled than not; dev_b reports
precision/recall of "doubtful sentence" vs "garbled clip".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.core.session import cache_key  # noqa: E402
from pipeline.core.types import Transcript, Word  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "real-nl"
CACHE = Path("/tmp/oogst-confidence-cache")
FIT, CHECK = "fillets_dev_a", "fillets_dev_b"
GARBLED = 0.25  # a clip with at least this word error rate is garbled


def tokens(text: str) -> list[str]:
    return re.sub(r"[^\w']+", " ", text.lower()).split()


def transcript_of(name: str) -> Transcript:
    """The default transcription of real-nl/<name>.flac (cached under /tmp)."""
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    opts = TranscribeOptions(models_dir=ROOT / "models")
    cached = CACHE / f"{name}.{cache_key(opts.cache_settings())[:12]}.json"
    if cached.is_file():
        return Transcript.from_dict(json.loads(cached.read_text(encoding="utf-8")))
    from pipeline.ingest.audio import load_audio

    print(f"transcribing {name} (cached afterwards in {cached})", file=sys.stderr)
    transcript = transcribe(load_audio(DATA / f"{name}.flac"), opts)
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False), encoding="utf-8")
    return transcript


def label_words(words: list[Word], reference: str) -> np.ndarray:
    """For each hypothesis word: True when it is wrong (a token substituted or inserted) against the reference."""
    import jiwer

    owner: list[int] = []  # hypothesis token -> index of its word
    hyp: list[str] = []
    for i, word in enumerate(words):
        for token in tokens(word.word):
            owner.append(i)
            hyp.append(token)
    wrong = np.zeros(len(words), dtype=bool)
    if not hyp:
        return wrong
    out = jiwer.process_words(" ".join(tokens(reference)), " ".join(hyp))
    for chunk in out.alignments[0]:
        if chunk.type in ("substitute", "insert"):
            for k in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                wrong[owner[k]] = True
    return wrong


def logistic_threshold(p: np.ndarray, wrong: np.ndarray) -> tuple[float, float, float]:
    """Fit P(wrong) = 1 / (1 + exp(-(a + b p))) by Newton's method; return (a, b, the p where P(wrong) = 0.5)."""
    x = np.column_stack([np.ones_like(p), p])
    y = wrong.astype(float)
    beta = np.zeros(2)
    for _ in range(50):
        mu = 1.0 / (1.0 + np.exp(-(x @ beta)))
        gradient = x.T @ (y - mu)
        hessian = (x * (mu * (1 - mu))[:, None]).T @ x
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-9:
            break
    a, b = float(beta[0]), float(beta[1])
    return a, b, -a / b


def marked_stats(p: np.ndarray, wrong: np.ndarray, threshold: float) -> dict[str, Any]:
    marked = p < threshold
    hits = int(np.sum(marked & wrong))
    return {"words": int(len(p)), "wrong": int(wrong.sum()), "marked": int(marked.sum()),
            "marked_share": round(float(marked.mean()), 3) if len(p) else 0.0,
            "precision": round(hits / max(1, int(marked.sum())), 3),
            "recall": round(hits / max(1, int(wrong.sum())), 3)}


def bins(p: np.ndarray, wrong: np.ndarray) -> list[dict[str, Any]]:
    edges = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001]
    rows = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = (p >= lo) & (p < hi)
        rows.append({"from": lo, "to": min(hi, 1.0), "words": int(inside.sum()),
                     "wrong": round(float(wrong[inside].mean()), 3) if inside.any() else None})
    return rows


AGGREGATES = {
    "mean": lambda q, t: float(np.mean(q)),
    "min": lambda q, t: float(np.min(q)),
    "p10": lambda q, t: float(np.percentile(q, 10)),
    "p25": lambda q, t: float(np.percentile(q, 25)),
    "share_ok": lambda q, t: float(np.mean(q >= t)),
}


def clip_rows(name: str, words: list[Word], threshold: float) -> list[dict[str, float]]:
    """Per reference clip: its WER and each aggregate of the probabilities of the words inside it."""
    import jiwer

    clips = json.loads((DATA / f"{name}.segments.json").read_text(encoding="utf-8"))
    rows = []
    for clip in clips:
        inside = [w for w in words if clip["start"] - 0.3 <= (w.start + w.end) / 2 <= clip["end"] + 0.3]
        ref, hyp = " ".join(tokens(clip["text"])), " ".join(t for w in inside for t in tokens(w.word))
        if not ref or not hyp:
            continue
        q = np.array([w.probability for w in inside])
        row = {"wer": float(jiwer.wer(ref, hyp))}
        row.update({key: fn(q, threshold) for key, fn in AGGREGATES.items()})
        rows.append(row)
    return rows


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    result: dict[str, Any] = {}
    labelled = {}
    for name in (FIT, CHECK):
        transcript = transcript_of(name)
        words = transcript.words
        reference = (DATA / f"{name}.txt").read_text(encoding="utf-8")
        wrong = label_words(words, reference)
        p = np.array([w.probability for w in words])
        labelled[name] = (words, p, wrong)

    words_a, p_a, wrong_a = labelled[FIT]
    a, b, threshold = logistic_threshold(p_a, wrong_a)
    result["fit"] = {"file": FIT, "logistic": {"a": round(a, 4), "b": round(b, 4)},
                     "threshold": round(threshold, 4), "bins": bins(p_a, wrong_a)}
    rounded = round(threshold, 2)
    print(f"fit on {FIT}: {len(p_a)} words, {int(wrong_a.sum())} wrong; P(wrong) = 1/(1+exp(-({a:.3f} + {b:.3f} p)))")
    print(f"threshold (P(wrong) = 0.5): p < {threshold:.4f} -> LOW_PROBABILITY = {rounded:.2f}\n")
    print("probability bin   words  share wrong")
    for row in result["fit"]["bins"]:
        share = "-" if row["wrong"] is None else f"{row['wrong']:.2f}"
        print(f"  {row['from']:.1f}-{row['to']:.1f}        {row['words']:5d}  {share:>10}")

    print("\nmarked = probability < threshold; precision = marked words that were wrong; recall = wrong words marked")
    print(f"{'file':<16}{'threshold':>10}{'words':>7}{'wrong':>7}{'marked':>8}{'share':>7}{'precision':>10}{'recall':>8}")
    result["check"] = {}
    for name in (FIT, CHECK):
        _, p, wrong = labelled[name]
        for t in (rounded, 0.3, 0.7):  # the chosen one, and two others for context (not chosen from dev_b)
            stats = marked_stats(p, wrong, t)
            result["check"][f"{name}@{t}"] = stats
            tag = "" if t == rounded else "  (context)"
            print(f"{name:<16}{t:>10.2f}{stats['words']:>7}{stats['wrong']:>7}{stats['marked']:>8}"
                  f"{stats['marked_share']:>7.2f}{stats['precision']:>10.2f}{stats['recall']:>8.2f}{tag}")

    print("\nsentence confidence: Spearman correlation of each aggregate with the clip's WER (negative = good)")
    result["aggregates"] = {}
    for name in (FIT, CHECK):
        words, _, _ = labelled[name]
        rows = clip_rows(name, words, rounded)
        wer = np.array([r["wer"] for r in rows])
        corr = {key: round(spearman(np.array([r[key] for r in rows]), wer), 3) for key in AGGREGATES}
        result["aggregates"][name] = {"clips": len(rows), "spearman": corr}
        print(f"  {name} ({len(rows)} clips): " + ", ".join(f"{k} {v:+.3f}" for k, v in corr.items()))

    print("\nsentence threshold: garbled clip = WER >= 0.25; doubtful sentence = mean probability < threshold")
    clips = {name: clip_rows(name, labelled[name][0], rounded) for name in (FIT, CHECK)}
    mean_a = np.array([r["mean"] for r in clips[FIT]])
    garbled_a = np.array([r["wer"] >= GARBLED for r in clips[FIT]])
    ca, cb, sentence = logistic_threshold(mean_a, garbled_a)
    result["sentence"] = {"logistic": {"a": round(ca, 4), "b": round(cb, 4)}, "threshold": round(sentence, 4)}
    print(f"fit on {FIT} clips: P(garbled) = 0.5 at mean {sentence:.4f} -> SENTENCE_LOW = {round(sentence, 2):.2f}")
    for name in (FIT, CHECK):
        mean = np.array([r["mean"] for r in clips[name]])
        garbled = np.array([r["wer"] >= GARBLED for r in clips[name]])
        stats = marked_stats(mean, garbled, round(sentence, 2))
        result["sentence"][name] = stats
        print(f"  {name}: {stats['words']} clips, {stats['wrong']} garbled, {stats['marked']} doubtful, "
              f"precision {stats['precision']:.2f}, recall {stats['recall']:.2f}")

    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
