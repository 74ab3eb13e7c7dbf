"""The word index across sessions: one SQLite file in the state folder with an FTS5 table of every transcript line,
insight and action point as the pages show them, kept up to date lazily.

    index = SearchIndex(state_dir / SEARCH_INDEX, out_dir)
    hits = index.words("ouderavonden", series="team-noord")   # refreshes what changed, then asks FTS5

Each search first compares, per session folder, the times and sizes of the artefacts a page's text comes from
(`SOURCES`) with the stamp kept at indexing; a session that changed (a run, names, a correction, an edit, a review,
pseudonymisation) is indexed again, a deleted one dropped. No hook is needed in the operations, and a change made
by the command line is found the same way. FTS5's `unicode61` tokenizer with `remove_diacritics 2` makes "cliënt"
and "client" one word; every query word of four letters or more is a prefix after a light stemming (Dutch and
English plural and verb endings), so "ouderavonden" finds "ouderavond" and "gesprek" finds "gesprekken".
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.core.database import connect, prepare, transaction
from pipeline.core.errors import OogstError
from pipeline.core.layers import text_key
from pipeline.core.session import (
    CORRECTIONS,
    EDITS,
    FINAL,
    INSIGHTS,
    MEMBER,
    NAMES,
    PSEUDONYMS,
    TRANSCRIPT,
    TURNS,
    Session,
    sessions_in,
)

log = logging.getLogger(__name__)

SOURCES = (TRANSCRIPT, TURNS, NAMES, CORRECTIONS, INSIGHTS, EDITS, FINAL, PSEUDONYMS, MEMBER)  # what a page shows
KINDS = ("turn", "insight", "action")
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    name TEXT PRIMARY KEY, stamp TEXT NOT NULL, series TEXT, title TEXT, day TEXT, pseudonymised INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS units USING fts5(
    text, speaker, session UNINDEXED, kind UNINDEXED, ref UNINDEXED, start UNINDEXED, hash UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS asks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, query TEXT NOT NULL, series TEXT, submitted REAL NOT NULL,
    answered REAL, hits TEXT, error TEXT
);
"""
MARK, UNMARK = "\x02", "\x03"  # around the matched words in a snippet (a page escapes the text, then marks)


@dataclass(frozen=True)
class Hit:
    """One result: where it is (session, kind, the turn's index or the insight's or action's key) and what it says."""

    session: str
    kind: str  # "turn", "insight" or "action"
    ref: str  # a turn's id (`core.types.turn_id`; its index in an index made before ids); an insight's or action's key
    start: float | None  # seconds into the recording (a turn, an action); None for an insight
    speaker: str
    text: str
    snippet: str  # the text around the matched words, marked with MARK/UNMARK (meaning hits: the text)
    title: str
    day: str | None
    series: str | None
    score: float  # higher is better (word: -bm25; meaning: cosine similarity)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hit:
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__})  # type: ignore[arg-type]

    def parts(self) -> list[tuple[str, bool]]:
        """The snippet as (text, matched) pieces, for a page to escape and mark."""
        pieces = re.split(f"({MARK}[^{UNMARK}]*{UNMARK})", self.snippet)
        return [(p.strip(MARK + UNMARK), p.startswith(MARK)) for p in pieces if p]


def stem(word: str) -> str:
    """A light stem for a prefix query: plural and verb endings off ("ouderavonden" -> "ouderavond", "gesprekken"
    -> "gesprek", "meetings" -> "meeting"); short words stay as they are."""
    if len(word) > 5 and word.endswith(("en", "es")):
        word = word[:-2]
        if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
            word = word[:-1]  # gesprekk -> gesprek
    elif len(word) > 4 and word.endswith(("s", "e")) and not word.endswith(("ss", "ee")):
        word = word[:-1]
    return word


_WORD = re.compile(r"\w+")


def match_query(query: str, *, any_word: bool = False) -> str:
    """The FTS5 query for what a person typed: "quoted words" as a phrase, every other word as a stemmed prefix;
    all of them (or, with `any_word`, any). Empty when nothing searchable was typed."""
    parts = []
    for phrase in re.findall(r'"([^"]*)"', query):
        words = _WORD.findall(phrase.lower())
        if words:
            parts.append('"' + " ".join(words) + '"')
    for word in _WORD.findall(re.sub(r'"[^"]*"', " ", query).lower()):
        parts.append(f'"{stem(word)}"*' if len(word) >= 4 else f'"{word}"')
    return (" OR " if any_word else " AND ").join(dict.fromkeys(parts))


