"""Test helpers: comment on a draft the way participants do, in python-docx (Word's format) and in LibreOffice."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.lock import stop_process

SYSTEM_PYTHON = "/usr/bin/python3"  # python3-uno lives in the system Python, not in the venv


@dataclass(frozen=True)
class CommentSpec:
    anchor: str  # a piece of text in the paragraph to anchor on (first match)
    text: str
    author: str
    initials: str = ""


def add_comments(src: Path, dst: Path, comments: list[CommentSpec],
                 when: datetime.datetime | None = None) -> Path:
    """Copy `src` to `dst` with comments added the way Word stores them (python-docx)."""
    import docx

    doc = docx.Document(str(src))
    paragraphs = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    for spec in comments:
        para = next((p for p in paragraphs if spec.anchor in p.text), None)
        if para is None or not para.runs:
            raise AssertionError(f"no paragraph with text {spec.anchor!r} in {src}")
        comment = doc.add_comment(para.runs, text=spec.text, author=spec.author,
                                  initials=spec.initials or spec.author[:2])
        if when is not None:
            comment._comment_elm.set(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}date",
                when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    doc.save(str(dst))
    return dst


@dataclass(frozen=True)
class ReplySpec:
    parent: str  # the text of the comment replied to (first match)
    text: str
    author: str
    initials: str = ""


W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
COMMENTS_EXTENDED_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
COMMENTS_EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"


def add_replies(src: Path, dst: Path, replies: list[ReplySpec], when: datetime.datetime | None = None) -> Path:
    """Copy `src` to `dst` with replies added the way Word stores them.

    A reply is a second w:comment anchored on the same text as its parent; every comment's last paragraph gets a
    w14:paraId, and word/commentsExtended.xml (with its content-type override and relationship) links the reply's
    paraId to its parent's with w15:paraIdParent. python-docx has no API for replies, so the XML is written here.
    """
    import docx
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml.ns import qn

    doc = docx.Document(str(src))
    comments = {c.comment_id: c for c in doc.comments}
    body = doc.element.body
    para_ids: dict[int, str] = {}

    def para_id(comment_id: int) -> str:
        if comment_id not in para_ids:
            para_ids[comment_id] = f"{0x10000000 + 0x101 * (comment_id + 1):08X}"  # Word's are < 0x80000000
            comments[comment_id]._comment_elm.findall(qn("w:p"))[-1].set(f"{{{W14_NS}}}paraId",
                                                                          para_ids[comment_id])
        return para_ids[comment_id]

    for cid in comments:
        para_id(cid)
    parents: dict[int, int] = {}
    for spec in replies:
        parent = next((c for c in comments.values() if c.text == spec.parent), None)
        if parent is None:
            raise AssertionError(f"no comment {spec.parent!r} in {src}")
        start = next(el for el in body.iter(qn("w:commentRangeStart"))
                     if el.get(qn("w:id")) == str(parent.comment_id))
        para = next(p for p in doc.paragraphs if p._p is start.getparent())
        reply = doc.add_comment(para.runs, text=spec.text, author=spec.author,
                                initials=spec.initials or spec.author[:2])
        if when is not None:
            reply._comment_elm.set(qn("w:date"), when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        comments[reply.comment_id] = reply
        para_id(reply.comment_id)
        parents[reply.comment_id] = parent.comment_id

    entries = []
    for cid in comments:
        parent_attr = f' w15:paraIdParent="{para_ids[parents[cid]]}"' if cid in parents else ""
        entries.append(f'<w15:commentEx w15:paraId="{para_ids[cid]}"{parent_attr} w15:done="0"/>')
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w15:commentsEx xmlns:w15="{W15_NS}">'
           + "".join(entries) + "</w15:commentsEx>").encode()
    part = Part(PackURI("/word/commentsExtended.xml"), COMMENTS_EXTENDED_TYPE, xml, doc.part.package)
    doc.part.relate_to(part, COMMENTS_EXTENDED_REL)
    doc.save(str(dst))
    return dst


def add_tracked_change(src: Path, dst: Path, anchor: str, inserted: str, author: str) -> Path:
    """Copy `src` to `dst` with a tracked insertion (w:ins) at the end of the paragraph containing `anchor`."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = docx.Document(str(src))
    para = next(p for p in doc.paragraphs if anchor in p.text)
    ins = OxmlElement("w:ins")
    ins.set(qn("w:id"), "9001")
    ins.set(qn("w:author"), author)
    ins.set(qn("w:date"), "2026-03-06T10:00:00Z")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.set(qn("xml:space"), "preserve")
    text.text = inserted
    run.append(text)
    ins.append(run)
    para._p.append(ins)
    doc.save(str(dst))
    return dst


