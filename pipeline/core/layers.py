"""People's changes kept apart from what the models wrote, applied on top when a stage reads them.

`corrections.json` holds transcript lines corrected by hand; the names stage applies them to turns.json, so they
reach insights and draft and survive every re-run (transcript.json, Whisper's output, is never changed):

    {"turns": {"12.34": {"text": "corrected line", "original": "what Whisper heard", "speaker": "S1", "at": "…"}}}

`edits.json` holds the facilitator's changes to the top 7 and the actions, on top of insights.json; the draft
stage and `oogst collect` apply them:

    {"insights": {"<key>": {"text": …, "title": …, "dropped": true}}, "order": ["<key>", …],
     "added": [{"key": "added-1", "text", "title", "speakers", "start", "end"}],
     "actions": {"<id>": {"owner": …, "due": …, "text": …, "dropped": true}},
     "added_actions": [{"id": "added-1", "text", "owner", "due"}]}

A key is a short hash of the original text, so an edit stays with its insight when ranks change, and an edit whose
insight is gone after a re-run is simply not applied. An action's id is made the same way (`action_id`), or
"added-<n>" for one the facilitator added: it stays when other actions are added, dropped or reworded, so a
series' done mark keeps pointing at the right one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace
from typing import Any

from pipeline.core.session import Session
from pipeline.core.types import Action, Edits, Insight, Insights, Quote, Turns

ADDED = "added-"  # the ids of insights and actions the facilitator added


def text_key(text: str) -> str:
    """A stable key for an insight or action: a short hash of its original text."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


def action_id(action: Action) -> str:
    """An action's id: the one it carries (`apply_edits` gives every action one), else the key of its text, which
    is what an action of insights.json, or of a file written before ids, has."""
    return action.id or text_key(action.text)


def is_added(action: Action) -> bool:
    """An action the facilitator added (typed on the top 7 page, not found in the conversation)."""
    return (action.id or "").startswith(ADDED)


def time_key(seconds: float) -> str:
    """The key of a turn in corrections.json: its start time (turns are never renumbered by a rename)."""
    return f"{seconds:.2f}"


# -- transcript corrections ----------------------------------------------------------------------------------
def apply_corrections(turns: Turns, corrections: dict[str, dict[str, Any]]) -> Turns:
    """Turns with corrected lines in place of what the recogniser heard (marked `corrected` in turns.json)."""
    if not corrections:
        return turns
    changed = []
    fixed: list[float] = []
    for turn in turns.turns:
        entry = corrections.get(time_key(turn.start))
        if entry and str(entry.get("text", "")).strip():
            changed.append(replace(turn, text=str(entry["text"]).strip()))
            fixed.append(turn.start)
        else:
            changed.append(turn)
    if not fixed:
        return replace(turns, turns=tuple(changed))
    return replace(turns, turns=tuple(changed), corrected=tuple(time_key(t) for t in fixed))


def save_correction(session: Session, start: float, text: str, *, original: str, speaker: str) -> None:
    """Record a corrected line (an empty text, or the original one, removes the correction)."""
    turns = session.corrections()
    if text.strip() and " ".join(text.split()) != " ".join(original.split()):
        turns[time_key(start)] = {"text": " ".join(text.split()), "original": original, "speaker": speaker,
                                  "at": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    else:
        turns.pop(time_key(start), None)
    session.save_corrections(turns)


# -- top 7 and action edits ------------------------------------------------------------------------------------
def apply_edits(insights: Insights, edits: Edits, *, keep_dropped: bool = False) -> Insights:
    """insights.json with the facilitator's edits applied: wording, order, dropped, added, action owner/due.

    Edited insights carry `edited: true` and `original_text`; `keep_dropped` keeps dropped ones (marked
    `dropped: true`) for the page that shows them.
    """
    if not edits:
        return insights
    pool: list[Insight] = []
    for insight in insights.insights:
        key = text_key(insight.text)
        change = edits.insights.get(key)
        marks: dict[str, Any] = {"key": key}
        text = (change.text if change else None) or insight.text
        title = (change.title if change else None) or insight.title
        if text != insight.text or title != insight.title:
            marks.update(edited=True, original_text=insight.text)
        if change is not None and change.dropped:
            if not keep_dropped:
                continue
            marks["dropped"] = True
        pool.append(replace(insight, text=text, title=title).mark(**marks))
    for added in edits.added:
        quote = Quote(added.speaker, added.start, added.end, added.text)
        pool.append(Insight(0, added.title, added.text, added.speakers, 0.0, (quote,),
                            {"key": added.key, "edited": True, "added_by_facilitator": True}))
    order = {key: n for n, key in enumerate(edits.order or ())}
    ranked = sorted(enumerate(pool), key=lambda p: (order.get(p[1].key or "", len(order) + p[0]), p[0]))
    kept = tuple(replace(insight, rank=rank) for rank, (_, insight) in enumerate(ranked, 1))
    actions = tuple(action for action, dropped in edited_actions(insights.actions, edits) if not dropped)
    return replace(insights, insights=kept, actions=actions).with_extra(edited=True)


def edited_actions(actions: tuple[Action, ...], edits: Edits) -> list[tuple[Action, bool]]:
    """The actions with the facilitator's changes (owner, due date, wording), each with its id and whether it was
    dropped; the added ones after them. A reworded or added action was typed: it has no recognition confidence."""
    out: list[tuple[Action, bool]] = []
    for action in actions:
        key = action_id(action)
        new = edits.actions.get(key)
        if new:
            owner = (new.owner if new.owner is not None else action.owner) or None
            due = (new.due if new.due is not None else action.due) or None
            text = new.text or action.text
            action = Action(owner, text, due, action.start, action.due_date if new.due is None else None,
                            action.confidence if text == action.text else None, key)
        out.append((replace(action, id=key), bool(new and new.dropped)))
    for added in edits.added_actions:
        out.append((Action(added.owner or None, added.text, added.due or None, 0.0, id=added.id), False))
    return out
