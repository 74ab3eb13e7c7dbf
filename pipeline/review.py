"""Annotated copies of draft.docx -> review.json (every comment, mapped and interpreted) -> final.json + final.docx.

How a comment is understood (see README, "Collecting comments"):
- Its place: the `oogst_*` bookmark around the paragraph it is anchored to (an insight, a summary sentence, an
  action, the "Mist er iets?" line, a transcript turn); when a program dropped the bookmarks, the paragraph's
  text is matched against the draft's text.
- Its meaning: a vote (+1 / -1 and the words in `UP_RE` / `DOWN_RE`), a rewording ("beter:", "voorstel:",
  "liever:", a quoted sentence, or a long comment that is not a vote), a proposed missing insight (anything on
  the missing line), otherwise a remark. A comment can be a vote and a rewording at once ("eens, maar beter: ...").
- Counting: one vote per person per insight (people are matched by normalised author name; the latest comment
  wins), so sending several copies changes nothing.

Ranking rule (RANKING_RULE): final score = normalised draft score (0..1 across the insights) + net votes / number
of reviewers. A rewording is adopted when it is explicit (or proposed by two people) and the insight has no more
down than up votes; a missing insight is added when at least MIN_SUPPORT_NEW people propose it (similar wording)
and then ranks with the median draft score of the top 7 plus its proposers as up votes.
"""

from __future__ import annotations

import datetime
import difflib
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import docx_draft
from pipeline.errors import ReviewError
from pipeline.store import Session, atomic_write_json, hash_file, read_json
from pipeline.types import Insight, Insights, Turns

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
VT_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
APP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"

TOP_N = docx_draft.TOP_N
VOTE_WEIGHT = 1.0
MIN_SUPPORT_NEW = 2
REWORD_SIMILAR = 0.85
PROPOSAL_SIMILAR = 0.6
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a review copy is a few hundred kB; more is a zip bomb
MAX_RATIO = 200
MAX_FILE = 100 * 1024 * 1024

RANKING_RULE = (
    f"final score = normalised draft score (0..1) + {VOTE_WEIGHT} x (up - down) / reviewers; "
    "ties keep the draft order. "
    "One vote per person per insight (latest wins). A rewording is adopted when it is explicit (beter:/voorstel:/"
    "liever:/quoted, or the same wording from 2 people) and the insight has no more down than up votes. A missing "
    f"insight is added when at least {MIN_SUPPORT_NEW} people propose it (similar wording); it ranks with the "
    "median draft score of the top 7 and its proposers as up votes."
)

ANONYMOUS = {"", "unknown", "onbekend", "author", "auteur", "user", "gebruiker", "anonymous", "anoniem"}

_VOTE_END = r"(?=$|[^\w])"
DOWN_RE = re.compile(
    r"^(?:-\s?1|👎|(?:ik\s+ben\s+het\s+)?(?:er\s+)?(?:helemaal\s+|totaal\s+)?niet\s+(?:mee\s+)?eens"
    r"|(?:helemaal\s+|totaal\s+)?(?:mee\s+)?oneens|niet\s+akkoord|nee|no|(?:i\s+)?(?:strongly\s+)?disagreed?)"
    + _VOTE_END)
UP_RE = re.compile(
    r"^(?:\+\s?1|👍|(?:ik\s+ben\s+het\s+)?(?:er\s+)?(?:helemaal\s+|volledig\s+|zeker\s+)?(?:mee\s+)?eens"
    r"|ja|klopt|akkoord|inderdaad|precies|yes|(?:i\s+)?(?:fully\s+|completely\s+|strongly\s+)?agreed?)"
    + _VOTE_END)
_PLUS_ANYWHERE = re.compile(r"(?<![\w+\-])\+1(?!\d)")
_MINUS_ANYWHERE = re.compile(r"(?<![\w+\-])-1(?!\d)")
_REWORD_RE = re.compile(
    r"(?is)(?:^|[\s,.;(])(?:beter|voorstel|liever|suggestie|herformulering|formulering|anders\s+gezegd|better|"
    r"suggestion|proposal|rather|rephrase|reword)\s*[:=]\s*(.+)$")
_QUOTED_RE = re.compile(r"[\u201c\u201e\"\u2018\u00ab'](.+?)[\u201d\"\u2019\u00bb']", re.S)
_MISSING_PREFIX = re.compile(
    r"(?is)^\s*(?:mist|ontbreekt|missing|toevoegen|add|voorstel|nieuw|new|extra)\s*(?:inzicht|insight)?\s*[:\-]\s*")


# -- problems --------------------------------------------------------------------------------------------------
class ReviewProblem(ReviewError):
    """One returned file cannot be used; the message is one line naming the file and what to do."""


def _problem(path: Path, what: str) -> ReviewProblem:
    return ReviewProblem(f"{path}: {what}")


NOT_DOCX = "is not a Word document (.docx){hint}; ask for the commented draft.docx back"
ENCRYPTED = ("is password-protected; ask the participant to remove the password (File > Info > Protect "
             "Document) and send it again")
OLD_DOC = "is an old Word 97-2003 .doc, not a .docx; ask the participant to save it as .docx and send it again"
CORRUPT = "is damaged ({why}); ask the participant to save it again and resend"
HOSTILE = "contains XML with a DTD/entity declarations ({part}), which Word never writes; not read for safety"
TOO_BIG = "is too large or packs too much data ({why}); not read for safety"
OTHER_SESSION = "is a draft of session {other!r}, not {this!r}; collect it with that session instead"
OLD_DRAFT = ("was made from an earlier version of insights.json (the insights changed since this draft was sent); "
             "send the new draft.docx")