def text_hash(text: str) -> str:
    """The key of a text's sentence vector (the same line in two sessions is embedded once)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


class SearchIndex:
    """The search index of one outputs folder, in one SQLite file (WAL: the web app and a worker share it)."""

    def __init__(self, path: Path, out_dir: Path, *, originals: bool = False) -> None:
        """`originals`: index a pseudonymised session's real names (the facilitator's choice, `[search]
        originals`); otherwise its labels, as it is shared."""
        self.path = Path(path)
        self.out_dir = Path(out_dir)
        self.originals = originals
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prepare(self.path, lambda db: db.executescript(SCHEMA))

    def db(self) -> AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with connect(self.path) as db, transaction(db):
            yield db

    # -- keeping it up to date ----------------------------------------------------------------------------------
    def stamp(self, session: Session) -> str:
        """What the session's shown texts depend on: each source artefact's time and size, and the choice of names."""
        parts = [f"originals={int(self.originals)}"]
        for name in SOURCES:
            try:
                stat = session.path(name).stat()
            except OSError:
                continue
            parts.append(f"{name}:{stat.st_mtime_ns}:{stat.st_size}")
        return "|".join(parts)

    def generation(self) -> int:
        """A number that changes whenever a session is indexed again or vectors are added (the meaning search's
        matrix in memory follows it)."""
        with self.db() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row["value"]) if row is not None else 0

    def refresh(self) -> int:
        """Index again every session whose sources changed, drop the deleted ones; returns how many changed."""
        with self.db() as db:
            known = {row["name"]: row["stamp"] for row in db.execute("SELECT name, stamp FROM sessions")}
        present = {folder.name: Session(folder) for folder in sessions_in(self.out_dir)}
        changed = 0
        for name, session in sorted(present.items()):
            stamp = self.stamp(session)
            if known.get(name) != stamp:
                changed += self._index(session, stamp)
        for name in set(known) - set(present):
            with self.write() as db:
                db.execute("DELETE FROM units WHERE session = ?", (name,))
                db.execute("DELETE FROM sessions WHERE name = ?", (name,))
                self.bump(db)
            changed += 1
        return changed

    def drop(self, sessions: set[str]) -> int:
        """Take these sessions out of the index (forget a person: their texts are indexed again from the rewritten
        files on the next search); deleted content is overwritten on disk. Returns how many texts went."""
        gone = 0
        with self.db() as db:
            db.execute("PRAGMA secure_delete = ON")  # per connection: set before the transaction
            db.execute("BEGIN IMMEDIATE")
            for name in sorted(sessions):
                gone += db.execute("DELETE FROM units WHERE session = ?", (name,)).rowcount
                db.execute("DELETE FROM sessions WHERE name = ?", (name,))
            db.execute("INSERT INTO units (units) VALUES ('optimize')")  # rewrite the full-text index without them
            self.bump(db)
            db.execute("COMMIT")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and out of the write-ahead log
        return gone

    @staticmethod
    def bump(db: sqlite3.Connection) -> None:
        """A new generation (inside a write): texts or their vectors changed."""
        db.execute("INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET "
                   "value = CAST(value AS INTEGER) + 1")

    def _index(self, session: Session, stamp: str) -> int:
        """(Re)index one session; 0 when another process just did."""
        try:
            meta, rows = session_units(session, originals=self.originals)
        except (OogstError, OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("search: %s not indexed (%s)", session.name, exc)
            meta, rows = {"series": None, "title": session.name, "day": None, "pseudonymised": 0}, []
        with self.write() as db:
            row = db.execute("SELECT stamp FROM sessions WHERE name = ?", (session.name,)).fetchone()
            if row is not None and row["stamp"] == stamp:
                return 0
            db.execute("DELETE FROM units WHERE session = ?", (session.name,))
            units = [(text, speaker, session.name, kind, ref, start, text_hash(text))
                     for kind, ref, start, speaker, text in rows]
            db.executemany("INSERT INTO units (text, speaker, session, kind, ref, start, hash) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)", units)
            db.execute("INSERT OR REPLACE INTO sessions (name, stamp, series, title, day, pseudonymised) VALUES "
                       "(?, ?, ?, ?, ?, ?)", (session.name, stamp, meta["series"], meta["title"], meta["day"],
                                              meta["pseudonymised"]))
            self.bump(db)
        return 1

    # -- asking -------------------------------------------------------------------------------------------------
    def words(self, query: str, *, series: str | None = None, limit: int = 30) -> list[Hit]:
        """`oogst search`, the search page: the best `limit` places (of one series) holding every word typed (or,
        when none holds all, any of them), best first; the index follows the sessions' changes first."""
        series = checked_series(self.out_dir, series)
        self.refresh()
        hits = self._match(match_query(query), series, limit)
        if not hits and len(_WORD.findall(query)) > 1:
            hits = self._match(match_query(query, any_word=True), series, limit)
        return hits

    def _match(self, expression: str, series: str | None, limit: int) -> list[Hit]:
        if not expression:
            return []
        sql = ("SELECT u.session, u.kind, u.ref, u.start, u.speaker, u.text, "
               f"snippet(units, 0, '{MARK}', '{UNMARK}', '…', 24) AS snip, bm25(units, 4.0, 1.0) AS rank, "
               "s.title, s.day, s.series FROM units u JOIN sessions s ON s.name = u.session WHERE units MATCH ?")
        params: list[Any] = [expression]
        if series:
            sql += " AND s.series = ?"
            params.append(series)
        sql += " ORDER BY rank LIMIT ?"
        params.append(limit)
        with self.db() as db:
            try:
                rows = db.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse: nothing found, never a bug page
                log.info("search: %r: %s", expression, exc)
                return []
        return [Hit(r["session"], r["kind"], str(r["ref"]), r["start"], r["speaker"] or "", r["text"], r["snip"],
                    r["title"] or r["session"], r["day"], r["series"], -float(r["rank"])) for r in rows]

    def hit_meta(self) -> dict[str, sqlite3.Row]:
        """Each indexed session's title, day and series, by name."""
        with self.db() as db:
            return {row["name"]: row for row in db.execute("SELECT name, title, day, series FROM sessions")}

    def counts(self) -> tuple[int, int]:
        """(sessions, texts) in the index."""
        with self.db() as db:
            sessions = db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
            units = db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
        return int(sessions), int(units)


