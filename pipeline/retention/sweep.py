"""The retention sweep: delete what of each session is past its date (`policy.due`), under the session's lock,
never a held session's files nor anything of a session whose job is queued, running or paused, never a file outside
the outputs folder; each deletion logged and kept in the session's retention.json.

    removed = sweep(service, policy, now=now, busy=busy_sessions, dry_run=True)   # what would go

`oogst retention [--dry-run]` calls it, and `oogst serve` and `oogst worker` once a day (`Daily`).
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import OogstError
from pipeline.core.lock import SessionBusyError
from pipeline.core.session import MEMBER, RETENTION, Session, sessions_in
from pipeline.retention.policy import VOICE, Due, Policy, due, held, record

log = logging.getLogger(__name__)

DAY = 24 * 3600.0


@dataclass
class Swept:
    """What a sweep deleted (or, in a dry run, would delete), and the sessions it left for a later sweep."""

    removed: list[tuple[str, Due]] = field(default_factory=list)  # (session, what)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (session, why): busy, a job, ...

    def lines(self, out_dir: Path, dry_run: bool) -> Iterator[str]:
        verb = "would delete" if dry_run else "deleted"
        for _name, item in self.removed:
            when = item.when.date().isoformat() if item.when else "?"
            yield f"{verb} {item.path.relative_to(out_dir)} ({item.what}, due {when})"
        for name, why in self.skipped:
            yield f"left {name} for the next sweep: {why}"
        if not self.removed:
            yield "nothing is past its date" if not self.skipped else "nothing else is past its date"


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` itself (not what a link points to) lies in `folder`."""
    try:
        Path(path).parent.resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True


def _delete(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)  # a link: the link goes, never what it points to


def sweep(out_dir: Path, policy: Policy, *, now: dt.datetime | None = None, busy: Collection[str] = (),
          dry_run: bool = False, locked: Callable[[Session], AbstractContextManager[None]],
          series_changed: Callable[[str, str], None] | None = None) -> Swept:
    """Delete what is past its date in every session of `out_dir`.

    Args:
        busy: sessions (by name) and input files of jobs that are queued, running or paused: left alone.
        locked: holds a session's lock (the service's `locked`); a busy session is left for the next sweep.
        series_changed: called with (series, session) after a member's voices went: the series drops them.
    """
    now = now or dt.datetime.now(dt.UTC)
    out_dir = Path(out_dir)
    swept = Swept()
    if not policy.on:
        return swept
    busy_paths = {str(Path(b).resolve()) for b in busy if "/" in b}
    for folder in sorted(sessions_in(out_dir)):
        session = Session(folder)
        try:
            items = [d for d in due(session, policy, now) if inside(d.path, out_dir)]
        except OogstError as exc:  # a damaged record: say so, go on with the others
            swept.skipped.append((session.name, str(exc)))
            continue
        if not items:
            continue
        if session.name in busy or any(str(d.path.resolve()) in busy_paths for d in items):
            swept.skipped.append((session.name, "a job of it is queued, running or paused"))
            continue
        if dry_run:
            swept.removed += [(session.name, d) for d in items]
            continue
        try:
            with locked(session):
                if held(session):  # put on hold after the plan was read
                    continue
                items = [d for d in due(session, policy, now) if inside(d.path, out_dir)]
                _remove(session, items, now)
        except SessionBusyError as exc:
            swept.skipped.append((session.name, str(exc)))
            continue
        swept.removed += [(session.name, d) for d in items]
        if series_changed is not None and any(d.what in VOICE for d in items) and session.has(MEMBER):
            from pipeline.series.store import member_of

            name = member_of(session)
            if name:
                series_changed(name, session.name)
    return swept


def _remove(session: Session, items: list[Due], now: dt.datetime) -> None:
    """Delete the items, then note them in the session's retention.json (the recording's name: a re-run of the later
    stages finds the session without it)."""
    data = record(session)
    for item in items:
        _delete(item.path)
        log.info("retention: deleted %s (%s, due %s)", item.path, item.what, item.when)
        if item.what == "recording":
            data["recording"] = item.path.name
    data.setdefault("removed", []).append({"at": now.isoformat(timespec="seconds"),
                                           "files": [str(i.path.relative_to(session.root)) for i in items],
                                           "what": [i.what for i in items]})
    session.write(RETENTION, data)


def set_hold(session: Session, hold: bool) -> None:
    """Put the session on hold (the policy never deletes anything of it) or take it off (the caller holds the lock)."""
    data = record(session)
    data["hold"] = bool(hold)
    session.write(RETENTION, data)


class Daily:
    """Run `job` now and then every `every` seconds on a daemon thread until `stop` (serve, worker)."""

    def __init__(self, job: Callable[[], object], every: float = DAY) -> None:
        self.job = job
        self.every = every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="oogst-retention", daemon=True)

    def start(self) -> Daily:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            try:
                self.job()
            except Exception:  # a bug in one sweep must not stop the server; the log keeps the traceback
                log.exception("retention sweep failed")
            self.stopped.wait(self.every)
