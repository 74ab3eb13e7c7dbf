"""Forget a person across a series (a participant who leaves and asks for it): their voice profile, clips and roster
entries deleted, their name replaced by a label in every kept file of the series' sessions and of the series itself.

    changes = forget_person(out_dir, "intervisie-west", "Bram", label="Oud-deelnemer", dry_run=True)

Every file of each session folder (sent versions and returned copies included) and of the series folder is read as
what it is: JSON (keys and strings), text (names.toml, transcripts kept as .txt/.vtt/.srt), Word (.docx: every XML
part, comment authors too), mail (.eml: headers, text parts, attached documents). The name goes as a whole word,
whatever its case. Recordings are not rewritten: the retention policy deletes them. A dry run lists what would change.
"""

from __future__ import annotations

import email
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pipeline.core.errors import ConfigError
from pipeline.core.session import (
    CLIPS,
    ROSTER,
    SERIES_FILE,
    STAGES_FILE,
    VOICE_PROFILES,
    VOICES_CACHE,
    Session,
    atomic_write_bytes,
    atomic_write_json,
    is_session_folder,
    series_file,
)
from pipeline.series.store import existing_series, load_series, member_of, series_lock
from pipeline.series.voices import load_profiles, person_key, save_profiles

TEXT_SUFFIXES = {".json", ".jsonl", ".toml", ".txt", ".vtt", ".srt", ".md", ".csv", ".ics"}
SKIP = {".lock", ".lock.json", STAGES_FILE}  # the lock, and the stage cache (hashes only; recorded again after)


@dataclass
class Forgotten:
    """What forgetting a person changed (or, in a dry run, would change)."""

    person: str
    label: str
    rewritten: list[tuple[Path, int]] = field(default_factory=list)  # (file, how many times the name was there)
    deleted: list[Path] = field(default_factory=list)  # voice profile entry, clips, cached voices
    roster: list[str] = field(default_factory=list)  # sessions whose roster listed them
    sessions: list[str] = field(default_factory=list)
    answers: int = 0  # their invitations and browser answers in the state folder
    jobs: int = 0  # records of the series' jobs in the job queue that named them (input, title, names, error)
    indexed: int = 0  # the series' texts taken out of the search index (indexed again from the rewritten files)

    def lines(self, out_dir: Path, dry_run: bool) -> list[str]:
        would = "would " if dry_run else ""
        rows = [f"{would}forget {self.person} in {len(self.sessions)} session(s): shown as {self.label!r} from now on"]
        rows += [f"  {would}delete {p.relative_to(out_dir)}" for p in self.deleted]
        rows += [f"  {would}rewrite {p.relative_to(out_dir)} (name {n}x)" for p, n in self.rewritten]
        rows += [f"  roster of {s}: entry {'would be ' if dry_run else ''}removed" for s in self.roster]
        if self.answers:
            rows.append(f"  {would}delete {self.answers} invitation(s) and answer(s) of theirs (participants' answers)")
        if self.jobs:
            rows.append(f"  {would}rewrite {self.jobs} job record(s) of the series in the job queue")
        if self.indexed:
            rows.append(f"  {would}take {self.indexed} text(s) of the series out of the search index")
        return rows


class Names:
    """The names as whole words, whatever their case, the longest first ("Inês Došen" before "Inês"); a text without
    any of them is passed over without the regular expression (Word's XML parts are large)."""

    def __init__(self, names: list[str]) -> None:
        forms = sorted({" ".join(n.split()) for n in names if n.strip()}, key=len, reverse=True)
        self.folded = [f.casefold() for f in forms]
        self.regex = re.compile("|".join(rf"(?<!\w){re.escape(f)}(?!\w)" for f in forms), re.IGNORECASE)

    def subn(self, label: str, text: str) -> tuple[str, int]:
        folded = text.casefold()
        if not any(f in folded for f in self.folded):
            return text, 0
        return self.regex.subn(label.replace("\\", "\\\\"), text)

    def sub(self, label: str, text: str) -> str:
        return self.subn(label, text)[0]


