"""Frog's cost per module set on a 2-hour Dutch session: start-up, peak memory, tokens per second, artefact size.

    python bench/bench_frog.py [--out-dir DIR] [--quick] [--words N]

The text: the turns of the Dutch report transcripts (tests/data/insights/report/*_nl.*) and the wijkteam
intervision (tests/data/phases/), imported as `oogst run` imports them (no time stamps, no names), repeated to
about 19,000 words (a 2-hour session; `--quick`: 5,000). Every module set runs in its own Frog, one after the
other: start-up is the time to the first answer (models loaded), peak memory is Frog's own VmHWM, throughput is
the warm `analyse` of all turns at once. "parse where needed" tags everything without the parser and parses only
the sentences with a finite verb and a first/second-person or named subject candidate (what the actions need).
Run it on a quiet machine: the figures are wall-clock.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from pipeline.analysis.frog import Frog  # noqa: E402
from pipeline.analysis.types import Sentence, to_dict  # noqa: E402
from pipeline.ingest.importers import import_transcript  # noqa: E402

SOURCES = [*sorted((ROOT / "tests" / "data" / "insights" / "report").glob("*_nl.*")),
           ROOT / "tests" / "data" / "phases" / "intervisie_wijkteam_nl.txt"]
# (label, Frog arguments)
CONFIGS: list[tuple[str, dict]] = [
    ("tags + lemmas", {"skip": "acmnp"}),
    ("+ entities", {"skip": "acmp"}),
    ("+ entities + parser (default)", {"skip": "ac"}),
    ("default, --threads=2", {"skip": "ac", "threads": 2}),
    ("default, parser up to 30 tokens", {"skip": "ac", "max_parser_tokens": 30}),
    ("everything (+ morphology, chunks)", {"skip": ""}),
]
QUICK = {"tags + lemmas", "+ entities + parser (default)"}
PERSONAL = {"ik", "jij", "je", "u", "wij", "we", "jullie"}


def corpus(words: int) -> list[str]:
    turns = [t.text for path in SOURCES if path.suffix in (".txt", ".vtt")
             for t in import_transcript(path, language="nl")[1].turns if t.text.strip()]
    out: list[str] = []
    count = 0
    while count < words:
        for text in turns:
            out.append(text)
            count += len(text.split())
            if count >= words:
                break
    return out


def peak_mb(pid: int | None) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of the Frog process (less sensitive to a busy machine than wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def needs_parse(sentence: Sentence) -> bool:
    """A finite verb and a subject candidate that can own an action: ik/jij/we..., or a name."""
    return any(t.is_finite_verb for t in sentence.tokens) and any(
        t.lemma.lower() in PERSONAL or t.entity_type == "PER" or "deeleigen" in t.tag_features
        for t in sentence.tokens)


def measure(label: str, options: dict, texts: list[str]) -> tuple[dict, dict[str, list[Sentence]], Frog]:
    frog = Frog(**options)
    frog.start()
    cpu0 = cpu_seconds(frog.pid)
    started = time.perf_counter()
    # every turn, repeats included (a real 2-hour session has no repeats for the cache to skip)
    analysis = {str(i): sentences for i, sentences in enumerate(frog.analyse(texts))}
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(frog.pid) - cpu0
    latency = []
    for word in ("Ja.", "Nee.", "Goed."):
        t0 = time.perf_counter()
        frog.analyse([word])
        latency.append(time.perf_counter() - t0)
    tokens = sum(len(s.tokens) for sentences in analysis.values() for s in sentences)
    sentences = sum(len(v) for v in analysis.values())
    row = {"modules": label, "skip": frog.skip or "-", "startup_s": round(frog.startup_seconds or 0, 1),
           "peak_mb": round(peak_mb(frog.pid)), "seconds": round(seconds, 1), "cpu_s": round(cpu, 1), "tokens": tokens,
           "sentences": sentences, "tokens_per_s": round(tokens / seconds),
           "call_s": round(min(latency), 2)}
    print(f"  {row}", file=sys.stderr, flush=True)
    return row, analysis, frog


def measure_two(texts: list[str]) -> dict:
    """Two default Frogs, one per core, each on half of the turns at the same time."""
    frogs = [Frog(), Frog()]
    for frog in frogs:
        frog.start()
    halves = [texts[: len(texts) // 2], texts[len(texts) // 2:]]
    cpu0 = sum(cpu_seconds(f.pid) for f in frogs)
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda pair: pair[0].analyse(pair[1]), zip(frogs, halves, strict=True)))
    seconds = time.perf_counter() - started
    tokens = sum(len(s.tokens) for half in results for sentences in half for s in sentences)
    row = {"modules": "default, two Frogs in parallel", "skip": "ac",
           "startup_s": round(max(f.startup_seconds or 0 for f in frogs), 1),
           "peak_mb": round(sum(peak_mb(f.pid) for f in frogs)),
           "seconds": round(seconds, 1), "cpu_s": round(sum(cpu_seconds(f.pid) for f in frogs) - cpu0, 1),
           "tokens": tokens, "sentences": sum(len(v) for half in results for v in half),
           "tokens_per_s": round(tokens / seconds), "call_s": None}
    for frog in frogs:
        frog.close()
    print(f"  {row}", file=sys.stderr, flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="5,000 words and two module sets")
    parser.add_argument("--words", type=int, default=None, help="words of text (default 19,000; quick 5,000)")
    args = parser.parse_args()
    words = args.words or (5000 if args.quick else 19000)
    texts = corpus(words)
    print(f"{len(texts)} turns, {sum(len(t.split()) for t in texts)} words", file=sys.stderr)
    rows = []
    artefact: dict = {}
    tagged: dict[str, list[Sentence]] = {}
    for label, options in CONFIGS:
        if args.quick and label not in QUICK:
            continue
        row, analysis, frog = measure(label, options, texts)
        rows.append(row)
        if label == "+ entities":
            tagged = analysis
        if options == {"skip": "ac"}:
            data = json.dumps(to_dict(analysis, frog.describe()), ensure_ascii=False, separators=(",", ":")).encode()
            artefact = {"bytes": len(data), "gzip_bytes": len(gzip.compress(data)),
                        "text_bytes": len("\n".join(texts).encode())}
            if tagged:  # the parser only where an action can be: the default Frog, warm, on those sentences
                subset = [s.text for v in tagged.values() for s in v if needs_parse(s)]
                started = time.perf_counter()
                cpu0 = cpu_seconds(frog.pid)
                frog.analyse(subset)
                parse_s = time.perf_counter() - started
                parse_cpu = cpu_seconds(frog.pid) - cpu0
                base = next(r for r in rows if r["modules"] == "+ entities")
                rows.append({"modules": f"parse where needed ({len(subset)} of {base['sentences']} sentences)",
                             "skip": "acmp, then ac", "startup_s": round(base["startup_s"] + row["startup_s"], 1),
                             "peak_mb": base["peak_mb"] + row["peak_mb"],
                             "seconds": round(base["seconds"] + parse_s, 1),
                             "cpu_s": round(base["cpu_s"] + parse_cpu, 1),
                             "tokens": base["tokens"], "sentences": base["sentences"],
                             "tokens_per_s": round(base["tokens"] / (base["seconds"] + parse_s)), "call_s": None})
        frog.close()
    if not args.quick:
        rows.append(measure_two(texts))
    lines = [f"Frog {frog.describe()['version']} (frogdata {frog.describe()['data']}) on {len(texts)} turns, "
             f"{sum(len(t.split()) for t in texts)} words; one Frog at a time, warm",
             "", "| modules | --skip | start-up s | peak MB | analyse s | Frog CPU s | tokens/s | one short call s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['modules']} | {r['skip']} | {r['startup_s']} | {r['peak_mb']} | {r['seconds']} | "
                     f"{r['cpu_s']} | {r['tokens_per_s']} | {r['call_s'] if r['call_s'] is not None else '-'} |")
    if artefact:
        lines += ["", f"artefact (default modules, compact JSON): {artefact['bytes'] / 1e6:.2f} MB, "
                      f"{artefact['gzip_bytes'] / 1e6:.2f} MB gzipped; the text itself "
                      f"{artefact['text_bytes'] / 1e6:.2f} MB"]
    table = "\n".join(lines) + "\n"
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "frog.json").write_text(json.dumps(
        {"name": "frog", "title": "Frog: start-up, memory and speed per module set", "table": table, "rows": rows,
         "artefact": artefact, "turns": len(texts), "words": sum(len(t.split()) for t in texts)}, indent=1),
        encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
