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

Ranking rule (RANKING_RULE): the review starts from the draft's order as it was sent (the facilitator's order):
base score = 1 for the first insight down to 0 for the last; final score = base + net votes / number of reviewers.
A rewording is adopted when it is explicit (or proposed by two people) and the insight has no more down than up
votes; a missing insight is added when at least MIN_SUPPORT_NEW people propose it (similar wording) and then ranks
with the median base score of the top 7 plus its proposers as up votes.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.core.errors import Message, ReviewError, SessionError
from pipeline.core.language import texts
from pipeline.core.layers import action_id
from pipeline.core.session import DRAFT, FINAL, FINAL_DOCX, REVIEW, TURNS, Session, hash_file
from pipeline.core.types import TOP_N, Insights
from pipeline.privacy.shared import load_shared
from pipeline.review import draft as docx_draft
from pipeline.review.action_checks import action_checks, check_changes
from pipeline.review.aggregate import RANKING_RULE, _aggregate, _changes, _final_insight, _interpret_all
from pipeline.review.browser import answers_for
from pipeline.review.interpret import _expected_texts, _match_text
from pipeline.review.ooxml import (
    FINAL_DOC,
    FOLDER_RENAMED,
    NO_MARK,
    NO_MARK_TEXT,
    OLD_DRAFT,
    OTHER_SESSION,
    ReviewProblem,
    Target,
    _problem,
    read_docx,
)
from pipeline.review.versions import review_base

log = logging.getLogger(__name__)

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
    if target.turn is not None:
        out["turn"] = target.turn
    if target.kind == "insight":
        insight = next((i for i in insights.insights if i.rank == target.index), None)
        out["title"] = insight.title if insight else None
    if target.kind == "action" and target.index is not None and 0 < target.index <= len(insights.actions):
        out["id"] = action_id(insights.actions[target.index - 1])  # the series' done marks follow the id
    return out


def _read_one(path: Path, session: Session, insights: Insights, current_hash: str,
              expected: list[tuple[str, Target]], shown_name: str | None = None
              ) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """One file -> (file entry, comment records, tracked changes, problems). Raises ReviewProblem when unusable."""
    reading = read_docx(path)
    notes: list[str] = []
    props = reading.properties
    kind = props.get(docx_draft.PROP_KIND)
    other, other_hash = props.get(docx_draft.PROP_SESSION), props.get(docx_draft.PROP_INSIGHTS)
    if kind == "final":
        raise _problem(path, FINAL_DOC, "copy_final")
    if other is not None and other_hash is not None:
        if other_hash != current_hash:
            if other != session.name:
                raise _problem(path, OTHER_SESSION.format(other=other, this=session.name), "copy_other_session",
                               other=other, name=session.name)
            raise _problem(path, OLD_DRAFT, "copy_old_draft")
        if other not in (session.name, shown_name):  # shown_name: the session's name in a pseudonymised draft
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
            raise _problem(path, NO_MARK, "copy_no_mark")
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


