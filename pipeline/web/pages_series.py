"""Pages: a group's series (`oogst series show` as a web page) and the list of series.

A series page shows what series.docx shows, from the same function (`series.overview.overview`): the sessions over
time with their themes marked recurring or new, the action points and their status, attendance and speaking time
per person per session (table and chart). Like `oogst series show` it first brings the series up to date with the
outputs folder (sessions deleted since leave it; done marks of copies collected since count).
"""

from __future__ import annotations

import base64
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from pipeline.core.errors import ConfigError
from pipeline.core.session import SERIES_DIR, SERIES_FILE, series_file
from pipeline.series.store import check_name, known_series, load_series, series_root
from pipeline.web.app import PageError, config, in_thread, oogst, page, render


def series_of_url(request: Request) -> Path:
    """The folder of the series named in the URL: a plain name under outputs/.series/, never a path."""
    raw = str(request.path_params.get("name", ""))
    try:
        name = check_name(raw, "series")
    except ConfigError:
        raise PageError("not_series_name", 404, name=raw) from None
    parent = (config(request).out_dir / SERIES_DIR).resolve()
    root = (parent / name).resolve()
    if root.parent != parent or name != raw:
        raise PageError("not_series_name", 404, name=raw)
    if not series_file(root, SERIES_FILE).is_file():
        known = known_series(config(request).out_dir)
        if known:
            raise PageError("no_series_known", 404, name=name, known=", ".join(known))
        raise PageError("no_series", 404, name=name)
    return root


async def series_list(request: Request) -> Response:
    from pipeline.series.actions import open_actions
    from pipeline.series.snapshot import refresh
    from pipeline.series.store import ordered_sessions

    out_dir = config(request).out_dir
    rows = []
    for name in known_series(out_dir):
        data = load_series(series_root(out_dir, name))
        refresh(data, out_dir)  # in memory: the list shows what the series page will show, and writes nothing
        sessions = ordered_sessions(data)
        rows.append({"name": name, "sessions": len(sessions),
                     "last": str(sessions[-1][1].get("date") or "") if sessions else "",
                     "open": len(open_actions(sessions, data.get("done", {}))),
                     "voices": bool(data.get("remember_voices"))})
    return render(request, "series_list.html", series=rows)


async def series_page(request: Request) -> Response:
    from pipeline.series.overview import overview

    cfg = config(request)
    root = series_of_url(request)
    data = await in_thread(oogst(request).series, root.name)
    view = await in_thread(overview, data, request.state.lang)
    chart = await in_thread(view.chart)
    present = {row.name for row in view.sessions if (cfg.out_dir / row.name).is_dir()}
    return render(request, "series.html", v=view, voices=bool(data.get("remember_voices")), present=present,
                  chart=("data:image/png;base64," + base64.b64encode(chart).decode()) if chart else "",
                  open_count=sum(1 for a in view.actions if not a.done))


async def series_docx(request: Request) -> Response:
    """series.docx, written now (as `oogst series show` does)."""
    from pipeline.series.overview import write_overview

    root = series_of_url(request)
    data = await in_thread(oogst(request).series, root.name)
    path = await in_thread(write_overview, root, data)
    return FileResponse(path, filename=f"{root.name}-series.docx")


def routes() -> list[Route]:
    return [
        Route("/series", page(series_list)),
        Route("/series/{name}", page(series_page)),
        Route("/series/{name}/series.docx", page(series_docx)),
    ]