FINAL_DOC = "is a final.docx, not a draft for review; send participants draft.docx"
NO_MARK = ("has no Oogst mark and does not contain this session's insights; is it the draft.docx of this "
           "session?")
NO_MARK_TEXT = "has no Oogst session mark; its comments were matched by text"
FOLDER_RENAMED = "was made for session folder {other!r}; the insights are identical, so it is used"


# -- reading a .docx -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    kind: str  # insight | summary | action | transcript | missing | other
    index: int | None = None  # insight rank, summary/action/turn number
    label: str = ""  # bookmark name or matched text


@dataclass(frozen=True)
class Paragraph:
    text: str  # as shown, tracked insertions included
    original: str  # tracked deletions included, insertions left out: what the draft said
    target: Target | None


@dataclass(frozen=True)
class RawComment:
    comment_id: str
    author: str
    initials: str
    date: str | None
    text: str
    anchor_text: str
    paragraph: int | None  # index into DocxReading.paragraphs
    parent_id: str | None = None
    done: bool = False


@dataclass(frozen=True)
class TrackedChange:
    type: str  # insert | delete | move_from | move_to
    author: str
    date: str | None
    text: str
    paragraph: int | None


@dataclass(frozen=True)
class DocxReading:
    properties: dict[str, str]
    application: str
    paragraphs: tuple[Paragraph, ...]
    comments: tuple[RawComment, ...]
    changes: tuple[TrackedChange, ...]


def _safe_parse(data: bytes, path: Path, part: str) -> Any:
    from lxml import etree

    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise _problem(path, HOSTILE.format(part=part))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise _problem(path, CORRUPT.format(why=f"{part}: {str(exc).splitlines()[0][:80]}")) from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise _problem(path, HOSTILE.format(part=part))
    return root


def _open_package(path: Path) -> zipfile.ZipFile:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _problem(path, f"cannot be read ({exc.strerror}); check the path") from None
    if size > MAX_FILE:
        raise _problem(path, TOO_BIG.format(why=f"{size // (1024 * 1024)} MB"))
    data = path.read_bytes()  # read once; the participant's file is never opened for writing
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE container: encrypted OOXML or a .doc
        raise _problem(path, ENCRYPTED if "EncryptionInfo".encode("utf-16-le") in data else OLD_DOC)
    if not data.startswith(b"PK"):
        hint = ""
        if data.startswith(b"%PDF"):
            hint = " but a PDF"
        elif data[:5].lower().startswith((b"{\\rtf",)):
            hint = " but an RTF file"
        elif not data:
            hint = " but an empty file"
        raise _problem(path, NOT_DOCX.format(hint=hint))
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _problem(path, CORRUPT.format(why=f"broken zip: {exc}")) from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise _problem(path, TOO_BIG.format(why=f"{total // (1024 * 1024)} MB unpacked"))
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            ratio = info.file_size // max(1, info.compress_size)
            raise _problem(path, TOO_BIG.format(why=f"{info.filename} expands {ratio}x"))
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        hint = ""
        if "content.xml" in names:
            hint = " but an OpenDocument file (.odt): save it as Word (.docx)"
        elif "xl/workbook.xml" in names or "ppt/presentation.xml" in names:
            hint = " but an Excel/PowerPoint file"
        raise _problem(path, NOT_DOCX.format(hint=hint))
    return package


def _read_part(package: zipfile.ZipFile, name: str, path: Path) -> Any:
    try:
        data = package.read(name)
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _problem(path, CORRUPT.format(why=f"{name}: {exc}")) from None
    return _safe_parse(data, path, name)


def target_from_bookmark(name: str) -> Target | None:
    """The unit a draft bookmark marks, or None for bookmarks Oogst did not make."""
    if not name.startswith(docx_draft.BOOKMARK_PREFIX):
        return None
    rest = name[len(docx_draft.BOOKMARK_PREFIX):]
    if m := re.fullmatch(r"insight_(\d+)", rest):
        return Target("insight", int(m.group(1)), name)
    if m := re.fullmatch(r"summary_(\d+)", rest):
        return Target("summary", int(m.group(1)), name)
    if m := re.fullmatch(r"action_(\d+)_\d+", rest):
        return Target("action", int(m.group(1)), name)
    if m := re.fullmatch(r"turn_(\d+)", rest):
        return Target("transcript", int(m.group(1)), name)
    if rest == "missing":
        return Target("missing", None, name)
    return Target("other", None, name)


def _text_of(element: Any, deleted: bool) -> str:
    parts = []
    for el in element.iter():
        if el.tag == W + "t" or (deleted and el.tag == W + "delText"):
            parts.append(el.text or "")
        elif el.tag in (W + "tab",):
            parts.append("\t")
    return "".join(parts)


