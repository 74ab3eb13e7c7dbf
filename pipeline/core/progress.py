"""How a stage runner reports progress: the `Reporter` protocol, a silent one, and the terminal's (a line per stage,
a bar with ETA in audio seconds for the stages that walk the audio); and how a run is stopped at a safe point
(`Reporter.check` raises `Interrupted`: a job cancelled or paused from the web page or `oogst jobs`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Protocol

from pipeline.core.language import texts

__all__ = ["ConsoleReporter", "Interrupted", "Reporter", "SilentReporter"]


class Interrupted(Exception):
    """The run was asked to stop ("cancel" or "pause") and stopped at a safe point: between stages, or inside a long
    one between segments or windows. What was written stays (the stage cache, the transcription checkpoint)."""

    def __init__(self, action: str) -> None:
        super().__init__(f"asked to {action}")
        self.action = action


class Reporter(Protocol):
    def begin(self, session: str, stage: str, total_seconds: float | None) -> Callable[[float], None] | None:
        """A stage starts; returns a progress callback (share done, 0..1) or None.

        `total_seconds` is the audio duration for stages that walk through the audio (a bar in audio seconds).
        """
        ...

    def end(self, session: str, stage: str, seconds: float, skipped: bool) -> None: ...

    def abort(self, session: str, stage: str) -> None:
        """The stage failed; close whatever begin() opened."""
        ...

    def check(self) -> None:
        """Raise `Interrupted` when the run must stop now; called between stages and often inside long ones."""
        ...


class SilentReporter:
    def begin(self, session: str, stage: str, total_seconds: float | None) -> Callable[[float], None] | None:
        return None

    def end(self, session: str, stage: str, seconds: float, skipped: bool) -> None:
        return None

    def abort(self, session: str, stage: str) -> None:
        return None

    def check(self) -> None:
        return None


class ConsoleReporter:
    """A line per stage on stderr, and a bar with ETA (in audio seconds) for the stages that walk the audio."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self._bar: Any = None

    def begin(self, session: str, stage: str, total_seconds: float | None) -> Callable[[float], None] | None:
        if self.quiet:
            return None
        label = f"{session}: {texts('en', 'stages').get(stage, stage)}"  # the command line speaks English
        if total_seconds is None:
            print(f"  {label} …", file=sys.stderr, flush=True)
            return None
        from tqdm import tqdm

        self._bar = tqdm(total=round(total_seconds, 1), unit="s", desc=f"  {label}", file=sys.stderr,
                         bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s audio "
                                    "[{elapsed}<{remaining}]", leave=False, disable=None)
        bar = self._bar

        def progress(share: float) -> None:
            bar.update(max(0.0, round(share * bar.total, 1) - bar.n))

        return progress

    def check(self) -> None:
        return None  # Ctrl-C stops the command line

    def abort(self, session: str, stage: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def end(self, session: str, stage: str, seconds: float, skipped: bool) -> None:
        self.abort(session, stage)
        if self.quiet:
            return
        if skipped:
            print(f"  {session}: {stage} up to date (skipped)", file=sys.stderr, flush=True)
        else:
            print(f"  {session}: {stage} done in {seconds:.1f} s", file=sys.stderr, flush=True)
