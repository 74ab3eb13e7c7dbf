"""People's changes kept apart from what the models wrote, applied on top when a stage reads them.

`corrections.json` holds transcript lines corrected by hand; the names stage applies them to turns.json, so they
reach insights and draft and survive every re-run (transcript.json, Whisper's output, is never changed):

    {"turns": {"t1234": {"text": "corrected line", "original": "what Whisper heard", "speaker": "S1", "at": "…"}}}

A line is keyed by its turn's id (`core.types.turn_id`, e.g. "t1234"; a part of a split turn "t1234w7"), so a
correction stays on its line when the turn is moved, split or merged to another speaker. A file written before ids
keys a line by its turn's start ("12.34", `time_key`): it is still read (`correction_of`) and rewritten by ids on
the session's next run or change (`speakers.per_turn.migrate_corrections`).

`edits.json` holds the facilitator's changes to the top 7 and the actions, on top of insights.json; the draft
stage and `oogst collect` apply them:

    {"insights": {"<key>": {"text": …, "title": …, "dropped": true}}, "order": ["<key>", …],
     "added": [{"key": "added-1", "text", "title", "speakers", "start", "end"}],
     "actions": {"<id>": {"owner": …, "due": …, "text": …, "dropped": true}},
     "added_actions": [{"id": "added-1", "text", "owner", "due"}],
     "summary": {"<section key>": {"text": …, "heading": …, "phase": …, "original": …, "at": …}},
     "summary_dropped": [{"key": …, "text": …, "heading": …, "phase": …, "original": …, "at": …, "dropped_at": …}]}

A key is a short hash of the original text, so an edit stays with its insight when ranks change, and an edit whose
insight is gone after a re-run is simply not applied. An action's id is made the same way (`action_id`), or
"added-<n>" for one the facilitator added: it stays when other actions are added, dropped or reworded, so a
series' done mark keeps pointing at the right one.

A paragraph of the summary (`summary_sections`) the facilitator rewrote is keyed by its phase and heading
(`section_key`): the edit stays with it through a re-run that still has that paragraph, and a re-run whose summary
no longer has it moves the edit to "summary_dropped" (`carry_section_edits`), kept for the overview page's note.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from typing import Any

from pipeline.core.types import Action, Insight, Insights, Quote, SummarySection, Turn, Turns, _open

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
    """A turn's start as corrections.json keyed lines before turn ids (and as turns.json's "corrected" lists them)."""
    return f"{seconds:.2f}"


# -- transcript corrections ----------------------------------------------------------------------------------
def correction_of(corrections: Mapping[str, Mapping[str, Any]], turn: Turn) -> Mapping[str, Any] | None:
    """A turn's correction: by its id, else (a file written before ids, not yet rewritten) by its start."""
    found = corrections.get(turn.id) if turn.id else None
    return found if found is not None else corrections.get(time_key(turn.start))


def line_key(turn: Turn) -> str:
    """The key corrections.json gives a turn's line: its id (its start for a turn without one)."""
    return turn.id or time_key(turn.start)


def key_time(key: str) -> float | None:
    """The moment a correction's key names: a start ("12.34") or a turn's id ("t1234", "t1234_2"); None for a part
    of a split turn ("t1234w7") or anything else."""
    if is_time_key(key):
        return float(key)
    found = re.fullmatch(r"t(\d+)(?:_\d+)?", key)
    return int(found[1]) / 100 if found else None


def apply_corrections(turns: Turns, corrections: Mapping[str, dict[str, Any]], *,
                      later: Collection[str] = ()) -> Turns:
    """Turns with corrected lines in place of what the recogniser heard (marked `corrected` in turns.json, by start,
    and `corrected_ids`). `later`: ids whose corrections wait for the speaker changes (the parts of a split turn,
    `apply_id_corrections`)."""
    if not corrections:
        return turns
    changed = []
    fixed: list[Turn] = []
    for turn in turns.turns:
        entry = None if turn.id in later else correction_of(corrections, turn)
        if entry and str(entry.get("text", "")).strip():
            changed.append(replace(turn, text=str(entry["text"]).strip()))
            fixed.append(turn)
        else:
            changed.append(turn)
    if not fixed:
        return replace(turns, turns=tuple(changed))
    return replace(turns, turns=tuple(changed), corrected=tuple(time_key(t.start) for t in fixed),
                   extra={**turns.extra, "corrected_ids": [t.id for t in fixed]})


