"""Search across sessions (issue 27): index build, word-query and meaning-query time over many one-hour sessions.

    python bench/bench_search.py [--out-dir DIR] [--quick] [--sessions N] [--embed-sessions K] [--qmsum DIR]

Makes N one-hour sessions (default 200; `--quick` 20) in a temporary outputs folder from real meeting turns: the
QMSum train meetings (`../shared/data/qmsum/train/*.txt`, real English meetings nobody on the project wrote), one
meeting per session, its turns spread over 3600 s (a meeting used again for sessions beyond the number of meetings
has its turns in another order, so its texts are the same and their vectors are shared). Measures, in this process
as the web app and the worker do it:
- the word index: the first search (builds it from nothing), a search after one session changed (one session
  indexed again), and warm word queries (median and slowest of each query, 5 runs; every search checks all sessions'
  artefact times first, as the app does), with and without a series filter; next to a baseline measured in the same
  run: reading every session's turns.json and looking for the word in Python (what searching without an index costs);
- the meaning index: the time to embed K sessions' texts with the real encoder (multilingual-e5-small; `--embed-
  sessions`, default 5), extrapolated to all; the other texts get random unit vectors (a query's time depends on the
  number of vectors, not on their values), then a meaning query's time, the first (vectors read from SQLite) and warm
  (kept in memory, as in the worker).
The table on stdout, the figures in `DIR/search.json`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from pipeline.core.layers import with_correction  # noqa: E402
from pipeline.core.session import Session  # noqa: E402
from pipeline.core.settings import Settings  # noqa: E402
from pipeline.core.types import Transcript, Turn, Turns  # noqa: E402
from pipeline.search import meaning as meaning_search  # noqa: E402
from pipeline.service import Oogst  # noqa: E402

QMSUM = ROOT.parent / "shared" / "data" / "qmsum" / "train"
WORD_QUERIES = ["remote control", "budget", "battery", '"user interface"', "microphone channel", "deadline",
                "zzzq nothing", "speech recogn"]
MEANING_QUERIES = ["how much money can we spend on the product", "the recording equipment does not work"]
SERIES = "bench-series"
_LINE = re.compile(r"^([^:]{1,40}):\s*(.+)$")


def meetings(folder: Path) -> list[list[tuple[str, str]]]:
    """Each meeting's turns (speaker, text) from QMSum's `Speaker: text` lines."""
    found = []
    for path in sorted(folder.glob("*.txt")):
        turns = [(m[1].strip(), m[2].strip()) for line in path.read_text(encoding="utf-8").splitlines()
                 if (m := _LINE.match(line)) and m[2].strip()]
        if len(turns) >= 50:
            found.append(turns)
    return found


def make_sessions(out_dir: Path, source: list[list[tuple[str, str]]], count: int) -> int:
    """`count` one-hour sessions; returns the number of turns written."""
    rng = random.Random(27)
    total = 0
    for n in range(count):
        turns = list(source[n % len(source)])
        if n >= len(source):
            rng.shuffle(turns)
        step = 3600.0 / len(turns)
        labels = {speaker: f"S{k + 1}" for k, speaker in enumerate(dict.fromkeys(s for s, _ in turns))}
        root = out_dir / f"2026-{1 + n % 12:02d}-{1 + n % 28:02d}_meeting-{n:03d}"
        root.mkdir(parents=True)
        session = Session(root)
        session.write("transcript.json", {**Transcript("en", 3600.0, "scripted", (), {}).to_dict(),
                                          "recorded": root.name[:10]})
        session.write("turns.json", Turns({label: speaker for speaker, label in labels.items()},
                                          tuple(Turn(labels[s], i * step, (i + 0.9) * step, text)
                                                for i, (s, text) in enumerate(turns)), {}).to_dict())
        if n % 4 == 0:
            session.write("series.json", {"series": SERIES})
        total += len(turns)
    series = out_dir / ".series" / SERIES
    series.mkdir(parents=True)
    (series / "series.json").write_text(json.dumps({"name": SERIES, "sessions": []}), encoding="utf-8")
    return total


def timed(fn, runs: int = 5) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """(median, slowest) seconds of `runs` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), max(times), result


