"""Pages: sessions list, new session (streamed upload), a session's overview with live progress, downloads,
delete, login."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import OogstError
from pipeline.core.lock import is_locked, session_lock
from pipeline.core.naming import session_name
from pipeline.core.store import Session
from pipeline.jobs.queue import Job
from pipeline.series.store import member_of
from pipeline.web.app import (
    PageError,
    config,
    form,
    in_thread,
    page,
    render,
    session_of,
)
from pipeline.web.pages_series import known_series, leave_series, series_name
from pipeline.web.upload import receive_upload

WEB_OWNER = "the web page"
TRANSCRIPT_SUFFIXES = (".vtt", ".srt", ".txt", ".docx")
DOWNLOADS = {"draft.docx", "final.docx", "mail.eml"}
ARTEFACTS = DOWNLOADS | {"names.toml", "run.json"}  # never the recording, even in a session called "draft"
STAGES = ("transcribe", "speakers", "names", "insights", "draft")


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def recording_of(session: Session) -> Path | None:
    """The uploaded recording or transcript kept in the session folder (`<name>.<suffix>`)."""
    for path in sorted(session.root.glob(f"{session.name}.*")):
        if path.is_file() and path.suffix not in (".json", ".toml", ".eml") and path.name not in ARTEFACTS:
            return path
    return None


def latest_job(request: Request, session: Session) -> Job | None:
    jobs = config(request).queue.list(session.name, limit=1)
    return jobs[0] if jobs else None


def session_info(request: Request, session: Session) -> dict[str, Any]:
    """What the sessions list shows of one session."""
    transcript = _read(session.path("transcript.json")) or {}
    stages = [s for s in STAGES if s in session.stages()]
    job = latest_job(request, session)
    final = _read(session.path("final.json"))
    sent = sorted(p.name for p in session.path("sent").glob("v*")) if session.path("sent").is_dir() else []
    if final is not None:
        review = ("review_final", f"{len(final.get('reviewers', []))} reviewers")
    elif sent:
        review = ("review_sent", sent[-1])
    else:
        review = None
    params = job.params if job is not None else {}
    series = (member_of(session) if session.path("series.json").is_file() else None) or params.get("series")
    return {"name": session.name, "title": transcript.get("title") or params.get("title") or session.name,
            "series": series,
            "date": transcript.get("recorded") or params.get("date", ""), "duration": transcript.get("duration"),
            "stage": stages[-1] if stages else "", "review": review, "job": job,
            "busy": bool(job and job.active) or is_locked(session.root)}


async def sessions_list(request: Request) -> Response:
    out = config(request).out_dir
    folders = sorted((p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True) if out.is_dir() else []
    return render(request, "sessions.html", sessions=[session_info(request, Session(p)) for p in folders])


async def new_form(request: Request) -> Response:
    # pseudonymise = true in the config ticks the box; the facilitator can untick it for this session
    return render(request, "new.html", values={}, problem=None,
                  pseudonymise=bool(config(request).settings.pseudonymise),
                  series=known_series(config(request).out_dir))


def _free_name(out_dir: Path, name: str) -> str:
    candidate, n = name, 2
    while (out_dir / candidate).exists():
        candidate, n = f"{name}-{n}", n + 1
    return candidate


# ffmpeg's name of a container -> a suffix `oogst run` knows, for a recording uploaded under another name
FORMAT_SUFFIX = {"wav": ".wav", "mp3": ".mp3", "ogg": ".ogg", "flac": ".flac", "matroska,webm": ".mkv",
                 "mov,mp4,m4a,3gp,3g2,mj2": ".m4a", "aac": ".aac", "amr": ".amr", "asf": ".wma"}


def check_input(path: Path, shown: str) -> str:
    """Decode the upload with the CLI's own readers (their one-line error, naming the file as uploaded); returns
    the suffix to keep it under: its own, or for audio with an unknown suffix the one its content says."""
    from pipeline.ingest.audio import is_audio_file, load_audio

    suffix = path.suffix.lower()
    try:
        if suffix in TRANSCRIPT_SUFFIXES:
            from pipeline.ingest.importers import import_transcript

            import_transcript(path)
            return suffix
        load_audio(path)  # by content: a renamed or misnamed recording decodes all the same
        if is_audio_file(path):
            return suffix
        import av

        with av.open(str(path)) as container:
            found = FORMAT_SUFFIX.get(container.format.name)
        if found is None:
            raise OogstError(f"{path}: a recording in a container Oogst does not keep ({container.format.name}); "
                             "convert it to .m4a, .mp3 or .wav")
        return found
    except OogstError as exc:
        raise PageError(str(exc).replace(str(path), shown)) from None


def _params(fields: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    title = fields.get("title", "").strip()
    if title:
        params["title"] = title[:200]
    if fields.get("date", "").strip():
        try:
            params["date"] = dt.date.fromisoformat(fields["date"].strip()).isoformat()
        except ValueError:
            raise PageError(f"date {fields['date']!r}: give the date as YYYY-MM-DD") from None
    language = fields.get("language", "nl").strip() or "nl"
    if language not in ("nl", "en", "auto"):
        raise PageError(f"language {language!r}: choose nl, en or auto")
    params["language"] = language
    if fields.get("speakers", "").strip():
        try:
            speakers = int(fields["speakers"])
        except ValueError:
            speakers = 0
        if not 1 <= speakers <= 10:
            raise PageError(f"number of speakers {fields['speakers']!r}: give a number from 1 to 10, or leave it empty")
        params["speakers"] = speakers
    vocabulary = [w.strip() for w in fields.get("vocabulary", "").split(",") if w.strip()]
    if vocabulary:
        params["vocabulary"] = vocabulary[:200]
    # The box says it either way, like --pseudonymise / --no-pseudonymise (the run records it in pseudonyms.json).
    params["pseudonymise"] = fields.get("pseudonymise") == "1"
    # the group's series, like `oogst run --series NAME [--remember-voices | --no-remember-voices]`
    if fields.get("series", "").strip():
        params["series"] = series_name(fields["series"])
    voices = fields.get("remember_voices", "").strip()
    if voices not in ("", "1", "0"):
        raise PageError(f"remember voices {voices!r}: choose on, off or as the series has it")
    if voices:
        if "series" not in params:
            raise PageError("remember voices: choose the series too; voice profiles are kept per series")
        params["remember_voices"] = voices == "1"
    return params


async def new_submit(request: Request) -> Response:
    cfg = config(request)
    staging = cfg.out_dir / ".uploads"
    upload = await receive_upload(request.stream(), request.headers.get("content-type", ""), staging,
                                  max_bytes=cfg.max_upload_bytes)
    try:
        files = [f for f in upload.files if f.field == "file" and f.size > 0]
        if not files:
            raise PageError("no file was uploaded (or it was empty); pick a recording or a transcript")
        uploaded = files[0]
        params = _params(upload.fields)
        suffix = Path(uploaded.filename).suffix.lower()
        checked = staging / f"{uploaded.path.stem}{suffix}"
        uploaded.path.rename(checked)
        uploaded.path = checked
        suffix = await in_thread(check_input, checked, uploaded.filename)
        while True:  # two uploads of the same name at once each get their own folder
            name = _free_name(cfg.out_dir, session_name(Path(uploaded.filename)))
            root = cfg.out_dir / name
            try:
                root.mkdir(parents=True)
                break
            except FileExistsError:
                continue
        target = root / f"{name}{suffix}"
        checked.rename(target)
    finally:
        upload.discard()
    cfg.queue.submit("run", name, str(target.resolve()), params)
    return RedirectResponse(f"/s/{name}", status_code=303)


def submit_rerun(request: Request, session: Session) -> None:
    """Queue the session again with the parameters of its first job (a changed title or language would make the
    stage cache redo the transcription); only stages whose inputs changed run."""
    recording = recording_of(session)
    if recording is None:
        raise PageError(f"outputs/{session.name}: the recording is not in the session folder, so it cannot be "
                        "processed again from this page; use `oogst run` with the recording", 409)
    queue = config(request).queue
    first = next((j for j in reversed(queue.list(session.name, limit=1000)) if not j.params.get("rerun")), None)
    params = dict(first.params) if first is not None else {}
    if member_of(session) is not None:  # the session folder keeps its series (and the series its voices choice)
        params.pop("series", None)
        params.pop("remember_voices", None)
    queue.submit("run", session.name, str(recording.resolve()), {**params, "rerun": True})


def progress_state(request: Request, session: Session) -> dict[str, Any]:
    job = latest_job(request, session)
    state: dict[str, Any] = {"status": "done" if session.path("draft.docx").is_file() else "none",
                             "stages": [s for s in STAGES if s in session.stages()], "lines": []}
    if job is not None:
        state.update(status=job.status, error=job.error, progress=job.progress, job=job.id, worker=job.worker,
                     ahead=config(request).queue.position(job.id) if job.status == "queued" else 0)
    partial = session.path(".transcript.partial.jsonl")
    if partial.is_file() and job is not None and job.active:
        for line in partial.read_text(encoding="utf-8").splitlines()[:10]:  # header lines are skipped below
            try:
                segment = json.loads(line)
                state["lines"].append({"start": segment["start"], "text": segment["text"]})
            except (ValueError, KeyError):
                continue
    return state


async def overview(request: Request) -> Response:
    session = session_of(request)
    info = session_info(request, session)
    return render(request, "session.html", s=info, state=progress_state(request, session),
                  recording=recording_of(session), has_turns=session.path("turns.json").is_file())


async def progress_json(request: Request) -> Response:
    return JSONResponse(progress_state(request, session_of(request)))


async def download(request: Request) -> Response:
    session = session_of(request)
    name = str(request.path_params["file"])
    sent = re.fullmatch(r"sent-(v\d{1,4})\.docx", name)
    if name not in DOWNLOADS and sent is None:
        raise PageError(f"{name}: not a file this page serves", 404)
    path = session.path("sent") / sent[1] / "draft.docx" if sent else session.path(name)
    if not path.is_file():
        raise PageError(f"outputs/{session.name}/{name}: not written yet", 404)
    return FileResponse(path, filename=f"{session.name}-{name}")


async def rerun(request: Request) -> Response:
    """Process the session again (after a failed job, or to bring it up to date); only stale stages run."""
    session = session_of(request)
    submit_rerun(request, session)
    return RedirectResponse(f"/s/{session.name}", status_code=303)


async def delete_form(request: Request) -> Response:
    return render(request, "delete.html", s=session_info(request, session_of(request)))


async def delete(request: Request) -> Response:
    session = session_of(request)
    job = latest_job(request, session)
    if job is not None and job.active:
        raise PageError(f"outputs/{session.name} is busy: the web worker is processing it; wait for it to "
                        "finish, then delete it", 409)
    series = member_of(session)
    with session_lock(session.root, WEB_OWNER):
        await in_thread(shutil.rmtree, session.root)
    await in_thread(leave_series, config(request).out_dir, series, session.name)
    return RedirectResponse("/", status_code=303)


async def login_form(request: Request) -> Response:
    return render(request, "login.html", problem=None, next=request.query_params.get("next", "/"))


async def login(request: Request) -> Response:
    data = form(request)
    target = str(data.get("next") or "/")
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        target = "/"
    if config(request).guard.log_in(request.state.browser_id, str(data.get("password", ""))):
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", status=403, problem=True, next=target)


def routes() -> list[Route]:
    return [
        Route("/", page(sessions_list)),
        Route("/new", page(new_form)),
        Route("/new", page(new_submit), methods=["POST"]),
        Route("/login", page(login_form)),
        Route("/login", page(login), methods=["POST"]),
        Route("/s/{name}", page(overview)),
        Route("/s/{name}/progress.json", page(progress_json)),
        Route("/s/{name}/files/{file}", page(download)),
        Route("/s/{name}/rerun", page(rerun), methods=["POST"]),
        Route("/s/{name}/delete", page(delete_form)),
        Route("/s/{name}/delete", page(delete), methods=["POST"]),
    ]
