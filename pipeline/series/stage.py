"""A series plugged into the stage runner (`SeriesPlug`, a `core.stages.Extension`): the session's membership at
the start, names proposed from the voice profiles, the part of the draft's cache key that comes from the series,
the draft's series sections, and keeping the finished session in the series."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import ConfigError
from pipeline.core.session import CARRIED, DIARIZATION, VOICE_NAMES, Session, cache_key
from pipeline.core.stages import Extension, RunContext
from pipeline.core.types import TOP_N, Insights, Turns
from pipeline.series import voices
from pipeline.series.actions import carried_map, carried_section, find_mentions, open_actions
from pipeline.series.snapshot import register, session_meta
from pipeline.series.store import choose_series, earlier_sessions, load_series, mark_gone, series_root
from pipeline.series.themes import theme_annotations, theme_marks

if TYPE_CHECKING:
    import numpy as np

    from pipeline.privacy.shared import Shared
    from pipeline.review.draft import Section

log = logging.getLogger(__name__)

def series_of(session: Session, series: str | None, remember_voices: bool | None) -> str | None:
    """The session's series (given now, or recorded by an earlier run); --remember-voices needs one."""
    name = choose_series(session, series)
    if name is None and remember_voices is not None:
        raise ConfigError("--remember-voices: give the series too (--series NAME); voice profiles are kept per "
                          "series")
    return name


def _earlier(out_dir: Path, name: str, session: Session) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The earlier sessions, and the done marks given in them: a mark given in this session's own review (or a
    later one) does not change this session's draft, so its carried rows keep their numbers."""
    data = load_series(series_root(out_dir, name))
    mark_gone(data, out_dir)  # a deleted earlier session is not carried (written back when the session is kept)
    date = session_meta(session)["date"]
    earlier = earlier_sessions(data, session.name, date)
    names = {n for n, _ in earlier_sessions(data, session.name, date, gone=True)}  # a gone one's marks still count
    done = {k: m for k, m in data.get("done", {}).items() if m.get("session") in names}
    return done, earlier


def draft_key(out_dir: Path, name: str, session: Session) -> str:
    """What of the series the draft of `session` shows: its earlier sessions (without their time stamps) and the
    done marks."""
    done, earlier = _earlier(out_dir, name, session)
    shown = [(n, {k: v for k, v in entry.items() if k != "updated"}) for n, entry in earlier]
    return cache_key("series", name, shown, sorted(done))


def draft_sections(out_dir: Path, name: str, session: Session, turns: Turns, insights: Insights,
                   shared: Shared | None = None) -> list[Section]:
    """The series' parts of the draft (none for the first session): each insight's theme marked recurring or new,
    and the open actions of earlier sessions; notes which action each carried row is.

    Args:
        shared: the session is pseudonymised: third parties named in the earlier actions (and the moments they were
            mentioned) are found by the rules and shown as labels too.
    """
    done, earlier = _earlier(out_dir, name, session)
    actions = open_actions(earlier, done)
    known = session.read_if(CARRIED) or {}
    session.write(CARRIED, carried_map(actions, known if isinstance(known, dict) else {}))
    if not earlier:
        return []
    language = insights.language
    top = [{"rank": i.rank, "title": i.title, "text": i.text} for i in insights.insights[:TOP_N]]
    sections = [theme_annotations(theme_marks(top, earlier, language), language, session_meta(session)["date"])]
    if actions:
        mentions = find_mentions(actions, turns, language)
        log.info("series %s: %d open action(s) carried into %s, %d mentioned", name, len(actions), session.name,
                 len(mentions))
        shown: Callable[[str], str] = str
        named: Callable[[str], str] = str
        if shared is not None:
            people = [a.owner for a in actions if a.owner] + [p for _, e in earlier for p in e.get("participants", [])]
            shared = shared.learn([a.text for a in actions] + [m.text for m in mentions.values()], people)
            shown, named = shared.text, lambda person: shared.name(person) or person
        sections.append(carried_section(actions, mentions, language, shown, named))
    return sections


def keep_session(out_dir: Path, name: str, session: Session, *, audio: Callable[[], np.ndarray] | None,
                 remember_voices: bool | None = None) -> dict[str, Any]:
    """Keep the finished session in its series (under the series' lock) and, when the series keeps voices and
    there is audio, the named speakers' voices in their profiles."""
    owner = f"the run of {session.name}"
    data = register(series_root(out_dir, name), session, owner=owner, remember_voices=remember_voices)
    if audio is not None and data.get("remember_voices"):
        voices.learn(series_root(out_dir, name), session, voices.session_sums(session, audio), owner=owner)
    return data


# -- voices (only when the series keeps them) ---------------------------------------------------------------------
def propose_names(out_dir: Path, name: str, session: Session, audio: Callable[[], np.ndarray]) -> None:
    """Before naming: match the session's speakers to the series' voice profiles (`voices.VOICE_NAMES_FILE`)."""
    root = series_root(out_dir, name)
    if not load_series(root).get("remember_voices") or not session.has(DIARIZATION):
        return
    profiles = voices.centroids(voices.load_profiles(root), leave_out=session.name)
    if not profiles:
        return
    matches = voices.match_voices(voices.session_sums(session, audio), profiles)
    session.write(VOICE_NAMES, voices.proposals(matches))
    for match in matches:
        if match.person is None and match.candidate is not None:
            log.warning("%s: %s not named: the voice is not clearly %s (similarity %.2f, %d windows); name it with "
                        "`oogst names`", session.name, match.label, match.candidate, match.similarity, match.windows)


class SeriesPlug(Extension):
    """The series at the runner's points: membership (start), names proposed from the voices (names.proposals),
    themes and carried actions in the draft (draft.sections), the finished session kept in the series (finish)."""

    def __init__(self) -> None:
        self.name: str | None = None

    def start(self, ctx: RunContext) -> None:
        self.name = series_of(ctx.session, ctx.series, ctx.remember_voices)  # a later run keeps the series

    def propose_names(self, ctx: RunContext) -> None:
        if self.name and not ctx.imported and ctx.sound and ctx.session.removed_recording() is None:
            propose_names(ctx.settings.out_dir, self.name, ctx.session, ctx.audio)

    def proposed_names(self, ctx: RunContext) -> dict[str, str]:
        return voices.proposed_names(ctx.session)

    def names_key(self, ctx: RunContext) -> list[Any]:
        proposals = ctx.session.hash_if(VOICE_NAMES)
        return [proposals] if proposals else []

    def draft_key(self, ctx: RunContext) -> list[Any]:
        return [draft_key(ctx.settings.out_dir, self.name, ctx.session)] if self.name else []

    def draft_sections(self, ctx: RunContext, turns: Any, insights: Any, shared: Any) -> list[Any]:
        if not self.name:
            return []
        return draft_sections(ctx.settings.out_dir, self.name, ctx.session, turns, insights, shared)

    def finish(self, ctx: RunContext) -> None:
        if self.name and ctx.reaches("insights"):
            gone = ctx.imported or not ctx.sound or ctx.session.removed_recording() is not None  # voices stay
            keep_session(ctx.settings.out_dir, self.name, ctx.session, audio=None if gone else ctx.audio,
                         remember_voices=ctx.remember_voices)
