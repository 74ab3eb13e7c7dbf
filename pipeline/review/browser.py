"""Browser answers as review entries: what a participant answered on their page becomes a comment record like one
read from a returned Word copy (author: the participant as named in the roster; `"source": "browser"`, no file),
so `collect`, the ranking rule, "what changed" and the mail treat both alike.

An answer is already understood (the page asked "agree?"), so its record carries its interpretation (`given`);
its `text` is what the same answer would say as a Word comment ("eens", "beter: ...").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.language import texts
from pipeline.core.types import Insights
from pipeline.review.answers import AnswerStore, existing_store, iso

SOURCE = "browser"


def item_of(kind: str, index: int | None = None) -> str:
    """The store's name of a thing answered on: "insight:3", "missing", "all" (the approval)."""
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
        seen = {(r["participant"], r["version"]) for r in self._rows}
        return [self._hashes[v] for _p, v in sorted(seen) if v in self._hashes]

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
            else:
                continue  # the approval (review.json's "approvals"), or an item this version does not have
            if field == "vote":
                vote = 1 if value == "agree" else -1 if value == "disagree" else 0
                if not vote:
                    continue
                given = {"kind": "vote", "vote": vote, "rewording": None, "explicit": False, "proposal": None}
                text = words["as_comment_agree" if vote > 0 else "as_comment_disagree"]
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
    return BrowserAnswers(store, Path(session).name)
