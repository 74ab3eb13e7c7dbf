"""From interpreted comments to the final ranking: one vote per person, rewordings, added insights, what changed.

Ranking rule (RANKING_RULE): the review starts from the draft's order as it was sent (the facilitator's order, not
the model's scores): base score = 1 for the first insight down to 0 for the last, evenly spaced; final score = base
+ net votes / number of reviewers. A rewording is adopted when it is explicit (or proposed by two people) and the
insight has no more down than up votes; a missing insight is added when at least MIN_SUPPORT_NEW people propose it
(similar wording) and then ranks with the median base score of the top 7 plus its proposers as up votes.
"""
from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pipeline.core.language import counted, texts
from pipeline.core.types import TOP_N, Insight, Insights
from pipeline.review.interpret import ANONYMOUS, author_key, interpret, normalise

log = logging.getLogger(__name__)

VOTE_WEIGHT = 1.0
MIN_SUPPORT_NEW = 2
REWORD_SIMILAR = 0.85
PROPOSAL_SIMILAR = 0.6

RANKING_RULE = (
    "the review starts from the draft's order as sent: base score = 1 for the first insight down to 0 for the last, "
    f"evenly spaced; final score = base + {VOTE_WEIGHT} x (up - down) / reviewers; ties keep the draft order. "
    "One vote per person per insight (latest wins). A rewording is adopted when it is explicit (beter:/voorstel:/"
    "liever:/quoted, or the same wording from 2 people) and the insight has no more down than up votes. A missing "
    f"insight is added when at least {MIN_SUPPORT_NEW} people propose it (similar wording); it ranks with the "
    "median base score of the top 7 and its proposers as up votes."
)



def _person(record: dict[str, Any]) -> str:
    key = author_key(record["author"])
    return key if key not in ANONYMOUS else f"anonymous:{(record.get('file_sha256') or record['id'])[:10]}"


def _sort_key(record: dict[str, Any]) -> tuple[str, str, int]:
    return (record.get("date") or "", record.get("file") or "", record["order"])  # a browser answer has no file


def _interpret_all(records: list[dict[str, Any]]) -> None:
    """Add interpretation, person and duplicate marks to each record (in place)."""
    seen: dict[tuple[Any, ...], str] = {}
    for record in sorted(records, key=_sort_key):
        target = record.get("target") or {}
        kind = target.get("kind") or "unmapped"
        given = record.get("given")  # a browser answer is understood already (the page asked)
        record["interpretation"] = dict(given) if isinstance(given, dict) else interpret(record["text"], kind).to_dict()
        record["person"] = _person(record)
        # the same comment in two copies (LibreOffice renumbers ids): same person, text and anchor
        same = (record["person"], normalise(record["text"]), kind, target.get("index"),
                normalise(record.get("anchor_text") or ""))
        record["duplicate_of"] = seen.get(same)
        seen.setdefault(same, record["id"])
    for record in records:
        parent = record.get("reply_to")
        if parent and record["interpretation"]["kind"] in ("vote", "remark"):
            record["interpretation"]["supports"] = parent


def _similar(a: str, b: str, threshold: float) -> bool:
    na, nb = normalise(a), normalise(b)
    if na == nb:
        return True
    ta, tb = set(re.findall(r"\w+", na)), set(re.findall(r"\w+", nb))
    jaccard = len(ta & tb) / max(1, len(ta | tb))
    return max(difflib.SequenceMatcher(None, na, nb).ratio(), jaccard) >= threshold


def _group(items: list[dict[str, Any]], key: str, threshold: float) -> list[list[dict[str, Any]]]:
    groups: list[list[dict[str, Any]]] = []
    for item in items:
        for group in groups:
            if _similar(group[0][key], item[key], threshold):
                group.append(item)
                break
        else:
            groups.append([item])
    return groups


# Words a title does not end on (it would stop mid-phrase: "Werkdruk maakt een goede" once); articles, conjunctions,
# prepositions and the commonest adjectives before a noun, in both languages.
_OPEN_ENDS = {"de", "het", "een", "en", "of", "maar", "van", "voor", "met", "op", "in", "aan", "naar", "bij", "om",
              "te", "goede", "goed", "nieuwe", "eigen", "elke", "ieder", "iedere", "the", "a", "an", "and", "or",
              "but", "for", "with", "on", "at", "to", "by", "good", "new", "own", "every", "each"}


