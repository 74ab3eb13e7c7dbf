"""Participants' answers in the browser: a store of its own (SQLite in the state folder), not under the session lock.

Each participant of a review round gets a personal link with an unguessable token (`secrets.token_urlsafe(32)`,
256 bits); the store keeps only its sha256, with the session, the sent version (its name and insights hash), the
participant (as named in the roster), an expiry and a revocation. Answers are kept per session, version and
participant, so a new link for the same person (a resend, a reminder) keeps what was answered with the old one.

    store = AnswerStore(state_dir / "answers.sqlite")
    token, invitation = store.invite("2025-03-04_sessie", "v1", digest, "An", "an@example.nl", days=14)
    store.save(invitation, "insight:2", "vote", "agree")
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.database import connect, prepare

DEFAULT_DAYS = 14  # how long a link works
ANSWERS_FILE = "answers.sqlite"  # in the state folder (never in a session folder: no session lock needed)
FIELDS = ("vote", "wording", "remark", "text", "approve", "done")  # what a participant can answer per item
MAX_TEXT = 4000

SCHEMA = """
CREATE TABLE IF NOT EXISTS invitations (
    token_hash TEXT PRIMARY KEY,
    session TEXT NOT NULL,
    version TEXT NOT NULL,
    insights_hash TEXT NOT NULL,
    participant TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    expires REAL NOT NULL,
    revoked REAL,
    opened REAL,
    closed REAL
);
CREATE INDEX IF NOT EXISTS invitations_session ON invitations (session, participant);
CREATE TABLE IF NOT EXISTS answers (
    session TEXT NOT NULL,
    version TEXT NOT NULL,
    participant TEXT NOT NULL,
    item TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    saved REAL NOT NULL,
    PRIMARY KEY (session, version, participant, item, field)
);
CREATE TABLE IF NOT EXISTS updates (
    session TEXT NOT NULL,
    participant TEXT NOT NULL,
    old_version TEXT NOT NULL,
    version TEXT NOT NULL,
    changes TEXT NOT NULL,
    at REAL NOT NULL,
    seen REAL,
    PRIMARY KEY (session, participant, version)
);
"""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def iso(seconds: float) -> str:
    """A time as Word dates its comments (UTC, to the second), so browser answers and comments sort together."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Invitation:
    token_hash: str
    session: str
    version: str
    insights_hash: str
    participant: str
    email: str
    created: float
    expires: float
    revoked: float | None = None
    opened: float | None = None
    closed: float | None = None  # the facilitator closed the round

    def state(self, now: float | None = None) -> str:
        """"ok", "revoked", "closed" or "expired"."""
        if self.revoked is not None:
            return "revoked"
        if self.closed is not None:
            return "closed"
        return "expired" if (now if now is not None else time.time()) >= self.expires else "ok"

    @property
    def deadline(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.expires).date()


