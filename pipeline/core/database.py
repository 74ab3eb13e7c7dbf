"""The SQLite files of the state folder (the job queue, the search index, the participants' answers): a connection
per call, so threads and processes can share a file; autocommit, with a write transaction when asked."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to `path` (rows by column name; waits up to 30 s for another writer), closed afterwards."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.row_factory = sqlite3.Row
    try:
        yield db
    finally:
        db.close()


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction on `db`, taken at once (BEGIN IMMEDIATE): committed at the end, rolled back on an error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


WAIT = 30.0  # seconds: how long a connection waits for another process's lock, and `prepare` for its turn


def prepare(path: Path, setup: Callable[[sqlite3.Connection], object]) -> None:
    """Put the file at `path` in WAL mode (once: it stays so) and run `setup` (its schema, idempotent) on it, even when
    several processes open a new file at the same moment: switching the journal mode can fail at once with "database
    is locked" instead of waiting for the busy timeout (two workers starting together), so it is tried again for up to
    30 s."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            with connect(path) as db:
                if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                setup(db)
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.02, 0.2))
