"""Pages: a group's series (`oogst series show` as a web page) and the list of series.

A series page shows what series.docx shows, from the same function (`series.overview.overview`): the sessions over
time with their themes marked recurring or new, the action points and their status, attendance and speaking time
per person per session (table and chart). Like `oogst series show` it first brings the series up to date with the
outputs folder (sessions deleted since leave it; done marks of copies collected since count).
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from pipeline.core.errors import ConfigError, SessionError
from pipeline.series.store import SERIES_DIR, SERIES_FILE, check_name, load_series, series_root
from pipeline.web.app import PageError, config, in_thread, page, render

log = logging.getLogger(__name__)

WEB_OWNER = "the web page"


def known_series(out_dir: Path) -> list[str]:
    """The names of the series in the outputs folder, sorted."""
    parent = Path(out_dir) / SERIES_DIR
    if not parent.is_dir():
        return []
    return sorted((p.name for p in parent.iterdir() if (p / SERIES_FILE).is_file()), key=str.casefold)


def series_name(raw: str, what: str = "series") -> str:
    """A series name given in the page: the CLI's rule (`--series`), as a one-line page error."""
    try:
        return check_name(raw, what)
    except ConfigError as exc:
        raise PageError(str(exc)) from None


def series_of_url(request: Request) -> Path:
    """The folder of the series named in the URL: a plain name under outputs/.series/, never a path."""
    raw = str(request.path_params.get("name", ""))
    try:
        name = check_name(raw, "series")
    except ConfigError as exc:
        raise PageError(str(exc), 404) from None
    parent = (config(request).out_dir / SERIES_DIR).resolve()
    root = (parent / name).resolve()
    if root.parent != parent or name != raw:
        raise PageError(f"{raw!r}: not a series name", 404)
    if not (root / SERIES_FILE).is_file():
        known = ", ".join(known_series(config(request).out_dir)) or "none yet"
        raise PageError(f"no series {name!r} in this outputs folder (series: {known}); a session joins a series "
                        "when it is uploaded with one", 404)
    return root


def refreshed(out_dir: Path, root: Path) -> dict[str, Any]:
    """The series record brought up to date (what `oogst series show` does before it writes)."""
    from pipeline.series.snapshot import refresh_series

    return refresh_series(root, out_dir, WEB_OWNER)


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
    data = await in_thread(refreshed, cfg.out_dir, root)
    view = await in_thread(overview, data, request.state.lang)
    chart = await in_thread(view.chart)
    present = {row.name for row in view.sessions if (cfg.out_dir / row.name).is_dir()}
    return render(request, "series.html", v=view, voices=bool(data.get("remember_voices")), present=present,
                  chart=("data:image/png;base64," + base64.b64encode(chart).decode()) if chart else "",
                  open_count=sum(1 for a in view.actions if not a.done))


async def series_docx(request: Request) -> Response:
    """series.docx, written now (as `oogst series show` does)."""
    from pipeline.series.overview import write_overview

    cfg = config(request)
    root = series_of_url(request)
    data = await in_thread(refreshed, cfg.out_dir, root)
    path = await in_thread(write_overview, root, data)
    return FileResponse(path, filename=f"{root.name}-series.docx")


def leave_series(out_dir: Path, name: str | None, session: str) -> None:
    """After a session folder was deleted: its series `name` drops it (not listed, its actions not carried, its
    voices dropped). Best effort: a series busy now notices the missing folder when it is next shown or run."""
    from pipeline.series.snapshot import refresh_series

    if name is None:
        return
    try:
        refresh_series(series_root(out_dir, name), out_dir, WEB_OWNER)
    except (SessionError, ConfigError, OSError) as exc:
        log.warning("series %s: not updated after deleting %s (%s); it will be when next shown", name, session, exc)


def routes() -> list[Route]:
    return [
        Route("/series", page(series_list)),
        Route("/series/{name}", page(series_page)),
        Route("/series/{name}/series.docx", page(series_docx)),
    ]
