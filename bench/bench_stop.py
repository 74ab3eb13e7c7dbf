"""Pause and cancel during transcription (issue 25): how soon a stop takes effect, and what the recogniser's child
process costs in speed.

Data: the first SECONDS (default 180) of ../shared/data/real-nl/fillets_dev_a.flac (a real Dutch voice). In one
process, the default recogniser (faster-whisper base, int8, batched) runs the same audio in this process
(`asr.transcribe.get_backend`, as `oogst run` does) and in the worker's child process (`asr.isolated`), alternating,
ROUNDS times each; the ratio of their medians is the cost of the child. Then, on the child, a stop is asked a few
seconds into each of three runs (while the first batch is being decoded): the seconds from the request to the
stop, and whether the child process is gone. For comparison, the in-process recogniser's longest wait between two
segments on the same audio: what a stop read between segments (the old worker) could take. Usage:

    python bench/bench_stop.py [--out-dir outputs/bench] [--quick] [--seconds 180] [--rounds 2]

--quick: 60 s of audio, one round. Run it alone: on a loaded machine both sides slow down, the ratio less so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "real-nl" / "fillets_dev_a.flac"
ASK_AFTER = (2.0, 5.0, 8.0)  # seconds into a run when the stop is asked


def timed_run(backend: Any, audio: Any, opts: Any) -> tuple[float, float, str]:
    """Seconds for the whole run, the longest wait between two segments (or before the first), and the text."""
    began = last = time.perf_counter()
    longest = 0.0
    _, segments = backend.transcribe(audio, opts)
    texts = []
    for segment in segments:
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
        texts.append(segment.text)
    return time.perf_counter() - began, longest, " ".join(texts)


def stop_latency(backend: Any, audio: Any, opts: Any, after: float) -> dict[str, Any]:
    from pipeline.core.stages import Interrupted

    asked: list[float] = []

    def check() -> None:
        if asked:
            raise Interrupted("cancel")

    backend.check = check
    pid = backend.pid
    timer = threading.Timer(after, lambda: asked.append(time.perf_counter()))
    timer.start()
    try:
        _, segments = backend.transcribe(audio, opts)
        for _ in segments:
            pass
    except Interrupted:
        pass
    finally:
        timer.cancel()
        backend.check = None
    if not asked:
        return {"asked_after": after, "stopped_in": None, "note": "the run ended before the stop was asked"}
    took = time.perf_counter() - asked[0]
    try:
        os.kill(pid, 0)
        gone = False
    except (ProcessLookupError, TypeError):
        gone = True
    return {"asked_after": after, "stopped_in": round(took, 3), "child_gone": gone}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    seconds, rounds = (60.0, 1) if args.quick else (args.seconds, args.rounds)

    from pipeline.asr.isolated import IsolatedBackend
    from pipeline.asr.options import TranscribeOptions
    from pipeline.asr.transcribe import get_backend
    from pipeline.ingest.audio import load_audio

    audio = load_audio(DATA)[: int(seconds * 16000)]
    opts = TranscribeOptions(models_dir=ROOT / "models")
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    here = get_backend(opts)
    loaded_here = time.perf_counter() - began
    began = time.perf_counter()
    child = IsolatedBackend(opts)
    loaded_child = time.perf_counter() - began
    times: dict[str, list[float]] = {"in process": [], "child process": []}
    gaps: list[float] = []
    texts: dict[str, str] = {}
    for n in range(rounds):
        for name, backend in (("in process", here), ("child process", child)):
            took, longest, text = timed_run(backend, audio, opts)
            times[name].append(round(took, 2))
            texts[name] = text
            if name == "in process":
                gaps.append(round(longest, 2))
            print(f"round {n + 1}: {name}: {took:.1f} s (longest wait between segments {longest:.1f} s)",
                  file=sys.stderr, flush=True)
    stops = [stop_latency(child, audio, opts, after) for after in ASK_AFTER]
    for stop in stops:
        print(f"stop asked {stop['asked_after']} s in: {stop}", file=sys.stderr, flush=True)
    child.stop()
    ratio = statistics.median(times["child process"]) / statistics.median(times["in process"])
    latencies = [s["stopped_in"] for s in stops if s["stopped_in"] is not None]
    rows = [
        f"| recogniser, {seconds:.0f} s of real-nl audio | in process (before) | child process (after) |",
        "|---|---|---|",
        f"| seconds per run (median of {rounds}) | {statistics.median(times['in process']):.1f} | "
        f"{statistics.median(times['child process']):.1f} (ratio {ratio:.2f}) |",
        f"| model load, s | {loaded_here:.1f} | {loaded_child:.1f} |",
        f"| a stop takes effect after, s | up to {max(gaps):.1f} (longest wait between segments) | "
        f"{max(latencies) if latencies else float('nan'):.2f} (worst of {len(latencies)}) |",
        f"| same text | {'yes' if texts['in process'] == texts['child process'] else 'NO'} | |",
    ]
    table = "\n".join(rows)
    report = {"name": "stop", "title": "Pause and cancel during transcription", "table": table,
              "audio": f"{DATA.name}, first {seconds:.0f} s", "rounds": rounds, "times": times,
              "longest_gap_in_process": gaps, "load": {"in_process": loaded_here, "child": loaded_child},
              "ratio": round(ratio, 3), "stops": stops, "same_text": texts["in process"] == texts["child process"],
              "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
              "cpus": os.cpu_count()}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "stop.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table)
    return 0 if latencies and report["same_text"] else 1


if __name__ == "__main__":
    sys.exit(main())
