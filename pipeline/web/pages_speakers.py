"""Speakers per turn on the web: the transcript page's per-line control (move a line, or its end from a word on, to
another or a new speaker) and the speakers page's merge form and undo; every change goes through the service
(`Oogst.change_speaker`, kept in speaker-changes.json) and the re-run follows."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import EditConflict
from pipeline.core.session import SPEAKER_CHANGES
from pipeline.web.app import PageError, form, in_thread, oogst, page, session_of, version_of
from pipeline.web.pages_session import _turns, page_of
from pipeline.web.pages_sessions import conflict_page


def _describe(data: dict[str, str]) -> str:
    do = data.get("do", "")
    if do == "merge":
        return f"{data.get('from', '')} → {data.get('into', '')}"
    if do == "move":
        return f"{data.get('turn', '')} → {data.get('speaker', '')}" + (
            f" ({data.get('word')})" if data.get("word") else "")
    return do


async def change_speakers(request: Request) -> Response:
    """POST: do=move (turn, speaker, word: empty for the whole line), merge (from, into) or undo."""
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    turns = _turns(session)
    service, base, do = oogst(request), version_of(data), data.get("do", "")
    index = next((i for i, t in enumerate(turns.turns) if t.id == data.get("turn")), None)
    back = f"/s/{session.name}/speakers"
    if do == "move":
        if index is None:
            raise PageError("line_gone", 409)
        back = f"/s/{session.name}/transcript?from={page_of(index)}"
    try:
        if do == "undo":
            await in_thread(service.change_speaker, session, "undo", base=base)
        elif do == "merge":
            await in_thread(service.change_speaker, session, "merge", source=data.get("from", ""),
                            into=data.get("into", ""), base=base)
        elif do == "move":
            word = data.get("word", "").strip()
            if word and not word.isdigit():
                raise PageError("split_word_number", 400)
            await in_thread(service.change_speaker, session, "split" if word else "move", turn=data.get("turn", ""),
                            speaker=data.get("speaker", ""), word=int(word or 0), base=base)
        else:
            raise PageError("speaker_op", 400, op=do)
    except EditConflict as exc:
        changes = session.speaker_changes()
        theirs = f"{changes[-1].get('op')} {changes[-1].get('turn') or changes[-1].get('from')}" if changes else ""
        return conflict_page(request, session, exc, data, back=back,
                             rows=[{"what": SPEAKER_CHANGES, "theirs": theirs, "yours": _describe(data)}])
    anchor = f"#t{index}" if do == "move" and index is not None else "#merge"
    return RedirectResponse(f"{back}{'&' if '?' in back else '?'}saved=1{anchor}", status_code=303)


def routes() -> list[Route]:
    return [Route("/s/{name}/speakers/change", page(change_speakers), methods=["POST"])]
