"""One writer per session folder: an advisory lock (flock) on `<session>/.lock`, with who holds it in `.lock.json`.

The lock is the kernel's: it goes away when its holder exits, even after `kill -9`, so a stale lock never blocks
anyone. `.lock.json` only says who holds it (owner, pid, host, since, heartbeat) for the "busy" message. A process
may take the lock of a session it already holds (the web worker takes it, then the service takes it again).
`stop_process` stops a child process: politely first, then for sure.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.core.errors import OogstError
from pipeline.core.session import LOCK as LOCK_FILE  # the same names in a series folder
from pipeline.core.session import LOCK_HOLDER as HOLDER_FILE
from pipeline.core.session import SERIES_DIR


class SessionBusyError(OogstError):
    """Another process is writing this session."""


_held: dict[Path, tuple[int, int]] = {}  # folder -> (fd, depth) held by this process
_guard = threading.Lock()


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def holder(root: Path) -> dict[str, Any] | None:
    """Who holds (or last held) the session's lock, as written in `.lock.json`; None when unknown."""
    try:
        data = json.loads((Path(root) / HOLDER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_locked(root: Path) -> bool:
    """True when some process other than this one holds the session's lock."""
    root = Path(root).resolve()
    if root in _held or not (root / LOCK_FILE).is_file():
        return False
    fd = os.open(root / LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken just now
    return False


def _busy(root: Path, out_name: str) -> SessionBusyError:
    info = holder(root) or {}
    owner = info.get("owner") or "another process"
    since = str(info.get("since") or "")
    when = since[11:16] if len(since) >= 16 else "a moment ago"
    pid = f" (pid {info['pid']} on {info.get('host', '?')})" if info.get("pid") else ""
    key = "series_busy" if root.parent.name == SERIES_DIR else "busy"  # a series folder has the same lock
    stop = "stop it" if key == "series_busy" else f"stop it (a job: oogst jobs cancel {root.name})"
    return SessionBusyError(f"{out_name} is busy: {owner}{pid} has been processing it since {when}; wait for it to "
                            f"finish or {stop}", key if len(since) >= 16 else f"{key}_now", name=root.name,
                            since=when)


@contextmanager
def session_lock(root: Path, owner: str) -> Iterator[None]:
    """Hold the session's write lock while the block runs; SessionBusyError at once when someone else holds it.

    Args:
        owner: who is writing, for the message another writer gets ("the web worker", "oogst collect").
    """
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    with _guard:
        if root in _held:
            fd, depth = _held[root]
            _held[root] = (fd, depth + 1)
            nested = True
        else:
            nested = False
            fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise _busy(root, f"{root.parent.name}/{root.name}") from None
            _held[root] = (fd, 1)
    if not nested:
        info = {"owner": owner, "pid": os.getpid(), "host": socket.gethostname(), "since": _now(),
                "heartbeat": _now()}
        _write_holder(root, info)
    try:
        yield
    finally:
        with _guard:
            fd, depth = _held[root]
            if depth > 1:
                _held[root] = (fd, depth - 1)
            else:
                del _held[root]
                (root / HOLDER_FILE).unlink(missing_ok=True)
                os.close(fd)  # releases the flock


def heartbeat(root: Path) -> None:
    """Refresh the heartbeat in `.lock.json` of a session this process holds (a no-op otherwise)."""
    root = Path(root).resolve()
    if root not in _held:
        return
    info = holder(root) or {}
    info["heartbeat"] = _now()
    _write_holder(root, info)


def _write_holder(root: Path, info: dict[str, Any]) -> None:
    tmp = root / f"{HOLDER_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(info) + "\n", encoding="utf-8")
    os.replace(tmp, root / HOLDER_FILE)


def stop_process(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float) -> None:
    """SIGTERM, wait up to `grace` seconds, then SIGKILL; returns once the process is gone."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
