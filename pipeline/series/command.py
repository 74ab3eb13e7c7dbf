"""`oogst series show NAME`, `oogst series forget NAME PERSON`, and what `oogst collect` tells a session's series."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.errors import SessionError
from pipeline.core.session import Session
from pipeline.series.actions import open_actions
from pipeline.series.overview import write_overview
from pipeline.series.snapshot import refresh_series, register
from pipeline.series.store import (
    existing_series,
    load_series,
    member_of,
    ordered_sessions,
    series_root,
)
from pipeline.series.voices import forget_voice


def show(out_dir: Path, name: str) -> list[str]:
    """Write the overview (series.docx); lines describing the series: its sessions, open and done action points,
    whether voices are kept, and where the overview is."""
    root = existing_series(out_dir, name)
    data = refresh_series(root, out_dir, "oogst series show")
    overview = write_overview(root, data)
    sessions = ordered_sessions(data)
    lines = [f"series {data['name']}: {len(sessions)} session(s), voice profiles "
             f"{'kept' if data.get('remember_voices') else 'not kept'}"]
    for session, entry in sessions:
        people = ", ".join(entry.get("participants", []))
        lines.append(f"  {entry.get('date') or '?'}  {session}: {entry.get('title', '')} ({people})")
    for session, entry in ordered_sessions(data, gone=True):
        if entry.get("gone"):
            lines.append(f"  {session}: left the series (its folder was deleted, {entry['gone'][:10]})")
    still_open = open_actions(sessions, data.get("done", {}))
    lines.append(f"open action points: {len(still_open)}")
    for action in still_open:
        due = f" ({action.due})" if action.due else ""
        lines.append(f"  {action.owner or '?'}: {action.text}{due} [from {action.session}]")
    done = data.get("done", {})
    if done:
        lines.append(f"done: {len(done)}")
        for key, mark in sorted(done.items()):
            lines.append(f"  {key}: marked done by {mark.get('by') or '?'} in {mark.get('session')}")
    lines.append(f"-> {overview}")
    return lines


def forget(out_dir: Path, name: str, person: str) -> str:
    """Remove a person's voice profile from the series; what was removed, as one line."""
    root = existing_series(out_dir, name)
    return forget_voice(root, person, owner="oogst series forget")


def after_collect(session: Session) -> list[str]:
    """Keep the reviewed session in its series; the action points its comments marked done (none: not in one)."""
    name = member_of(session)
    if name is None:
        return []
    root = series_root(session.out_dir, name)
    before = set(load_series(root).get("done", {}))
    try:
        data = register(root, session, owner=f"oogst collect {session.name}")
    except SessionError:
        return []  # no insights yet: nothing to keep
    return [f"series {name}: {key} marked done by {mark.get('by') or '?'}"
            for key, mark in sorted(data.get("done", {}).items()) if key not in before]