def _load_previous(session: Session, current_hash: str, current_files: set[str]) -> tuple[
        list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    path = session.path(REVIEW)
    if not path.is_file():
        return [], [], []
    try:
        previous = session.read(REVIEW)
    except SessionError as exc:  # never drop the copies collected earlier without being told to
        raise ReviewError(f"{path}: damaged ({str(exc).split('(', 1)[-1].split(')')[0]}), so the copies collected "
                          f"earlier cannot be counted; repair it, or run `oogst collect {session.name} --fresh` "
                          "with every returned copy to start over", "review_damaged", name=session.name) from None
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
            keep_previous: bool = True, answers: tuple[Path | None, bool] | None = None) -> CollectResult:
    """Read the returned copies, write review.json, final.json and final.docx; problems per file are reported.

    Args:
        keep_previous: also count the copies collected by an earlier run (kept in review.json), so copies can be
            collected as they come in; False starts from `files` only.
        answers: (the state folder, close the round): the participants' answers in the browser (`review.browser`)
            are counted like comments.
    """
    browser = answers_for(answers[0], session.root, close=answers[1]) if answers is not None else None
    # the version the copies were written from (sent/vN/ when the draft was sent; insights.json + edits.json else)
    insights = review_base(session, [Path(f) for f in files], browser.hashes() if browser is not None else ())
    current_hash = docx_draft.insights_hash(insights)
    expected = _expected_texts(insights)
    shared = load_shared(session, insights.language)  # a pseudonymised session: its drafts show labels
    shown_name = shared.text(session.name, any_case=True) if shared is not None else None
    if shared is not None:
        expected += _expected_texts(shared.insights(insights))
    turns = session.turns() if session.has(TURNS) else None

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
                raise _problem(path, "not found; check the path", "copy_not_found")
            entry, file_records, file_changes, file_notes = _read_one(path, session, insights, current_hash, expected,
                                                                            shown_name)
        except ReviewProblem as exc:
            log.warning("%s", exc)
            problems.append(str(exc))
            problems_by_file.setdefault(str(path), []).append(str(exc))
            file_entries.append({"file": str(path), "status": "rejected", "problem": str(exc),
                                 "message": exc.message.to_dict() if exc.message else None})
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

    if browser is not None:
        records += browser.records(insights)
    _interpret_all(records)
    aggregate = _aggregate(records, insights)
    entries = aggregate["entries"]
    final_insights = tuple(_final_insight(e, rank, aggregate["display"]) for rank, e in enumerate(entries[:TOP_N], 1))
    rest = [_final_insight(e, rank, aggregate["display"]).to_dict()
            for rank, e in enumerate(entries[TOP_N:], TOP_N + 1)]
    unique_comments = sum(1 for r in records if r.get("duplicate_of") is None)
    change_list = _changes(entries, aggregate, insights.language, unique_comments)
    checks = action_checks(records, insights, aggregate["display"])  # actions someone said are not right
    change_list += check_changes(checks, insights.language)
    unmapped = [r for r in records if not r.get("target") or r["target"]["kind"] == "other"]

    review = {
        "session": session.name,
        "insights_hash": current_hash,
        "collected_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "files": file_entries,
        "reviewers": [aggregate["display"].get(p, p) for p in aggregate["reviewers"]],
        "comments": sorted(records, key=lambda r: (r.get("file") or "", r["order"])),
        "unmapped": unmapped,
        "tracked_changes": changes,
        "proposals": aggregate["proposals"],
        "problems": problems_by_file,
        "notes": notes_by_file,
        "rules": RANKING_RULE,
        "approvals": browser.approvals(insights) if browser is not None else [],
    }
    final = replace(insights, insights=final_insights).with_extra(**{
        "session": session.name,
        "source_insights_hash": current_hash,
        "reviewers": review["reviewers"],
        "ranking_rule": RANKING_RULE,
        "changes": change_list,
        "not_in_top": rest,
        "proposals": aggregate["proposals"],
        "action_checks": checks,
    })
    review_path = session.write(REVIEW, review)
    final_json = session.write(FINAL, final.to_dict())

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
    shown, lines = final, [c["text"] for c in change_list]
    if shared is not None:  # names reviewers wrote (rewordings, proposals) are hidden too
        written = [i.text for i in final.insights if i.reworded_by or i.added]
        written += [t for p in aggregate["proposals"] for t in [p.get("text", ""), *p.get("variants", [])]]
        written += [r["text"] for c in checks for r in c["remarks"]]
        shared = shared.learn(written, review["reviewers"])
        shown, lines = shared.insights(final), [shared.text(line) for line in lines]
        people, doc_title = [shared.name(p) or p for p in people], shared.text(doc_title, any_case=True)
    spec = docx_draft.DocSpec(
        title=doc_title + texts(insights.language, "draft")["final_suffix"].format(n=len(final_insights)),
        date=doc_date,
        participants=tuple(people), session_name=shown_name or session.name,
        insights_hash=docx_draft.insights_hash(final), kind="final", review_note=False, missing_line=False,
        changes=tuple(lines), changes_heading=True)
    final_docx = docx_draft.save_document(docx_draft.build_document(spec, shown, None), session.path(FINAL_DOCX))
    ok = sum(1 for f in file_entries if f.get("status") == "ok")
    log.info("collected %d comments from %d file(s); %d problem(s)", unique_comments, ok, len(problems))
    result = CollectResult(review_path, final_json, final_docx, problems, ok, len(records), len(unmapped), notes)
    if files and ok == 0:
        first = next((e for e in file_entries if e.get("status") == "rejected"), {})
        raise ReviewError(f"none of the {len(files)} file(s) could be read: {problems[0]} "
                          f"(all problems are in {review_path})", "none_readable", n=len(files),
                          first=Message.from_dict(first.get("message")) or Message("copy_unusable", {"file": "?"}))
    return result


def _draft_properties(session: Session) -> dict[str, str]:
    path = session.path(DRAFT)
    if not path.is_file():
        return {}
    try:
        return read_docx(path).properties
    except ReviewError:
        return {}