class AnswerStore:
    """Invitations and answers; every call opens its own connection (threads and processes may share the file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prepare(self.path, lambda db: db.executescript(SCHEMA))

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with connect(self.path) as db:
            yield db

    # -- invitations -----------------------------------------------------------------------------------------------
    def invite(self, session: str, version: str, insights_hash: str, participant: str, email: str = "", *,
               days: float = DEFAULT_DAYS, now: float | None = None) -> tuple[str, Invitation]:
        """A new link for `participant`; an earlier link of theirs for this session stops working."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        invitation = Invitation(token_hash(token), session, version, insights_hash, participant, email, now,
                                now + days * 86400)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE invitations SET revoked = ? WHERE session = ? AND participant = ? AND revoked IS NULL",
                       (now, session, participant))
            db.execute("INSERT INTO invitations (token_hash, session, version, insights_hash, participant, email, "
                       "created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (invitation.token_hash, session, version, insights_hash, participant, email, now,
                        invitation.expires))
            db.execute("COMMIT")
        return token, invitation

    def find(self, token: str) -> Invitation | None:
        """The invitation of a link's token (any state), None for a token never given out."""
        if not token or len(token) > 200:
            return None
        with self._db() as db:
            row = db.execute("SELECT * FROM invitations WHERE token_hash = ?", (token_hash(token),)).fetchone()
        return _invitation(row) if row is not None else None

    def opened(self, invitation: Invitation) -> None:
        with self._db() as db:
            db.execute("UPDATE invitations SET opened = ? WHERE token_hash = ? AND opened IS NULL",
                       (time.time(), invitation.token_hash))

    def revoke(self, session: str, participant: str | None = None) -> int:
        """Stop the links of a session (of one participant); returns how many stopped."""
        with self._db() as db:
            query = "UPDATE invitations SET revoked = ? WHERE session = ? AND revoked IS NULL"
            args: tuple[Any, ...] = (time.time(), session)
            if participant is not None:
                query, args = query + " AND participant = ?", (*args, participant)
            return db.execute(query, args).rowcount

    def forget(self, sessions: set[str], is_person: Any, *, dry_run: bool = False) -> int:
        """Delete the invitations and answers of one participant (`is_person(name) -> bool`) in these sessions (forget
        a person); returns how many rows went (would go). Deleted content is overwritten on disk (secure_delete)."""
        gone = 0
        with self._db() as db:
            db.execute("PRAGMA secure_delete = ON")
            db.execute("BEGIN IMMEDIATE")
            for table in ("invitations", "answers", "updates"):
                rows = db.execute(f"SELECT DISTINCT session, participant FROM {table}").fetchall()
                for row in rows:
                    if row["session"] in sessions and is_person(row["participant"]):
                        if dry_run:
                            gone += db.execute(f"SELECT COUNT(*) FROM {table} WHERE session = ? AND participant = ?",
                                               (row["session"], row["participant"])).fetchone()[0]
                            continue
                        gone += db.execute(f"DELETE FROM {table} WHERE session = ? AND participant = ?",
                                           (row["session"], row["participant"])).rowcount
            db.execute("COMMIT")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and out of the write-ahead log
        return gone

    def close(self, session: str) -> int:
        """Close a session's round: its links show that it is closed, answers can no longer change."""
        with self._db() as db:
            return db.execute("UPDATE invitations SET closed = ? WHERE session = ? AND revoked IS NULL "
                              "AND closed IS NULL", (time.time(), session)).rowcount

    def invitations(self, session: str) -> list[Invitation]:
        """The latest invitation of each participant of a session, in the order they were invited."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM invitations WHERE session = ? ORDER BY created, rowid",
                              (session,)).fetchall()
        latest: dict[str, Invitation] = {}
        first_opened: dict[str, float] = {}
        for row in rows:
            invitation = _invitation(row)
            if invitation.opened is not None:
                first_opened.setdefault(invitation.participant, invitation.opened)
            latest.pop(invitation.participant, None)
            latest[invitation.participant] = invitation
        return [i if i.opened is not None or i.participant not in first_opened
                else _with_opened(i, first_opened[i.participant]) for i in latest.values()]

    def deadline(self, session: str) -> float | None:
        """When a session's round ends by itself: the last expiry of the links that still work (a reminder's new
        link moves it on); None when no link works (nobody invited, all revoked or closed)."""
        working = [i.expires for i in self.invitations(session) if i.revoked is None and i.closed is None]
        return max(working) if working else None

    def closed_on(self, session: str, version: str) -> float | None:
        """When the facilitator closed the round on `version` of a session (its links closed and none working), else
        None."""
        links = [i for i in self.invitations(session) if i.version == version]
        if not links or any(i.revoked is None and i.closed is None for i in links):
            return None
        return max((i.closed for i in links if i.closed is not None), default=None)

    def round_over(self, session: str, now: float | None = None) -> bool:
        """True when a session's round ended by its deadline: every working link has expired (it counts as closed:
        links show that, collecting closes it)."""
        deadline = self.deadline(session)
        return deadline is not None and (time.time() if now is None else now) >= deadline

    def version_hashes(self, session: str) -> dict[str, str]:
        """Sent version -> its insights hash, for every version a session's participants were invited on."""
        with self._db() as db:
            rows = db.execute("SELECT DISTINCT version, insights_hash FROM invitations WHERE session = ?",
                              (session,)).fetchall()
        return {r["version"]: r["insights_hash"] for r in rows}

    # -- answers -------------------------------------------------------------------------------------------------
    def save(self, invitation: Invitation, item: str, field: str, value: str, *, now: float | None = None) -> None:
        """Keep one answer (an empty value takes it back); only while the invitation's link works."""
        if field not in FIELDS:
            raise ValueError(f"unknown answer field {field!r}")
        value = " ".join(value.split())[:MAX_TEXT] if field != "remark" else value.strip()[:MAX_TEXT]
        now = time.time() if now is None else now
        key = (invitation.session, invitation.version, invitation.participant, item, field)
        with self._db() as db:
            if not value:
                db.execute("DELETE FROM answers WHERE session = ? AND version = ? AND participant = ? AND item = ? "
                           "AND field = ?", key)
                return
            old = db.execute("SELECT value FROM answers WHERE session = ? AND version = ? AND participant = ? "
                             "AND item = ? AND field = ?", key).fetchone()
            if old is not None and old["value"] == value:
                return  # unchanged: its time stays the time it was given
            db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)", (*key, value, now))

    def move(self, invitation: Invitation, version: str, insights_hash: str, items: dict[str, str],
             changes: dict[str, Any]) -> Invitation:
        """A new version was sent during the round: the participant's links now open `version`, and their answers on
        the items that still exist (`items`: old item -> new item) carry over with the time they were given (an
        answer already given on the new version stays). The answers on the old version are kept. Returns the
        invitation as it is now (unchanged when another request moved it first)."""
        import json
        from dataclasses import replace

        old = invitation.version
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT version FROM invitations WHERE token_hash = ?",
                             (invitation.token_hash,)).fetchone()
            if row is None or row["version"] != old:
                db.execute("COMMIT")
                return replace(invitation, version=row["version"] if row else old)
            db.execute("UPDATE invitations SET version = ?, insights_hash = ? WHERE session = ? AND participant = ? "
                       "AND version = ?", (version, insights_hash, invitation.session, invitation.participant, old))
            rows = db.execute("SELECT item, field, value, saved FROM answers WHERE session = ? AND version = ? "
                              "AND participant = ?", (invitation.session, old, invitation.participant)).fetchall()
            for r in rows:
                if r["item"] in items:
                    db.execute("INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (invitation.session, version, invitation.participant, items[r["item"]], r["field"],
                                r["value"], r["saved"]))
            db.execute("INSERT OR REPLACE INTO updates VALUES (?, ?, ?, ?, ?, ?, NULL)",
                       (invitation.session, invitation.participant, old, version, json.dumps(changes), time.time()))
            db.execute("COMMIT")
        return replace(invitation, version=version, insights_hash=insights_hash)

    def update_of(self, invitation: Invitation) -> dict[str, Any] | None:
        """What changed since the version the participant answered on, until they answer on the new one."""
        import json

        with self._db() as db:
            row = db.execute("SELECT changes FROM updates WHERE session = ? AND participant = ? AND version = ? "
                             "AND seen IS NULL", (invitation.session, invitation.participant,
                                                  invitation.version)).fetchone()
        return json.loads(row["changes"]) if row is not None else None

    def update_seen(self, invitation: Invitation) -> None:
        with self._db() as db:
            db.execute("UPDATE updates SET seen = ? WHERE session = ? AND participant = ? AND seen IS NULL",
                       (time.time(), invitation.session, invitation.participant))

    def answers_of(self, session: str, version: str, participant: str) -> dict[tuple[str, str], str]:
        """(item, field) -> value of one participant."""
        with self._db() as db:
            rows = db.execute("SELECT item, field, value FROM answers WHERE session = ? AND version = ? "
                              "AND participant = ?", (session, version, participant)).fetchall()
        return {(r["item"], r["field"]): r["value"] for r in rows}

    def answers(self, session: str) -> list[dict[str, Any]]:
        """Every answer of a session: version, participant, item, field, value, saved (seconds)."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM answers WHERE session = ? ORDER BY saved, rowid", (session,)).fetchall()
        return [dict(r) for r in rows]


def open_store(state_dir: Path | None, out_dir: Path | None = None) -> AnswerStore:
    """The store in the state folder (None: the outputs folder's, `core.session.state_folder`), made when new."""
    return AnswerStore(_folder(state_dir, out_dir) / ANSWERS_FILE)


def existing_store(state_dir: Path | None, out_dir: Path | None = None) -> AnswerStore | None:
    """The store in the state folder, None while nobody was ever invited (nothing is made)."""
    path = _folder(state_dir, out_dir) / ANSWERS_FILE
    return AnswerStore(path) if path.is_file() else None


def _folder(state_dir: Path | None, out_dir: Path | None) -> Path:
    from pipeline.core.errors import ConfigError
    from pipeline.core.session import state_folder

    if state_dir is None and out_dir is None:
        raise ConfigError("no state folder for the participants' answers (a front end sets one)")
    return Path(state_dir) if state_dir is not None else state_folder(Path(str(out_dir)))


def _invitation(row: sqlite3.Row) -> Invitation:
    return Invitation(row["token_hash"], row["session"], row["version"], row["insights_hash"], row["participant"],
                      row["email"], row["created"], row["expires"], row["revoked"], row["opened"], row["closed"])


def _with_opened(invitation: Invitation, opened: float) -> Invitation:
    from dataclasses import replace

    return replace(invitation, opened=opened)