_UNO_SCRIPT = r'''
import json, sys, time
import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.util import DateTime

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

job = json.loads(sys.argv[1])
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
deadline = time.time() + 40
while True:
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % job["pipe"])
        break
    except Exception:
        if time.time() > deadline:
            raise
        time.sleep(0.25)
smgr = ctx.ServiceManager
results = []
for item in job["files"]:
    doc = smgr.createInstanceWithContext("com.sun.star.text.TextDocument", ctx)
    doc.load((prop("URL", uno.systemPathToFileUrl(item["src"])), prop("FilterName", "MS Word 2007 XML")))
    for c in item["comments"]:
        found = None
        paragraphs = doc.getText().createEnumeration()
        while paragraphs.hasMoreElements():
            par = paragraphs.nextElement()
            if not par.supportsService("com.sun.star.text.Paragraph"):
                continue
            at = par.getString().find(c["anchor"])
            if at >= 0:
                found = par.getText().createTextCursorByRange(par.getStart())
                found.goRight(at, False)
                found.goRight(len(c["anchor"]), True)
                break
        if found is None:
            raise SystemExit("anchor not found: " + c["anchor"])
        note = doc.createInstance("com.sun.star.text.TextField.Annotation")
        note.Author = c["author"]
        note.Initials = c.get("initials", "")
        note.Content = c["text"]
        dt = DateTime(); dt.Year = 2026; dt.Month = 3; dt.Day = 7; dt.Hours = 9
        note.DateTimeValue = dt
        found.getText().insertTextContent(found, note, True)
    doc.storeToURL(uno.systemPathToFileUrl(item["dst"]), (prop("FilterName", "MS Word 2007 XML"),))
    doc.close(True)
    results.append(item["dst"])
print(json.dumps(results))
'''


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_available() -> bool:
    return _soffice() is not None and Path(SYSTEM_PYTHON).is_file() and subprocess.run(
        [SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def libreoffice_comment(jobs: list[tuple[Path, Path, list[CommentSpec]]], timeout: float = 90) -> list[Path]:
    """Open each src in headless LibreOffice (UNO), add the comments, save as .docx at dst.

    A LibreOffice that dies while starting (seen once in a fresh CI clone: the UNO client exited with nothing on
    stderr) gets one more try with a fresh profile; a document that makes it fail twice still fails the test.
    """
    try:
        return _libreoffice_comment(jobs, timeout)
    except _UnoFailed as first:
        print(f"LibreOffice failed once ({first}); trying again with a fresh profile")
        return _libreoffice_comment(jobs, timeout)


class _UnoFailed(AssertionError):
    """The UNO client script exited with an error."""


def _libreoffice_comment(jobs: list[tuple[Path, Path, list[CommentSpec]]], timeout: float) -> list[Path]:
    soffice = _soffice()
    assert soffice, "soffice not on PATH"
    profile = Path(tempfile.mkdtemp(prefix="oogst-lo-profile-"))
    pipe = f"oogst_test_{os.getpid()}_{int(time.time() * 1000)}"
    proc = subprocess.Popen(
        [soffice, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
         f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = profile / "comment.py"
    script.write_text(_UNO_SCRIPT)
    job = {"pipe": pipe, "files": [
        {"src": str(src), "dst": str(dst),
         "comments": [{"anchor": c.anchor, "text": c.text, "author": c.author, "initials": c.initials}
                      for c in comments]}
        for src, dst, comments in jobs]}
    try:
        out = subprocess.run([SYSTEM_PYTHON, str(script), json.dumps(job)], capture_output=True, text=True,
                             timeout=timeout)
        if out.returncode != 0:
            raise _UnoFailed(f"UNO script failed (exit {out.returncode}, soffice "
                             f"{'running' if proc.poll() is None else f'exited {proc.returncode}'}): "
                             f"{out.stderr[-2000:]}")
        return [Path(p) for p in json.loads(out.stdout.strip().splitlines()[-1])]
    finally:
        stop_process(proc, 15)
        shutil.rmtree(profile, ignore_errors=True)


def convert_to_pdf(docx_path: Path, out_dir: Path, timeout: float = 90) -> Path:
    """Render a .docx with `soffice --headless --convert-to pdf`; the PDF's path."""
    soffice = _soffice()
    assert soffice, "soffice not on PATH"
    profile = Path(tempfile.mkdtemp(prefix="oogst-lo-profile-"))
    try:
        out = subprocess.run(
            [soffice, "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", "pdf",
             "--outdir", str(out_dir), str(docx_path)], capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = Path(out_dir) / (Path(docx_path).stem + ".pdf")
    if out.returncode != 0 or not pdf.is_file():
        raise AssertionError(f"soffice could not convert {docx_path}: {out.stdout} {out.stderr}")
    return pdf


def pdf_page_count(pdf: Path) -> int:
    """Pages in a PDF, counted from its page objects (no PDF library needed)."""
    import re

    data = Path(pdf).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))
