"""Find and replace on the transcript page: the form's "Voorbeeld" shows every line a rule would change (time,
speaker, now and after); "Vervangen" keeps the rule (replacements.json, `core.replace`) only when the lines are still
exactly the ones shown; the rules are listed on the transcript page with an undo button. Every change goes through
the service, which queues the re-run (insights and draft follow)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import EditConflict, InputError
from pipeline.core.session import REPLACEMENTS, TURNS
from pipeline.web.app import PageError, form, in_thread, oogst, page, render, session_of, version_of
from pipeline.web.pages_sessions import session_info


def _asked(values: Any) -> dict[str, Any]:
    """find, replace and the two options, as the form (a query or a posted form) gives them."""
    return {"find": " ".join(str(values.get("find", "")).split()),
            "replace": " ".join(str(values.get("replace", "")).split()),
            "part": str(values.get("part", "")) == "1", "case": str(values.get("case", "")) == "1"}


def marked(before: str, after: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """The two texts as words, the ones that differ marked, so the preview shows what changes in a line."""
    from difflib import SequenceMatcher

    old, new = before.split(), after.split()
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        left += [(word, tag != "equal") for word in old[i1:i2]]
        right += [(word, tag != "equal") for word in new[j1:j2]]
    return left, right


def _query(asked: dict[str, Any], **more: str) -> str:
    fields = {"find": asked["find"], "replace": asked["replace"], **({"part": "1"} if asked["part"] else {}),
              **({"case": "1"} if asked["case"] else {}), **more}
    return urlencode(fields)


async def preview_page(request: Request) -> Response:
    """The lines the rule would change, before and after, and the button that applies it."""
    session = session_of(request)
    if not session.has(TURNS):
        raise PageError("not_processed", 409, name=session.name)
    asked = _asked(request.query_params)
    version = session.version(REPLACEMENTS)  # before the preview: a rule saved after it makes "Vervangen" refuse
    problem = None
    lines: list[Any] = []
    try:
        lines = await in_thread(oogst(request).replace_preview, session, asked["find"], asked["replace"],
                                whole_word=not asked["part"], match_case=asked["case"])
    except InputError as exc:
        problem = exc.text(request.state.lang)
    return render(request, "replace.html", s=session_info(request, session), has_turns=True, asked=asked,
                  lines=[(line, *marked(line.before, line.after)) for line in lines], problem=problem,
                  version=version, numbers=",".join(str(line.n) for line in lines),
                  changed=request.query_params.get("changed") == "1")


async def apply(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    asked = _asked(data)
    try:
        numbers = [int(n) for n in data.get("lines", "").split(",") if n.strip()]
    except ValueError:
        numbers = []
    try:
        done = await in_thread(oogst(request).replace, session, asked["find"], asked["replace"],
                               whole_word=not asked["part"], match_case=asked["case"], base=version_of(data),
                               lines=numbers)
    except EditConflict:  # a rule or the transcript changed since the preview: show the lines as they are now
        return RedirectResponse(f"/s/{session.name}/replace?{_query(asked, changed='1')}", status_code=303)
    return RedirectResponse(f"/s/{session.name}/transcript?replaced={len(done)}#replace", status_code=303)


async def undo(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    try:
        number = int(data.get("n", ""))
    except ValueError:
        raise PageError("replace_gone", 409, n=data.get("n", ""), total=len(session.replacements())) from None
    await in_thread(oogst(request).remove_replacement, session, number, base=version_of(data))
    return RedirectResponse(f"/s/{session.name}/transcript?undone=1#replace", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/s/{name}/replace", page(preview_page)),
        Route("/s/{name}/replace", page(apply), methods=["POST"]),
        Route("/s/{name}/replace/undo", page(undo), methods=["POST"]),
    ]
