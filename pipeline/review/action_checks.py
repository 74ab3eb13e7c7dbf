"""Action points someone said are not right: for the facilitator to act on, in final.json ("action_checks") and in
"what changed" (final.json's "changes", final.docx).

A Word comment on an action's row ("klopt niet", "onjuist", "not right", ...: a down vote, `interpret.DOWN_RE`) and
"Klopt niet" on the participant's page (`review.browser`) count alike: per person their latest vote on the action
(the comment's date, the browser's save time); the remarks on the action go with it.
"""

from __future__ import annotations

from typing import Any

from pipeline.core.language import texts
from pipeline.core.layers import action_id
from pipeline.core.types import Insights
from pipeline.review.aggregate import _sort_key
from pipeline.review.interpret import DOWN_RE, UP_RE, normalise


def _bare_vote(text: str) -> bool:
    """A comment that is only a vote ("klopt niet", "oneens."), nothing for the facilitator to read."""
    norm = normalise(text).rstrip(".!")
    m = DOWN_RE.match(norm) or UP_RE.match(norm)
    return m is not None and m.end() >= len(norm)


def action_checks(records: list[dict[str, Any]], insights: Insights, display: dict[str, str]) -> list[dict[str, Any]]:
    """Per action point of the version that at least one person finds not right (their latest vote): its number, id,
    owner, text, who said so, who said it is right, and the remarks on it (name, text), oldest first."""
    votes: dict[int, dict[str, int]] = {}
    remarks: dict[int, list[dict[str, str]]] = {}
    for record in sorted((r for r in records if r.get("duplicate_of") is None), key=_sort_key):
        target = record.get("target") or {}
        index = target.get("index")
        if target.get("kind") != "action" or not isinstance(index, int) or not 0 < index <= len(insights.actions):
            continue
        person = record["person"]
        vote = int(record["interpretation"].get("vote") or 0)
        if vote:
            votes.setdefault(index, {})[person] = vote
        if not _bare_vote(str(record.get("text") or "")):
            remarks.setdefault(index, []).append({"by": display.get(person, person), "text": str(record["text"])})
    checks = []
    for index in sorted(votes):
        wrong = sorted(p for p, v in votes[index].items() if v < 0)
        if not wrong:
            continue
        action = insights.actions[index - 1]
        checks.append({"number": index, "id": action_id(action), "owner": action.owner, "text": action.text,
                       "not_right": [display.get(p, p) for p in wrong],
                       "right": [display.get(p, p) for p, v in sorted(votes[index].items()) if v > 0],
                       "remarks": remarks.get(index, [])})
    return checks


def check_changes(checks: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The "what changed" lines of the checks: one per action point found not right."""
    lab = texts(language, "changes")
    lines = []
    for check in checks:
        said = "; ".join(f"{r['by']}: {r['text'].strip().rstrip('.')}" for r in check["remarks"])
        lines.append({"kind": "action_not_right", "number": check["number"], "id": check["id"],
                      "text": lab["action_wrong"].format(n=check["number"], text=check["text"],
                                                         who=", ".join(check["not_right"]),
                                                         remarks=f" ({said})" if said else "")})
    return lines