def baseline(out_dir: Path, word: str) -> int:
    """Search without an index: every session's turns.json read and scanned."""
    found = 0
    for root in sorted(p for p in out_dir.iterdir() if not p.name.startswith(".")):
        for turn in json.loads((root / "turns.json").read_text(encoding="utf-8"))["turns"]:
            found += word in turn["text"].lower()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true", help="20 sessions, 2 embedded")
    parser.add_argument("--sessions", type=int, help="how many one-hour sessions (default 200; --quick 20)")
    parser.add_argument("--embed-sessions", type=int, help="sessions embedded with the real encoder (default 5)")
    parser.add_argument("--qmsum", type=Path, default=QMSUM, help="QMSum train folder (*.txt)")
    args = parser.parse_args()
    count = args.sessions or (20 if args.quick else 200)
    embed = args.embed_sessions or (2 if args.quick else 5)
    source = meetings(args.qmsum)
    if not source:
        print(f"bench_search: no QMSum meetings in {args.qmsum}", file=sys.stderr)
        return 1
    figures: dict[str, object] = {"sessions": count, "meetings": len(source)}
    with tempfile.TemporaryDirectory(prefix="oogst-bench-search-") as tmp:
        out = Path(tmp) / "outputs"
        out.mkdir()
        print(f"bench_search: writing {count} one-hour sessions…", file=sys.stderr)
        figures["turns"] = make_sessions(out, source, count)
        oogst = Oogst(Settings(out_dir=out), state_dir=Path(tmp) / "state")

        began = time.perf_counter()
        first = oogst.search_index().words("budget")
        figures["build_s"] = build = time.perf_counter() - began
        index = oogst.search_index()
        figures["index_mb"] = index.path.stat().st_size / 2**20 + sum(
            p.stat().st_size for p in index.path.parent.glob("*-wal")) / 2**20
        print(f"bench_search: index built in {build:.1f} s ({len(first)} hits for budget)", file=sys.stderr)

        rows = []
        for query in WORD_QUERIES:
            median, slowest, hits = timed(lambda q=query: oogst.search_index().words(q))
            s_median, _, s_hits = timed(lambda q=query: oogst.search_index().words(q, series=SERIES))
            rows.append({"query": query, "median_s": median, "slowest_s": slowest, "hits": len(hits),  # type: ignore
                         "series_median_s": s_median, "series_hits": len(s_hits)})  # type: ignore[arg-type]
        figures["word"] = rows
        figures["refresh_s"], _, _ = timed(index.refresh)
        figures["baseline_s"], _, figures["baseline_found"] = timed(lambda: baseline(out, "budget"), runs=3)

        changed = Session(next(p for p in sorted(out.iterdir()) if not p.name.startswith(".")))
        turn = changed.turns().turns[0]
        changed.save_corrections(with_correction(changed.corrections(), turn.start, "A corrected line about the "
                                                 "budget.", original=turn.text, speaker=turn.speaker))
        began = time.perf_counter()
        oogst.search_index().words("budget")
        figures["after_change_s"] = time.perf_counter() - began

        # meaning: the real encoder on `embed` sessions, random unit vectors for the rest
        from pipeline.insights.nlp import default_encoder

        began = time.perf_counter()
        encoder = default_encoder()
        figures["encoder_load_s"] = time.perf_counter() - began
        with index.db() as db:
            texts = {r["hash"]: r["text"] for r in db.execute(
                "SELECT hash, text FROM units WHERE session IN (SELECT name FROM sessions ORDER BY name LIMIT ?)",
                (embed,))}
            unique = db.execute("SELECT COUNT(DISTINCT hash) FROM units").fetchone()[0]
        began = time.perf_counter()
        vectors = meaning_search._vectors_of(encoder, list(texts.values()))
        seconds = time.perf_counter() - began
        figures["embedded_texts"] = len(texts)
        figures["embed_s"] = seconds
        figures["unique_texts"] = unique
        figures["embed_all_estimate_s"] = seconds / max(1, len(texts)) * unique
        rng = np.random.default_rng(27)
        with index.write() as db:
            db.executemany("INSERT OR REPLACE INTO vectors (hash, vector) VALUES (?, ?)",
                           [(key, v.astype(np.float32).tobytes()) for key, v in zip(texts, vectors, strict=True)])
            missing = [r[0] for r in db.execute("SELECT DISTINCT u.hash FROM units u LEFT JOIN vectors v "
                                                "ON v.hash = u.hash WHERE v.hash IS NULL")]
            for i in range(0, len(missing), 5000):
                chunk = rng.standard_normal((len(missing[i:i + 5000]), vectors.shape[1])).astype(np.float32)
                chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
                db.executemany("INSERT INTO vectors (hash, vector) VALUES (?, ?)",
                               [(key, v.tobytes()) for key, v in zip(missing[i:i + 5000], chunk, strict=True)])
        meaning_search._cache.clear()
        began = time.perf_counter()
        hits = meaning_search.meaning(oogst.search_index(), MEANING_QUERIES[0], encoder=encoder)
        figures["meaning_first_s"] = time.perf_counter() - began
        warm = []
        for query in MEANING_QUERIES:
            median, slowest, _ = timed(lambda q=query: meaning_search.meaning(oogst.search_index(), q, encoder=encoder))
            warm.append({"query": query, "median_s": median, "slowest_s": slowest})
        figures["meaning"] = warm
        figures["meaning_top"] = [h.text for h in hits[:3]]

    word_median = statistics.median(r["median_s"] for r in rows)  # type: ignore[index]
    word_slowest = max(r["slowest_s"] for r in rows)  # type: ignore[index]
    table = "\n".join([
        "| search over {} one-hour sessions ({} turns, {} distinct texts) | seconds |".format(
            count, figures["turns"], figures["unique_texts"]),
        "|---|---:|",
        f"| word index built from nothing (first search) | {figures['build_s']:.1f} |",
        f"| word query, warm: median of the queries' medians | {word_median:.3f} |",
        f"| word query, warm: slowest single run | {word_slowest:.3f} |",
        f"| of which: checking every session's artefact times | {figures['refresh_s']:.3f} |",
        f"| word query after one session changed (it is indexed again) | {figures['after_change_s']:.3f} |",
        f"| baseline: reading every turns.json and scanning it | {figures['baseline_s']:.3f} |",
        f"| encoder load | {figures['encoder_load_s']:.1f} |",
        "| meaning: embedding {} texts ({} sessions) | {:.1f} |".format(figures["embedded_texts"], embed,
                                                                      figures["embed_s"]),
        f"| meaning: embedding all distinct texts, estimated | {figures['embed_all_estimate_s']:.0f} |",
        f"| meaning query, first (vectors read from the index) | {figures['meaning_first_s']:.2f} |",
        "| meaning query, warm (vectors in memory): median | {:.3f} |".format(
            statistics.median(w["median_s"] for w in warm)),
        f"| index file (MB) | {figures['index_mb']:.0f} |",
    ])
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "search.json").write_text(json.dumps({"name": "search", "title": "Search across sessions",
                                                          "table": table, **figures}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
