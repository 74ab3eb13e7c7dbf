"""Reading a returned .docx safely: size and zip-bomb limits, no DTDs or entities, comments with their anchors
(bookmarks), tracked changes and the document properties Oogst wrote. Each unusable file is one ReviewProblem line.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import ReviewError
from pipeline.review import draft as docx_draft

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
VT_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"
APP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
MAX_UNCOMPRESSED = 200 * 1024 * 1024  # a review copy is a few hundred kB; more is a zip bomb
MAX_RATIO = 200
MAX_FILE = 100 * 1024 * 1024


# -- problems --------------------------------------------------------------------------------------------------
class ReviewProblem(ReviewError):
    """One returned file cannot be used; the message is one line naming the file and what to do."""


def _problem(path: Path, what: str, key: str, **params: Any) -> ReviewProblem:
    """"PATH: what is wrong", and for a page the [messages] `key` with the file's name (as returned)."""
    return ReviewProblem(f"{path}: {what}", key, file=path.name, **params)


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
    index: int | None = None  # insight rank, summary/action number; a turn's number in a draft made before turn ids
    label: str = ""  # bookmark name or matched text
    turn: str | None = None  # a transcript turn's id (turns.json)


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
        raise _problem(path, HOSTILE.format(part=part), "copy_hostile")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             dtd_validation=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise _problem(path, CORRUPT.format(why=f"{part}: {str(exc).splitlines()[0][:80]}"), "copy_damaged") from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise _problem(path, HOSTILE.format(part=part), "copy_hostile")
    return root


def _open_package(path: Path) -> zipfile.ZipFile:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _problem(path, f"cannot be read ({exc.strerror}); check the path", "copy_unreadable") from None
    if size > MAX_FILE:
        raise _problem(path, TOO_BIG.format(why=f"{size // (1024 * 1024)} MB"), "copy_too_big")
    data = path.read_bytes()  # read once; the participant's file is never opened for writing
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE container: encrypted OOXML or a .doc
        encrypted = "EncryptionInfo".encode("utf-16-le") in data
        raise _problem(path, ENCRYPTED if encrypted else OLD_DOC, "copy_encrypted" if encrypted else "copy_old_doc")
    if not data.startswith(b"PK"):
        hint, key = "", "not_docx"
        if data.startswith(b"%PDF"):
            hint, key = " but a PDF", "not_docx_pdf"
        elif data[:5].lower().startswith((b"{\\rtf",)):
            hint, key = " but an RTF file", "not_docx_rtf"
        elif not data:
            hint, key = " but an empty file", "not_docx_empty"
        raise _problem(path, NOT_DOCX.format(hint=hint), key)
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _problem(path, CORRUPT.format(why=f"broken zip: {exc}"), "copy_damaged") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise _problem(path, TOO_BIG.format(why=f"{total // (1024 * 1024)} MB unpacked"), "copy_too_big")
    for info in infos:
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            ratio = info.file_size // max(1, info.compress_size)
            raise _problem(path, TOO_BIG.format(why=f"{info.filename} expands {ratio}x"), "copy_too_big")
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        hint, key = "", "not_docx"
        if "content.xml" in names:
            hint, key = " but an OpenDocument file (.odt): save it as Word (.docx)", "not_docx_odt"
        elif "xl/workbook.xml" in names or "ppt/presentation.xml" in names:
            hint, key = " but an Excel/PowerPoint file", "not_docx_office"
        raise _problem(path, NOT_DOCX.format(hint=hint), key)
    return package


def _read_part(package: zipfile.ZipFile, name: str, path: Path) -> Any:
    try:
        data = package.read(name)
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _problem(path, CORRUPT.format(why=f"{name}: {exc}"), "copy_damaged") from None
    return _safe_parse(data, path, name)


def target_from_bookmark(name: str) -> Target | None:
    """The unit a draft bookmark marks, or None for bookmarks Oogst did not make."""
    if not name.startswith(docx_draft.BOOKMARK_PREFIX):
        return None
    rest = name[len(docx_draft.BOOKMARK_PREFIX):]
    if m := re.fullmatch(r"insight_(\d+)(?:_theme)?", rest):  # the insight, or its theme's heading in the summary
        return Target("insight", int(m.group(1)), name)
    if m := re.fullmatch(r"summary_(\d+)", rest):
        return Target("summary", int(m.group(1)), name)
    if m := re.fullmatch(r"action_(\d+)_\d+", rest):
        return Target("action", int(m.group(1)), name)
    if m := re.fullmatch(r"turn_(\d+)", rest):  # a draft made before turn ids: the turn's number
        return Target("transcript", int(m.group(1)), name)
    if m := re.fullmatch(r"turn_(t\w+)", rest):
        return Target("transcript", None, name, m.group(1))
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
        raise _problem(path, CORRUPT.format(why="word/document.xml has no body"), "copy_damaged")
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