def _title_from(text: str, most: int = 5, whole: int = 6) -> str:
    """A proposed insight's title: its first sentence when it has at most `whole` words, else its first `most`
    words, never ending on an article, preposition or adjective."""
    words = re.sub(r"[.!?].*$", "", text.strip(), flags=re.S).split()
    if len(words) > 2 and words[0].lower() in {"de", "het", "een", "the", "a", "an"}:
        words = words[1:]  # "De werkdruk maakt ..." -> "Werkdruk maakt ..."
    words = [w.strip(",;:") for w in (words if len(words) <= whole else words[:most])]
    while len(words) > 1 and words[-1].lower() in _OPEN_ENDS:
        words.pop()
    title = " ".join(words)
    return (title[:1].upper() + title[1:]) if title else text[:40]


def _names(people: Sequence[str], display: dict[str, str]) -> list[str]:
    return [display.get(p, p) for p in people]


def _aggregate(records: list[dict[str, Any]], insights: Insights) -> dict[str, Any]:
    """Votes per insight, adopted rewordings, added insights and the new order."""
    counted = [r for r in records if r.get("duplicate_of") is None]
    display: dict[str, str] = {}
    for r in sorted(counted, key=_sort_key):
        display.setdefault(r["person"], r["author"] or "(anoniem)")
    reviewers = sorted({r["person"] for r in counted if (r.get("target") or {}).get("kind")})
    by_id = {r["id"]: r for r in records}

    # one vote per person per insight: the latest wins
    votes: dict[int, dict[str, int]] = {}
    for r in sorted(counted, key=_sort_key):
        target = r.get("target") or {}
        if target.get("kind") != "insight":
            continue
        vote = r["interpretation"]["vote"]
        if vote:
            votes.setdefault(int(target["index"]), {})[r["person"]] = vote
    # rewordings, one per person per insight (latest), plus agreeing replies
    rewordings: dict[int, dict[str, dict[str, Any]]] = {}
    for r in sorted(counted, key=_sort_key):
        target = r.get("target") or {}
        if target.get("kind") == "insight" and r["interpretation"].get("rewording"):
            rewordings.setdefault(int(target["index"]), {})[r["person"]] = {
                "text": r["interpretation"]["rewording"], "explicit": r["interpretation"]["explicit"],
                "person": r["person"], "id": r["id"], "date": r.get("date")}
    reply_support: dict[str, set[str]] = {}
    for r in counted:
        parent = r["interpretation"].get("supports")
        if parent and r["interpretation"]["vote"] > 0 and parent in by_id:
            reply_support.setdefault(parent, set()).add(r["person"])

    pool = sorted(insights.insights, key=lambda i: i.rank)  # the order as sent: the facilitator's, edits and all

    def norm_score(insight: Insight, position: int) -> float:
        return 1.0 - position / max(1, len(pool) - 1)

    n_reviewers = max(1, len(reviewers))
    entries: list[dict[str, Any]] = []
    for position, insight in enumerate(pool):
        per_person = votes.get(insight.rank, {}) if insight.rank <= TOP_N and position < TOP_N else {}
        up = sorted(p for p, v in per_person.items() if v > 0)
        down = sorted(p for p, v in per_person.items() if v < 0)
        adopted = None
        proposals = list(rewordings.get(insight.rank, {}).values()) if position < TOP_N else []
        if proposals and len(up) >= len(down):
            groups = _group(sorted(proposals, key=lambda p: p.get("date") or ""), "text", REWORD_SIMILAR)
            ranked = []
            for group in groups:
                backers: set[str] = {p["person"] for p in group}
                for p in group:
                    backers |= reply_support.get(p["id"], set())
                ranked.append((len(backers), any(p["explicit"] for p in group), group, backers))
            ranked.sort(key=lambda g: (-g[0], not g[1]))
            support, explicit, group, backers = ranked[0]
            if explicit or support >= 2:
                chosen = next((p for p in group if p["explicit"]), group[0])
                adopted = {"text": chosen["text"], "by": _names(sorted(backers), display),
                           "comment": chosen["id"]}
        base = norm_score(insight, position)
        final = base + VOTE_WEIGHT * (len(up) - len(down)) / n_reviewers
        entries.append({"insight": insight, "original_rank": insight.rank, "base": base, "final": final,
                        "up": up, "down": down, "rewording": adopted, "position": position, "added": False})

    # proposed missing insights
    missing = [{"text": r["interpretation"]["proposal"], "person": r["person"], "id": r["id"],
                "date": r.get("date")}
               for r in sorted(counted, key=_sort_key) if r["interpretation"]["kind"] == "missing"]
    proposals_out: list[dict[str, Any]] = []
    top_bases = sorted(e["base"] for e in entries[:TOP_N])
    median = top_bases[len(top_bases) // 2] if top_bases else 0.5
    for group in _group(missing, "text", PROPOSAL_SIMILAR):
        people: set[str] = {p["person"] for p in group}
        for p in group:
            people |= reply_support.get(p["id"], set())
        supporters: list[str] = sorted(people)
        added = len(supporters) >= MIN_SUPPORT_NEW
        proposals_out.append({"text": group[0]["text"], "variants": [p["text"] for p in group[1:]],
                              "proposed_by": _names(supporters, display), "comments": [p["id"] for p in group],
                              "added": added})
        if added:
            text = group[0]["text"]
            insight = Insight(0, _title_from(text), text, tuple(_names(supporters, display)), 0.0, ())
            entries.append({"insight": insight, "original_rank": None, "base": median,
                            "final": median + VOTE_WEIGHT * len(supporters) / n_reviewers, "up": supporters,
                            "down": [], "rewording": None, "position": len(entries), "added": True})

    entries.sort(key=lambda e: (-round(e["final"], 9), e["position"]))
    return {"entries": entries, "reviewers": reviewers, "display": display, "proposals": proposals_out,
            "n_reviewers": n_reviewers}


def _final_insight(entry: dict[str, Any], rank: int, display: dict[str, str]) -> Insight:
    insight: Insight = entry["insight"]
    votes = {"up": len(entry["up"]), "down": len(entry["down"]), "net": len(entry["up"]) - len(entry["down"]),
             "voters": {**{display.get(p, p): 1 for p in entry["up"]},
                        **{display.get(p, p): -1 for p in entry["down"]}}}
    marks: dict[str, Any] = {"votes": votes, "original_rank": entry["original_rank"],
                             "original_score": round(insight.score, 4) if not entry["added"] else None}
    text = insight.text
    if entry["rewording"]:
        marks.update(original_text=insight.text, reworded_by=entry["rewording"]["by"])
        text = entry["rewording"]["text"]
    if entry["added"]:
        marks.update(added=True, proposed_by=list(insight.speakers))
    # A participant's rewording was typed, not recognised: its confidence is not the recogniser's to give.
    confidence = None if entry["rewording"] else insight.confidence
    return replace(insight.mark(**marks), rank=rank, text=text, score=round(entry["final"], 4),
                   confidence=confidence)


def _changes(entries: list[dict[str, Any]], aggregate: dict[str, Any], language: str,
             n_comments: int) -> list[dict[str, Any]]:
    """What changed and why, in the session's language; ranks are compared with the draft's order as sent."""
    lab = texts(language, "changes")
    display = aggregate["display"]
    names = ", ".join(display.get(p, p) for p in aggregate["reviewers"])
    top = min(TOP_N, len(entries))  # "Top 6" when six insights went out and none was added
    changes: list[dict[str, Any]] = []

    def tally(e: dict[str, Any]) -> str:
        return lab["tally"].format(up=len(e["up"]), down=len(e["down"]))

    count = len(aggregate["reviewers"])
    changes.append({"kind": "summary", "text": lab["summary"].format(
        people=counted(lab, "people", count), names=names, notes=counted(lab, "notes", n_comments))})
    for new_rank, e in enumerate(entries, start=1):
        title = e["insight"].title
        old = e["original_rank"]
        in_top = new_rank <= TOP_N
        if e["added"] and in_top:
            who = ", ".join(display.get(p, p) for p in e["up"])
            changes.append({"kind": "added", "title": title, "new_rank": new_rank,
                            "text": lab["added"].format(title=title, rank=new_rank, who=who)})
            continue
        if e["added"]:
            continue
        if old is not None and old <= TOP_N and not in_top:
            changes.append({"kind": "dropped", "title": title, "old_rank": old,
                            "text": lab["dropped"].format(title=title, top=top, old=old, tally=tally(e))})
        elif old is not None and old > TOP_N and in_top:
            changes.append({"kind": "came_in", "title": title, "old_rank": old, "new_rank": new_rank,
                            "text": lab["came_in"].format(title=title, top=top, rank=new_rank, old=old)})
        elif in_top and old is not None and old != new_rank:
            kind = "moved_up" if new_rank < old else "moved_down"
            changes.append({"kind": kind, "title": title, "old_rank": old, "new_rank": new_rank,
                            "text": lab[kind].format(title=title, old=old, rank=new_rank, tally=tally(e))})
        if in_top and e["rewording"]:
            changes.append({"kind": "reworded", "title": title,
                            "text": lab["reworded"].format(title=title, by=", ".join(e["rewording"]["by"]))})
    for p in aggregate["proposals"]:
        if not p["added"]:
            changes.append({"kind": "not_added", "text": lab["not_added"].format(
                n=MIN_SUPPORT_NEW, text=p["text"], who=", ".join(p["proposed_by"]))})
    if len(changes) == 1 + sum(1 for c in changes if c["kind"] == "not_added"):
        changes.insert(1, {"kind": "unchanged", "text": lab["unchanged"].format(top=top)})
    return changes
