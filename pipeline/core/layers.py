"""People's changes kept apart from what the models wrote, applied on top when a stage reads them.

`corrections.json` holds transcript lines corrected by hand; the names stage applies them to turns.json, so they
reach insights and draft and survive every re-run (transcript.json, Whisper's output, is never changed):

    {"turns": {"12.34": {"text": "corrected line", "original": "what Whisper heard", "speaker": "S1", "at": "…"}}}

`edits.json` holds the facilitator's changes to the top 7 and the actions, on top of insights.json; the draft
stage and `oogst collect` apply them:

    {"insights": {"<key>": {"text": …, "title": …, "dropped": true}}, "order": ["<key>", …],
     "added": [{"key": "added-1", "text", "title", "speakers", "start", "end"}],
     "actions": {"<key>": {"owner": …, "due": …}}}

A key is a short hash of the original text, so an edit stays with its insight when ranks change, and an edit whose
insight is gone after a re-run is simply not applied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.core.errors import SessionError
from pipeline.core.store import atomic_write_json
from pipeline.core.types import Action, Insight, Insights, Quote, Turns

CORRECTIONS_FILE = "corrections.json"
EDITS_FILE = "edits.json"


def text_key(text: str) -> str:
    """A stable key for an insight or action: a short hash of its original text."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


def time_key(seconds: float) -> str:
    """The key of a turn in corrections.json: its start time (turns are never renumbered by a rename)."""
    return f"{seconds:.2f}"


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SessionError(f"{path}: damaged ({exc}); fix it by hand or delete it to drop those changes") from None
    return data if isinstance(data, dict) else {}


# -- transcript corrections ----------------------------------------------------------------------------------
def load_corrections(session_dir: Path) -> dict[str, dict[str, Any]]:
    turns = _load(Path(session_dir) / CORRECTIONS_FILE).get("turns", {})
    return turns if isinstance(turns, dict) else {}


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
    extra = {**turns.extra, "corrected": [time_key(t) for t in fixed]} if fixed else turns.extra
    return Turns(turns.speakers, tuple(changed), extra)


def save_correction(session_dir: Path, start: float, text: str, *, original: str, speaker: str) -> Path:
    """Record a corrected line (an empty text removes the correction)."""
    path = Path(session_dir) / CORRECTIONS_FILE
    data = _load(path)
    turns = data.setdefault("turns", {})
    if text.strip() and " ".join(text.split()) != " ".join(original.split()):
        turns[time_key(start)] = {"text": " ".join(text.split()), "original": original, "speaker": speaker,
                                  "at": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    else:
        turns.pop(time_key(start), None)
    return atomic_write_json(path, data)


# -- top 7 and action edits ------------------------------------------------------------------------------------
def load_edits(session_dir: Path) -> dict[str, Any]:
    return _load(Path(session_dir) / EDITS_FILE)


def save_edits(session_dir: Path, edits: dict[str, Any]) -> Path:
    return atomic_write_json(Path(session_dir) / EDITS_FILE, edits)


def apply_edits(insights: Insights, edits: dict[str, Any], *, keep_dropped: bool = False) -> Insights:
    """insights.json with the facilitator's edits applied: wording, order, dropped, added, action owner/due.

    Edited insights carry `edited: true` and `original_text`; `keep_dropped` keeps dropped ones (marked
    `dropped: true`) for the page that shows them.
    """
    if not edits:
        return insights
    changes = edits.get("insights", {})
    pool: list[Insight] = []
    for insight in insights.insights:
        key = text_key(insight.text)
        change = changes.get(key, {})
        extra = {**insight.extra, "key": key}
        text, title = change.get("text") or insight.text, change.get("title") or insight.title
        if text != insight.text or title != insight.title:
            extra.update(edited=True, original_text=insight.text)
        if change.get("dropped"):
            if not keep_dropped:
                continue
            extra["dropped"] = True
        pool.append(replace(insight, text=text, title=title, extra=extra))
    for added in edits.get("added", []):
        quote = Quote(str(added.get("speaker") or ""), float(added.get("start", 0.0)), float(added.get("end", 0.0)),
                      str(added["text"]))
        pool.append(Insight(0, str(added.get("title") or added["text"][:40]), str(added["text"]),
                            tuple(added.get("speakers", [])), 0.0, (quote,),
                            {"key": added["key"], "edited": True, "added_by_facilitator": True}))
    order = {key: n for n, key in enumerate(edits.get("order", []))}
    ranked = sorted(enumerate(pool), key=lambda p: (order.get(p[1].extra["key"], len(order) + p[0]), p[0]))
    kept = tuple(replace(insight, rank=rank) for rank, (_, insight) in enumerate(ranked, 1))
    action_changes = edits.get("actions", {})
    actions = []
    for action in insights.actions:
        change = action_changes.get(text_key(action.text))
        if change:
            owner, due = change.get("owner", action.owner) or None, change.get("due", action.due) or None
            action = Action(owner, action.text, due, action.start, action.due_date if "due" not in change else None,
                            action.confidence)
        actions.append(action)
    return Insights(insights.language, insights.summary, kept, tuple(actions), {**insights.extra, "edited": True})


# -- sent draft versions and the participants roster -------------------------------------------------------------
SENT_DIR = "sent"  # sent/v1/{insights.json, draft.docx, version.json}: the drafts as they went out
ROSTER_FILE = "roster.json"  # {"participants": [{"name", "email", "present"}]}


def sent_versions(session_dir: Path) -> list[Path]:
    """The frozen draft versions of a session, oldest first (sent/v1, sent/v2, …)."""
    folder = Path(session_dir) / SENT_DIR
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and p.name[:1] == "v" and p.name[1:].isdigit()
             and (p / "insights.json").is_file() and (p / "draft.docx").is_file()]
    return sorted(found, key=lambda p: int(p.name[1:]))


def load_roster(session_dir: Path) -> list[dict[str, Any]]:
    """The participants of a session: name, e-mail address (may be empty), present."""
    people = _load(Path(session_dir) / ROSTER_FILE).get("participants", [])
    return [p for p in people if isinstance(p, dict) and str(p.get("name", "")).strip()] if isinstance(
        people, list) else []


def save_roster(session_dir: Path, people: list[dict[str, Any]]) -> Path:
    clean = [{"name": str(p["name"]).strip(), "email": str(p.get("email") or "").strip(),
              "present": bool(p.get("present", True))} for p in people if str(p.get("name", "")).strip()]
    return atomic_write_json(Path(session_dir) / ROSTER_FILE, {"participants": clean})
