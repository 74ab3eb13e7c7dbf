"""How the insights stage's aside threshold and theme weights were chosen: statistics on QMSum train only.

    python bench/calibrate_insights.py [--meetings ID ...] [--json OUT.json]

Per train meeting, every embedded sentence of the insights stage (`ranking.Analysis`) gets a label: *summary-worthy*
when the ROUGE-1 precision of its cleaned text against the annotators' summary is at least 0.25 (the bench's stray
test), a *stray* otherwise. Printed: the stray rate by aside margin (meaning.py; ASIDE_MARGIN is the lowest bin
edge above which sentences are strays more often than not, since the margin separates too little for Youden's J,
which is printed too), per score part the mean for both labels and its AUC, and the logistic regression whose
coefficients are ranking.py's `_SUBSTANCE_COEF` (fitted on the candidates of the first version, aside margin 0.0;
on the 16-meeting train subset; refit after changing the candidates). Never run on val.

With `--words`, it fits instead the word model of `aboutness.py` (WEIGHTS, INTERCEPT): every word said in sentences
of five words or more, labelled by whether its Porter stem occurs in the annotators' summary, over the meetings given
(default: 48 train meetings, 20 AMI, 16 ICSI, 12 committee, drawn with seed 1).

With `--register`, it learns the `[register]` table of `lexicons/en.toml` on one half of train (81 meetings drawn
with seed 7) and fits ranking.py's `_SUBSTANCE_COEF` on the other half (`--table FILE` writes the table, `--cache DIR`
keeps each meeting's analysis so a second run takes seconds).
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality_metrics as qm  # noqa: E402

from pipeline.ingest.importers import import_transcript  # noqa: E402
from pipeline.insights.features import sentence_features  # noqa: E402
from pipeline.insights.nlp import (  # noqa: E402  # noqa: E402
    SUBSTANCE,
    clean_sentence,
    default_encoder,
    kind_similarities,
    lexicon,  # noqa: E402
    split_sentences,
)
from pipeline.insights.ranking import Analysis  # noqa: E402

TRAIN = ROOT.parent / "shared" / "data" / "qmsum" / "train"
SUBSET = ("ES2010a IS1007a ES2007a IS1007b IS1008b ES2010b TS3006a ES2003c IS1004c Bro007 Bro008 Bed017 Bro013 "
          "education_19 education_8 education_1").split()


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w']*", text.lower())


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a random positive scores above a random negative)."""
    if not len(positive) or not len(negative):
        return float("nan")
    both = np.concatenate([positive, negative])
    ranks = both.argsort().argsort() + 1
    return float((ranks[:len(positive)].sum() - len(positive) * (len(positive) + 1) / 2)
                 / (len(positive) * len(negative)))


def word_sample(seed: int = 1) -> list[str]:
    """20 AMI, 16 ICSI and 12 committee meetings of train, drawn at random."""
    import random

    groups: dict[str, list[str]] = {}
    for path in sorted(TRAIN.glob("*.txt")):
        kind = "AMI" if path.stem[:2] in ("ES", "IS", "TS") else ("committee" if "_" in path.stem else "ICSI")
        groups.setdefault(kind, []).append(path.stem)
    rng = random.Random(seed)
    return rng.sample(groups["AMI"], 20) + rng.sample(groups["ICSI"], 16) + rng.sample(groups["committee"], 12)


def fit_words(meetings: list[str]) -> int:
    """The logistic regression behind `aboutness.WEIGHTS`."""
    from nltk.stem import porter
    from rouge_score import tokenize
    from sklearn.linear_model import LogisticRegression

    from pipeline.insights.aboutness import word_features

    stem = porter.PorterStemmer()
    features, labels = [], []
    for meeting in meetings:
        path = TRAIN / f"{meeting}.txt"
        summary = json.loads(path.with_suffix(".ref.json").read_text(encoding="utf-8"))["summary"]
        in_summary = {stem.stem(w) for w in tokenize.tokenize(summary, None)}
        _transcript, turns = import_transcript(path, language="en")
        sentences = split_sentences(turns, "en")
        table, words = word_features(sentences, "en")
        for s, ws in zip(sentences, words, strict=True):
            if s.words >= 5:
                features += [table[w] for w in ws]
                labels += [stem.stem(w) in in_summary for w in ws]
        print(f"{meeting}: {len(labels)} words so far", file=sys.stderr)
    fit = LogisticRegression(max_iter=1000).fit(np.array(features), np.array(labels))
    print(f"{len(labels)} words of {len(meetings)} meetings, {np.mean(labels):.3f} in the summary")
    print("WEIGHTS (function word, personal pronoun, spoken filler, log(1 + count), share of speakers, length / 12):",
          tuple(round(float(c), 2) for c in fit.coef_[0]), "INTERCEPT:", round(float(fit.intercept_[0]), 2))
    return 0


