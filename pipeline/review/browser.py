"""Browser answers as review entries: what a participant answered on their page becomes a comment record like one
read from a returned Word copy (author: the participant as named in the roster; `"source": "browser"`, no file),
so `collect`, the ranking rule, "what changed" and the mail treat both alike.

An answer is already understood (the page asked "agree?"), so its record carries its interpretation (`given`);
its `text` is what the same answer would say as a Word comment ("eens", "beter: ...").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pipeline.core.language import texts
from pipeline.core.layers import action_id
from pipeline.core.types import Insights
from pipeline.review.answers import AnswerStore, existing_store, iso

SOURCE = "browser"


def item_of(kind: str, index: int | None = None) -> str:
    """The store's name of a thing answered on: "insight:3", "action:2", "carried:carried_<id>", "missing", "all"
    (the approval); see `review.items`."""
    return f"{kind}:{index}" if index is not None else kind


class BrowserAnswers:
    """The answers of one session's participants, for `review.final.collect`."""

    def __init__(self, store: AnswerStore, session: str) -> None:
        self.store = store
        self.session = session
        self._rows = store.answers(session)
        self._hashes = store.version_hashes(session)

    def hashes(self) -> list[str]:
        """The insights hash of the version each answering participant answered on (one per participant)."""
        latest: dict[str, str] = {}  # answers carried to a newer version (`AnswerStore.move`) count there only
        for row in self._rows:
            known = latest.get(row["participant"])
            if known is None or _number(row["version"]) > _number(known):
                latest[row["participant"]] = row["version"]
        return [self._hashes[v] for _p, v in sorted(latest.items()) if v in self._hashes]

    def _rows_for(self, insights_hash: str) -> list[dict[str, Any]]:
        versions = {v for v, h in self._hashes.items() if h == insights_hash}
        return [r for r in self._rows if r["version"] in versions]

    def records(self, insights: Insights) -> list[dict[str, Any]]:
        """Comment records (review.json's "comments") for the answers given on this version."""
        from pipeline.review.draft import insights_hash

        words = texts(insights.language, "participant")
        titles = {i.rank: i.title for i in insights.insights}
        records = []
        for order, row in enumerate(self._rows_for(insights_hash(insights))):
            kind, _, index = row["item"].partition(":")
            field, value = row["field"], row["value"]
            if kind == "insight" and index.isdigit() and int(index) in titles:
                target: dict[str, Any] = {"kind": "insight", "index": int(index), "via": SOURCE,
                                          "title": titles[int(index)]}
            elif kind == "missing" and field == "text":
                target = {"kind": "missing", "index": None, "via": SOURCE}
            elif kind == "action" and index.isdigit() and 0 < int(index) <= len(insights.actions):
                target = {"kind": "action", "index": int(index), "via": SOURCE,
                          "id": action_id(insights.actions[int(index) - 1])}  # as `review.final._target_dict`
            elif kind == "carried" and re.fullmatch(r"carried_[0-9a-f]+", index) and field in ("done", "remark"):
                # as a Word comment on the row's bookmark: `series.actions.done_marks` finds the action by it
                target = {"kind": "other", "index": None, "via": f"oogst_{index}_1"}
            else:
                continue  # the approval (review.json's "approvals"), or an item this version does not have
            if field == "vote":
                vote = 1 if value == "agree" else -1 if value == "disagree" else 0
                if not vote:
                    continue
                given = {"kind": "vote", "vote": vote, "rewording": None, "explicit": False, "proposal": None}
                said = ("as_comment_agree", "as_comment_disagree") if kind == "insight" else (
                    "as_comment_right", "as_comment_wrong")  # an action: "klopt" / "klopt niet"
                text = words[said[0] if vote > 0 else said[1]]
            elif field == "done":
                if value != "1":
                    continue
                given = {"kind": "remark", "vote": 0, "rewording": None, "explicit": False, "proposal": None}
                text = words["as_comment_done"]  # "gedaan", as `series.actions.is_done_comment` reads it
            elif field == "wording":
                given = {"kind": "rewording", "vote": 0, "rewording": value, "explicit": True, "proposal": None}
                text = words["as_comment_wording"].format(text=value)
            elif field == "remark":
                given = {"kind": "remark", "vote": 0, "rewording": None, "explicit": False, "proposal": None}
                text = value
            elif field == "text":
                given = {"kind": "missing", "vote": 0, "rewording": None, "explicit": False, "proposal": value}
                text = value
            else:
                continue
            records.append({
                "id": f"{SOURCE}:{row['version']}:{row['participant']}:{row['item']}:{field}",
                "source": SOURCE, "file": None, "file_sha256": None, "order": order, "comment_id": None,
                "author": row["participant"], "initials": "", "date": iso(row["saved"]), "text": text,
                "anchor_text": None, "paragraph_text": None, "reply_to": None, "resolved": False,
                "target": target, "given": given})
        return records

    def approvals(self, insights: Insights) -> list[dict[str, str]]:
        """Who approved the whole of this version, and when (review.json's "approvals")."""
        from pipeline.review.draft import insights_hash

        return [{"name": r["participant"], "at": iso(r["saved"]), "source": SOURCE}
                for r in self._rows_for(insights_hash(insights)) if r["item"] == "all" and r["field"] == "approve"
                and r["value"] == "1"]


def answers_for(state_dir: Path | None, session: Path, *, close: bool = False) -> BrowserAnswers | None:
    """A session's browser answers for `collect` (None: nobody was ever invited); `close` ends its round first (the
    links then say so, answers no longer change), as does a round whose deadline passed."""
    store = existing_store(state_dir, Path(session).parent)  # `session`: its folder in the outputs folder
    if store is None:
        return None
    if close or store.round_over(Path(session).name):
        store.close(Path(session).name)
    from pipeline.core.session import Session
    from pipeline.review.round import follow_all

    follow_all(Session(Path(session)), store)  # a version sent during the round: answers carried over to it
    return BrowserAnswers(store, Path(session).name)


def _number(version: str) -> int:
    return int(version[1:]) if version[1:].isdigit() else 0
