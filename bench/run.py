"""`make bench`: run every bench/bench_*.py, print their tables and keep the figures as JSON.

Each bench script runs in its own process as `python bench/bench_<name>.py --out-dir <session> [--quick] [ARGS]`,
prints its progress on stderr and its table on stdout, and writes `<session>/<name>.json` with at least
`{"name", "title", "table"}`. This runner streams their output, then prints all tables together and saves
everything to `<session>/bench.json` (the bench session folder, default outputs/bench) and
`bench/results/<timestamp>.json`.

    python bench/run.py [--quick] [--only asr speakers ...] [--out-dir DIR] [-- ARGS for the selected benches]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def discover() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[: argv.index("--")]
    benches = discover()
    parser = argparse.ArgumentParser(description="Run Oogst's benchmarks and print their tables.")
    parser.add_argument("--only", nargs="+", choices=sorted(benches), metavar="NAME",
                        help=f"only these benches ({', '.join(sorted(benches))})")
    parser.add_argument("--quick", action="store_true", help="small inputs only (minutes instead of an hour+)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "outputs" / "bench",
                        help="bench session folder (default: outputs/bench)")
    args = parser.parse_args(argv)

    selected = {name: path for name, path in benches.items() if not args.only or name in args.only}
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    results: dict[str, Any] = {}
    failures: list[str] = []
    for name, path in selected.items():
        print(f"== bench {name} ({path.name})", file=sys.stderr, flush=True)
        (out_dir / f"{name}.json").unlink(missing_ok=True)
        cmd = [sys.executable, str(path), "--out-dir", str(out_dir), *(["--quick"] if args.quick else []), *extra]
        started = time.perf_counter()
        code = subprocess.call(cmd, cwd=ROOT)  # stdout/stderr stream straight through
        seconds = round(time.perf_counter() - started, 1)
        produced = out_dir / f"{name}.json"
        if produced.is_file():
            results[name] = json.loads(produced.read_text(encoding="utf-8"))
        else:
            results[name] = {"name": name, "title": name, "table": f"(no results: exit code {code})"}
        results[name]["bench_seconds"] = seconds
        results[name]["exit_code"] = code
        if code != 0:
            failures.append(name)

    summary = {"timestamp": stamp, "quick": args.quick, "args": extra,
               "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "python": platform.python_version()},
               "benches": results}
    text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    (out_dir / "bench.json").write_text(text, encoding="utf-8")
    saved = HERE / "results" / f"{stamp}.json"
    saved.parent.mkdir(exist_ok=True)
    saved.write_text(text, encoding="utf-8")

    print()
    for name, result in results.items():
        print(f"## {result.get('title', name)}  ({result['bench_seconds']:.0f} s)\n")
        print(result.get("table", ""))
        print()
    print(f"saved: {saved.relative_to(ROOT)} and {out_dir / 'bench.json'}")
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
