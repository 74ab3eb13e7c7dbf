"""Action points followed up across a series: the open ones of earlier sessions, the moment the new conversation
mentions one, the draft's section "Vorige keer afgesproken", and the done marks participants give in comments.

An action is mentioned in a turn when the turn shares enough of the action's content words (spaCy lookup lemmas,
stop words left out) and the action's owner is in it (speaking, or named); enough is two words, or all of them
when the action has fewer. Without an owner the turn must share two words and half of the action's words.
A comment marks an action done when it says so ("klaar", "gedaan", "done", ...) without a negation before it
("nog niet klaar", "not done") and is not a question.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.core.language import format_date, texts
from pipeline.core.types import Turns
from pipeline.review.sections import header_table
from pipeline.series.store import action_key

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.text.paragraph import Paragraph

MIN_SHARED = 2  # content words an action and a turn share before the turn counts as mentioning it

_DONE = r"(?:klaar|gedaan|afgerond|voltooid|done|finished|completed)"
DONE_RE = re.compile(rf"(?<!\w){_DONE}(?!\w)")
NOT_DONE_RE = re.compile(rf"(?<!\w)(?:niet|geen|bijna|half|nooit|not|almost|nearly|never|hardly)\s+(?:\w+\s+)?{_DONE}"
                         r"(?!\w)")


@dataclass(frozen=True)
class OpenAction:
    key: str  # "<session>#<id>" (`store.action_key`)
    owner: str | None
    text: str
    due: str | None
    session: str
    date: str  # ISO date of the session it comes from
    title: str
    due_date: str | None = None  # ISO day the due words named


@dataclass(frozen=True)
class Mention:
    turn: str  # the turn's id in turns.json (the draft's bookmark oogst_turn_<id>)
    start: float
    speaker: str
    text: str


def is_done_comment(text: str) -> bool:
    """True when a comment says the action is done ("klaar", "gedaan", "done") and not that it is not."""
    norm = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()
    if not norm or norm.endswith("?"):
        return False
    return bool(DONE_RE.search(norm)) and not NOT_DONE_RE.search(norm)


def done_marks(session: str, review: dict[str, Any], carried: dict[str, str],
               ids: dict[int, str] | None = None) -> dict[str, dict[str, Any]]:
    """Action key -> who marked it done, from a session's review.json (its own actions and the carried ones).

    Args:
        ids: the id of each row of the draft's own actions (1, 2, ...), for a review.json whose targets do not name
            it; a row without one keeps the row's number (`store.upgrade_key` reads it).
    """
    marks: dict[str, dict[str, Any]] = {}
    for comment in review.get("comments", []):
        if comment.get("duplicate_of") or not is_done_comment(str(comment.get("text") or "")):
            continue
        target = comment.get("target") or {}
        key = None
        if target.get("kind") == "action" and target.get("index"):
            row = int(target["index"])
            key = f"{session}#{target.get('id') or (ids or {}).get(row) or row}"
        elif m := re.fullmatch(r"oogst_(carried_[0-9a-f]+)(?:_\d+)?", str(target.get("via") or "")):
            key = carried.get(m.group(1))
        if key:
            marks.setdefault(key, {"session": session, "by": comment.get("author"), "comment": comment.get("text"),
                                   "at": comment.get("date")})
    return marks


def open_actions(earlier: list[tuple[str, dict[str, Any]]], done: dict[str, Any]) -> list[OpenAction]:
    """The action points of the earlier sessions (oldest first) that nobody marked done."""
    found = []
    for name, entry in earlier:
        for action in entry.get("actions", []):
            key = action_key(name, action)
            if key not in done:
                found.append(OpenAction(key, action.get("owner"), str(action["text"]), action.get("due"), name,
                                        str(entry.get("date") or ""), str(entry.get("title") or name),
                                        action.get("due_date")))
    return found


# -- mentions ------------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8192)
def content_words(text: str, language: str) -> frozenset[str]:
    """The lemmas of a text's content words (stop words and words under three letters left out); cached: the
    series' overview compares every session's insights with those before it."""
    from pipeline.insights.nlp import get_nlp, stop_words

    stop = stop_words(language)
    return frozenset((t.lemma_ or t.lower_).lower() for t in get_nlp(language)(text)
                     if t.is_alpha and len(t.text) >= 3 and t.lower_ not in stop)


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()


def _owner_in(owner: str, speaker: str, text: str) -> bool:
    """The owner speaks the turn (same name, or same first name) or is named in it."""
    owner_parts, speaker_parts = _fold(owner).split(), _fold(speaker).split()
    if not owner_parts:
        return False
    if owner_parts == speaker_parts or (speaker_parts and owner_parts[0] == speaker_parts[0]):
        return True
    return re.search(rf"(?<!\w){re.escape(owner_parts[0])}(?!\w)", _fold(text)) is not None


def find_mentions(actions: list[OpenAction], turns: Turns, language: str) -> dict[str, Mention]:
    """Action key -> the turn of this conversation that best mentions it (most shared content words, then first)."""
    turn_words = [content_words(turn.text, language) for turn in turns.turns]
    found: dict[str, Mention] = {}
    for action in actions:
        owner_words = set(_fold(action.owner or "").split())
        words = {w for w in content_words(action.text, language) if _fold(w) not in owner_words}
        if not words:
            continue
        need = min(MIN_SHARED, len(words)) if action.owner else max(MIN_SHARED, (len(words) + 1) // 2)
        best, best_shared = None, 0
        for i, turn in enumerate(turns.turns):
            shared = len(words & turn_words[i])
            if shared < need or shared <= best_shared:
                continue
            if action.owner and not _owner_in(action.owner, turns.name(turn.speaker), turn.text):
                continue
            best, best_shared = i, shared
        if best is not None:
            turn = turns.turns[best]
            found[action.key] = Mention(turn.id, turn.start, turns.name(turn.speaker), turn.text.strip())
    return found


# -- the draft's section -------------------------------------------------------------------------------------------
def _snippet(text: str, words: int = 14) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" \u2026" if len(parts) > words else "")


def _day(iso: str | None, language: str) -> str:
    """'4 maart 2026' for an ISO date ('' when there is none)."""
    import datetime as dt

    try:
        return format_date(dt.date.fromisoformat(iso or ""), language)
    except ValueError:
        return ""


def carried_section(actions: list[OpenAction], mentions: dict[str, Mention], language: str,
                    shown: Callable[[str], str] = str, named: Callable[[str], str] = str
                    ) -> Callable[[DocxDocument, Callable[[Paragraph, str], None]],
                                                                  None]:
    """The draft section (`review.draft.Section`) listing the open actions of earlier sessions.

    Args:
        shown: how a text appears in the draft (a pseudonymised session: its labels for third parties).
        named: how a participant's name appears in it.
    """
    lab = texts(language, "carried")

    def add(doc: DocxDocument, mark: Callable[[Paragraph, str], None]) -> None:
        from docx.shared import Cm

        from pipeline.review.draft import add_moment

        mark(doc.add_heading(lab["heading"], level=1), "section_carried")
        doc.add_paragraph(lab["intro"])
        table = header_table(doc, (lab["who"], lab["what"], lab["when"], lab["from"], lab["mentioned"]))
        for action in actions:
            row_id = carried_id(action.key)
            cells = table.add_row().cells
            due = action.due or ""
            if (day := _day(action.due_date, language)) and day.lower() not in due.lower():
                due = f"{due} ({day})" if due else day  # "vrijdag" said weeks ago: which friday
            values = (named(action.owner) if action.owner else lab["nobody"], shown(action.text), due,
                      _day(action.date, language) or shown(action.title))
            for col, (cell, value) in enumerate(zip(cells[:4], values, strict=True)):
                cell.paragraphs[0].add_run(value)
                mark(cell.paragraphs[0], f"{row_id}_{col}")
            last = cells[4].paragraphs[0]
            mention = mentions.get(action.key)
            if mention is None:
                last.add_run(lab["not_mentioned"])
            else:
                add_moment(last, mention.start, mention.turn)
                last.add_run(f" {named(mention.speaker)}: \u201c{shown(_snippet(mention.text))}\u201d").italic = True
            mark(last, f"{row_id}_4")
        table.autofit = False
        for column, width in zip(table.columns, (2.2, 5.0, 2.6, 2.2, 4.5), strict=True):
            column.width = Cm(width)  # the grid, which LibreOffice reads; Word reads the cells'
            for cell in column.cells:
                cell.width = Cm(width)

    return add


def carried_id(key: str) -> str:
    """A carried row's bookmark name (`oogst_<id>_<column>`), from the action's key and not its row: a draft drawn
    again (an action done since, a session added) numbers its rows anew, and a copy of the earlier draft must still
    point at the same action."""
    return "carried_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def carried_map(actions: list[OpenAction], known: dict[str, str] | None = None) -> dict[str, str]:
    """What the draft's bookmarks `oogst_carried_<id>_*` stand for (kept in the session as CARRIED); the rows
    of earlier drafts of the session (`known`) are kept, so their copies still collect."""
    return {**(known or {}), **{carried_id(action.key): action.key for action in actions}}
