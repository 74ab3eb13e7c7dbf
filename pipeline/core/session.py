"""The layout of the outputs folder, in one place: every file and folder a session holds, and the series folders.

`LAYOUT` is the table of a session folder `outputs/<name>/`; no other module spells an artefact's file name: they
ask a `Session` for it (`session.path(TURNS)`) or for its content (`session.turns()`). `SENT_LAYOUT` is the table of
a sent version `sent/vN/`, `SERIES_LAYOUT` that of a series folder `outputs/.series/<name>/`.

A `Session` also keeps the stage cache (`.stages.json`): a stage is recorded only after its artefacts are in place,
with the hash of its inputs and settings (its key) and the hash of what it wrote; a re-run skips a stage only when
both still match. Every file reaches the disk through `atomic_write_*`: written to a temporary name in the same
folder, flushed and renamed, so a crash or `kill -9` never leaves a half file under the real name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import SessionError
from pipeline.core.layers import Edits
from pipeline.core.replace import Rule
from pipeline.core.types import Insights, Transcript, Turns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One file or folder Oogst writes: where, its name, who writes it, and what it holds."""

    where: str  # session | sent | series
    name: str
    kind: str  # artefact (a stage writes it) | layer (a person's changes) | record | review | mail | internal | folder
    what: str


# -- a session folder ------------------------------------------------------------------------------------------------
TRANSCRIPT = "transcript.json"
DIARIZATION = "diarization.json"
ANALYSIS = "analysis.json"
TURNS = "turns.json"
INSIGHTS = "insights.json"
DRAFT = "draft.docx"
PSEUDONYMS = "pseudonyms.json"
RUN = "run.json"
STAGES_FILE = ".stages.json"
CHECKPOINT = ".transcript.partial.jsonl"
NAMES = "names.toml"
CORRECTIONS = "corrections.json"
SPEAKER_CHANGES = "speaker-changes.json"
REPLACEMENTS = "replacements.json"
EDITS = "edits.json"
ROSTER = "roster.json"
# Text kept as a session's source (an imported transcript) or saved beside a recording (an export): never preferred to
# the sound when both carry the session's name.
TEXT_SUFFIXES = frozenset({".vtt", ".srt", ".txt", ".docx", ".md", ".ics"})
MEMBER = "series.json"
CARRIED = "series-carried.json"
VOICE_NAMES = "voice-names.json"
VOICES_CACHE = ".voices.json"
REVIEW = "review.json"
FINAL = "final.json"
FINAL_DOCX = "final.docx"
SENT = "sent"
RETURNED = "returned"
SENT_LEDGER = "sent.json"
INVITATIONS = "invitations.json"
EML = "mail.eml"
CLIPS = ".clips"
CLIPS_STAMP = "spans.json"  # in .clips/: the recording and the spans the clips were cut from
LOCK = ".lock"
LOCK_HOLDER = ".lock.json"
RETENTION = "retention.json"

DOWNLOADS = (DRAFT, FINAL_DOCX, EML)  # what the web app serves by name
EDITED = (NAMES, CORRECTIONS, EDITS, ROSTER,
          REPLACEMENTS, SPEAKER_CHANGES)  # the layers people edit in forms: each save names its version
VERSION_INFO = "version.json"  # in a sent version sent/vN/
SERIES_DIR = ".series"  # in the outputs folder: outputs/.series/<name>/
UPLOADS_DIR = ".uploads"  # in the outputs folder: uploads being received and checked (web app)
HELD_UPLOADS = "held-*"  # in .uploads/: an upload of a file already in a session, kept while the facilitator is asked
FACILITATOR = "facilitator.json"  # in the web app's state folder: the facilitator as asked on the mail page
SEARCH_INDEX = "search.sqlite"  # in the state folder: the search index across sessions (pipeline.search)
JOB_QUEUE = "jobs.sqlite"  # in the state folder: the embedded job queue (pipeline.jobs.queue)
RETENTION_POLICY = "retention-policy.json"  # in the state folder: the retention policy chosen on the settings page
SERIES_FILE = "series.json"
VOICE_PROFILES = "voices.json"
OVERVIEW = "series.docx"


def held_upload(token: str) -> tuple[str, str]:
    """The names in .uploads/ of a held upload (`HELD_UPLOADS`): the file, and what the form said with it."""
    return f"held-{token}.part", f"held-{token}.json"


