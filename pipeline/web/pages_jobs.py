"""The queue's page and controls: what runs (and on which worker), what waits in which order, what is paused; cancel,
pause, resume and "do this first" for a job; and a session's progress as server-sent events (`text/event-stream`:
the page follows a job without polling; proxies must not buffer it, hence `X-Accel-Buffering: no`)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from pipeline.core.language import texts
from pipeline.jobs.queue import Job, when
from pipeline.web.app import PageError, config, form, in_thread, page, render, session_of
from pipeline.web.pages_sessions import progress_state

ACTIONS = ("cancel", "pause", "resume", "first")
RECENT = 15  # finished jobs shown under the queue
STREAM_SECONDS = 300.0  # an event stream ends after this; the browser's EventSource reconnects by itself
LOOK_EVERY = 0.5  # seconds between two looks at the queue while streaming
KEEP_ALIVE = 15.0  # seconds of silence before a comment line keeps proxies from closing the stream


def job_row(job: Job, lang: str) -> dict[str, Any]:
    """What the queue page shows of one job."""
    progress = job.progress or {}
    stage = progress.get("stage")
    doing = ""
    if job.status == "running" and stage:
        words = texts(lang, "web")
        doing = f"{words.get(stage, stage)} {100 * float(progress.get('fraction') or 0):.0f}%"
    return {"id": job.id, "session": job.session, "status": job.status, "worker": job.worker or "",
            "submitted": when(job.submitted), "finished": when(job.finished), "doing": doing,
            "eta": progress.get("eta") if job.status == "running" else None, "stopping": job.stopping}


async def jobs_page(request: Request) -> Response:
    queue = config(request).queue
    waiting = await in_thread(queue.waiting)
    recent = [j for j in await in_thread(queue.list, None, RECENT + len(waiting)) if not j.active
              and j.status != "paused"][:RECENT]
    lang = request.state.lang
    first_queued = next((j.id for j in waiting if j.status == "queued"), None)
    return render(request, "jobs.html", waiting=[job_row(j, lang) for j in waiting],
                  recent=[job_row(j, lang) for j in recent], first_queued=first_queued)


async def job_action(request: Request) -> Response:
    """Cancel, pause, resume or move a job ahead; back to the page the button was on."""
    action = str(request.path_params["action"])
    try:
        job_id = int(str(request.path_params["id"]))
    except ValueError:
        raise PageError("no_job", 404) from None
    queue = config(request).queue
    if action not in ACTIONS or await in_thread(queue.get, job_id) is None:
        raise PageError("no_job", 404)
    await in_thread(getattr(queue, action), job_id)
    back = str(form(request).get("back") or "/jobs")
    if not back.startswith("/") or back.startswith(("//", "/\\")):
        back = "/jobs"
    return RedirectResponse(back, status_code=303)


async def events(request: Request) -> Response:
    """The session's progress as server-sent events: a `data:` line with the state whenever it changes, until the
    job is over (or after a few minutes: the browser reconnects)."""
    session = session_of(request)

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        last, quiet_since, began = "", time.monotonic(), time.monotonic()
        while time.monotonic() - began < STREAM_SECONDS:
            state = await in_thread(progress_state, request, session)
            data = json.dumps(state, ensure_ascii=False)
            if data != last:
                last, quiet_since = data, time.monotonic()
                yield f"data: {data}\n\n"
            elif time.monotonic() - quiet_since > KEEP_ALIVE:
                quiet_since = time.monotonic()
                yield ": still here\n\n"
            if state["status"] not in ("queued", "running"):
                return
            await asyncio.sleep(LOOK_EVERY)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def routes() -> list[Route]:
    return [
        Route("/jobs", page(jobs_page)),
        Route("/jobs/{id}/{action}", page(job_action), methods=["POST"]),
        Route("/s/{name}/events", page(events)),
    ]