def _walk_body(body: Any) -> tuple[list[Paragraph], dict[str, dict[str, Any]], list[TrackedChange]]:
    """One pass over the body in document order: paragraphs with their bookmark target, comment anchors, changes."""
    paragraphs: list[dict[str, Any]] = []
    open_marks: dict[str, str] = {}  # bookmark id -> name, in opening order
    anchors: dict[str, dict[str, Any]] = {}
    open_ranges: set[str] = set()
    changes: list[TrackedChange] = []
    current: dict[str, Any] | None = None

    def active() -> str | None:
        return next(reversed(open_marks.values()), None) if open_marks else None

    for el in body.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == W + "p":
            current = {"text": [], "original": [], "at_start": active(), "started": []}
            paragraphs.append(current)
        elif tag == W + "bookmarkStart":
            name = el.get(W + "name", "")
            if name.startswith(docx_draft.BOOKMARK_PREFIX):
                # Oogst's bookmarks never nest: a new one closes any that a program left open
                open_marks.clear()
                open_marks[el.get(W + "id", "")] = name
                if current is not None:
                    current["started"].append(name)
        elif tag == W + "bookmarkEnd":
            open_marks.pop(el.get(W + "id", ""), None)
        elif tag in (W + "t", W + "delText"):
            text = el.text or ""
            in_ins = any(a.tag in (W + "ins", W + "moveTo") for a in el.iterancestors())
            if current is not None:
                if tag == W + "t":
                    current["text"].append(text)
                if tag == W + "delText" or not in_ins:
                    current["original"].append(text)
            if tag == W + "t":
                for cid in open_ranges:
                    anchors[cid]["text"].append(text)
        elif tag == W + "tab" and current is not None:
            current["text"].append("\t")
            current["original"].append("\t")
        elif tag == W + "commentRangeStart":
            cid = el.get(W + "id", "")
            anchors.setdefault(cid, {"text": [], "paragraph": len(paragraphs) - 1})
            anchors[cid]["paragraph"] = len(paragraphs) - 1
            open_ranges.add(cid)
        elif tag == W + "commentRangeEnd":
            open_ranges.discard(el.get(W + "id", ""))
        elif tag == W + "commentReference":
            cid = el.get(W + "id", "")
            anchors.setdefault(cid, {"text": [], "paragraph": len(paragraphs) - 1})
        elif tag in (W + "ins", W + "del", W + "moveFrom", W + "moveTo"):
            if el.getparent() is not None and el.getparent().tag == W + "rPr":
                continue  # a paragraph-mark change: no text of its own
            kind = {"ins": "insert", "del": "delete", "moveFrom": "move_from", "moveTo": "move_to"}[
                tag.split("}")[1]]
            text = _text_of(el, deleted=kind in ("delete", "move_from"))
            if text.strip():
                changes.append(TrackedChange(kind, el.get(W + "author", ""), el.get(W + "date"), text,
                                             len(paragraphs) - 1 if paragraphs else None))

    result = []
    for p in paragraphs:
        name = p["started"][0] if p["started"] else p["at_start"]
        result.append(Paragraph("".join(p["text"]), "".join(p["original"]),
                                target_from_bookmark(name) if name else None))
    return result, anchors, changes


def read_docx(path: Path) -> DocxReading:
    """Everything collect needs from one returned copy; ReviewProblem when it cannot be used."""
    path = Path(path)
    package = _open_package(path)
    document = _read_part(package, "word/document.xml", path)
    body = document.find(W + "body") if document is not None else None
    if body is None:
        raise _problem(path, CORRUPT.format(why="word/document.xml has no body"))
    paragraphs, anchors, changes = _walk_body(body)

    properties: dict[str, str] = {}
    custom = _read_part(package, "docProps/custom.xml", path)
    if custom is not None:
        for prop in custom.iter(CUSTOM_NS + "property"):
            value = next((c.text for c in prop if isinstance(c.tag, str) and c.tag.startswith(VT_NS)), None)
            properties[prop.get("name", "")] = value or ""
    application = ""
    app = _read_part(package, "docProps/app.xml", path)
    if app is not None:
        application = (app.findtext(APP_NS + "Application") or "").strip()

    parents: dict[str, tuple[str | None, bool]] = {}  # last paraId of a comment -> (parent paraId, done)
    extended = _read_part(package, "word/commentsExtended.xml", path)
    if extended is not None:
        for ex in extended.iter(W15 + "commentEx"):
            parents[ex.get(W15 + "paraId", "")] = (ex.get(W15 + "paraIdParent"), ex.get(W15 + "done") == "1")

    comments: list[RawComment] = []
    part = _read_part(package, "word/comments.xml", path)
    para_to_comment: dict[str, str] = {}
    pending: list[tuple[RawComment, str]] = []
    if part is not None:
        for c in part.iter(W + "comment"):
            cid = c.get(W + "id", "")
            paras = c.findall(f".//{W}p")
            text = "\n".join(_text_of(p, deleted=False) for p in paras).strip()
            last_para_id = paras[-1].get(W14 + "paraId", "") if paras else ""
            para_to_comment[last_para_id] = cid
            anchor = anchors.get(cid, {})
            raw = RawComment(cid, (c.get(W + "author") or "").strip(), (c.get(W + "initials") or "").strip(),
                             c.get(W + "date"), text, "".join(anchor.get("text", [])).strip(),
                             anchor.get("paragraph") if anchor.get("paragraph", -1) >= 0 else None)
            pending.append((raw, last_para_id))
    for raw, last_para_id in pending:
        parent_para, done = parents.get(last_para_id, (None, False))
        parent = para_to_comment.get(parent_para) if parent_para else None
        comments.append(RawComment(raw.comment_id, raw.author, raw.initials, raw.date, raw.text, raw.anchor_text,
                                   raw.paragraph, parent, done))
    return DocxReading(properties, application, tuple(paragraphs), tuple(comments), tuple(changes))