def is_time_key(key: str) -> bool:
    """A correction keyed by its turn's start (`time_key`, a file written before turn ids), not by a turn id."""
    try:
        float(key)
    except ValueError:
        return False
    return True


def apply_id_corrections(turns: Turns, corrections: Mapping[str, dict[str, Any]], parts: Collection[str]) -> Turns:
    """Turns with the lines corrected that are parts of a split turn (ids `parts`): applied after the speaker
    changes; their start is added to `corrected`, their id to `corrected_ids`."""
    by_id = {key: entry for key, entry in corrections.items() if key in parts
             and str(entry.get("text", "")).strip()}
    if not by_id:
        return turns
    changed = tuple(replace(t, text=str(by_id[t.id]["text"]).strip()) if t.id in by_id else t for t in turns.turns)
    fixed = [t for t in turns.turns if t.id in by_id]
    ids = [*turns.extra.get("corrected_ids", []), *(t.id for t in fixed)]
    return replace(turns, turns=changed, corrected=tuple(dict.fromkeys((*turns.corrected,
                                                                        *(time_key(t.start) for t in fixed)))),
                   extra={**turns.extra, "corrected_ids": list(dict.fromkeys(ids))})


ALIGNS = 0.6  # share of words in common (difflib ratio) for a correction's text to belong to a turn
REACH = 120.0  # seconds around its old place in which a correction's turn is looked for


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _alignment(entry: dict[str, Any], text: str) -> float:
    """How well a turn's text matches a correction: the better of its original (what the old model heard) and its
    corrected text (what was said, which a better model may hear)."""
    turn = _words(text)
    return max(SequenceMatcher(None, _words(str(entry.get(side, ""))), turn, autojunk=False).ratio()
               for side in ("original", "text"))


def carry_corrections(turns: Turns, corrections: dict[str, dict[str, Any]], unplaced: list[dict[str, Any]], *,
                      parts: Collection[str] = ()) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Corrections made on an earlier transcript, placed on the turns of the current one (a new model, another
    number of speakers, times shifted): each stays on its turn (by id, or by start for a file written before ids)
    when that turn's text still aligns with it, else goes to the turn within `REACH` seconds of the moment its key
    names whose text aligns best (at least `ALIGNS`), keyed by that turn's id, with `original` the new turn's text
    and `moved_from` its old key. Those that align with no turn, and earlier unplaced ones that still do not, are
    returned as unplaced: kept and listed, never dropped.

    Args:
        unplaced: corrections that did not fit an earlier transcript (tried again here).
        parts: ids of the parts of split turns (`speakers.per_turn.split_ids`): the speaker changes place them.
    """
    by_key = {line_key(t): t for t in turns.turns}
    by_key.update({time_key(t.start): t for t in turns.turns if time_key(t.start) not in by_key})
    placed: dict[str, dict[str, Any]] = {}
    left: list[dict[str, Any]] = []
    pending = [(key, entry) for key, entry in corrections.items()]
    pending += [(str(e.get("key", "")), {k: v for k, v in e.items() if k != "key"}) for e in unplaced]
    for key, entry in pending:
        if key in parts or (key and key_time(key) is None):  # a part of a split turn: the speaker changes place it
            placed[key] = entry
            continue
        here = by_key.get(key)
        if here is not None and line_key(here) not in placed and _alignment(entry, here.text) >= ALIGNS:
            placed[line_key(here)] = entry
            continue
        was = key_time(key)
        near = [t for t in turns.turns if was is None or abs(t.start - was) <= REACH]
        scored = sorted(((_alignment(entry, t.text), -abs(t.start - (was if was is not None else t.start)), t)
                         for t in near if line_key(t) not in placed), key=lambda x: (x[0], x[1]), reverse=True)
        if scored and scored[0][0] >= ALIGNS:
            turn = scored[0][2]
            placed[line_key(turn)] = {**entry, "original": turn.text, "moved_from": key, "speaker": turn.speaker}
        else:
            left.append({"key": key, **entry})
    return placed, left


def with_correction(corrections: dict[str, dict[str, Any]], start: float, text: str, *, original: str,
                    speaker: str, key: str | None = None) -> dict[str, dict[str, Any]]:
    """corrections.json's lines with this line corrected (an empty text, or the original one, removes it). `key`:
    the turn's id (what is written; without one, its start as before ids); a key by its start goes with it."""
    turns = dict(corrections)
    if key and key != time_key(start):
        turns.pop(time_key(start), None)
    key = key or time_key(start)
    if text.strip() and " ".join(text.split()) != " ".join(original.split()):
        turns[key] = {"text": " ".join(text.split()), "original": original, "speaker": speaker,
                      "at": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    else:
        turns.pop(key, None)
    return turns


# -- the facilitator's edits on the top 7 and the actions (edits.json, `core.layers`) ----------------------------------
@dataclass(frozen=True)
class InsightEdit:
    """A change to one insight: new wording, new title, dropped (None: not changed)."""

    text: str | None = None
    title: str | None = None
    dropped: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("title", self.title), ("text", self.text), ("dropped", self.dropped))
                if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InsightEdit:
        return cls(d.get("text"), d.get("title"), d.get("dropped"))

    @property
    def empty(self) -> bool:
        return not self.to_dict()


