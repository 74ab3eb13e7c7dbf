"""The job queue: an engine-neutral `JobQueue` protocol and `SQLiteQueue`, the embedded default.

A job is a kind ("run"), a session name, an input path and parameters; it is queued, running, paused, done, failed
or cancelled. A worker claims the first queued job in the queue's order (oldest first, unless a person moved one
ahead), sends heartbeats while it works and finishes it. A job whose worker stopped sending heartbeats (the process
died) is queued again when another worker claims (late acknowledgement, like Celery's `acks_late`); the stage cache
makes running it again cheap. A person may cancel or pause a job: a queued one at once, a running one through a
flag (`control`) that its worker reads with its heartbeat and obeys at the next safe point (`stopped`); a cancelled
job stays cancelled (a restart does not bring it back), a paused one waits until it is resumed. `CeleryQueue`
(`celery_queue.py`) is the same interface on Celery and Redis, for workers on several machines; `engines.open_queue`
picks one from the settings.
Submitting the same session while it is queued or running with the same input and parameters returns the job that
is already there.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pipeline.core.database import connect, prepare, transaction

STATUSES = ("queued", "running", "paused", "done", "failed", "cancelled")
OVER = ("done", "failed", "cancelled")
ACTIONS = ("cancel", "pause")  # what a person can ask of a running job (its worker stops at a safe point)
DEFAULT_TTL = 60.0  # seconds without a heartbeat before a running job counts as abandoned
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    session: str
    input: str
    params: dict[str, Any]
    status: str
    attempts: int = 0
    error: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)  # {"stage", "fraction", "eta", "done": [stages]}
    submitted: float = 0.0
    started: float | None = None
    finished: float | None = None
    worker: str | None = None
    heartbeat: float | None = None
    control: str | None = None  # "cancel" or "pause": asked of the running job, not yet done by its worker
    rank: float = 0.0  # the queue's order (lowest first); the id unless a person moved the job ahead

    @property
    def active(self) -> bool:
        """Queued or running: a worker has it or will take it (a paused job waits for a person)."""
        return self.status in ("queued", "running")

    @property
    def stopping(self) -> bool:
        """Running, but asked to stop (cancel or pause): its worker lets go at the next safe point."""
        return self.status == "running" and self.control in ACTIONS

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "session": self.session, "input": self.input,
                "params": self.params, "status": self.status, "attempts": self.attempts, "error": self.error,
                "progress": self.progress, "submitted": self.submitted, "started": self.started,
                "finished": self.finished, "worker": self.worker, "control": self.control}


def jobs_ahead(waiting: list[Job], job_id: int) -> int:
    """How many of the queued or running jobs in `waiting` (in their order) are ahead of `job_id`."""
    ahead = 0
    for job in waiting:
        if job.id == job_id:
            return ahead
        ahead += job.active
    return ahead


class JobQueue(Protocol):
    """What the web app and the worker need from a queue engine."""

    def submit(self, kind: str, session: str, input: str, params: Mapping[str, Any] | None = None) -> Job: ...

    def claim(self, worker: str, job_id: int | None = None) -> Job | None:
        """The oldest queued job (or the one named: an engine that delivers jobs itself), now running for
        `worker`; None when there is nothing to do (or the job named is over or alive on another worker)."""
        ...

    def heartbeat(self, job_id: int) -> str | None:
        """The worker is alive; returns what a person asked of the job meanwhile ("cancel", "pause") or None."""
        ...

    def asked(self, job_id: int) -> str | None:
        """What a person asked of the running job ("cancel", "pause") that its worker has not done yet."""
        ...

    def progress(self, job_id: int, progress: Mapping[str, Any]) -> None: ...

    def finish(self, job_id: int, error: str | None = None) -> None:
        """Done (error None) or failed with a one-line message."""
        ...

    def release(self, job_id: int) -> None:
        """Put a running job back in the queue (its worker is stopping); a job asked to stop becomes cancelled or
        paused instead, so a restart never brings a cancelled job back."""
        ...

    def cancel(self, job_id: int) -> Job | None:
        """Cancel a job: a queued or paused one at once, a running one at its worker's next safe point."""
        ...

    def pause(self, job_id: int) -> Job | None:
        """Pause a job: a queued one at once, a running one at its worker's next safe point (it goes back to the
        queue as paused and keeps what it did: the stage cache and the transcription checkpoint)."""
        ...

    def resume(self, job_id: int) -> Job | None:
        """A paused job queued again in its place (a running one asked to pause runs on)."""
        ...

    def first(self, job_id: int) -> Job | None:
        """Move a queued or paused job to the front of the queue: it runs next (the running job runs on)."""
        ...

    def stopped(self, job_id: int, action: str) -> None:
        """The worker stopped the job as asked: "cancel" makes it cancelled, "pause" paused."""
        ...

    def waiting(self) -> list[Job]:
        """The queue as it will run: running jobs, then queued ones in order, then paused ones."""
        ...

    def get(self, job_id: int) -> Job | None: ...

    def list(self, session: str | None = None, limit: int = 100) -> list[Job]: ...

    def position(self, job_id: int) -> int:
        """How many queued or running jobs are ahead of this one."""
        ...