# -- understanding a comment -----------------------------------------------------------------------------------
def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"[\U0001F3FB-\U0001F3FF\uFE0F]", "", text)  # skin tones, emoji presentation selector
    return re.sub(r"\s+", " ", text).strip().lower()


def author_key(author: str) -> str:
    """People match across copies by name, ignoring case, accents and spacing."""
    folded = unicodedata.normalize("NFKD", author)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", folded).strip().casefold()


def _strip_quotes(text: str) -> str:
    return text.strip().strip("\"'\u201c\u201d\u201e\u2018\u2019\u00ab\u00bb").strip()


@dataclass(frozen=True)
class Interpretation:
    kind: str  # vote | rewording | missing | remark | empty
    vote: int = 0  # +1, -1 or 0
    rewording: str | None = None
    explicit: bool = False  # rewording marked with beter:/voorstel:/... or in quotes
    proposal: str | None = None  # a proposed missing insight

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "vote": self.vote, "rewording": self.rewording, "explicit": self.explicit,
                "proposal": self.proposal}


def vote_of(text: str) -> int:
    """+1, -1 or 0 for a comment's text."""
    norm = normalise(text)
    head = re.split(r"[.,;:!?\n(]| maar | but ", norm, maxsplit=1)[0].strip()
    for candidate in (norm, head):
        if DOWN_RE.match(candidate):
            return -1
        if UP_RE.match(candidate):
            return 1
    up = "👍" in norm or bool(_PLUS_ANYWHERE.search(norm))
    down = "👎" in norm or bool(_MINUS_ANYWHERE.search(norm))
    return 1 if up and not down else -1 if down and not up else 0


def interpret(text: str, kind: str) -> Interpretation:
    """What a comment on a unit of `kind` (insight, missing, summary, ...) says."""
    stripped = text.strip()
    if not stripped:
        return Interpretation("empty")
    if kind == "missing":
        if vote_of(stripped) and len(stripped.split()) <= 3:
            return Interpretation("remark", vote=vote_of(stripped))
        proposal = _strip_quotes(_MISSING_PREFIX.sub("", stripped))
        return Interpretation("missing", proposal=proposal or stripped)
    rewording, explicit = None, False
    if m := _REWORD_RE.search(stripped):
        rewording, explicit = _strip_quotes(m.group(1)), True
        before = stripped[: m.start()]
    else:
        quoted = [q for q in _QUOTED_RE.findall(stripped) if len(q.split()) >= 3]
        if quoted:
            rewording, explicit = _strip_quotes(max(quoted, key=len)), True
        before = stripped
    vote = vote_of(before) if before.strip() else 0
    if rewording is None and vote == 0 and len(stripped.split()) >= 8 and not stripped.endswith("?"):
        rewording = stripped
    if rewording is not None:
        return Interpretation("rewording", vote=vote, rewording=rewording, explicit=explicit)
    if vote:
        return Interpretation("vote", vote=vote)
    return Interpretation("remark")


# -- mapping by text when bookmarks are gone ------------------------------------------------------------------
def _expected_texts(insights: Insights) -> list[tuple[str, Target]]:
    lab = docx_draft.labels(insights.language)
    expected: list[tuple[str, Target]] = [(normalise(lab["missing"]), Target("missing", None, "text"))]
    for insight in insights.insights[:TOP_N]:
        target = Target("insight", insight.rank, "text")
        expected.append((normalise(docx_draft.insight_heading_text(insight)), target))
        expected += [(normalise(docx_draft.quote_text(q)), target) for q in insight.quotes[:2]]
    for i, sentence in enumerate(insights.summary, start=1):
        expected.append((normalise(sentence), Target("summary", i, "text")))
    for i, action in enumerate(insights.actions, start=1):
        expected.append((normalise(action.text), Target("action", i, "text")))
    return expected


def _match_text(text: str, expected: list[tuple[str, Target]]) -> Target | None:
    norm = normalise(text)
    if len(norm) < 4:
        return None
    best, best_ratio = None, 0.0
    for candidate, target in expected:
        if norm == candidate:
            return target
        matcher = difflib.SequenceMatcher(None, norm, candidate)
        if matcher.real_quick_ratio() < 0.85 or matcher.quick_ratio() < 0.85:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = target, ratio
    return best if best_ratio >= 0.85 else None


# -- collecting ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CollectResult:
    review: Path
    final_json: Path
    final_docx: Path
    problems: list[str] = field(default_factory=list)  # files not used: one line each, starting with the file
    files_read: int = 0
    comments: int = 0
    unmapped: int = 0
    notes: list[str] = field(default_factory=list)  # files used with a remark (matched by text, given twice)

    # the names cli.py uses
    @property
    def review_path(self) -> Path:
        return self.review

    @property
    def final_json_path(self) -> Path:
        return self.final_json

    @property
    def final_docx_path(self) -> Path:
        return self.final_docx


def _target_dict(target: Target | None, insights: Insights) -> dict[str, Any] | None:
    if target is None:
        return None
    out: dict[str, Any] = {"kind": target.kind, "index": target.index, "via": target.label}
    if target.kind == "insight":
        insight = next((i for i in insights.insights if i.rank == target.index), None)
        out["title"] = insight.title if insight else None
    return out


