"""The top 7 page's changes as a pure step on the edits layer: `edited(session, edits, Edit(...))` returns the
edits.json to save (the service takes the lock, checks the version and saves it)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from pipeline.core.errors import InputError, SessionError
from pipeline.core.layers import (
    ADDED,
    ActionEdit,
    AddedAction,
    AddedInsight,
    Edits,
    InsightEdit,
    SectionEdit,
    action_id,
    apply_edits,
    correction_of,
    section_keys,
    text_key,
    time_key,
)
from pipeline.core.session import Session
from pipeline.core.types import TOP_N


@dataclass(frozen=True)
class Edit:
    """One change on the top 7 page: `do` is save, drop, restore, up, down or promote (an insight), action (an
    action's wording, owner and due date), drop_action, restore_action or add_action."""

    do: str
    key: str = ""
    title: str = ""
    text: str = ""
    line: int | None = None  # promote: the transcript line (turn index)
    owner: str = ""
    due: str = ""



def _order(session: Session, edits: Edits) -> list[str]:
    # without edits yet the insights carry no keys: a key is the hash of the text as found
    return [i.key or text_key(i.text) for i in apply_edits(session.insights(), edits, keep_dropped=True).insights]

def edited(session: Session, edits: Edits, edit: Edit) -> Edits:
    changes = dict(edits.insights)
    added = {a.key: a for a in edits.added}
    key, entry = edit.key, changes.get(edit.key, InsightEdit())
    if edit.do == "save":
        title, text = " ".join(edit.title.split())[:120], " ".join(edit.text.split())[:1000]
        if not text:
            raise InputError("an insight needs a sentence; use Drop to leave it out", "insight_needs_text")
        if key in added:
            added[key] = dataclasses.replace(added[key], title=title or added[key].title, text=text)
            edits = dataclasses.replace(edits, added=tuple(added.values()))
        else:
            changes[key] = dataclasses.replace(entry, title=title, text=text)
    elif edit.do in ("drop", "restore"):
        if key in added and edit.do == "drop":
            edits = dataclasses.replace(edits, added=tuple(a for a in edits.added if a.key != key))
        else:
            changes[key] = dataclasses.replace(entry, dropped=edit.do == "drop")
    elif edit.do in ("up", "down"):
        order = _order(session, edits)
        if key in order:
            at = order.index(key)
            other = at - 1 if edit.do == "up" else at + 1
            if 0 <= other < len(order):
                order[at], order[other] = order[other], order[at]
            edits = dataclasses.replace(edits, order=tuple(order))
    elif edit.do == "promote":
        edits = _promoted(session, edits, edit.line)
    elif edit.do in ("action", "drop_action", "restore_action", "add_action"):
        return _action_edited(session, edits, edit)
    else:
        raise InputError(f"unknown change {edit.do!r}", "unknown_change", change=edit.do)
    if key and key in changes and changes[key].empty:
        del changes[key]
    return dataclasses.replace(edits, insights=changes)

def _action_edited(session: Session, edits: Edits, edit: Edit) -> Edits:
    """An action reworded, given an owner or due date, dropped, restored or added (by its id)."""
    owner, due = " ".join(edit.owner.split())[:80], " ".join(edit.due.split())[:80]
    text = " ".join(edit.text.split())[:1000]
    added = {a.id: a for a in edits.added_actions}
    if edit.do == "add_action" or (edit.do == "action" and edit.key in added):
        if not text:
            raise InputError("an action point needs a text; use Drop to leave it out", "action_needs_text")
        if edit.do == "add_action":
            used = [int(k[len(ADDED):]) for k in added if k[len(ADDED):].isdigit()]
            used.append(edits.last_action)
            number = max(used) + 1  # never reused, so a done mark for a dropped one cannot move to a new one
            added[f"{ADDED}{number}"] = AddedAction(f"{ADDED}{number}", text, owner, due)
            edits = dataclasses.replace(edits, last_action=number)
        else:
            added[edit.key] = AddedAction(edit.key, text, owner, due)
        return dataclasses.replace(edits, added_actions=tuple(added.values()))
    if edit.key in added:  # an added action dropped: it goes
        if edit.do == "drop_action":
            return dataclasses.replace(edits, added_actions=tuple(a for a in added.values() if a.id != edit.key))
        return edits
    original = next((a for a in session.insights().actions if action_id(a) == edit.key), None)
    if original is None:
        raise SessionError("that action point is not there any more; reload the page", "action_gone")
    entry = edits.actions.get(edit.key, ActionEdit())
    if edit.do == "action":
        if not text:
            raise InputError("an action point needs a text; use Drop to leave it out", "action_needs_text")
        def changed(value: str, was: str | None) -> str | None:  # unchanged: the found one (and its due day)
            return None if value == " ".join((was or "").split()) else value

        entry = dataclasses.replace(entry, owner=changed(owner, original.owner), due=changed(due, original.due),
                                    text=changed(text, original.text))
    else:
        entry = dataclasses.replace(entry, dropped=True if edit.do == "drop_action" else None)
    actions = {**edits.actions, edit.key: entry}
    if entry.empty:
        del actions[edit.key]
    return dataclasses.replace(edits, actions=actions)

def _promoted(session: Session, edits: Edits, line: int | None) -> Edits:
    turns = session.turns()
    if line is None or not 0 <= line < len(turns.turns):
        raise SessionError("that transcript line does not exist (any more); reload the page", "line_gone")
    turn = turns.turns[line]
    corrected = (correction_of(session.corrections(), turn) or {}).get("text")
    text = corrected or turn.text
    new_key = f"{ADDED}{time_key(turn.start)}"
    if any(a.key == new_key for a in edits.added):
        return edits
    who = turns.name(turn.speaker)
    edits = dataclasses.replace(edits, added=(*edits.added, AddedInsight(
        new_key, text, " ".join(text.split()[:5]), (who,), who, turn.start, turn.end)))
    order = _order(session, edits)
    order.remove(new_key)
    at = min(TOP_N, len(order))
    return dataclasses.replace(edits, order=tuple(order[:at] + [new_key] + order[at:]))


def section_edited(session: Session, edits: Edits, key: str, text: str, *, at: str = "") -> Edits:
    """edits.json with the summary's paragraph `key` (`layers.section_key`) in the facilitator's words; an empty
    text, or the paragraph as said, takes the edit back ("back to what was said"), and so does one for a paragraph
    a re-run dropped (its note goes). `at`: when (ISO)."""
    text = " ".join(text.split())[:4000]
    dropped = tuple(e for e in edits.summary_dropped if e.key != key)
    sections = session.insights().sections or ()
    found = dict(zip(section_keys(sections), sections, strict=True)).get(key)
    changes = {k: e for k, e in edits.summary.items() if k != key}
    if found is None:
        if len(dropped) == len(edits.summary_dropped) and key not in edits.summary:
            raise SessionError("that paragraph is not in the summary (any more); reload the page", "section_gone")
    elif text and text != " ".join(found.said_text.split()):
        changes[key] = SectionEdit(text, found.heading, found.phase, found.said_text, at)
    return dataclasses.replace(edits, summary=changes, summary_dropped=dropped)
