"""Where a series lives and how it changes: `outputs/.series/<name>/series.json`, read-modify-written under the
series folder's lock, and a session's membership in `<session>/series.json`.

series.json:
    {"name", "remember_voices": bool,
     "sessions": {"<session>": {"date", "title", "participants", "insights", "actions", "speaking", "updated"}},
                  (a session whose folder is gone: {"date", "gone"})
     "done": {"<session>#<action id>": {"session", "by", "comment", "at"}}}
Keys are only added, like the session artefacts. An action point is known by its session and its id
(`core.layers.action_id`), which stays when other actions are added, dropped or reworded; a series written when
actions were known by their number ("<session>#3") is read with those keys turned into ids (`upgrade_key`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, SessionError
from pipeline.core.layers import text_key
from pipeline.core.lock import SessionBusyError, session_lock
from pipeline.core.session import (
    MEMBER,
    SERIES_DIR,
    SERIES_FILE,
    Session,
    atomic_write_json,
    read_json,
    series_file,
    series_folder,
)

log = logging.getLogger(__name__)

LOCK_WAIT = 60.0  # seconds a writer waits for another to finish before giving up (each holds it for well under one)
_NAME = re.compile(r"[^\W_][\w .\-]{0,63}")


def check_name(name: str, what: str = "--series") -> str:
    """A series name usable as a folder name; ConfigError (naming it as `what`) otherwise."""
    name = name.strip()
    if not _NAME.fullmatch(name) or name.endswith((".", " ")):
        raise ConfigError(f"{what} {name!r}: use letters, digits, spaces, '-', '_' or '.' (at most 64, not "
                          f"starting with a dot or '-'), e.g. {what} intervisie-west", "series_name", name=name)
    return name


def known_series(out_dir: Path) -> list[str]:
    """The names of the series in the outputs folder, sorted."""
    parent = Path(out_dir) / SERIES_DIR
    if not parent.is_dir():
        return []
    return sorted((p.name for p in parent.iterdir() if series_file(p, SERIES_FILE).is_file()), key=str.casefold)


def series_root(out_dir: Path, name: str) -> Path:
    return series_folder(out_dir, check_name(name))


def empty_series(name: str) -> dict[str, Any]:
    return {"name": name, "remember_voices": False, "sessions": {}, "done": {}}


def load_series(root: Path) -> dict[str, Any]:
    """The series record (an empty one when the series has no file yet)."""
    path = series_file(root, SERIES_FILE)
    if not path.is_file():
        return empty_series(Path(root).name)
    try:
        data = read_json(path)
    except SessionError:
        data = None
    if not isinstance(data, dict):
        raise SessionError(f"{path}: damaged, not a series record; put back a copy from a backup, or move it "
                           "aside and run `oogst run --series` on the sessions again", "series_damaged",
                           name=Path(root).name)
    base = empty_series(Path(root).name)
    base.update(data)
    _ids_for_numbers(base)
    return base


def action_key(session: str, action: dict[str, Any]) -> str:
    """The series' key of a session's action point, "<session>#<id>" (a snapshot's action, `snapshot.snapshot`)."""
    return f"{session}#{action.get('id') or text_key(str(action.get('text', '')))}"


def upgrade_key(data: dict[str, Any], key: str) -> str:
    """A key of the time actions were known by their number ("<session>#3": the third action of that session's
    snapshot) as its key by id; any other key as it is."""
    session, sep, ref = key.rpartition("#")
    if not sep or not ref.isdigit() or len(ref) > 6:  # an id is 12 hex digits, or "added-<n>"
        return key
    entry = data.get("sessions", {}).get(session, {})
    found = next((a for a in entry.get("actions", []) if a.get("number") == int(ref)), None)
    return action_key(session, found) if found is not None else key


def _ids_for_numbers(data: dict[str, Any]) -> None:
    """A series written before actions had ids: each snapshot's actions get theirs, the done marks move to them."""
    for entry in data.get("sessions", {}).values():
        for action in entry.get("actions", []):
            action.setdefault("id", text_key(str(action.get("text", ""))))
    done = data.get("done", {})
    for key in list(done):
        new = upgrade_key(data, key)
        if new != key:
            done.setdefault(new, done.pop(key))


def existing_series(out_dir: Path, name: str) -> Path:
    """The folder of a series that exists; SessionError naming the known series otherwise."""
    root = series_root(out_dir, name)
    if not series_file(root, SERIES_FILE).is_file():
        known = known_series(out_dir)
        hint = f"known: {', '.join(known)}" if known else "start one with `oogst run --series NAME`"
        raise SessionError(f"{root}: no series {name!r} in {out_dir} ({hint})", "no_series", name=name)
    return root


@contextmanager
def series_lock(root: Path, owner: str, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold the series folder's lock (`core.lock`), waiting up to `wait` seconds for another writer."""
    deadline = time.monotonic() + wait
    with ExitStack() as held:
        while True:
            try:
                held.enter_context(session_lock(root, owner))
                break
            except SessionBusyError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        yield


def update_series(root: Path, owner: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Read the record, let `change` edit it in place, write it back: all under the lock. Returns the new record."""
    with series_lock(root, owner):
        data = load_series(root)
        change(data)
        atomic_write_json(series_file(root, SERIES_FILE), data)
        return data


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


# -- membership --------------------------------------------------------------------------------------------------
def member_of(session: Session) -> str | None:
    """The series a session belongs to (recorded by an earlier `oogst run --series`), or None."""
    data = session.read_if(MEMBER)
    name = data.get("series") if isinstance(data, dict) else None
    return str(name) if name else None


def choose_series(session: Session, given: str | None) -> str | None:
    """The session's series: `given` (recorded in the session folder) or the one recorded earlier."""
    recorded = member_of(session)
    if given is None:
        return recorded
    name = check_name(given)
    if name != recorded:
        if recorded:
            log.warning("%s moves from series %s to series %s", session.name, recorded, name)
            old = series_root(session.out_dir, recorded)
            if series_file(old, SERIES_FILE).is_file():
                update_series(old, f"moving {session.name}", lambda data: data["sessions"].pop(session.name, None))
        session.write(MEMBER, {"series": name, "since": now()})
    return name


def ordered_sessions(data: dict[str, Any], *, gone: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The series' sessions in the order they were held (date, then name); those whose folder is gone only when
    `gone` is true."""
    return sorted(((name, entry) for name, entry in data.get("sessions", {}).items() if gone or not entry.get("gone")),
                  key=lambda item: (str(item[1].get("date") or ""), item[0]))


def earlier_sessions(data: dict[str, Any], session: str, date: str, *,
                     gone: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The sessions held before this one (by date, then name), oldest first."""
    return [(name, entry) for name, entry in ordered_sessions(data, gone=gone)
            if name != session and (str(entry.get("date") or ""), name) < (date, session)]


def mark_gone(data: dict[str, Any], out_dir: Path) -> list[str]:
    """Sessions whose folder is no longer in the outputs folder (deleted in the web app, or by hand) leave the series:
    their entry keeps only its date and when it went ("gone"), so they are not listed, their action points are not
    carried and what they said is not kept; done marks given in them still count. A run of a session of that name
    puts it back. Returns the names newly marked."""
    found = []
    for name, entry in data.get("sessions", {}).items():
        if not entry.get("gone") and not (Path(out_dir) / name).is_dir():
            data["sessions"][name] = {"date": entry.get("date") or "", "gone": now()}
            found.append(name)
    return found
