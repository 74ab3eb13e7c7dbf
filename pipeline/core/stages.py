"""What a stage of the runner and an extension of it see: the run's context and the named extension points.

The runner (`pipeline.run`) owns the stages; the series, pseudonymisation and the generative backend plug in
through an `Extension` at named points instead of being called from inside the stages:

    start             the run begins: record the session's choices (its series, pseudonymisation)
    names.proposals   before the names stage: names proposed for speakers (a series' voice profiles), and the
                      part of the names stage's key they bring
    insights.backend  the insights stage's backend (a generative model), and its part of the key
    draft.shared      what the draft shares is pseudonymised: the `Shared` transform, its key part, its artefact
    draft.sections    extra sections of the draft (a series' recurring themes and carried actions), their key part
    finish            the run's stages are done (keep the session in its series)

Each point contributes its key parts at a fixed place in its stage's recipe, so a session made before stays fresh.

How a run reports progress: the `Reporter` protocol, a silent one, and the terminal's (a line per stage, a bar with
ETA in audio seconds for the stages that walk the audio); and how a run is stopped at a safe point
(`Reporter.check` raises `Interrupted`: a job cancelled or paused from the web page or `oogst jobs`).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.core.language import texts
from pipeline.core.session import TRANSCRIPT, Session
from pipeline.core.settings import Settings

if TYPE_CHECKING:
    import numpy as np


@dataclass
class RunContext:
    """One run of one recording or transcript: what every stage and extension may read."""

    session: Session
    settings: Settings
    source: Path  # the recording or transcript file
    imported: bool  # a transcript file: no transcription, no speaker detection
    recorded: dt.date  # the session's date
    title: str
    title_given: bool  # --title (else the title comes from the file name)
    audio: Callable[[], np.ndarray]  # the decoded recording, decoded once, only when a stage needs it
    reaches: Callable[[str], bool]  # does this run go as far as this stage (--until)?
    asr_backend: Any = None  # a loaded speech recogniser to use (the worker keeps one); None: from the settings
    series: str | None = None  # --series (None: keep the session's)
    remember_voices: bool | None = None
    written_draft: dict[str, str] = field(default_factory=dict)  # the draft stage's record before --from/--force
    sound: bool = True  # False: the recording is gone (retention) or not at hand (a follow-up): keep what needs it
    _source_hash: str | None = None

    @property
    def meta(self) -> dict[str, str]:
        """What transcript.json adds about the session (and the part of the keys that follows it)."""
        return {"source": self.source.name, "recorded": self.recorded.isoformat(), "title": self.title}

    @property
    def source_hash(self) -> str:
        if self._source_hash is None:
            from pipeline.core.session import hash_file

            self._source_hash = hash_file(self.source)
        return self._source_hash

    def language(self) -> str:
        """The language spoken, as transcript.json says (the phases' cue phrases, the insights' lexicons)."""
        return str(self.session.read(TRANSCRIPT).get("language") or self.settings.language)


class Extension:
    """Plugs into the runner's named points (see the module docstring); every point does nothing by default."""

    def start(self, ctx: RunContext) -> None:
        return None

    # -- names.proposals
    def propose_names(self, ctx: RunContext) -> None:
        return None

    def proposed_names(self, ctx: RunContext) -> dict[str, str]:
        return {}

    def names_key(self, ctx: RunContext) -> list[Any]:
        return []

    # -- insights.backend
    def insights_backend(self, ctx: RunContext) -> Any:
        """An `insights.extract.InsightBackend` to use instead of the extractive one, or None."""
        return None

    # -- draft.shared
    def shared_key(self, ctx: RunContext) -> list[Any]:
        return []

    def shared_artefacts(self, ctx: RunContext) -> list[str]:
        return []

    def shared(self, ctx: RunContext, turns: Any, insights: Any) -> Any:
        """A `privacy.shared.Shared` when what the draft shares is pseudonymised, else None."""
        return None

    # -- draft.sections
    def draft_key(self, ctx: RunContext) -> list[Any]:
        return []

    def draft_sections(self, ctx: RunContext, turns: Any, insights: Any, shared: Any) -> list[Any]:
        """`review.draft.Section`s to add to the draft."""
        return []

    def finish(self, ctx: RunContext) -> None:
        return None


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