@dataclass(frozen=True)
class AddedInsight:
    """A transcript line the facilitator promoted to an insight."""

    key: str  # "added-<turn start>"
    text: str
    title: str
    speakers: tuple[str, ...] = ()
    speaker: str = ""
    start: float = 0.0
    end: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text, "title": self.title, "speakers": list(self.speakers),
                "speaker": self.speaker, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AddedInsight:
        return cls(str(d["key"]), str(d["text"]), str(d.get("title") or str(d["text"])[:40]),
                   tuple(d.get("speakers", [])), str(d.get("speaker") or ""), float(d.get("start", 0.0)),
                   float(d.get("end", 0.0)))


@dataclass(frozen=True)
class ActionEdit:
    """A change to one action: new owner or due date ("" clears it), new wording, dropped (None: not changed)."""

    owner: str | None = None
    due: str | None = None
    text: str | None = None
    dropped: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("owner", self.owner), ("due", self.due), ("text", self.text),
                                  ("dropped", self.dropped)) if v is not None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ActionEdit:
        return cls(d.get("owner"), d.get("due"), d.get("text"), d.get("dropped"))

    @property
    def empty(self) -> bool:
        return not self.to_dict()


@dataclass(frozen=True)
class AddedAction:
    """An action the facilitator added on the top 7 page."""

    id: str  # "added-<n>": never reused in the session, so a series' done mark keeps pointing at it
    text: str
    owner: str = ""
    due: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "owner": self.owner, "due": self.due}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AddedAction:
        return cls(str(d["id"]), str(d["text"]), str(d.get("owner") or ""), str(d.get("due") or ""))


@dataclass(frozen=True)
class SectionEdit:
    """A paragraph of the summary in the facilitator's words: which one (heading, phase) and what it said then."""

    text: str
    heading: str = ""
    phase: str | None = None
    original: str = ""  # the paragraph as said when it was rewritten
    at: str = ""  # when (ISO, local time)
    key: str = ""  # its section's key (`section_key`); set in "summary_dropped", where the list has no keys
    dropped_at: str = ""  # when a re-run's summary no longer had its paragraph (in "summary_dropped")

    def to_dict(self) -> dict[str, Any]:
        out = {"text": self.text, "heading": self.heading, "phase": self.phase, "original": self.original,
               "at": self.at}
        if self.dropped_at:
            out["dropped_at"] = self.dropped_at
        return {"key": self.key, **out} if self.key else out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SectionEdit:
        return cls(str(d.get("text") or ""), str(d.get("heading") or ""), d.get("phase"),
                   str(d.get("original") or ""), str(d.get("at") or ""), str(d.get("key") or ""),
                   str(d.get("dropped_at") or ""))