def open_index(out_dir: Path, state_dir: Path | None, section: dict[str, Any]) -> SearchIndex:
    """The index of an outputs folder in its state folder (None: `core.session.state_folder`); `section`: the
    config's [search] (`originals = true`: a pseudonymised session's real names; otherwise its labels)."""
    from pipeline.core.session import SEARCH_INDEX, state_folder

    state = Path(state_dir) if state_dir is not None else state_folder(out_dir)
    originals = str(section.get("originals", "")).lower() in ("true", "1", "yes")
    return SearchIndex(state / SEARCH_INDEX, out_dir, originals=originals)


def checked_series(out_dir: Path, series: str | None) -> str | None:
    """A series to search in, checked (a one-line SessionError naming the known ones), or None: all sessions."""
    from pipeline.series.store import check_name, existing_series

    if not series:
        return None
    existing_series(out_dir, check_name(series))
    return check_name(series)


def session_units(session: Session, *, originals: bool = False
                  ) -> tuple[dict[str, Any], list[tuple[str, str, float | None, str, str]]]:
    """A session's title, day and series, and its texts as the pages show them: (kind, ref, start, speaker, text)."""
    from pipeline.export import material
    from pipeline.series.store import member_of

    what = material(session, originals=originals)
    rows: list[tuple[str, str, float | None, str, str]] = []
    if what.turns is not None:
        for n, turn in enumerate(what.turns.turns):
            if turn.text.strip():
                rows.append(("turn", turn.id or str(n), turn.start, what.turns.name(turn.speaker),
                             " ".join(turn.text.split())))
    if what.insights is not None:
        for insight in what.insights.insights:
            text = " ".join(f"{insight.title}. {insight.text}".split()) if insight.title else insight.text
            rows.append(("insight", insight.key or text_key(insight.text), None, ", ".join(insight.speakers), text))
        for action, key in zip(what.insights.actions, what.action_keys, strict=False):
            rows.append(("action", key, action.start, action.owner or "", " ".join(action.text.split())))
    series = member_of(session) if session.has(MEMBER) else None
    meta = {"series": series, "title": what.title, "day": what.date.isoformat() if what.date else None,
            "pseudonymised": int(what.pseudonymised)}
    return meta, rows


def dumps(hits: list[Hit]) -> str:
    return json.dumps([h.to_dict() for h in hits], ensure_ascii=False)


def loads(text: str) -> list[Hit]:
    return [Hit.from_dict(item) for item in json.loads(text)]


def now() -> float:
    return time.time()