# Every file and folder Oogst writes: where (a session folder, a sent version sent/vN/, a series folder), its name,
# who writes it and what it holds.
ENTRIES: tuple[Entry, ...] = (
    Entry("session", TRANSCRIPT, "artefact", "what was said, word by word (transcribe stage; Whisper's output)"),
    Entry("session", DIARIZATION, "artefact", "who spoke when, speakers labelled S1.. (speakers stage)"),
    Entry("session", ANALYSIS, "artefact", "the Dutch language analysis of every turn: tokens, tags, lemmas, "
          "entities, dependencies (analysis stage, Frog; per turn, by the text's hash)"),
    Entry("session", TURNS, "artefact", "turns with names and corrections, and the intervision phases (names stage)"),
    Entry("session", INSIGHTS, "artefact", "summary, ranked insights and action points (insights stage)"),
    Entry("session", DRAFT, "artefact", "the Word draft for review (draft stage)"),
    Entry("session", PSEUDONYMS, "record", "who is hidden behind which label in what is shared (draft, oogst hide)"),
    Entry("session", RUN, "record", "the last run: source, seconds per stage, skipped stages"),
    Entry("session", STAGES_FILE, "internal", "the stage cache: each stage's key and the hashes of what it wrote"),
    Entry("session", CHECKPOINT, "internal", "transcription checkpoint: the segments decoded so far"),
    Entry("session", NAMES, "layer", "speaker names (oogst names, the speakers page)"),
    Entry("session", CORRECTIONS, "layer", "transcript lines corrected by hand (the transcript page)"),
    Entry("session", SPEAKER_CHANGES, "layer", "turns moved or split to another speaker, speakers merged, in order "
          "(the transcript and speakers pages, oogst speakers)"),
    Entry("session", REPLACEMENTS, "layer", "find-and-replace rules over the whole transcript, applied after the "
          "line corrections (oogst replace, the transcript page)"),
    Entry("session", EDITS, "layer", "the facilitator's changes to the top 7 and the actions (the top 7 page)"),
    Entry("session", ROSTER, "layer", "the participants: name, e-mail address, present"),
    Entry("session", MEMBER, "record", "the series the session belongs to"),
    Entry("session", CARRIED, "record", "which earlier action each carried row of the draft is"),
    Entry("session", VOICE_NAMES, "record", "names proposed from the series' voice profiles"),
    Entry("session", VOICES_CACHE, "internal", "per speaker label, the summed voice embeddings (series with voices)"),
    Entry("session", REVIEW, "review", "every comment of the returned copies, mapped and interpreted (collect)"),
    Entry("session", FINAL, "review", "the final top 7 after the review (collect)"),
    Entry("session", FINAL_DOCX, "review", "the final Word document (collect)"),
    Entry("session", SENT, "folder", "the drafts as they went out: sent/v1/, sent/v2/, ..."),
    Entry("session", RETURNED, "folder", "annotated copies uploaded on the review page"),
    Entry("session", SENT_LEDGER, "mail", "every mail the SMTP server accepted"),
    Entry("session", EML, "mail", "the last mail composed (dry run or sent)"),
    Entry("session", INVITATIONS, "mail", "every invitation to review in the browser: to whom, when, mailed or not "
          "(oogst invite; never the link itself)"),
    Entry("session", CLIPS, "folder", "each speaker's clip, cut from the recording (web app)"),
    Entry("session", LOCK, "internal", "the session's write lock (flock)"),
    Entry("session", LOCK_HOLDER, "internal", "who holds the lock, for the 'busy' message"),
    Entry("session", RETENTION, "record", "the retention policy's hold and what its sweeps deleted (oogst retention)"),
    Entry("sent", INSIGHTS, "artefact", "the insights (with the edits) that went out"),
    Entry("sent", DRAFT, "artefact", "the draft that went out, stamped with its version"),
    Entry("sent", VERSION_INFO, "record", "version, insights hash, reason, draft hash, when it was frozen"),
    Entry("series", SERIES_FILE, "record", "the series: its sessions, their insights and actions, done marks"),
    Entry("series", VOICE_PROFILES, "record", "voice profiles of named speakers (only when the series keeps them)"),
    Entry("series", OVERVIEW, "artefact", "the series overview (oogst series show, the series page)"),
    Entry("series", LOCK, "internal", "the series' write lock"),
    Entry("series", LOCK_HOLDER, "internal", "who holds the lock"),
)
LAYOUT = {e.name: e for e in ENTRIES if e.where == "session"}
SENT_LAYOUT = {e.name: e for e in ENTRIES if e.where == "sent"}
SERIES_LAYOUT = {e.name: e for e in ENTRIES if e.where == "series"}