def register_halves(seed: int = 7) -> tuple[list[str], list[str]]:
    """Train split in two halves drawn at random: the substance coefficients are fitted on the first (81
    meetings), the register table is learned on the second."""
    import random

    meetings = sorted(path.stem for path in TRAIN.glob("*.txt"))
    random.Random(seed).shuffle(meetings)
    half = (len(meetings) + 1) // 2
    return meetings[:half], meetings[half:]


def _analysed(meeting: str, encoder: Any, cache: Path | None) -> Analysis:
    """The meeting's `Analysis` (without its encoder), from `cache` when it holds it (pickles this script wrote:
    only point it at a folder of your own)."""
    import pickle

    target = cache / f"{meeting}.pkl" if cache else None
    if target and target.is_file():
        analysis: Analysis = pickle.loads(target.read_bytes())
        return analysis
    _transcript, turns = import_transcript(TRAIN / f"{meeting}.txt", language="en")
    sentences = split_sentences(turns, "en")
    analysis = Analysis.build(sentences, sentence_features(sentences, "en"), encoder, "en", 0.95, lambda _f: None)
    analysis.encoder = None  # type: ignore[assignment]
    if target:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pickle.dumps(analysis))
    return analysis


def fit_register(table_out: Path | None, cache: Path | None, min_meetings: int = 10) -> int:
    """The `[register]` table of the English lexicon and the substance coefficients of ranking.py.

    Table: for each closed-class word (function words and spoken words; no subject word can enter) said in at least
    `min_meetings` meetings of the table half, the share of those meetings whose summary keeps it (Porter stem in
    the annotators' summary), smoothed (kept + 1) / (said + 2). Coefficients: a logistic regression of
    "summary-worthy" (ROUGE-1 precision >= 0.25) on the substance parts of every candidate sentence of the other
    half, with and without the register column (the second set serves languages without a table)."""
    from nltk.stem import porter
    from rouge_score import tokenize
    from sklearn.linear_model import LogisticRegression

    import pipeline.insights.aboutness as about
    from pipeline.insights.nlp import lexicon as lexicon_of
    from pipeline.insights.ranking import substance_parts

    stem = porter.PorterStemmer()
    fitting, learning = register_halves()
    closed = about.register_words("en")
    said: dict[str, int] = {}
    kept: dict[str, int] = {}
    for meeting in learning:
        path = TRAIN / f"{meeting}.txt"
        summary = json.loads(path.with_suffix(".ref.json").read_text(encoding="utf-8"))["summary"]
        in_summary = {stem.stem(w) for w in tokenize.tokenize(summary, None)}
        words = {w for line in path.read_text(encoding="utf-8").splitlines()
                 for w in about.register_tokens(line.partition(":")[2]) if w in closed}
        for w in words:
            said[w] = said.get(w, 0) + 1
            kept[w] = kept.get(w, 0) + (stem.stem(w) in in_summary)
    table = {w: round((kept[w] + 1) / (said[w] + 2), 2) for w in sorted(said) if said[w] >= min_meetings}
    print(f"register table: {len(table)} closed-class words said in >= {min_meetings} of {len(learning)} meetings")
    if table_out:
        table_out.write_text("kept = [" + ", ".join(f'"{w} {p:g}"' for w, p in table.items()) + "]\n",
                             encoding="utf-8")
    # The coefficients are fitted with this table, in the lexicon's form ("word share").
    lexicon_of("en").setdefault("register", {})["kept"] = [f"{w} {p}" for w, p in table.items()]
    rouge, encoder = qm.Rouge(), default_encoder()
    rows, labels = [], []
    for meeting in fitting:
        path = TRAIN / f"{meeting}.txt"
        reference = json.loads(path.with_suffix(".ref.json").read_text(encoding="utf-8"))["summary"]
        analysis = _analysed(meeting, encoder, cache)
        indices = [analysis.embedded[p] for p in analysis.candidates]
        if len(indices) < 2 or analysis.prototype is None:
            continue
        rows += list(substance_parts(analysis.sentences, indices, analysis.centrality, analysis.prototype, "en"))
        labels += [rouge.precision1(reference, clean_sentence(analysis.sentences[i].text, "en"))
                   >= qm.STRAY_PRECISION for i in indices]
        print(f"{meeting}: {len(indices)} candidates", file=sys.stderr)
    x, y = np.array(rows), np.array(labels)
    print(f"{len(y)} candidates of {len(fitting)} meetings, {y.mean():.3f} summary-worthy")
    names = "centrality rank, prototype rank, personal-pronoun share, length/40, aboutness, register"
    for columns, label in ((slice(None), names), (slice(0, 5), names.rsplit(",", 1)[0])):
        fit = LogisticRegression(max_iter=2000).fit(x[:, columns], y)
        score = fit.decision_function(x[:, columns])
        print(f"coefficients ({label}): {tuple(round(float(c), 2) for c in fit.coef_[0])}  "
              f"AUC on the fitting half {auc(score[y], score[~y]):.3f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", nargs="+")
    parser.add_argument("--words", action="store_true", help="fit the word model of aboutness.py instead")
    parser.add_argument("--register", action="store_true",
                        help="learn the English register table and fit the substance coefficients instead")
    parser.add_argument("--table", type=Path, help="with --register: write the table (TOML) here")
    parser.add_argument("--cache", type=Path, help="with --register: keep each meeting's analysis here (pickles)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.register:
        return fit_register(args.table, args.cache)
    if args.words:
        return fit_words(args.meetings or word_sample())
    args.meetings = args.meetings or list(SUBSET)
    rouge, encoder = qm.Rouge(), default_encoder()
    rows: list[dict[str, Any]] = []
    for meeting in args.meetings:
        path = TRAIN / f"{meeting}.txt"
        reference = json.loads(path.with_suffix(".ref.json").read_text(encoding="utf-8"))["summary"]
        _transcript, turns = import_transcript(path, language="en")
        sentences = split_sentences(turns, "en")
        features = sentence_features(sentences, "en")
        analysis = Analysis.build(sentences, features, encoder, "en", 0.95, lambda _f: None)
        candidate = {i: p for p, i in enumerate(analysis.candidates)}
        texts = [" ".join(sentences[analysis.embedded[p]].text.split()[:60]) for p in analysis.candidates]
        fit_kinds = kind_similarities(encoder, "en", encoder.embed(texts)) if texts else {}  # cached vectors
        closest = np.max(np.stack([fit_kinds[k] for k in SUBSTANCE]), axis=0) if fit_kinds else np.zeros(0)
        prototype_rank = closest.argsort().argsort() / max(len(closest) - 1, 1)
        for position, index in enumerate(analysis.embedded):
            s = sentences[index]
            text = clean_sentence(s.text, "en")
            p = candidate.get(position)
            rows.append({"meeting": meeting, "text": text, "margin": float(analysis.margin[position]),
                         "worthy": rouge.precision1(reference, text) >= qm.STRAY_PRECISION,
                         "candidate": p is not None, "cue": features[index].cue,
                         "central": float(analysis.centrality[p]) if p is not None else None,
                         "substance": float(analysis.substance[p]) if p is not None else None,
                         "substance_prototype": float(prototype_rank[p]) if p is not None else None,
                         "words": s.words})
        print(f"{meeting}: {len(analysis.embedded)} embedded, {len(analysis.candidates)} candidates", file=sys.stderr)
    margin = np.array([r["margin"] for r in rows])
    worthy = np.array([r["worthy"] for r in rows])
    print(f"{len(rows)} embedded sentences, {worthy.mean():.3f} summary-worthy")
    for low, high in zip(np.arange(-0.08, 0.08, 0.02), np.arange(-0.06, 0.10, 0.02), strict=True):
        inside = (margin >= low) & (margin < high)
        if inside.any():
            print(f"margin [{low:+.2f}, {high:+.2f}): {inside.sum():5d} sentences, stray rate "
                  f"{1 - worthy[inside].mean():.3f}")
    best = max(np.arange(-0.10, 0.10, 0.005), key=lambda t: (margin[~worthy] > t).mean() - (margin[worthy] > t).mean())
    print(f"Youden threshold {best:+.3f}: removes {(margin[~worthy] > best).mean():.3f} of strays and "
          f"{(margin[worthy] > best).mean():.3f} of summary-worthy sentences")
    for t in (-0.02, -0.01, 0.0, 0.01, 0.02, 0.03):
        print(f"  threshold {t:+.3f}: removes {(margin[~worthy] > t).mean():.3f} of strays, "
              f"{(margin[worthy] > t).mean():.3f} of summary-worthy; "
              f"stray rate above {1 - worthy[margin > t].mean():.3f}")
    kept = [r for r in rows if r["candidate"]]
    for part in ("cue", "central", "substance", "words", "margin"):
        values = np.array([r[part] for r in kept], dtype=float)
        labels = np.array([r["worthy"] for r in kept])
        print(f"{part:10s} worthy mean {values[labels].mean():.3f}  stray mean {values[~labels].mean():.3f}  "
              f"AUC {auc(values[labels], values[~labels]):.3f}")
    # The substance score of ranking.py: a logistic regression of "summary-worthy" on its four parts.
    from sklearn.linear_model import LogisticRegression

    personal = set(lexicon("en")["pronouns"]["personal"])
    parts = np.array([[r["central"], r["substance_prototype"],
                       sum(w in personal for w in _words(r["text"])) / max(len(_words(r["text"])), 1),
                       min(len(_words(r["text"])), 40) / 40] for r in kept])
    labels = np.array([r["worthy"] for r in kept])
    fit = LogisticRegression().fit(parts, labels)
    print("substance coefficients (centrality rank, prototype rank, personal-pronoun share, length/40):",
          np.round(fit.coef_[0], 2))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
