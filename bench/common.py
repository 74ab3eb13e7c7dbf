"""Helpers the bench scripts share: text normalisation for WER, and running a measurement in a child process.

Not a bench itself (bench/run.py only runs `bench_*.py`).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Anything that is neither a letter/digit nor an apostrophe inside a word ("zo'n", "z'n") separates words.
_PUNCTUATION = re.compile(r"[^\w']+|(?<!\w)'|'(?!\w)")


def normalise(text: str) -> str:
    """Text as scored for WER: lower case, punctuation (hyphens and edge apostrophes too) turned into spaces.

    Numbers stay as written: "737" and "zevenhonderdzevenendertig" are different words. Accents are kept."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


@dataclass
class ChildResult:
    code: int
    out: str
    err: str
    wall: float  # seconds
    peak_rss_mb: float  # ru_maxrss of the child (and its waited children)
    cpu_seconds: float  # user + system time of the child
    rss_halves: tuple[float, float] = (0.0, 0.0)  # peak RSS (MB, process tree) in the first and second half
    samples: list[tuple[float, float]] = field(default_factory=list, repr=False)


def run_child(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> ChildResult:
    """Run `cmd` and measure it: exit code, output, wall time, peak RSS (from `wait4`) and CPU time."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)
        samples: list[tuple[float, float]] = []
        sampler = threading.Thread(target=_sample_rss, args=(proc.pid, samples), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        sampler.join(timeout=2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        halves = (max((rss for t, rss in samples if t <= wall / 2), default=0.0),
                  max((rss for t, rss in samples if t > wall / 2), default=0.0))
        return ChildResult(proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                           wall, usage.ru_maxrss / 1024,  # Linux reports kB
                           usage.ru_utime + usage.ru_stime, halves, samples)


def _sample_rss(pid: int, samples: list[tuple[float, float]]) -> None:
    """RSS of `pid` and its children every 0.5 s, to see whether memory grows while a run goes on."""
    import psutil

    started = time.perf_counter()
    try:
        proc = psutil.Process(pid)
        while proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
            tree = [proc, *proc.children(recursive=True)]
            rss = 0
            for p in tree:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            samples.append((time.perf_counter() - started, rss / 2**20))
            time.sleep(0.5)
    except psutil.Error:
        return
