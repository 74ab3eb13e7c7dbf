"""What a series keeps of each session: date, title, participants, the top 7's themes, the action points and the
speaking time, so the series' overview reads without opening every session folder (a session whose folder was
deleted leaves the series: `store.mark_gone`). Also the done marks participants gave in their comments
(`oogst collect`'s review.json)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline.core.errors import SessionError
from pipeline.core.layers import action_id, apply_edits
from pipeline.core.session import CARRIED, FINAL, REVIEW, TRANSCRIPT, Session
from pipeline.core.types import TOP_N, Insights
from pipeline.review.draft import participants
from pipeline.review.sections import speaking_times
from pipeline.series.actions import done_marks
from pipeline.series.store import mark_gone, now, update_series, upgrade_key

log = logging.getLogger(__name__)


def session_insights(session: Session) -> Insights:
    """The reviewed top 7 (final.json) when there is one, else the draft's (insights.json with the edits)."""
    final = session.final()
    return final if final is not None else apply_edits(session.insights(), session.edits())


def session_meta(session: Session) -> dict[str, str]:
    """The date (ISO) and title the run recorded in transcript.json."""
    extra = session.read(TRANSCRIPT)
    return {"date": str(extra.get("recorded") or ""), "title": str(extra.get("title") or session.name)}


def snapshot(session: Session) -> dict[str, Any]:
    """The session as the series keeps it (needs turns.json and insights.json)."""
    turns = session.turns()
    insights = session_insights(session)
    return {
        **session_meta(session),
        "language": insights.language,
        "participants": participants(turns, insights),
        "insights": [{"rank": i.rank, "title": i.title, "text": i.text, "speakers": list(i.speakers)}
                     for i in insights.insights[:TOP_N]],
        "actions": [{"number": n, "id": action_id(a), "owner": a.owner, "text": a.text, "due": a.due,
                     "due_date": a.due_date, "start": a.start} for n, a in enumerate(insights.actions, start=1)],
        "speaking": [{"name": p.name, "seconds": round(p.seconds, 1), "share": round(p.share, 4), "turns": p.turns,
                      "longest": round(p.longest, 1)} for p in speaking_times(turns)],
        "reviewed": session.has(FINAL),
        "updated": now(),
    }


def _done_in(folder: Path, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The done marks of a session's collected comments, by action key (keys of before action ids upgraded)."""
    session = Session(folder)
    if not session.has(REVIEW):
        return {}
    try:  # the rows of the draft's own actions: the version the comments were read against
        ids = {n: action_id(a) for n, a in enumerate(session_insights(session).actions, start=1)}
    except (SessionError, KeyError, ValueError):
        ids = {}
    marks = done_marks(session.name, session.read(REVIEW), session.read_if(CARRIED) or {}, ids)
    return {upgrade_key(data, key): mark for key, mark in marks.items()}


def register(root: Path, session: Session, *, owner: str, remember_voices: bool | None = None) -> dict[str, Any]:
    """Keep the session's snapshot in the series and the done marks of every member's collected comments."""
    entry = snapshot(session)
    out_dir = session.out_dir

    def change(data: dict[str, Any]) -> None:
        data["sessions"][session.name] = entry
        if remember_voices is not None:
            data["remember_voices"] = remember_voices
        refresh(data, out_dir)

    data = update_series(root, owner, change)
    forget_gone(root, data, owner)
    return data


def refresh(data: dict[str, Any], out_dir: Path) -> None:
    """Bring the record up to date with the outputs folder: sessions whose folder is gone leave the series, and the
    done marks of every member's collected comments are added."""
    mark_gone(data, out_dir)
    gather_done(data, out_dir)


def refresh_series(root: Path, out_dir: Path, owner: str) -> dict[str, Any]:
    """`refresh` under the series' lock, written back (and the voices of gone sessions forgotten)."""
    data = update_series(root, owner, lambda record: refresh(record, out_dir))
    forget_gone(root, data, owner)
    return data


def forget_gone(root: Path, data: dict[str, Any], owner: str) -> None:
    """Take what gone sessions gave out of the voice profiles (voices are personal data, the session was deleted)."""
    from pipeline.series.voices import drop_sessions

    drop_sessions(root, {name for name, entry in data["sessions"].items() if entry.get("gone")}, owner=owner)


def gather_done(data: dict[str, Any], out_dir: Path) -> None:
    """Add the done marks of every member session's collected comments (also those collected in the web app)."""
    for name in data["sessions"]:
        if (Path(out_dir) / name).is_dir():
            for key, mark in _done_in(Path(out_dir) / name, data).items():
                data["done"].setdefault(key, mark)