def _read_one(path: Path, session: Session, insights: Insights, current_hash: str,
              expected: list[tuple[str, Target]]) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                           list[dict[str, Any]], list[str]]:
    """One file -> (file entry, comment records, tracked changes, problems). Raises ReviewProblem when unusable."""
    reading = read_docx(path)
    notes: list[str] = []
    props = reading.properties
    kind = props.get(docx_draft.PROP_KIND)
    other, other_hash = props.get(docx_draft.PROP_SESSION), props.get(docx_draft.PROP_INSIGHTS)
    if kind == "final":
        raise _problem(path, FINAL_DOC)
    if other is not None and other_hash is not None:
        if other_hash != current_hash:
            if other != session.name:
                raise _problem(path, OTHER_SESSION.format(other=other, this=session.name))
            raise _problem(path, OLD_DRAFT)
        if other != session.name:
            notes.append(f"{path}: " + FOLDER_RENAMED.format(other=other))
    else:
        has_marks = any(p.target is not None for p in reading.paragraphs)
        needed = min(3, len(expected))
        matched = 0
        for paragraph in reading.paragraphs:
            if has_marks or matched >= needed:
                break
            matched += _match_text(paragraph.original, expected) is not None
        if not has_marks and matched < needed:
            raise _problem(path, NO_MARK)
        notes.append(f"{path}: " + NO_MARK_TEXT)

    digest = hash_file(path)
    records: list[dict[str, Any]] = []
    for order, raw in enumerate(reading.comments):
        para = reading.paragraphs[raw.paragraph] if raw.paragraph is not None else None
        target = para.target if para is not None else None
        if para is not None and target is None:
            target = _match_text(para.original, expected)
        if target is None and raw.anchor_text:
            target = _match_text(raw.anchor_text, expected)
        records.append({
            "id": f"{digest[:10]}:{raw.comment_id}",
            "file": str(path),
            "file_sha256": digest,
            "order": order,
            "comment_id": raw.comment_id,
            "author": raw.author,
            "initials": raw.initials,
            "date": raw.date,
            "text": raw.text,
            "anchor_text": raw.anchor_text,
            "paragraph_text": para.text if para is not None else None,
            "reply_to": f"{digest[:10]}:{raw.parent_id}" if raw.parent_id else None,
            "resolved": raw.done,
            "target": _target_dict(target, insights),
        })
    changes = [{"file": str(path), "type": c.type, "author": c.author, "date": c.date, "text": c.text,
                "paragraph_text": reading.paragraphs[c.paragraph].text if c.paragraph is not None else None,
                "target": _target_dict(reading.paragraphs[c.paragraph].target if c.paragraph is not None else None,
                                       insights)}
               for c in reading.changes]
    entry = {"file": str(path), "sha256": digest, "status": "ok", "application": reading.application,
             "comments": len(records), "tracked_changes": len(changes)}
    return entry, records, changes, notes


def _person(record: dict[str, Any]) -> str:
    key = author_key(record["author"])
    return key if key not in ANONYMOUS else f"anonymous:{record['file_sha256'][:10]}"


def _sort_key(record: dict[str, Any]) -> tuple[str, str, int]:
    return (record.get("date") or "", record["file"], record["order"])


def _interpret_all(records: list[dict[str, Any]]) -> None:
    """Add interpretation, person and duplicate marks to each record (in place)."""
    seen: dict[tuple[Any, ...], str] = {}
    for record in sorted(records, key=_sort_key):
        target = record.get("target") or {}
        kind = target.get("kind") or "unmapped"
        record["interpretation"] = interpret(record["text"], kind).to_dict()
        record["person"] = _person(record)
        # the same comment in two copies (LibreOffice renumbers ids): same person, text and anchor
        same = (record["person"], normalise(record["text"]), kind, target.get("index"),
                normalise(record.get("anchor_text") or ""))
        record["duplicate_of"] = seen.get(same)
        seen.setdefault(same, record["id"])
    for record in records:
        parent = record.get("reply_to")
        if parent and record["interpretation"]["kind"] in ("vote", "remark"):
            record["interpretation"]["supports"] = parent


def _similar(a: str, b: str, threshold: float) -> bool:
    na, nb = normalise(a), normalise(b)
    if na == nb:
        return True
    ta, tb = set(re.findall(r"\w+", na)), set(re.findall(r"\w+", nb))
    jaccard = len(ta & tb) / max(1, len(ta | tb))
    return max(difflib.SequenceMatcher(None, na, nb).ratio(), jaccard) >= threshold


def _group(items: list[dict[str, Any]], key: str, threshold: float) -> list[list[dict[str, Any]]]:
    groups: list[list[dict[str, Any]]] = []
    for item in items:
        for group in groups:
            if _similar(group[0][key], item[key], threshold):
                group.append(item)
                break
        else:
            groups.append([item])
    return groups


def _title_from(text: str) -> str:
    words = re.sub(r"[.!?].*$", "", text.strip(), flags=re.S).split()
    if len(words) > 2 and words[0].lower() in {"de", "het", "een", "the", "a", "an"}:
        words = words[1:]  # "De werkdruk maakt ..." -> "Werkdruk maakt ..."
    title = " ".join(words[:4])
    return (title[:1].upper() + title[1:]) if title else text[:40]


