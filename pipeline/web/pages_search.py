"""Pages: search across sessions (`oogst search` as a page), from the box in every page's header.

`/search?q=…&series=…` shows the word results at once (the index in the state folder, brought up to date first) and
leaves a meaning search for the worker, which has the sentence encoder loaded (the web process never loads it; with a
broker a Celery task, `jobs.search`, and a line saying so when no worker answered in time); the
page's script asks `/search/meaning/N` until the answer is there and adds it under the word results (without script,
a link reloads the page with the answer). Every result links to its moment: the transcript page that holds the turn,
at the turn's anchor by its id (`#turn-t1234`), or the insight or action on the top 7 page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipeline.core.language import moment
from pipeline.jobs.search import NO_WORKER, MeaningAsks, answer_within, meaning_asks
from pipeline.search.index import Hit
from pipeline.series.store import known_series
from pipeline.web.app import PageError, config, in_thread, moment_href, oogst, page, render

MAX_QUERY = 200


def asks(request: Request) -> MeaningAsks:
    """How a meaning search reaches a worker: the embedded queue's table, or a Celery task with a broker."""
    service = oogst(request)
    return meaning_asks(config(request).queue, service.search_index(),
                        answer_within(service.settings.section("search")))


def link(hit: Hit) -> str:
    """Where a result is shown: the transcript page holding the turn, at its anchor by the turn's id (so the link
    lands on its line after a split or merge renumbered the lines); the top 7 page's item."""
    if hit.kind == "turn":
        if not hit.ref.isdigit():
            return f"/s/{hit.session}/transcript?turn={quote(hit.ref)}#turn-{quote(hit.ref)}"
        return moment_href(hit.session, int(hit.ref))  # a line's number (an index made before turn ids)
    return f"/s/{hit.session}/insights#{'i' if hit.kind == 'insight' else 'a'}-{hit.ref}"


def shown(hits: list[Hit]) -> list[dict[str, Any]]:
    return [{"hit": h, "href": link(h), "parts": h.parts(), "when": moment(h.start) if h.start is not None else ""}
            for h in hits]


def _query(request: Request) -> tuple[str, str | None]:
    query = " ".join(request.query_params.get("q", "").split())[:MAX_QUERY]
    series = request.query_params.get("series") or None
    return query, series


async def search_page(request: Request) -> Response:
    query, series = _query(request)
    index = oogst(request).search_index()
    asking = asks(request)
    words: list[Hit] = []
    number = None
    meaning: list[Hit] | None = None
    if query:
        words = await in_thread(index.words, query, series=series)
        asked = request.query_params.get("ask", "")
        if asked.isdigit():  # a page without script reloads to see the meaning results
            number = int(asked)
            meaning, _ = await in_thread(asking.answer, number)
        else:
            number = await in_thread(asking.ask, query, series)
    seen = {(h.session, h.kind, h.ref) for h in words}
    return render(request, "search.html", query=query, series=series, all_series=known_series(config(request).out_dir),
                  words=shown(words), ask=number,
                  meaning=None if meaning is None else shown([h for h in meaning
                                                               if (h.session, h.kind, h.ref) not in seen]))


async def meaning_part(request: Request) -> Response:
    """The meaning results of request N as a piece of the page (204 while the worker has not answered)."""
    number = str(request.path_params.get("n", ""))
    if not number.isdigit():
        raise PageError("page_not_found", 404)
    hits, error = await in_thread(asks(request).answer, int(number))
    if hits is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    skip = {tuple(key.split("|", 2)) for key in request.query_params.getlist("seen")}
    kept = [h for h in hits if (h.session, h.kind, h.ref) not in skip]
    return render(request, "_meaning.html", meaning=shown(kept), failed=bool(error), no_worker=error == NO_WORKER)


def routes() -> list[Route]:
    return [
        Route("/search", page(search_page)),
        Route("/search/meaning/{n}", page(meaning_part)),
    ]