def default_state_dir(out_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """Where the queue lives: $XDG_STATE_HOME/oogst when set, else `.oogst-state` next to the outputs folder.

    Never inside a session folder; keep it on a local disk (SQLite locking is unreliable on network shares).
    """
    from pipeline.core.session import state_folder

    return state_folder(out_dir, env)


SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    session TEXT NOT NULL,
    input TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    progress TEXT NOT NULL DEFAULT '{}',
    submitted REAL NOT NULL,
    started REAL,
    finished REAL,
    worker TEXT,
    heartbeat REAL,
    control TEXT,
    rank REAL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, id);
CREATE INDEX IF NOT EXISTS jobs_session ON jobs(session, id);
"""


class SQLiteQueue:
    """`JobQueue` in one SQLite file (WAL), safe for a web server and a worker in separate processes."""

    def __init__(self, path: Path, *, ttl: float = DEFAULT_TTL, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.path = Path(path)
        self.ttl = ttl
        self.max_attempts = max_attempts
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prepare(self.path, self._schema)

    @staticmethod
    def _schema(db: sqlite3.Connection) -> None:
        db.executescript(SCHEMA)
        with transaction(db):  # one process at a time adds what a queue from before issue 25 lacks
            have = {row["name"] for row in db.execute("PRAGMA table_info(jobs)")}
            for column, kind in (("control", "TEXT"), ("rank", "REAL")):
                if column not in have:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
            db.execute("UPDATE jobs SET rank = id WHERE rank IS NULL")

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with connect(self.path) as db, transaction(db):
            yield db

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        return Job(row["id"], row["kind"], row["session"], row["input"], json.loads(row["params"]), row["status"],
                   row["attempts"], row["error"], json.loads(row["progress"]), row["submitted"], row["started"],
                   row["finished"], row["worker"], row["heartbeat"], row["control"],
                   float(row["rank"] if row["rank"] is not None else row["id"]))

    def submit(self, kind: str, session: str, input: str, params: Mapping[str, Any] | None = None) -> Job:
        with self._write() as db:
            blob = json.dumps(dict(params or {}), sort_keys=True)
            row = db.execute("SELECT * FROM jobs WHERE kind = ? AND session = ? AND input = ? AND params = ? "
                             "AND status IN ('queued', 'running') ORDER BY id LIMIT 1",
                             (kind, session, str(input), blob)).fetchone()
            if row is not None:
                return self._job(row)
            cursor = db.execute("INSERT INTO jobs (kind, session, input, params, submitted) VALUES (?, ?, ?, ?, ?)",
                                (kind, session, str(input), blob, time.time()))
            db.execute("UPDATE jobs SET rank = id WHERE id = ?", (cursor.lastrowid,))
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return self._job(row)

    def _requeue_abandoned(self, db: sqlite3.Connection) -> None:
        cutoff = time.time() - self.ttl
        for row in db.execute("SELECT id, attempts, control FROM jobs WHERE status = 'running' AND heartbeat < ?",
                              (cutoff,)).fetchall():
            if row["control"] in ACTIONS:  # asked to stop, and its worker is gone: as asked
                self._stop(db, row["id"], row["control"])
            elif row["attempts"] >= self.max_attempts:
                db.execute("UPDATE jobs SET status = 'failed', finished = ?, error = ? WHERE id = ?",
                           (time.time(), f"the worker stopped {row['attempts']} times while running this job; "
                                         "check the server log", row["id"]))
            else:
                db.execute("UPDATE jobs SET status = 'queued', worker = NULL WHERE id = ?", (row["id"],))

    def claim(self, worker: str, job_id: int | None = None) -> Job | None:
        with self._write() as db:
            self._requeue_abandoned(db)
            if job_id is None:
                row = db.execute("SELECT * FROM jobs WHERE status = 'queued' ORDER BY rank, id LIMIT 1").fetchone()
            else:
                row = db.execute("SELECT * FROM jobs WHERE status = 'queued' AND id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            now = time.time()
            db.execute("UPDATE jobs SET status = 'running', worker = ?, attempts = attempts + 1, started = ?, "
                       "heartbeat = ?, error = NULL, control = NULL, progress = '{}' WHERE id = ?",  # a fresh run's
                       (worker, now, now, row["id"]))
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        return self._job(row)

    def heartbeat(self, job_id: int) -> str | None:
        with self._write() as db:
            db.execute("UPDATE jobs SET heartbeat = ? WHERE id = ? AND status = 'running'", (time.time(), job_id))
            row = db.execute("SELECT control FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return row["control"] if row is not None and row["control"] in ACTIONS else None

    def asked(self, job_id: int) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT control FROM jobs WHERE id = ? AND status = 'running'", (job_id,)).fetchone()
        return row["control"] if row is not None and row["control"] in ACTIONS else None

    def progress(self, job_id: int, progress: Mapping[str, Any]) -> None:
        with self._write() as db:
            db.execute("UPDATE jobs SET progress = ?, heartbeat = ? WHERE id = ?",
                       (json.dumps(dict(progress)), time.time(), job_id))

    def finish(self, job_id: int, error: str | None = None) -> None:
        with self._write() as db:
            db.execute("UPDATE jobs SET status = ?, error = ?, finished = ? WHERE id = ?",
                       ("failed" if error else "done", error, time.time(), job_id))

    def release(self, job_id: int) -> None:
        with self._write() as db:
            row = db.execute("SELECT control FROM jobs WHERE id = ? AND status = 'running'", (job_id,)).fetchone()
            if row is not None and row["control"] in ACTIONS:
                self._stop(db, job_id, row["control"])
                return
            db.execute("UPDATE jobs SET status = 'queued', worker = NULL, attempts = MAX(attempts - 1, 0) "
                       "WHERE id = ? AND status = 'running'", (job_id,))

    @staticmethod
    def _stop(db: sqlite3.Connection, job_id: int, action: str) -> None:
        if action == "cancel":
            db.execute("UPDATE jobs SET status = 'cancelled', control = NULL, finished = ? WHERE id = ?",
                       (time.time(), job_id))
        else:  # paused: back in the queue for a person to resume; this attempt does not count
            db.execute("UPDATE jobs SET status = 'paused', control = NULL, worker = NULL, "
                       "attempts = MAX(attempts - 1, 0) WHERE id = ?", (job_id,))

    def stopped(self, job_id: int, action: str) -> None:
        with self._write() as db:
            self._stop(db, job_id, action)

    def _ask(self, job_id: int, action: str) -> Job | None:
        with self._write() as db:
            row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            status = row["status"]
            if status == "running":
                db.execute("UPDATE jobs SET control = ? WHERE id = ?", (action, job_id))
            elif action == "cancel" and status in ("queued", "paused"):
                self._stop(db, job_id, "cancel")
            elif action == "pause" and status == "queued":
                db.execute("UPDATE jobs SET status = 'paused' WHERE id = ?", (job_id,))
        return self.get(job_id)

    def cancel(self, job_id: int) -> Job | None:
        return self._ask(job_id, "cancel")

    def pause(self, job_id: int) -> Job | None:
        return self._ask(job_id, "pause")

    def resume(self, job_id: int) -> Job | None:
        with self._write() as db:
            db.execute("UPDATE jobs SET status = 'queued' WHERE id = ? AND status = 'paused'", (job_id,))
            db.execute("UPDATE jobs SET control = NULL WHERE id = ? AND status = 'running' AND control = 'pause'",
                       (job_id,))
        return self.get(job_id)

    def first(self, job_id: int) -> Job | None:
        with self._write() as db:
            row = db.execute("SELECT MIN(rank) AS low FROM jobs WHERE status IN ('queued', 'paused')").fetchone()
            low = row["low"] if row is not None and row["low"] is not None else 0.0
            db.execute("UPDATE jobs SET rank = ? WHERE id = ? AND status IN ('queued', 'paused') AND rank > ?",
                       (low - 1, job_id, low))
        return self.get(job_id)

    def waiting(self) -> list[Job]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM jobs WHERE status IN ('running', 'queued', 'paused') ORDER BY "
                              "CASE status WHEN 'running' THEN 0 WHEN 'queued' THEN 1 ELSE 2 END, rank, id"
                              ).fetchall()
        return [self._job(r) for r in rows]

    def get(self, job_id: int) -> Job | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._job(row) if row is not None else None

    def list(self, session: str | None = None, limit: int = 100) -> list[Job]:
        with self._db() as db:
            if session is None:
                rows = db.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
            else:
                rows = db.execute("SELECT * FROM jobs WHERE session = ? ORDER BY id DESC LIMIT ?",
                                  (session, limit)).fetchall()
        return [self._job(r) for r in rows]

    def position(self, job_id: int) -> int:
        """How many queued or running jobs are ahead of this one."""
        return jobs_ahead(self.waiting(), job_id)


def when(timestamp: float | None) -> str:
    """A job time as HH:MM (local), for pages and messages."""
    return dt.datetime.fromtimestamp(timestamp).strftime("%H:%M") if timestamp else ""