def _names(people: Sequence[str], display: dict[str, str]) -> list[str]:
    return [display.get(p, p) for p in people]


def _aggregate(records: list[dict[str, Any]], insights: Insights) -> dict[str, Any]:
    """Votes per insight, adopted rewordings, added insights and the new order."""
    counted = [r for r in records if r.get("duplicate_of") is None]
    display: dict[str, str] = {}
    for r in sorted(counted, key=_sort_key):
        display.setdefault(r["person"], r["author"] or "(anoniem)")
    reviewers = sorted({r["person"] for r in counted if (r.get("target") or {}).get("kind")})
    by_id = {r["id"]: r for r in records}

    # one vote per person per insight: the latest wins
    votes: dict[int, dict[str, int]] = {}
    for r in sorted(counted, key=_sort_key):
        target = r.get("target") or {}
        if target.get("kind") != "insight":
            continue
        vote = r["interpretation"]["vote"]
        if vote:
            votes.setdefault(int(target["index"]), {})[r["person"]] = vote
    # rewordings, one per person per insight (latest), plus agreeing replies
    rewordings: dict[int, dict[str, dict[str, Any]]] = {}
    for r in sorted(counted, key=_sort_key):
        target = r.get("target") or {}
        if target.get("kind") == "insight" and r["interpretation"].get("rewording"):
            rewordings.setdefault(int(target["index"]), {})[r["person"]] = {
                "text": r["interpretation"]["rewording"], "explicit": r["interpretation"]["explicit"],
                "person": r["person"], "id": r["id"], "date": r.get("date")}
    reply_support: dict[str, set[str]] = {}
    for r in counted:
        parent = r["interpretation"].get("supports")
        if parent and r["interpretation"]["vote"] > 0 and parent in by_id:
            reply_support.setdefault(parent, set()).add(r["person"])

    pool = list(insights.insights)
    scores = [i.score for i in pool]
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 0.0)

    def norm_score(insight: Insight, position: int) -> float:
        if hi > lo:
            return (insight.score - lo) / (hi - lo)
        return 1.0 - position / max(1, len(pool) - 1)

    n_reviewers = max(1, len(reviewers))
    entries: list[dict[str, Any]] = []
    for position, insight in enumerate(pool):
        per_person = votes.get(insight.rank, {}) if insight.rank <= TOP_N and position < TOP_N else {}
        up = sorted(p for p, v in per_person.items() if v > 0)
        down = sorted(p for p, v in per_person.items() if v < 0)
        adopted = None
        proposals = list(rewordings.get(insight.rank, {}).values()) if position < TOP_N else []
        if proposals and len(up) >= len(down):
            groups = _group(sorted(proposals, key=lambda p: p.get("date") or ""), "text", REWORD_SIMILAR)
            ranked = []
            for group in groups:
                backers: set[str] = {p["person"] for p in group}
                for p in group:
                    backers |= reply_support.get(p["id"], set())
                ranked.append((len(backers), any(p["explicit"] for p in group), group, backers))
            ranked.sort(key=lambda g: (-g[0], not g[1]))
            support, explicit, group, backers = ranked[0]
            if explicit or support >= 2:
                chosen = next((p for p in group if p["explicit"]), group[0])
                adopted = {"text": chosen["text"], "by": _names(sorted(backers), display),
                           "comment": chosen["id"]}
        base = norm_score(insight, position)
        final = base + VOTE_WEIGHT * (len(up) - len(down)) / n_reviewers
        entries.append({"insight": insight, "original_rank": insight.rank, "base": base, "final": final,
                        "up": up, "down": down, "rewording": adopted, "position": position, "added": False})

    # proposed missing insights
    missing = [{"text": r["interpretation"]["proposal"], "person": r["person"], "id": r["id"],
                "date": r.get("date")}
               for r in sorted(counted, key=_sort_key) if r["interpretation"]["kind"] == "missing"]
    proposals_out: list[dict[str, Any]] = []
    top_bases = sorted(e["base"] for e in entries[:TOP_N])
    median = top_bases[len(top_bases) // 2] if top_bases else 0.5
    for group in _group(missing, "text", PROPOSAL_SIMILAR):
        people: set[str] = {p["person"] for p in group}
        for p in group:
            people |= reply_support.get(p["id"], set())
        supporters: list[str] = sorted(people)
        added = len(supporters) >= MIN_SUPPORT_NEW
        proposals_out.append({"text": group[0]["text"], "variants": [p["text"] for p in group[1:]],
                              "proposed_by": _names(supporters, display), "comments": [p["id"] for p in group],
                              "added": added})
        if added:
            text = group[0]["text"]
            insight = Insight(0, _title_from(text), text, tuple(_names(supporters, display)), 0.0, ())
            entries.append({"insight": insight, "original_rank": None, "base": median,
                            "final": median + VOTE_WEIGHT * len(supporters) / n_reviewers, "up": supporters,
                            "down": [], "rewording": None, "position": len(entries), "added": True})

    entries.sort(key=lambda e: (-round(e["final"], 9), e["position"]))
    return {"entries": entries, "reviewers": reviewers, "display": display, "proposals": proposals_out,
            "n_reviewers": n_reviewers}


def _final_insight(entry: dict[str, Any], rank: int, display: dict[str, str]) -> Insight:
    insight: Insight = entry["insight"]
    votes = {"up": len(entry["up"]), "down": len(entry["down"]), "net": len(entry["up"]) - len(entry["down"]),
             "voters": {**{display.get(p, p): 1 for p in entry["up"]},
                        **{display.get(p, p): -1 for p in entry["down"]}}}
    extra = dict(insight.extra)
    extra.update({"votes": votes, "original_rank": entry["original_rank"],
                  "original_score": round(insight.score, 4) if not entry["added"] else None})
    text = insight.text
    if entry["rewording"]:
        extra["original_text"] = insight.text
        extra["reworded_by"] = entry["rewording"]["by"]
        text = entry["rewording"]["text"]
    if entry["added"]:
        extra["added"] = True
        extra["proposed_by"] = list(insight.speakers)
    return Insight(rank, insight.title, text, insight.speakers, round(entry["final"], 4), insight.quotes, extra)


def _changes(entries: list[dict[str, Any]], aggregate: dict[str, Any], language: str,
             n_comments: int) -> list[dict[str, Any]]:
    en = language.lower().startswith("en")
    display = aggregate["display"]
    names = ", ".join(display.get(p, p) for p in aggregate["reviewers"])
    changes: list[dict[str, Any]] = []

    def tally(e: dict[str, Any]) -> str:
        return (f"{len(e['up'])}x agree, {len(e['down'])}x disagree" if en
                else f"{len(e['up'])}x eens, {len(e['down'])}x oneens")

    count = len(aggregate["reviewers"])
    changes.append({"kind": "summary", "text": (
        f"Comments from {count} participant(s): {names} ({n_comments} comments)." if en
        else f"Commentaar van {count} deelnemer(s): {names} ({n_comments} opmerkingen).")})
    for new_rank, e in enumerate(entries, start=1):
        title = e["insight"].title
        old = e["original_rank"]
        in_top = new_rank <= TOP_N
        if e["added"] and in_top:
            who = ", ".join(display.get(p, p) for p in e["up"])
            changes.append({"kind": "added", "title": title, "new_rank": new_rank, "text": (
                f"New: \u201c{title}\u201d at {new_rank} (proposed by {who})." if en
                else f"Nieuw: \u201c{title}\u201d op {new_rank} (voorgesteld door {who}).")})
            continue
        if e["added"]:
            continue
        if old is not None and old <= TOP_N and not in_top:
            changes.append({"kind": "dropped", "title": title, "old_rank": old, "text": (
                f"\u201c{title}\u201d dropped out of the top 7 (was {old}; {tally(e)})." if en
                else f"\u201c{title}\u201d valt uit de top 7 (was {old}; {tally(e)}).")})
        elif old is not None and old > TOP_N and in_top:
            changes.append({"kind": "came_in", "title": title, "old_rank": old, "new_rank": new_rank, "text": (
                f"\u201c{title}\u201d comes into the top 7 at {new_rank} (was {old})." if en
                else f"\u201c{title}\u201d komt in de top 7 op {new_rank} (was {old}).")})
        elif in_top and old is not None and old != new_rank:
            up = new_rank < old
            verb = ("moves up" if up else "moves down") if en else ("stijgt" if up else "daalt")
            changes.append({"kind": "moved_up" if up else "moved_down", "title": title, "old_rank": old,
                            "new_rank": new_rank, "text": (
                                f"\u201c{title}\u201d {verb} from {old} to {new_rank} ({tally(e)})." if en
                                else f"\u201c{title}\u201d {verb} van {old} naar {new_rank} ({tally(e)}).")})
        if in_top and e["rewording"]:
            by = ", ".join(e["rewording"]["by"])
            changes.append({"kind": "reworded", "title": title, "text": (
                f"\u201c{title}\u201d reworded, proposed by {by}." if en
                else f"\u201c{title}\u201d anders geformuleerd, voorstel van {by}.")})
    for p in aggregate["proposals"]:
        if not p["added"]:
            who = ", ".join(p["proposed_by"])
            changes.append({"kind": "not_added", "text": (
                f"Proposed but not added (needs {MIN_SUPPORT_NEW} people): \u201c{p['text']}\u201d ({who})." if en
                else f"Voorgesteld maar niet toegevoegd (daarvoor zijn {MIN_SUPPORT_NEW} mensen nodig): "
                     f"\u201c{p['text']}\u201d ({who}).")})
    if len(changes) == 1 + sum(1 for c in changes if c["kind"] == "not_added"):
        changes.insert(1, {"kind": "unchanged", "text": "The top 7 is unchanged." if en
                           else "De top 7 is niet veranderd."})
    return changes


def _load_previous(session: Session, current_hash: str, current_files: set[str]) -> tuple[
        list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    path = session.path("review.json")
    if not path.is_file():
        return [], [], []
    try:
        previous = read_json(path)
    except ReviewError:
        return [], [], []
    except Exception:  # a damaged review.json is rebuilt from the files given now
        log.warning("%s is damaged; starting from the files given now", path)
        return [], [], []
    if not isinstance(previous, dict) or previous.get("insights_hash") != current_hash:
        return [], [], []
    files = [f for f in previous.get("files", [])
             if f.get("status") == "ok" and f.get("sha256") not in current_files]
    keep = {f["sha256"] for f in files}
    comments = [c for c in previous.get("comments", []) if c.get("file_sha256") in keep]
    changes = [c for c in previous.get("tracked_changes", []) if c.get("file_sha256") in keep]
    for f in files:
        f["from_previous_run"] = True
    return files, comments, changes


def collect(session: Session, files: list[Path], *, title: str | None = None, date: datetime.date | None = None,
            keep_previous: bool = True) -> CollectResult:
    """Read the returned copies, write review.json, final.json and final.docx; problems per file are reported.

    Args:
        keep_previous: also count the copies collected by an earlier run (kept in review.json), so copies can be
            collected as they come in; False starts from `files` only.
    """
    insights = Insights.from_dict(read_json(session.path("insights.json")))
    current_hash = docx_draft.insights_hash(insights)
    expected = _expected_texts(insights)
    turns = None
    if session.path("turns.json").is_file():
        turns = Turns.from_dict(read_json(session.path("turns.json")))

    file_entries: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    problems: list[str] = []
    notes: list[str] = []
    problems_by_file: dict[str, list[str]] = {}
    notes_by_file: dict[str, list[str]] = {}
    seen_digests: set[str] = set()
    for path in [Path(f) for f in files]:
        try:
            if not path.is_file():
                raise _problem(path, "not found; check the path")
            entry, file_records, file_changes, file_notes = _read_one(path, session, insights, current_hash, expected)
        except ReviewProblem as exc:
            log.warning("%s", exc)
            problems.append(str(exc))
            problems_by_file.setdefault(str(path), []).append(str(exc))
            file_entries.append({"file": str(path), "status": "rejected", "problem": str(exc)})
            continue
        if entry["sha256"] in seen_digests:
            note = f"{path}: the same file was given twice; read once"
            notes.append(note)
            notes_by_file.setdefault(str(path), []).append(note)
            continue
        seen_digests.add(entry["sha256"])
        for change in file_changes:
            change["file_sha256"] = entry["sha256"]
        file_entries.append(entry)
        records += file_records
        changes += file_changes
        for note in file_notes:
            notes.append(note)
            notes_by_file.setdefault(str(path), []).append(note)

    if keep_previous:
        old_files, old_records, old_changes = _load_previous(session, current_hash, seen_digests)
        file_entries += old_files
        records += old_records
        changes += old_changes

    _interpret_all(records)
    aggregate = _aggregate(records, insights)
    entries = aggregate["entries"]
    final_insights = tuple(_final_insight(e, rank, aggregate["display"]) for rank, e in enumerate(entries[:TOP_N], 1))
    rest = [_final_insight(e, rank, aggregate["display"]).to_dict()
            for rank, e in enumerate(entries[TOP_N:], TOP_N + 1)]
    unique_comments = sum(1 for r in records if r.get("duplicate_of") is None)
    change_list = _changes(entries, aggregate, insights.language, unique_comments)
    unmapped = [r for r in records if not r.get("target") or r["target"]["kind"] == "other"]

    review = {
        "session": session.name,
        "insights_hash": current_hash,
        "collected_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "files": file_entries,
        "reviewers": [aggregate["display"].get(p, p) for p in aggregate["reviewers"]],
        "comments": sorted(records, key=lambda r: (r["file"], r["order"])),
        "unmapped": unmapped,
        "tracked_changes": changes,
        "proposals": aggregate["proposals"],
        "problems": problems_by_file,
        "notes": notes_by_file,
        "rules": RANKING_RULE,
    }
    final = Insights(insights.language, insights.summary, final_insights, insights.actions, {
        **insights.extra,
        "session": session.name,
        "source_insights_hash": current_hash,
        "reviewers": review["reviewers"],
        "ranking_rule": RANKING_RULE,
        "changes": change_list,
        "not_in_top": rest,
        "proposals": aggregate["proposals"],
    })
    review_path = atomic_write_json(session.path("review.json"), review)
    final_json = atomic_write_json(session.path("final.json"), final.to_dict())

    draft_props = _draft_properties(session)
    doc_title = title or draft_props.get(docx_draft.PROP_TITLE) or session.name
    doc_date = date
    if doc_date is None:
        try:
            doc_date = datetime.date.fromisoformat(draft_props.get(docx_draft.PROP_DATE, ""))
        except ValueError:
            doc_date = datetime.date.today()
    people = docx_draft.participants(turns, insights) if turns is not None else sorted(
        {s for i in insights.insights for s in i.speakers})
    spec = docx_draft.DocSpec(
        title=doc_title + docx_draft.labels(insights.language)["final_suffix"], date=doc_date,
        participants=tuple(people), session_name=session.name, insights_hash=docx_draft.insights_hash(final),
        kind="final", review_note=False, missing_line=False, changes=tuple(c["text"] for c in change_list),
        changes_heading=True)
    final_docx = docx_draft.save_document(docx_draft.build_document(spec, final, None), session.path("final.docx"))
    ok = sum(1 for f in file_entries if f.get("status") == "ok")
    log.info("collected %d comments from %d file(s); %d problem(s)", unique_comments, ok, len(problems))
    result = CollectResult(review_path, final_json, final_docx, problems, ok, len(records), len(unmapped), notes)
    if files and ok == 0:
        raise ReviewError(f"none of the {len(files)} file(s) could be read: {problems[0]} "
                          f"(all problems are in {review_path})")
    return result


def _draft_properties(session: Session) -> dict[str, str]:
    path = session.path("draft.docx")
    if not path.is_file():
        return {}
    try:
        return read_docx(path).properties
    except ReviewError:
        return {}
