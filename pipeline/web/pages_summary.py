"""The summary's paragraphs rewritten on the session's overview page: a plain form per paragraph (CSRF and the
version of edits.json it was made on, as on the top 7 page), saved through `paragraphs`; a save made on an older
page gets the conflict page; "back to what was said" takes the facilitator's text away."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import EditConflict
from pipeline.core.language import texts
from pipeline.web.app import form, in_thread, oogst, page, session_of, version_of
from pipeline.web.pages_sessions import conflict_page, dropped_paragraphs, summary_view


async def save_paragraph(request: Request) -> Response:
    """POST /s/{name}/summary: `key`, `text` and `do` ("save", or "back" to what was said)."""
    from pipeline.paragraphs import back_to_said, rewrite

    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    key, text = data.get("key", ""), data.get("text", "") if data.get("do") != "back" else ""
    try:
        if data.get("do") == "back":
            await in_thread(back_to_said, oogst(request), session, key, base=version_of(data))
        else:
            await in_thread(rewrite, oogst(request), session, key, text, base=version_of(data))
    except EditConflict as exc:
        words = texts(request.state.lang, "web")
        now = next((p for p in summary_view(session) if p["key"] == key), None)
        was = next((p for p in dropped_paragraphs(session) if p["key"] == key), None)
        heading = now["heading"] if now else was["heading"] if was else words["summary"]
        yours = text or (now["said"] if now else "")  # "back": the paragraph as said
        return conflict_page(request, session, exc, data, back=f"/s/{session.name}#p-{key}",
                             rows=[{"what": heading, "theirs": now["text"] if now else "", "yours": yours}])
    return RedirectResponse(f"/s/{session.name}?saved=1#p-{key}", status_code=303)


def routes() -> list[Route]:
    return [Route("/s/{name}/summary", page(save_paragraph), methods=["POST"])]
