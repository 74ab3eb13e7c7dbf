"""The top 7 and actions page: edit wording, reorder, drop, promote a transcript line, set an action's owner or
due date. Every change goes into edits.json (a layer on insights.json, `core.layers`); the draft is rewritten."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.layers import apply_edits, load_corrections, load_edits, save_edits, text_key, time_key
from pipeline.core.lock import session_lock
from pipeline.core.store import Session, read_json
from pipeline.core.types import TOP_N, Insights, Turns
from pipeline.web.app import PageError, form, page, render, session_of
from pipeline.web.pages_sessions import WEB_OWNER, session_info, submit_rerun


def _insights(session: Session) -> Insights:
    if not session.path("insights.json").is_file():
        raise PageError(f"outputs/{session.name}: no insights yet; wait for the job to finish", 409)
    return Insights.from_dict(read_json(session.path("insights.json")))


def shown(session: Session) -> Insights:
    """insights.json with the edits, dropped ones kept (marked) so they can be restored."""
    return apply_edits(_insights(session), load_edits(session.root), keep_dropped=True)


async def insights_page(request: Request) -> Response:
    session = session_of(request)
    current = shown(session)
    items: list[dict[str, Any]] = []
    for insight in current.insights:
        items.append({"key": insight.extra["key"] if "key" in insight.extra else text_key(insight.text),
                      "rank": insight.rank, "title": insight.title, "text": insight.text,
                      "speakers": ", ".join(insight.speakers), "edited": bool(insight.extra.get("edited")),
                      "dropped": bool(insight.extra.get("dropped")), "original": insight.extra.get("original_text"),
                      "confidence": insight.confidence})
    actions = [{"key": text_key(a.text), "owner": a.owner or "", "due": a.due or "", "text": a.text}
               for a in current.actions]
    return render(request, "insights.html", s=session_info(request, session), has_turns=True, items=items,
                  actions=actions, top_n=TOP_N, saved=request.query_params.get("saved"))


def _order(session: Session, edits: dict[str, Any]) -> list[str]:
    return [i.extra["key"] for i in apply_edits(_insights(session), edits, keep_dropped=True).insights]


def change(session: Session, data: dict[str, str]) -> dict[str, Any]:
    """Apply one form action to the edits and return them (not yet saved)."""
    edits = load_edits(session.root) or {}
    what, key = data.get("do", ""), data.get("key", "")
    entry = edits.setdefault("insights", {}).setdefault(key, {}) if key and what != "action" else {}
    added = {a["key"]: a for a in edits.get("added", [])}
    if what == "save":
        title, text = " ".join(data.get("title", "").split())[:120], " ".join(data.get("text", "").split())[:1000]
        if not text:
            raise PageError("an insight needs a sentence; use Drop to leave it out")
        if key in added:
            added[key].update(title=title or added[key]["title"], text=text)
        else:
            entry.update(title=title, text=text)
    elif what in ("drop", "restore"):
        if key in added and what == "drop":
            edits["added"] = [a for a in edits.get("added", []) if a["key"] != key]
        else:
            entry["dropped"] = what == "drop"
    elif what in ("up", "down"):
        order = _order(session, edits)
        if key in order:
            at = order.index(key)
            other = at - 1 if what == "up" else at + 1
            if 0 <= other < len(order):
                order[at], order[other] = order[other], order[at]
            edits["order"] = order
    elif what == "promote":
        turns = Turns.from_dict(read_json(session.path("turns.json")))
        try:
            turn = turns.turns[int(data.get("n", ""))]
        except (ValueError, IndexError):
            raise PageError("that transcript line does not exist (any more); reload the page", 409) from None
        corrected = load_corrections(session.root).get(time_key(turn.start), {}).get("text")
        text = corrected or turn.text
        new_key = f"added-{time_key(turn.start)}"
        if new_key not in added:
            who = turns.name(turn.speaker)
            edits.setdefault("added", []).append({
                "key": new_key, "text": text, "title": " ".join(text.split()[:5]), "speakers": [who], "speaker": who,
                "start": turn.start, "end": turn.end})
            order = _order(session, edits)
            order.remove(new_key)
            edits["order"] = order[: min(TOP_N, len(order))] + [new_key] + order[min(TOP_N, len(order)):]
    elif what == "action":
        owner, due = " ".join(data.get("owner", "").split())[:80], " ".join(data.get("due", "").split())[:80]
        edits.setdefault("actions", {})[key] = {"owner": owner, "due": due}
    else:
        raise PageError(f"unknown change {what!r}")
    if key and what != "action" and not edits["insights"].get(key):
        edits["insights"].pop(key, None)
    return edits


async def edit(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    with session_lock(session.root, WEB_OWNER):
        save_edits(session.root, change(session, data))
    submit_rerun(request, session)
    anchor = f"#i-{data.get('key')}" if data.get("key") else ""
    return RedirectResponse(f"/s/{session.name}/insights?saved=1{anchor}", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/s/{name}/insights", page(insights_page)),
        Route("/s/{name}/insights", page(edit), methods=["POST"]),
    ]
