"""What a comment means: a vote, a rewording, a proposed missing insight or a remark; and where it belongs when the
bookmarks are gone (matching the paragraph text against the draft).
"""
from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pipeline.core.language import texts
from pipeline.core.types import TOP_N, Insights
from pipeline.review import draft as docx_draft
from pipeline.review.ooxml import Target

log = logging.getLogger(__name__)

ANONYMOUS = {"", "unknown", "onbekend", "author", "auteur", "user", "gebruiker", "anonymous", "anoniem"}

_VOTE_END = r"(?=$|[^\w])"
DOWN_RE = re.compile(
    r"^(?:-\s?1|👎|(?:ik\s+ben\s+het\s+)?(?:er\s+)?(?:helemaal\s+|totaal\s+)?niet\s+(?:mee\s+)?eens"
    r"|(?:helemaal\s+|totaal\s+)?(?:mee\s+)?oneens|niet\s+akkoord|nee|no|(?:i\s+)?(?:strongly\s+)?disagreed?"
    # "klopt niet" (the participant's page's "not right" on an action) before UP_RE's "klopt" reads it as agreeing
    r"|(?:dit\s+|dat\s+|het\s+)?klopt\s+(?:helemaal\s+|echt\s+)?niet|(?:dat\s+is\s+)?(?:niet\s+juist|onjuist)"
    r"|(?:that'?s\s+|this\s+is\s+|it'?s\s+)?(?:not\s+right|not\s+correct|incorrect|wrong))"
    + _VOTE_END)
UP_RE = re.compile(
    r"^(?:\+\s?1|👍|(?:ik\s+ben\s+het\s+)?(?:er\s+)?(?:helemaal\s+|volledig\s+|zeker\s+)?(?:mee\s+)?eens"
    r"|ja|klopt|akkoord|inderdaad|precies|yes|(?:i\s+)?(?:fully\s+|completely\s+|strongly\s+)?agreed?)"
    + _VOTE_END)
_PLUS_ANYWHERE = re.compile(r"(?<![\w+\-])\+1(?!\d)")
_MINUS_ANYWHERE = re.compile(r"(?<![\w+\-])-1(?!\d)")
_REWORD_RE = re.compile(
    r"(?is)(?:^|[\s,.;(])(?:beter|voorstel|liever|suggestie|herformulering|formulering|anders\s+gezegd|better|"
    r"suggestion|proposal|rather|rephrase|reword)\s*[:=]\s*(.+)$")
_QUOTED_RE = re.compile(r"[\u201c\u201e\"\u2018\u00ab'](.+?)[\u201d\"\u2019\u00bb']", re.S)
_MISSING_PREFIX = re.compile(
    r"(?is)^\s*(?:mist|ontbreekt|missing|toevoegen|add|voorstel|nieuw|new|extra)\s*(?:inzicht|insight)?\s*[:\-]\s*")




# -- understanding a comment -----------------------------------------------------------------------------------
def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"[\U0001F3FB-\U0001F3FF\uFE0F]", "", text)  # skin tones, emoji presentation selector
    return re.sub(r"\s+", " ", text).strip().lower()


def author_key(author: str) -> str:
    """People match across copies by name, ignoring case, accents and spacing."""
    folded = unicodedata.normalize("NFKD", author)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", folded).strip().casefold()


def _strip_quotes(text: str) -> str:
    return text.strip().strip("\"'\u201c\u201d\u201e\u2018\u2019\u00ab\u00bb").strip()


@dataclass(frozen=True)
class Interpretation:
    kind: str  # vote | rewording | missing | remark | empty
    vote: int = 0  # +1, -1 or 0
    rewording: str | None = None
    explicit: bool = False  # rewording marked with beter:/voorstel:/... or in quotes
    proposal: str | None = None  # a proposed missing insight

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "vote": self.vote, "rewording": self.rewording, "explicit": self.explicit,
                "proposal": self.proposal}


def vote_of(text: str) -> int:
    """+1, -1 or 0 for a comment's text."""
    norm = normalise(text)
    head = re.split(r"[.,;:!?\n(]| maar | but ", norm, maxsplit=1)[0].strip()
    for candidate in (norm, head):
        if DOWN_RE.match(candidate):
            return -1
        if UP_RE.match(candidate):
            return 1
    up = "👍" in norm or bool(_PLUS_ANYWHERE.search(norm))
    down = "👎" in norm or bool(_MINUS_ANYWHERE.search(norm))
    return 1 if up and not down else -1 if down and not up else 0


def interpret(text: str, kind: str) -> Interpretation:
    """What a comment on a unit of `kind` (insight, missing, summary, ...) says."""
    stripped = text.strip()
    if not stripped:
        return Interpretation("empty")
    if kind == "missing":
        if vote_of(stripped) and len(stripped.split()) <= 3:
            return Interpretation("remark", vote=vote_of(stripped))
        proposal = _strip_quotes(_MISSING_PREFIX.sub("", stripped))
        return Interpretation("missing", proposal=proposal or stripped)
    rewording, explicit = None, False
    if m := _REWORD_RE.search(stripped):
        rewording, explicit = _strip_quotes(m.group(1)), True
        before = stripped[: m.start()]
    else:
        quoted = [q for q in _QUOTED_RE.findall(stripped) if len(q.split()) >= 3]
        if quoted:
            rewording, explicit = _strip_quotes(max(quoted, key=len)), True
        before = stripped
    vote = vote_of(before) if before.strip() else 0
    if rewording is None and vote == 0 and len(stripped.split()) >= 8 and not stripped.endswith("?"):
        rewording = stripped
    if rewording is not None:
        return Interpretation("rewording", vote=vote, rewording=rewording, explicit=explicit)
    if vote:
        return Interpretation("vote", vote=vote)
    return Interpretation("remark")


# -- mapping by text when bookmarks are gone ------------------------------------------------------------------
def _expected_texts(insights: Insights) -> list[tuple[str, Target]]:
    lab = texts(insights.language, "draft")
    expected: list[tuple[str, Target]] = [(normalise(lab["missing"]), Target("missing", None, "text"))]
    for insight in insights.insights[:TOP_N]:
        target = Target("insight", insight.rank, "text")
        expected.append((normalise(docx_draft.insight_heading_text(insight)), target))
        expected += [(normalise(docx_draft.quote_text(q)), target) for q in insight.quotes[:2]]
    for i, sentence in enumerate(insights.summary, start=1):
        expected.append((normalise(sentence), Target("summary", i, "text")))
    for part in insights.sections or ():  # the summary's lines as the draft shows them: after their moment
        for line, moment, text in docx_draft.summary_lines(part, len(insights.summary)):
            if line:
                shown = docx_draft.summary_line_text(moment, text)
                expected.append((normalise(shown), Target("summary", line, "text")))
    for i, action in enumerate(insights.actions, start=1):
        expected.append((normalise(action.text), Target("action", i, "text")))
    return expected


def _match_text(text: str, expected: list[tuple[str, Target]]) -> Target | None:
    norm = normalise(text)
    if len(norm) < 4:
        return None
    best, best_ratio = None, 0.0
    for candidate, target in expected:
        if norm == candidate:
            return target
        matcher = difflib.SequenceMatcher(None, norm, candidate)
        if matcher.real_quick_ratio() < 0.85 or matcher.quick_ratio() < 0.85:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = target, ratio
    return best if best_ratio >= 0.85 else None
