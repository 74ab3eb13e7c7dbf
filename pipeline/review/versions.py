"""Sending freezes the draft: the insights that went out are kept with a copy of the draft, under sent/vN/.

`oogst collect` reads each returned copy against the version whose insights it was written from (the draft's
OogstInsights property), whatever was re-run or edited since; a change after sending makes the next version.
The copy under sent/vN/ carries its version in the custom property OogstVersion.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.core.errors import ReviewError, SessionError
from pipeline.core.layers import apply_edits
from pipeline.core.session import (
    DRAFT,
    INSIGHTS,
    REVIEW,
    VERSION_INFO,
    Session,
    atomic_write_bytes,
    atomic_write_json,
    hash_file,
    read_json,
    sent_file,
)
from pipeline.core.types import Insights
from pipeline.review.draft import PROP_INSIGHTS, insights_hash
from pipeline.review.ooxml import read_docx

PROP_VERSION = "OogstVersion"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


@dataclass(frozen=True)
class DraftVersion:
    name: str  # "v1"
    folder: Path
    insights_hash: str

    @property
    def draft(self) -> Path:
        return sent_file(self.folder, DRAFT)

    @property
    def source(self) -> Path:
        """Its insights.json."""
        return sent_file(self.folder, INSIGHTS)

    def insights(self) -> Insights:
        return Insights.from_dict(read_json(sent_file(self.folder, INSIGHTS)))


def current_insights(session: Session) -> Insights:
    """insights.json with the facilitator's edits applied: what the current draft.docx is written from."""
    return apply_edits(session.insights(), session.edits())


def versions(session: Session) -> list[DraftVersion]:
    found = []
    for folder in session.sent_versions():
        info = read_json(sent_file(folder, VERSION_INFO)) if sent_file(folder, VERSION_INFO).is_file() else {}
        digest = info.get("insights_hash") or insights_hash(Insights.from_dict(read_json(sent_file(folder, INSIGHTS))))
        found.append(DraftVersion(folder.name, folder, str(digest)))
    return found


def sent_as_is(session: Session) -> DraftVersion | None:
    """The sent version that draft.docx is (the same insights): its stamped copy is what to download or mail."""
    draft = session.path(DRAFT)
    digest = _draft_hash(draft) if draft.is_file() else None
    return next((v for v in reversed(versions(session)) if v.insights_hash == digest), None) if digest else None


def _draft_hash(path: Path) -> str | None:
    try:
        return read_docx(path).properties.get(PROP_INSIGHTS)
    except ReviewError:
        return None


def current_draft(session: Session) -> tuple[Insights, Path]:
    """The insights (with the edits) and draft.docx as they are now. Raises SessionError when there is no draft,
    or when draft.docx does not match the current insights and edits yet (process again first)."""
    insights = current_insights(session)
    draft = session.path(DRAFT)
    if not draft.is_file():
        raise SessionError(f"{draft}: not found, so there is no draft to send; run `oogst run` first", "no_draft",
                           name=session.name)
    if _draft_hash(draft) != insights_hash(insights):
        raise SessionError(f"{draft}: older than insights.json and the edits on it; process the session again "
                           "(`oogst run`, or the page's button) before sending the draft", "draft_stale",
                           name=session.name)
    return insights, draft


def freeze_draft(session: Session, *, reason: str) -> DraftVersion:
    """Keep the current draft and its insights as the next sent version (or the existing one, if unchanged).

    Raises SessionError when draft.docx does not match the current insights and edits (process again first).
    """
    insights, draft = current_draft(session)
    digest = insights_hash(insights)
    known = versions(session)
    for version in known:
        if version.insights_hash == digest:
            return version
    name = f"v{int(known[-1].name[1:]) + 1 if known else 1}"
    folder = session.sent_version(name)
    folder.mkdir(parents=True, exist_ok=False)
    atomic_write_json(sent_file(folder, INSIGHTS), insights.to_dict())
    atomic_write_bytes(sent_file(folder, DRAFT), stamp_version(draft.read_bytes(), name))
    atomic_write_json(sent_file(folder, VERSION_INFO), {
        "version": name, "insights_hash": digest, "reason": reason,
        "draft_sha256": hash_file(sent_file(folder, DRAFT)),
        "frozen_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")})
    return DraftVersion(name, folder, digest)


def stamp_version(docx: bytes, version: str) -> bytes:
    """The .docx with the custom property OogstVersion = `version` added (every other part unchanged)."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/custom.xml":
                text = data.decode("utf-8")
                pids = [int(p) for p in re.findall(r'pid="(\d+)"', text)] or [1]
                prop = (f'<property fmtid="{_FMTID}" pid="{max(pids) + 1}" name="{PROP_VERSION}">'
                        f"<vt:lpwstr>{escape(version)}</vt:lpwstr></property>")
                data = text.replace("</Properties>", prop + "</Properties>").encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


def review_base(session: Session, files: list[Path], answered: Sequence[str] = ()) -> Insights:
    """The insights the returned copies are read against: the version most of them were written from (the
    latest on a tie); without any match, the one collected before, else the current insights. `answered`: the
    insights hash each participant answering in the browser answered on (one each, counted like a copy)."""
    current = current_insights(session)
    candidates: dict[str, tuple[int, Insights | DraftVersion]] = {}
    for order, version in enumerate(versions(session)):
        candidates[version.insights_hash] = (order, version)
    candidates[insights_hash(current)] = (len(candidates), current)
    counts = Counter(h for h in (_draft_hash(f) for f in files if Path(f).is_file()) if h in candidates)
    counts.update(h for h in answered if h in candidates)
    chosen: str | None = None
    if counts:
        chosen = max(counts, key=lambda h: (counts[h], candidates[h][0]))
    elif session.has(REVIEW):
        previous = session.read(REVIEW)
        chosen = previous.get("insights_hash") if isinstance(previous, dict) else None
    if chosen not in candidates:
        return current
    found = candidates[str(chosen)][1]
    return found.insights() if isinstance(found, DraftVersion) else found