@dataclass(frozen=True)
class Edits:
    """edits.json: `{"insights": {"<key>": {...}}, "order": ["<key>", ...], "added": [...], "actions": {...},
    "added_actions": [...], "last_action": n, "summary": {"<section key>": {...}}, "summary_dropped": [...]}`."""

    insights: dict[str, InsightEdit] = field(default_factory=dict)
    order: tuple[str, ...] | None = None  # None: the ranking's order
    added: tuple[AddedInsight, ...] = ()
    actions: dict[str, ActionEdit] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    added_actions: tuple[AddedAction, ...] = ()
    last_action: int = 0  # the number of the last action added (added-<n>): never reused
    summary: dict[str, SectionEdit] = field(default_factory=dict)  # the summary's paragraphs rewritten
    summary_dropped: tuple[SectionEdit, ...] = ()  # rewritten paragraphs a re-run's summary no longer has

    def __bool__(self) -> bool:
        return bool(self.insights or self.order is not None or self.added or self.actions or self.extra
                    or self.added_actions or self.last_action or self.summary or self.summary_dropped)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.insights:
            out["insights"] = {k: e.to_dict() for k, e in self.insights.items()}
        if self.order is not None:
            out["order"] = list(self.order)
        if self.added:
            out["added"] = [a.to_dict() for a in self.added]
        if self.actions:
            out["actions"] = {k: e.to_dict() for k, e in self.actions.items()}
        if self.added_actions:
            out["added_actions"] = [a.to_dict() for a in self.added_actions]
        if self.last_action:
            out["last_action"] = self.last_action
        if self.summary:
            out["summary"] = {k: e.to_dict() for k, e in self.summary.items()}
        if self.summary_dropped:
            out["summary_dropped"] = [e.to_dict() for e in self.summary_dropped]
        return {**out, **self.extra}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Edits:
        return cls({str(k): InsightEdit.from_dict(v) for k, v in (d.get("insights") or {}).items()},
                   tuple(d["order"]) if isinstance(d.get("order"), list) else None,
                   tuple(AddedInsight.from_dict(a) for a in d.get("added") or []),
                   {str(k): ActionEdit.from_dict(v) for k, v in (d.get("actions") or {}).items()},
                   _open(d, {"insights", "order", "added", "actions", "added_actions", "last_action", "summary",
                             "summary_dropped"}),
                   tuple(AddedAction.from_dict(a) for a in d.get("added_actions") or []),
                   int(d.get("last_action") or 0),
                   {str(k): SectionEdit.from_dict(v) for k, v in (d.get("summary") or {}).items()},
                   tuple(SectionEdit.from_dict(e) for e in d.get("summary_dropped") or []))


# -- top 7 and action edits applied -----------------------------------------------------------------------------
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
    return replace(insights, insights=kept, actions=actions,
                   sections=edited_sections(insights.sections, edits)).with_extra(edited=True)


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


# -- the summary's paragraphs rewritten (edits.json "summary") ----------------------------------------------------
def section_keys(sections: Collection[SummarySection]) -> list[str]:
    """The key of each paragraph, in order (`section_key`)."""
    seen: dict[str, int] = {}
    keys = []
    for section in sections:
        base = text_key(f"{section.phase or ''}\n{section.heading}")
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return keys


def section_key(sections: Collection[SummarySection], section: SummarySection) -> str:
    """A paragraph's key: a short hash of its phase and heading (the n-th with the same ones gets "-n"), so a
    facilitator's text stays with "the advice" or a theme when a re-run picks other sentences for it."""
    return section_keys(sections)[list(sections).index(section)]


def edited_sections(sections: tuple[SummarySection, ...] | None, edits: Edits
                    ) -> tuple[SummarySection, ...] | None:
    """The summary's paragraphs with the facilitator's text in place of those they rewrote."""
    if not sections or not edits.summary:
        return sections
    return tuple(replace(section, written=edits.summary[key].text) if key in edits.summary else section
                 for key, section in zip(section_keys(sections), sections, strict=True))


def carry_section_edits(edits: Edits, sections: tuple[SummarySection, ...] | None, *, now: str) -> Edits:
    """After a re-run of the insights: the rewritten paragraphs whose paragraph (same phase and heading) is still
    there stay; the others move to `summary_dropped` (with `now`, when), where the overview page names them."""
    keys = set(section_keys(sections or ()))
    gone = {key: edit for key, edit in edits.summary.items() if key not in keys}
    if not gone:
        return edits
    kept = {key: edit for key, edit in edits.summary.items() if key in keys}
    dropped = tuple(replace(edit, key=key, dropped_at=now) for key, edit in gone.items())
    return replace(edits, summary=kept, summary_dropped=(*edits.summary_dropped, *dropped))
