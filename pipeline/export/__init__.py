"""Exports of a session for other programs: the corrected transcript (.txt, .docx, .vtt, .srt), the top 7 with its
action points (.md) and the dated action points as a calendar (.ics). May import core, privacy and review.

`export(session, fmt, originals=False)` reads what the pages show (`material`: names from names.toml, the line
corrections of corrections.json applied, the top 7 of final.json or else of insights.json with the facilitator's
edits), pseudonymised when the session is (unless `originals`), and returns an `Export`: the bytes, a safe file name
and its media type. `write_export` puts one on disk atomically, never over an existing file unless asked. One
module per family: `transcript` (txt, vtt, srt), `document` (docx), `markdown` (md), `calendar` (ics).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import ConfigError, OogstError, SessionError
from pipeline.core.language import date_from, text_language, title_from
from pipeline.core.layers import action_id, apply_corrections, apply_edits
from pipeline.core.session import INSIGHTS, TRANSCRIPT, TURNS, Session, atomic_write_bytes
from pipeline.core.types import Insights, Transcript, Turns, Word

FORMATS = ("txt", "docx", "vtt", "srt", "ics", "md")
MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}
SUFFIXES = {"txt": "transcript.txt", "docx": "transcript.docx", "vtt": "transcript.vtt", "srt": "transcript.srt",
            "ics": "actions.ics", "md": "top7.md"}


@dataclass(frozen=True)
class Material:
    """What an export is made of, as the pages show it (and pseudonymised when the session is, unless asked)."""

    name: str  # the session's name as the file name may show it
    session: str  # the session's folder name, always the real one (the calendar's UIDs derive from it)
    title: str
    date: dt.date | None
    language: str  # "nl" or "en": the labels
    turns: Turns | None  # corrected, with names; None: no transcript yet
    words: tuple[Word, ...]  # the recogniser's words, only for their times (never shown: not pseudonymised)
    insights: Insights | None  # the final top 7, else the draft's (with the edits); None: no insights yet
    final: bool  # True: `insights` is the final top 7 after the review
    pseudonymised: bool  # True: names and third parties are shown as labels
    action_keys: tuple[str, ...] = ()  # per action, its id (`layers.action_id`), taken before pseudonymising


@dataclass(frozen=True)
class Export:
    """One export: its content, a file name safe on every system, its media type; `left_out` counts the action
    points an .ics leaves out for want of a due date."""

    data: bytes
    filename: str
    media_type: str
    left_out: int = 0
    final: bool = False


def check_format(fmt: str) -> str:
    value = (fmt or "").strip().lower().lstrip(".")
    if value not in FORMATS:
        raise ConfigError(f"--format {fmt}: unknown format; choose one of {', '.join(FORMATS)}", "export_format",
                          format=fmt, formats=", ".join(FORMATS))
    return value


def safe_filename(text: str) -> str:
    """Letters, digits, '-', '_' and '.', at most 80 characters, never empty or hidden."""
    name = re.sub(r"[^\w.-]+", "-", text, flags=re.ASCII).strip("-._")
    return name[:80].strip("-._") or "oogst"


def material(session: Session, *, originals: bool = False) -> Material:
    """The session's texts as the pages show them; pseudonymised (labels) when the session is and not `originals`."""
    from pipeline.privacy.shared import load_shared

    transcript = session.read(TRANSCRIPT) if session.has(TRANSCRIPT) else {}
    transcript = transcript if isinstance(transcript, dict) else {}
    turns = apply_corrections(session.turns(), session.corrections()) if session.has(TURNS) else None
    words: tuple[Word, ...] = ()
    if transcript:
        try:
            words = tuple(Transcript.from_dict(transcript).words)
        except (KeyError, TypeError, ValueError):
            words = ()
    final = session.final()
    insights = final if final is not None else (
        apply_edits(session.insights(), session.edits()) if session.has(INSIGHTS) else None)
    language = text_language(str((insights.language if insights else None) or transcript.get("language") or "nl"))
    title = str((insights.title if insights else None) or transcript.get("title") or "")
    title = title_from(title, keep_case=True) if title else title_from(session.name) or session.name
    recorded = transcript.get("recorded")
    try:
        day = dt.date.fromisoformat(str(recorded)[:10]) if recorded else date_from(session.name)
    except ValueError:
        day = date_from(session.name)
    keys = tuple(action_id(a) for a in insights.actions) if insights is not None else ()
    shared = None if originals else load_shared(session, language)
    name = session.name
    if shared is not None:
        turns = shared.turns(turns) if turns is not None else None
        insights = shared.insights(insights) if insights is not None else None
        title, name = shared.text(title, any_case=True), shared.text(session.name, any_case=True)
    return Material(name, session.name, title, day, language, turns, words, insights, final is not None,
                    shared is not None, keys)


def export(session: Session, fmt: str, *, originals: bool = False, now: dt.datetime | None = None) -> Export:
    """One export of the session (`fmt` one of FORMATS); a one-line OogstError when the session lacks what it
    needs."""
    fmt = check_format(fmt)
    what = material(session, originals=originals)
    base = safe_filename(what.name)
    left_out = 0
    if fmt in ("txt", "docx", "vtt", "srt"):
        if what.turns is None or not what.turns.turns:
            raise SessionError(f"{session.name}: no transcript yet, so there is nothing to export as .{fmt}; run "
                               "`oogst run` on its recording first", "export_no_transcript", name=session.name)
        if fmt == "docx":
            from pipeline.export.document import transcript_docx

            data = transcript_docx(what)
        else:
            from pipeline.export import transcript as family

            data = {"txt": family.to_txt, "vtt": family.to_vtt, "srt": family.to_srt}[fmt](what).encode("utf-8")
    else:
        if what.insights is None:
            raise SessionError(f"{session.name}: no top 7 yet, so there is nothing to export as .{fmt}; run "
                               "`oogst run` on its recording first", "export_no_insights", name=session.name)
        if fmt == "md":
            from pipeline.export.markdown import to_markdown

            data = to_markdown(what).encode("utf-8")
        else:
            from pipeline.export.calendar import to_ics

            text, left_out = to_ics(what, now=now)
            data = text.encode("utf-8")
    return Export(data, f"{base}-{SUFFIXES[fmt]}", MEDIA_TYPES[fmt], left_out, what.final)


def write_export(result: Export, path: Path, *, force: bool = False) -> Path:
    """Write an export to `path` atomically (a temporary file beside it, then renamed); an existing file only with
    `force`."""
    path = Path(path)
    if path.is_dir():
        path = path / result.filename
    if path.exists() and not force:
        raise OogstError(f"{path}: already exists; give another --out FILE or add --force to overwrite it",
                         "export_exists", file=path.name)
    if not path.parent.is_dir():
        raise OogstError(f"{path.parent}: no such folder; create it or give another --out FILE",
                         "export_no_folder", file=path.name)
    return atomic_write_bytes(path, result.data)