def series_folder(out_dir: Path, name: str) -> Path:
    """Where a series lives (the name is checked by `series.store.check_name`)."""
    return Path(out_dir) / SERIES_DIR / name


def series_file(root: Path, name: str) -> Path:
    """A file of a series folder, by its name in `SERIES_LAYOUT`."""
    if name not in SERIES_LAYOUT:
        raise ValueError(f"{name!r} is not in the series layout (core.session.SERIES_LAYOUT)")
    return Path(root) / name


def sent_file(folder: Path, name: str) -> Path:
    """A file of a sent version folder, by its name in `SENT_LAYOUT`."""
    if name not in SENT_LAYOUT:
        raise ValueError(f"{name!r} is not in the sent version layout (core.session.SENT_LAYOUT)")
    return Path(folder) / name


def is_session_folder(path: Path) -> bool:
    """A folder of the outputs folder that may be a session (not .series, .uploads or another hidden folder)."""
    return path.is_dir() and not path.name.startswith(".")


def state_folder(out_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """The state folder (the job queue, the search index): $XDG_STATE_HOME/oogst when set, else `.oogst-state` next
    to the outputs folder. Never inside a session folder; on a local disk (SQLite locking)."""
    env = os.environ if env is None else env
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]).expanduser() / "oogst"
    return Path(out_dir).expanduser().resolve().parent / ".oogst-state"


def sessions_in(out_dir: Path) -> list[Path]:
    """The session folders of an outputs folder."""
    out_dir = Path(out_dir)
    return [p for p in out_dir.iterdir() if is_session_folder(p)] if out_dir.is_dir() else []


