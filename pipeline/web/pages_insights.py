"""The top 7 and actions page: edit wording, reorder, drop, promote a transcript line, set an action's owner or
due date. Every change goes into edits.json (a layer on insights.json, `core.layers`); the draft is rewritten."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.layers import text_key
from pipeline.core.session import INSIGHTS, Session
from pipeline.core.types import TOP_N, Insights
from pipeline.service import Edit
from pipeline.web.app import PageError, form, in_thread, oogst, page, render, session_of
from pipeline.web.pages_sessions import session_info


def shown(request: Request, session: Session) -> Insights:
    """insights.json with the edits, dropped ones kept (marked) so they can be restored."""
    if not session.has(INSIGHTS):
        raise PageError(f"outputs/{session.name}: no insights yet; wait for the job to finish", 409)
    return oogst(request).shown_insights(session)


async def insights_page(request: Request) -> Response:
    session = session_of(request)
    current = shown(request, session)
    items: list[dict[str, Any]] = []
    for insight in current.insights:
        items.append({"key": insight.key or text_key(insight.text), "rank": insight.rank, "title": insight.title,
                      "text": insight.text, "speakers": ", ".join(insight.speakers), "edited": insight.edited,
                      "dropped": insight.dropped, "original": insight.original_text,
                      "confidence": insight.confidence})
    actions = [{"key": text_key(a.text), "owner": a.owner or "", "due": a.due or "", "text": a.text}
               for a in current.actions]
    return render(request, "insights.html", s=session_info(request, session), has_turns=True, items=items,
                  actions=actions, top_n=TOP_N, saved=request.query_params.get("saved"))


def edit_of(data: dict[str, str]) -> Edit:
    """The page's form as one change."""
    line = None
    if data.get("do") == "promote":
        try:
            line = int(data.get("n", ""))
        except ValueError:
            raise PageError("that transcript line does not exist (any more); reload the page", 409) from None
    return Edit(data.get("do", ""), data.get("key", ""), data.get("title", ""), data.get("text", ""), line,
                data.get("owner", ""), data.get("due", ""))


async def edit(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    shown(request, session)
    await in_thread(oogst(request).edit, session, edit_of(data))
    anchor = f"#i-{data.get('key')}" if data.get("key") else ""
    return RedirectResponse(f"/s/{session.name}/insights?saved=1{anchor}", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/s/{name}/insights", page(insights_page)),
        Route("/s/{name}/insights", page(edit), methods=["POST"]),
    ]