def name_forms(person: str, others: set[str]) -> list[str]:
    """The person's full name and, when no one else in the series has it, their first name (how the others address
    them in the transcript)."""
    person = " ".join(person.split())
    first = person.split()[0]
    taken = {person_key(o.split()[0]) for o in others if o.split() and person_key(o) != person_key(person)}
    return [person] + ([first] if first != person and person_key(first) not in taken else [])


def participants(sessions: list[Session]) -> set[str]:
    """Everyone named in the series' sessions (speaker names and rosters)."""
    from pipeline.core.session import TURNS

    found: set[str] = set()
    for session in sessions:
        found |= {str(p["name"]) for p in session.roster()}
        if session.has(TURNS):
            found |= {str(n) for n in session.turns().speakers.values()}
    return found


def _json(value: Any, pattern: Names, label: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(label, value)
    if isinstance(value, list):
        return [_json(v, pattern, label) for v in value]
    if isinstance(value, dict):
        return {pattern.sub(label, str(k)): _json(v, pattern, label) for k, v in value.items()}
    return value


def _docx(data: bytes, pattern: Names, label: str) -> tuple[bytes, int]:
    """Every XML part with the name replaced (text and attributes, such as a comment's author)."""
    found = 0
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.endswith((".xml", ".rels")):
                text, n = pattern.subn(escape(label, {'"': "&quot;"}), content.decode("utf-8"))
                found += n
                content = text.encode("utf-8")
            target.writestr(item, content)
    return (out.getvalue(), found) if found else (data, 0)


def _eml(data: bytes, pattern: Names, label: str) -> tuple[bytes, int]:
    message = email.message_from_bytes(data, policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    found = 0
    for key, value in list(message.items()):
        new, n = pattern.subn(label, str(value))
        if n:
            found += n
            message.replace_header(key, new)
    for part in message.walk():
        if part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        if part.get_content_maintype() == "text":
            new, n = pattern.subn(label, part.get_content())
            if n:
                found += n
                part.set_content(new, subtype=part.get_content_subtype())
        elif (part.get_filename() or "").endswith(".docx"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                new_bytes, n = _docx(payload, pattern, label)
                if n:
                    found += n
                    part.set_content(new_bytes, maintype="application", subtype=part.get_content_subtype(),
                                     filename=pattern.sub(label, part.get_filename() or "document.docx"))
    return (message.as_bytes(), found) if found else (data, 0)


def rewritten(path: Path, pattern: Names, label: str) -> tuple[bytes, int] | None:
    """The file's new content and how many times the name was in it (None: a file that is not read, e.g. audio)."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".docx":
        return _docx(data, pattern, label)
    if suffix == ".eml":
        return _eml(data, pattern, label)
    if suffix not in TEXT_SUFFIXES:
        return None
    text = data.decode("utf-8", errors="replace")
    if suffix == ".json":  # read as JSON: a name written as \u escapes is found too
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if value is not None:
            found = pattern.subn(label, json.dumps(value, ensure_ascii=False))[1]
            content = json.dumps(_json(value, pattern, label), ensure_ascii=False, indent=2) + "\n"
            return (content.encode("utf-8"), found) if found else (data, 0)
    replaced, found = pattern.subn(label, text)
    return (replaced.encode("utf-8"), found) if found else (data, 0)


def series_sessions(out_dir: Path, name: str) -> list[Session]:
    """The session folders of a series: those its record lists and those whose series.json names it."""
    data = load_series(existing_series(out_dir, name))
    found = {n for n in data.get("sessions", {}) if (Path(out_dir) / n).is_dir()}
    for folder in Path(out_dir).iterdir():
        if is_session_folder(folder) and member_of(Session(folder)) == name:
            found.add(folder.name)
    return [Session(Path(out_dir) / n) for n in sorted(found)]


def forget_files(folder: Path, pattern: Names, label: str, changes: Forgotten, *, dry_run: bool,
                 skip: tuple[Path, ...] = ()) -> None:
    """Rewrite every file under `folder` that holds the name (a file name with the name is renamed too)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in SKIP and not p.is_symlink()
                       and p not in skip):
        if CLIPS in path.relative_to(folder).parts:
            continue
        result = rewritten(path, pattern, label)
        renamed = path.with_name(pattern.sub(label, path.name))
        if result is None and renamed == path:
            continue
        content, found = result if result is not None else (path.read_bytes(), 0)
        if not found and renamed == path:
            continue
        changes.rewritten.append((path, found + (renamed != path)))
        if dry_run:
            continue
        atomic_write_bytes(renamed, content)
        if renamed != path:
            path.unlink()


def forget_person(out_dir: Path, series: str, person: str, *, label: str, dry_run: bool = False,
                  locked: Any = None, state_dir: Path | None = None) -> Forgotten:
    """Forget `person` in every session of `series` and in the series itself.

    Args:
        locked: holds a session's lock (the service's `locked`); every session is changed under its own lock.
        state_dir: the state folder (None: the outputs folder's), whose participants' answers and search index also
            hold the person's name.
    """
    from contextlib import nullcontext

    if not person.strip() or person_key(person) == person_key(label):
        raise ConfigError(f"{person!r}: give the name of a participant (other than the label {label!r})",
                          "forget_name", name=person)
    out_dir = Path(out_dir)
    root = existing_series(out_dir, series)
    sessions = series_sessions(out_dir, series)
    pattern = Names(name_forms(person, participants(sessions)))
    changes = Forgotten(person.strip(), label)
    changes.sessions = [s.name for s in sessions]
    for session in sessions:
        with locked(session) if locked is not None and not dry_run else nullcontext():
            if any(person_key(p["name"]) == person_key(person) for p in session.roster()):
                changes.roster.append(session.name)
                if not dry_run:
                    session.save_roster([p for p in session.roster() if person_key(p["name"]) != person_key(person)])
            for name in (CLIPS, VOICES_CACHE):  # their voice; the others' clips are cut again when asked
                if session.path(name).exists():
                    changes.deleted.append(session.path(name))
                    if not dry_run:
                        _remove(session.path(name))
            forget_files(session.root, pattern, label, changes, dry_run=dry_run)
            roster = session.path(ROSTER)
            if session.name in changes.roster and not any(p == roster for p, _ in changes.rewritten):
                changes.rewritten.append((roster, 1))  # the entry went before the files were read
            if not dry_run:
                for stage in session.stages():  # what was rewritten on purpose stays fresh
                    session.rerecord(stage)
    with series_lock(root, f"oogst forget {series}") if not dry_run else nullcontext():
        profiles = load_profiles(root)
        theirs = [p for p in profiles if person_key(p) == person_key(person)]
        if theirs:
            changes.deleted.append(series_file(root, VOICE_PROFILES))
            if not dry_run:
                save_profiles(root, {p: v for p, v in profiles.items() if p not in theirs})
        if not dry_run:
            data = load_series(root)
            data["forgotten"] = [k for k in data.get("forgotten", []) if k != person_key(person)]
            atomic_write_json(series_file(root, SERIES_FILE), data)
        profile = (series_file(root, VOICE_PROFILES),) if theirs else ()  # listed as deleted: their profile goes
        forget_files(root, pattern, label, changes, dry_run=dry_run, skip=profile)
    forget_in_state(out_dir, state_dir, person, changes, dry_run=dry_run)
    changes.jobs = forget_in_queue(state_dir, out_dir, set(changes.sessions),
                                   pattern, label, dry_run=dry_run)
    return changes


OVER = ("done", "failed", "cancelled")  # `jobs.queue.OVER`: a job no worker will run again


def forget_in_queue(state_dir: Path | None, out_dir: Path, sessions: set[str], pattern: Names, label: str, *,
                    dry_run: bool) -> int:
    """The embedded job queue's records of the series' sessions (`jobs.queue.SQLiteQueue`'s table, which this
    package may not import): their name replaced by `label` in the title, names and other parameters, the error
    and the progress, and in the input path of a job that is over (a queued or running job keeps the file it runs);
    deleted content overwritten on disk (secure_delete, WAL checkpoint). Returns how many jobs changed (would
    change); no queue file is made when absent. A distributed queue (Celery) keeps its records in its broker."""
    from pipeline.core.database import connect
    from pipeline.core.session import JOB_QUEUE, state_folder

    path = (Path(state_dir) if state_dir is not None else state_folder(out_dir)) / JOB_QUEUE
    if not path.is_file() or not sessions:
        return 0
    changed = 0
    with connect(path) as db:
        db.execute("PRAGMA secure_delete = ON")  # per connection: before the transaction
        db.execute("BEGIN IMMEDIATE")
        marks = ",".join("?" * len(sessions))
        rows = db.execute(f"SELECT id, status, input, params, error, progress FROM jobs WHERE session IN ({marks})",
                          sorted(sessions)).fetchall()
        for row in rows:
            new = {"params": json.dumps(_json(json.loads(row["params"] or "{}"), pattern, label), sort_keys=True),
                   "progress": json.dumps(_json(json.loads(row["progress"] or "{}"), pattern, label)),
                   "error": pattern.sub(label, row["error"]) if row["error"] else row["error"],
                   "input": pattern.sub(label, row["input"]) if row["status"] in OVER else row["input"]}
            if json.loads(new["params"]) == json.loads(row["params"] or "{}") and \
                    json.loads(new["progress"]) == json.loads(row["progress"] or "{}") and \
                    new["error"] == row["error"] and new["input"] == row["input"]:
                continue
            changed += 1
            if not dry_run:
                db.execute("UPDATE jobs SET params = ?, progress = ?, error = ?, input = ? WHERE id = ?",
                           (new["params"], new["progress"], new["error"], new["input"], row["id"]))
        db.execute("COMMIT")
        if not dry_run:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # and out of the write-ahead log
    return changed


def forget_in_state(out_dir: Path, state_dir: Path | None, person: str, changes: Forgotten, *, dry_run: bool) -> None:
    """The state folder's stores: the person's invitations and browser answers go; the series' sessions leave the
    search index (indexed again, from the rewritten files, on the next search). Neither store is made when absent."""
    from pipeline.review.answers import existing_store

    sessions = set(changes.sessions)
    store = existing_store(state_dir, out_dir)
    if store is not None:
        changes.answers = store.forget(sessions, lambda name: person_key(name) == person_key(person), dry_run=dry_run)
    index = _search_index(out_dir, state_dir)
    if index is not None:
        with index.db() as db:
            changes.indexed = sum(db.execute("SELECT COUNT(*) FROM units WHERE session = ?", (name,)).fetchone()[0]
                                  for name in sessions)
        if not dry_run:
            index.drop(sessions)


def drop_session_in_state(out_dir: Path, state_dir: Path | None, name: str) -> None:
    """A deleted session leaves the state folder's stores too: every invitation and browser answer of it (the
    participant's page promises they go with the session) and its texts in the search index, overwritten on disk.
    Neither store is made when absent."""
    from pipeline.review.answers import existing_store

    store = existing_store(state_dir, out_dir)
    if store is not None:
        store.forget({name}, lambda _participant: True)
    index = _search_index(out_dir, state_dir)
    if index is not None:
        index.drop({name})


def _search_index(out_dir: Path, state_dir: Path | None) -> Any:
    """The search index of the state folder (`search.index.SearchIndex`) when it exists, else None."""
    from pipeline.core.session import SEARCH_INDEX, state_folder
    from pipeline.search.index import SearchIndex

    index_path = (Path(state_dir) if state_dir is not None else state_folder(out_dir)) / SEARCH_INDEX
    return SearchIndex(index_path, out_dir) if index_path.is_file() else None


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