class Session:
    """One recording's folder `outputs/<name>/`: its files by name, their content typed, and the stage cache."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.name = self.root.name

    @classmethod
    def create(cls, out_dir: Path, name: str) -> Session:
        session = cls(Path(out_dir) / name)
        session.root.mkdir(parents=True, exist_ok=True)
        return session

    @classmethod
    def open(cls, ref: str | Path, out_dir: Path | None = None) -> Session:
        """A session by folder path or by name under `out_dir`; an error when it does not exist."""
        candidates = [Path(ref)]
        if out_dir is not None:
            candidates.append(Path(out_dir) / str(ref))
        for candidate in candidates:
            if candidate.is_dir():
                return cls(candidate)
        where = f" (looked in {out_dir})" if out_dir is not None else ""
        raise SessionError(f"{ref}: no such session folder{where}; give the folder under outputs/ "
                           "that `oogst run` made")

    @property
    def out_dir(self) -> Path:
        return self.root.parent

    def path(self, name: str) -> Path:
        """A file or folder of the session, by its name in `LAYOUT`."""
        if name not in LAYOUT:
            raise ValueError(f"{name!r} is not in the session layout (core.session.LAYOUT)")
        return self.root / name

    def has(self, name: str) -> bool:
        return self.path(name).is_file()

    def read(self, name: str) -> Any:
        """A JSON file of the session (SessionError when missing or damaged)."""
        return read_json(self.path(name))

    def read_if(self, name: str) -> Any:
        """A JSON file of the session, or None when it is not there."""
        return read_json(self.path(name)) if self.has(name) else None

    def write(self, name: str, data: Any) -> Path:
        """Write a JSON file of the session atomically."""
        return atomic_write_json(self.path(name), data)

    def write_text(self, name: str, text: str) -> Path:
        return atomic_write_text(self.path(name), text)

    # -- typed content ----------------------------------------------------------------------------------------------
    def transcript(self) -> Transcript:
        return Transcript.from_dict(self.read(TRANSCRIPT))

    def diarization(self) -> Turns:
        return Turns.from_dict(self.read(DIARIZATION))

    def turns(self) -> Turns:
        return Turns.from_dict(self.read(TURNS))

    def insights(self) -> Insights:
        return Insights.from_dict(self.read(INSIGHTS))

    def final(self) -> Insights | None:
        data = self.read_if(FINAL)
        return Insights.from_dict(data) if data is not None else None

    def edits(self) -> Edits:
        return Edits.from_dict(_layer(self.path(EDITS)))

    def save_edits(self, edits: Edits) -> Path:
        return self.write(EDITS, edits.to_dict())

    def corrections(self) -> dict[str, dict[str, Any]]:
        """corrections.json's lines, keyed by the turn's start (`layers.time_key`)."""
        turns = _layer(self.path(CORRECTIONS)).get("turns", {})
        return turns if isinstance(turns, dict) else {}

    def save_corrections(self, turns: dict[str, dict[str, Any]],
                         unplaced: list[dict[str, Any]] | None = None) -> Path:
        """Write the corrections by turn (and, when given, those that fit no turn of the current transcript)."""
        data = _layer(self.path(CORRECTIONS))
        data["turns"] = turns
        if unplaced is not None:
            if unplaced:
                data["unplaced"] = unplaced
            else:
                data.pop("unplaced", None)
        return self.write(CORRECTIONS, data)

    def unplaced_corrections(self) -> list[dict[str, Any]]:
        """Corrections made on an earlier transcript whose text aligns with no turn of the current one (kept, with
        their old key, and listed: never dropped)."""
        found = _layer(self.path(CORRECTIONS)).get("unplaced", [])
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []

    def speaker_changes(self) -> list[dict[str, Any]]:
        """speaker-changes.json's changes in the order they were made (`speakers.per_turn`)."""
        found = _layer(self.path(SPEAKER_CHANGES)).get("changes", [])
        return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []

    def save_speaker_changes(self, changes: list[dict[str, Any]]) -> Path:
        data = _layer(self.path(SPEAKER_CHANGES))
        data["changes"] = changes
        return self.write(SPEAKER_CHANGES, data)

    def replacements(self) -> list[Rule]:
        """replacements.json's find-and-replace rules, in the order they are applied (`core.replace`)."""
        rules = _layer(self.path(REPLACEMENTS)).get("rules", [])
        return [Rule.from_dict(r) for r in rules if isinstance(r, dict) and str(r.get("find", "")).strip()
                ] if isinstance(rules, list) else []

    def save_replacements(self, rules: list[Rule]) -> Path:
        data = _layer(self.path(REPLACEMENTS))
        data["rules"] = [rule.to_dict() for rule in rules]
        return self.write(REPLACEMENTS, data)

    def roster(self) -> list[dict[str, Any]]:
        """The participants of the session: name, e-mail address (may be empty), present."""
        people = _layer(self.path(ROSTER)).get("participants", [])
        return [p for p in people if isinstance(p, dict) and str(p.get("name", "")).strip()] if isinstance(
            people, list) else []

    def save_roster(self, people: list[dict[str, Any]]) -> Path:
        clean = [{"name": str(p["name"]).strip(), "email": str(p.get("email") or "").strip(),
                  "present": bool(p.get("present", True))} for p in people if str(p.get("name", "")).strip()]
        return self.write(ROSTER, {"participants": clean})

    def version(self, name: str) -> str:
        """The version of a layer people edit (`EDITED`): a short hash of the file, "0" while there is none. A form
        carries the version it was made on; the service refuses a save made on another one."""
        if name not in EDITED:
            raise ValueError(f"{name!r} is not a layer people edit (core.session.EDITED)")
        return (self.hash_if(name) or "0")[:16]

    def language(self, default: str) -> str:
        """The language spoken, as transcript.json says (else `default`)."""
        return str(self.read(TRANSCRIPT).get("language") or default)

    def sent_versions(self) -> list[Path]:
        """The frozen draft versions, oldest first (sent/v1, sent/v2, ...)."""
        folder = self.path(SENT)
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if p.is_dir() and p.name[:1] == "v" and p.name[1:].isdigit()
                 and sent_file(p, INSIGHTS).is_file() and sent_file(p, DRAFT).is_file()]
        return sorted(found, key=lambda p: int(p.name[1:]))

    def sent_version(self, name: str) -> Path:
        """The folder of a new or existing sent version (`v3`)."""
        return self.path(SENT) / name

    def removed_recording(self) -> Path | None:
        """Where the recording was that the retention policy deleted (None: not deleted, or never audio)."""
        data = self.read_if(RETENTION)
        name = data.get("recording") if isinstance(data, dict) else None
        return self.root / Path(str(name)).name if name and self.recording() is None else None

    def recording(self) -> Path | None:
        """The recording or transcript kept in the session folder (`<name>.<suffix>`), if any; a recording before a
        transcript file of the same name (say an exported `<name>.txt` saved beside it)."""
        for path in sorted(self.root.glob(f"{self.name}.*"), key=lambda p: (p.suffix.lower() in TEXT_SUFFIXES, p.name)):
            if path.is_file() and path.suffix not in (".json", ".toml", ".eml") and path.name not in LAYOUT:
                return path
        return None

    def artefact_hash(self, name: str) -> str:
        """Hash of an artefact, used as part of the key of the stages that read it."""
        path = self.path(name)
        if not path.is_file():
            raise SessionError(f"{path}: not found (run `oogst run` on the recording first)", "file_missing",
                               file=path.name, folder=self.name)
        return hash_file(path)

    def hash_if(self, name: str) -> str | None:
        """Hash of a file of the session, or None when it is not there."""
        path = self.path(name)
        return hash_file(path) if path.is_file() else None

    # -- the stage cache -------------------------------------------------------------------------------------------
    def _manifest(self) -> dict[str, Any]:
        path = self.path(STAGES_FILE)
        if not path.is_file():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("%s is damaged; every stage will run again", path)
            return {}
        return data if isinstance(data, dict) else {}

    def is_fresh(self, stage: str, key: str) -> bool:
        """True when `stage` ran with this key and its artefacts are still exactly what it wrote."""
        entry = self._manifest().get(stage)
        if not entry or entry.get("key") != key:
            return False
        for name, digest in entry.get("artefacts", {}).items():
            path = self.root / name
            if not path.is_file() or hash_file(path) != digest:
                return False
        return True

    def record(self, stage: str, key: str, artefacts: Iterable[str]) -> None:
        """Note that `stage` finished with `key` and wrote `artefacts` (names in `LAYOUT`)."""
        manifest = self._manifest()
        manifest[stage] = {"key": key, "artefacts": {a: hash_file(self.path(a)) for a in artefacts}}
        self.write(STAGES_FILE, manifest)

    def stages(self) -> list[str]:
        """The stages recorded in this session."""
        return [name for name, entry in self._manifest().items() if isinstance(entry, dict)]

    def recorded(self, stage: str) -> dict[str, str]:
        """The artefacts `stage` last recorded, by name, with the hash each had when written ({} if none)."""
        entry = self._manifest().get(stage) or {}
        return dict(entry.get("artefacts", {}))

    def rerecord(self, stage: str) -> None:
        """Keep `stage` fresh after its artefacts were edited on purpose (e.g. renamed speakers): same key,
        current hashes."""
        entry = self._manifest().get(stage)
        if entry and "key" in entry:
            self.record(stage, entry["key"], list(entry.get("artefacts", {})))

    def invalidate(self, stage: str) -> None:
        manifest = self._manifest()
        if manifest.pop(stage, None) is not None:
            self.write(STAGES_FILE, manifest)


def _layer(path: Path) -> dict[str, Any]:
    """A layer file (corrections, edits, roster): {} when missing; a damaged one is a one-line error."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SessionError(f"{path}: damaged ({exc}); fix it by hand or delete it to drop those changes",
                           "file_damaged", file=path.name, folder=path.parent.name) from None
    return data if isinstance(data, dict) else {}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would have given; mkstemp's 0600 would surprise a shared folder


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` so that readers see the old file or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def read_json(path: Path) -> Any:
    """Read a JSON artefact, with a clear error when it is missing or damaged."""
    path = Path(path)
    if not path.is_file():
        raise SessionError(f"{path}: not found (run the stage that writes it first, e.g. `oogst run`)",
                           "file_missing", file=path.name, folder=path.parent.name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"{path}: damaged JSON ({exc}); delete it and re-run `oogst run --force`",
                           "file_damaged", file=path.name, folder=path.parent.name) from None


def hash_file(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cache_key(*parts: Any) -> str:
    """A stable hash of a stage's inputs and settings (anything JSON can represent)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
