"""Pages: sessions list, new session (streamed upload), a session's overview with live progress, downloads,
delete, login."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import re
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import EditConflict, Message, OogstError, shown
from pipeline.core.language import counted, session_name, texts
from pipeline.core.lock import SessionBusyError, is_locked
from pipeline.core.session import (
    CHECKPOINT,
    DOWNLOADS,
    DRAFT,
    EDITS,
    FINAL,
    HELD_UPLOADS,
    INSIGHTS,
    MEMBER,
    TRANSCRIPT,
    TURNS,
    UPLOADS_DIR,
    Session,
    held_upload,
    sent_file,
    sessions_in,
)
from pipeline.core.types import RunRequest
from pipeline.ingest.importers import SUFFIXES as TRANSCRIPT_SUFFIXES
from pipeline.jobs.queue import Job
from pipeline.run import STAGE_NAMES
from pipeline.series.store import known_series, member_of
from pipeline.service import LANGUAGES, PRECISIONS
from pipeline.web.app import PageError, client_key, config, form, in_thread, oogst, page, render, session_of
from pipeline.web.upload import receive_upload

log = logging.getLogger(__name__)


def _read(session: Session, name: str) -> Any:
    try:
        return json.loads(session.path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def latest_job(request: Request, session: Session) -> Job | None:
    jobs = config(request).queue.list(session.name, limit=1)
    return jobs[0] if jobs else None


def session_info(request: Request, session: Session) -> dict[str, Any]:
    """What the sessions list shows of one session."""
    transcript = _read(session, TRANSCRIPT) or {}
    stages = [s for s in STAGE_NAMES if s in session.stages()]
    job = latest_job(request, session)
    final = _read(session, FINAL)
    sent = [p.name for p in session.sent_versions()]
    if final is not None:
        words = texts(request.state.lang, "web")
        review = ("review_final", counted(words, "reviewers_n", len(final.get("reviewers", []))))
    elif sent:
        review = ("review_sent", sent[-1])
    else:
        review = None
    params = job.params if job is not None else {}
    series = (member_of(session) if session.has(MEMBER) else None) or params.get("series")
    return {"name": session.name, "title": transcript.get("title") or params.get("title") or session.name,
            "series": series,
            "date": transcript.get("recorded") or params.get("date", ""), "duration": transcript.get("duration"),
            "stage": stages[-1] if stages else "", "review": review, "job": job,
            "busy": bool(job and job.active) or is_locked(session.root)}


async def sessions_list(request: Request) -> Response:
    folders = sorted(sessions_in(config(request).out_dir), key=lambda p: p.stat().st_mtime, reverse=True)
    from pipeline.web.pages_retention import week_view

    return render(request, "sessions.html", sessions=[session_info(request, Session(p)) for p in folders],
                  week=week_view(request))


async def new_form(request: Request) -> Response:
    # pseudonymise = true in the config ticks the box; the facilitator can untick it for this session
    cfg = config(request)
    return render(request, "new.html", values={}, problem=None, pseudonymise=bool(cfg.settings.pseudonymise),
                  series=known_series(cfg.out_dir), models=await in_thread(model_choices, cfg))


def model_choices(cfg: Any) -> list[tuple[str, str]]:
    """The models the form offers: with a broker the kinds of worker alive, else those installed here."""
    kinds = getattr(cfg.queue, "kinds", None)
    return cfg.service.model_choices(kinds() if kinds is not None else None)


def _free_name(out_dir: Path, name: str) -> str:
    candidate, n = name, 2
    while (out_dir / candidate).exists():
        candidate, n = f"{name}-{n}", n + 1
    return candidate


# ffmpeg's name of a container -> a suffix `oogst run` knows, for a recording uploaded under another name
FORMAT_SUFFIX = {"wav": ".wav", "mp3": ".mp3", "ogg": ".ogg", "flac": ".flac", "matroska,webm": ".mkv",
                 "mov,mp4,m4a,3gp,3g2,mj2": ".m4a", "aac": ".aac", "amr": ".amr", "asf": ".wma"}


def check_input(path: Path, named: str) -> str:
    """Check the upload with the CLI's own readers (their message, naming the file as uploaded): a transcript is
    read, a recording probed (its container, a few seconds at its start and end: the web process never decodes a
    whole recording, the worker does); returns the suffix to keep it under: its own, or for audio with an unknown
    suffix the one its content says."""
    from pipeline.ingest.audio import is_audio_file, probe_audio

    suffix = path.suffix.lower()
    try:
        if suffix in TRANSCRIPT_SUFFIXES:
            from pipeline.ingest.importers import import_transcript

            import_transcript(path)
            return suffix
        probe = probe_audio(path)  # by content: a renamed or misnamed recording probes all the same
        if is_audio_file(path):
            return suffix
        found = FORMAT_SUFFIX.get(probe.format)
        if found is None:
            raise PageError("container_not_kept", file=named, format=probe.format)
        return found
    except OogstError as exc:  # named as uploaded, not as saved in the staging folder
        log.warning("upload %s: %s", named, exc)
        raise PageError(exc.key or "upload_unusable", **{**exc.params, "file": named}) from None


def request_from_form(input: str, fields: dict[str, str]) -> RunRequest:
    """The new-session form as a run request (checked by the service, as the command line's is)."""
    language = fields.get("language", "nl").strip() or "nl"
    if language not in LANGUAGES:
        raise PageError("language_choice", value=language)
    speakers = None
    if fields.get("speakers", "").strip():
        try:
            speakers = int(fields["speakers"])
        except ValueError:
            raise PageError("speakers_range", value=fields["speakers"].strip()) from None
    voices = fields.get("remember_voices", "").strip()
    if voices not in ("", "1", "0"):
        raise PageError("voices_choice")
    series = fields.get("series", "").strip() or None
    if voices and series is None:
        raise PageError("voices_need_series")
    model, _, precision = fields.get("model", "").strip().partition("@")
    if precision and precision not in PRECISIONS:
        raise PageError("model_choice", value=f"{model}@{precision}")
    return RunRequest(input, title=fields.get("title", "").strip()[:200] or None,
                      date=fields.get("date", "").strip() or None, language=language, speakers=speakers,
                      vocabulary=tuple(w.strip() for w in fields.get("vocabulary", "").split(",") if w.strip())[:200],
                      # the box says it either way, like --pseudonymise / --no-pseudonymise (kept in pseudonyms.json)
                      pseudonymise=fields.get("pseudonymise") == "1", series=series,
                      remember_voices=voices == "1" if voices else None, model=model or None,
                      compute_type=precision or None)


async def new_submit(request: Request) -> Response:
    cfg = config(request)
    staging = cfg.out_dir / UPLOADS_DIR
    upload = await receive_upload(request.stream(), request.headers.get("content-type", ""), staging,
                                  max_bytes=cfg.max_upload_bytes)
    try:
        files = [f for f in upload.files if f.field == "file" and f.size > 0]
        if not files:
            raise PageError("no_upload")
        uploaded = files[0]
        cfg.service.checked(request_from_form(uploaded.filename, upload.fields))
        same = await in_thread(cfg.service.sessions_with, uploaded.size, uploaded.sha256)
        if same:  # the same file again: ask before it becomes a second session (the upload is kept meanwhile)
            token = await in_thread(hold_upload, staging, uploaded.path, uploaded.filename, upload.fields)
            upload.files.remove(uploaded)  # kept for the answer: not discarded below
            return render(request, "duplicate.html", status=409, token=token, file=uploaded.filename,
                          same=[session_info(request, s) for s in same])
        name = await in_thread(new_session, cfg, staging, uploaded.path, uploaded.filename, upload.fields)
    finally:
        upload.discard()
    return RedirectResponse(f"/s/{name}", status_code=303)


def new_session(cfg: Any, staging: Path, path: Path, filename: str, fields: dict[str, str]) -> str:
    """Check an uploaded file with the readers of `oogst run`, keep it in a new session folder and queue its job;
    the session's name."""
    checked_request = cfg.service.checked(request_from_form(filename, fields))
    suffix = Path(filename).suffix.lower()
    checked = staging / f"{path.stem}{suffix}"
    path.rename(checked)
    try:
        suffix = check_input(checked, filename)
        while True:  # two uploads of the same name at once each get their own folder
            name = _free_name(cfg.out_dir, session_name(Path(filename)))
            root = cfg.out_dir / name
            try:
                root.mkdir(parents=True)
                break
            except FileExistsError:
                continue
        target = root / f"{name}{suffix}"
        checked.rename(target)
    finally:
        checked.unlink(missing_ok=True)
    params = dataclasses.replace(checked_request, input=str(target.resolve())).to_params()
    if hasattr(cfg.queue, "kinds"):  # a job broker: the job goes to the kind of worker its model needs
        from pipeline.jobs.engines import job_kind

        params.update(job_kind(checked_request, cfg.settings))
    cfg.queue.submit("run", name, str(target.resolve()), params)
    return name


HELD_HOURS = 24  # an upload held for the question "the same file again?" is kept this long


def hold_upload(staging: Path, path: Path, filename: str, fields: dict[str, str]) -> str:
    """Keep an upload while the facilitator is asked whether a second session of it is wanted; its token."""
    import secrets
    import time

    for old in staging.glob(HELD_UPLOADS):  # questions nobody answered
        if time.time() - old.stat().st_mtime > HELD_HOURS * 3600:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(12)
    held, info = held_upload(token)
    path.rename(staging / held)
    (staging / info).write_text(json.dumps({"filename": filename, "fields": fields}),
                                                encoding="utf-8")
    return token


async def new_again(request: Request) -> Response:
    """The same file again, and the facilitator wants a new session of it all the same."""
    cfg = config(request)
    staging = cfg.out_dir / UPLOADS_DIR
    token = str(form(request).get("token", ""))
    held, info = (staging / n for n in held_upload(token))
    if not re.fullmatch(r"[0-9a-f]{24}", token) or not held.is_file() or not info.is_file():
        raise PageError("upload_gone", 404)
    kept = json.loads(info.read_text(encoding="utf-8"))
    info.unlink()
    try:
        name = await in_thread(new_session, cfg, staging, held, str(kept["filename"]), dict(kept["fields"]))
    finally:
        held.unlink(missing_ok=True)
    return RedirectResponse(f"/s/{name}", status_code=303)


def progress_state(request: Request, session: Session) -> dict[str, Any]:
    job = latest_job(request, session)
    state: dict[str, Any] = {"status": "done" if session.has(DRAFT) else "none",
                             "stages": [s for s in STAGE_NAMES if s in session.stages()], "lines": [],
                             "error": None, "stopping": False}  # a session `oogst run` made has no job
    if job is not None:
        error = shown(Message.from_dict(job.progress.get("message")), job.error, request.state.lang,
                      generic="job_failed") if job.error else None
        state.update(status=job.status, error=error, progress=job.progress, job=job.id, worker=job.worker,
                     stopping=job.stopping, control=job.control if job.stopping else None,
                     ahead=config(request).queue.position(job.id) if job.status == "queued" else 0)
    partial = session.path(CHECKPOINT)
    if partial.is_file() and job is not None and job.active:
        for line in partial.read_text(encoding="utf-8").splitlines()[:10]:  # header lines are skipped below
            try:
                segment = json.loads(line)
                state["lines"].append({"start": segment["start"], "text": segment["text"]})
            except (ValueError, KeyError):
                continue
    return state


def summary_view(session: Session) -> list[dict[str, Any]]:
    """The summary's paragraphs for the overview page, each sentence with its moment and transcript line (`turn`,
    for `moment_href`); one the facilitator rewrote (`paragraphs`) shows their text, at the moment its first
    sentence was said."""
    from pipeline.paragraphs import shown_sections

    if not (session.has(INSIGHTS) and session.has(TURNS)):
        return []
    turns = session.turns()

    def turn(start: float) -> int:
        return turns.at(start) or 0

    return [{"key": key, "heading": part.heading, "lead": part.lead, "text": part.text, "said": part.said_text,
             "edited": part.written is not None,
             "start": part.sentences[0].start if part.sentences else None,
             "turn": turn(part.sentences[0].start) if part.sentences else None,
             "sentences": [{"text": part.said(s), "start": s.start, "turn": turn(s.start)} for s in part.sentences]}
            for key, part in shown_sections(session)]


def dropped_paragraphs(session: Session) -> list[dict[str, Any]]:
    """The facilitator's paragraphs a re-run's summary no longer has (edits.json "summary_dropped"), for the note."""
    return [{"key": e.key, "heading": e.heading, "text": e.text} for e in session.edits().summary_dropped]


async def overview(request: Request) -> Response:
    session = session_of(request)
    info = session_info(request, session)
    from pipeline.ingest.audio import is_audio_file
    from pipeline.web.pages_retention import retention_view

    recording = session.recording()
    return render(request, "session.html", s=info, state=progress_state(request, session), stages=STAGE_NAMES,
                  recording=recording, has_turns=session.has(TURNS), summary=summary_view(session),
                  dropped=dropped_paragraphs(session), edits_version=oogst(request).version(session, EDITS),
                  saved=request.query_params.get("saved"), problem=None,
                  audio=recording is not None and is_audio_file(recording),  # a transcript has no voices to hear
                  recognition=oogst(request).recognition(session), retention=retention_view(request, session))


async def progress_json(request: Request) -> Response:
    return JSONResponse(progress_state(request, session_of(request)))


async def download(request: Request) -> Response:
    session = session_of(request)
    name = str(request.path_params["file"])
    sent = re.fullmatch(r"sent-(v\d{1,4})\.docx", name)
    if name not in DOWNLOADS and sent is None:
        raise PageError("no_download", 404, file=name)
    path = sent_file(session.sent_version(sent[1]), DRAFT) if sent else session.path(name)
    if not path.is_file():
        raise PageError("not_written", 404, file=name, name=session.name)
    if name == DRAFT:  # the draft as frozen, stamped with its version, once it was sent
        from pipeline.review.versions import sent_as_is

        version = await in_thread(sent_as_is, session)
        if version is not None:
            return FileResponse(version.draft, filename=f"{session.name}-draft-{version.name}.docx")
    return FileResponse(path, filename=f"{session.name}-{name}")


async def rerun(request: Request) -> Response:
    """Process the session again (after a failed job, or to bring it up to date); only stale stages run."""
    session = session_of(request)
    oogst(request).process_again(session)
    return RedirectResponse(f"/s/{session.name}", status_code=303)


async def delete_form(request: Request) -> Response:
    return render(request, "delete.html", s=session_info(request, session_of(request)))


STOP_WAIT = 20.0  # seconds a delete waits for the worker to stop the session's running job


async def delete(request: Request) -> Response:
    """Delete the session; a job of it that waits is cancelled, a running one is cancelled and waited for (its
    worker stops within seconds and lets go of the session)."""
    session = session_of(request)
    queue = config(request).queue
    running = False
    for job in await in_thread(queue.list, session.name, 50):
        if job.active or job.status == "paused":
            running |= job.status == "running"
            await in_thread(queue.cancel, job.id)
    deadline = time.monotonic() + (STOP_WAIT if running else 0)
    while running and time.monotonic() < deadline:
        jobs = await in_thread(queue.list, session.name, 50)
        if not any(j.status == "running" for j in jobs) and not is_locked(session.root):
            break
        await asyncio.sleep(0.25)
    try:
        await in_thread(oogst(request).delete, session)
    except SessionBusyError:
        raise PageError("delete_busy", 409, name=session.name) from None
    return RedirectResponse("/", status_code=303)


async def login_form(request: Request) -> Response:
    return render(request, "login.html", problem=None, next=request.query_params.get("next", "/"))


async def login(request: Request) -> Response:
    data = form(request)
    target = str(data.get("next") or "/")
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        target = "/"
    cfg, who = config(request), client_key(request)
    wait = cfg.logins.wait(who)
    if wait:  # guessing the password: this address waits, whatever it types
        minutes = max(1, math.ceil(wait / 60))
        return render(request, "login.html", status=429, problem=False, wait=minutes, next=target)
    if cfg.guard.log_in(request.state.browser_id, str(data.get("password", ""))):
        cfg.logins.succeeded(who)
        return RedirectResponse(target, status_code=303)
    cfg.logins.failed(who)
    return render(request, "login.html", status=403, problem=True, next=target)


def conflict_page(request: Request, session: Session, exc: EditConflict, fields: dict[str, str], *, back: str,
                  rows: list[dict[str, Any]]) -> Response:
    """A save made on an older page: what is saved now and what this page would save, side by side; the
    facilitator keeps what is saved (back to the page) or saves theirs over it (the same form, on the new version).

    Args:
        rows: {"what", "theirs", "yours"} per thing the save touches.
    """
    kept = [(k, v) for k, v in fields.items() if k not in ("csrf", "version")]
    for row in rows:
        row["differs"] = " ".join(str(row["theirs"]).split()) != " ".join(str(row["yours"]).split())
    return render(request, "conflict.html", status=409, s=session_info(request, session),
                  has_turns=session.has(TURNS), rows=rows, fields=kept, version=exc.version,
                  action=request.url.path, back=back)


def routes() -> list[Route]:
    return [
        Route("/", page(sessions_list)),
        Route("/new", page(new_form)),
        Route("/new", page(new_submit), methods=["POST"]),
        Route("/new/again", page(new_again), methods=["POST"]),
        Route("/login", page(login_form)),
        Route("/login", page(login), methods=["POST"]),
        Route("/s/{name}", page(overview)),
        Route("/s/{name}/progress.json", page(progress_json)),
        Route("/s/{name}/files/{file}", page(download)),
        Route("/s/{name}/rerun", page(rerun), methods=["POST"]),
        Route("/s/{name}/delete", page(delete_form)),
        Route("/s/{name}/delete", page(delete), methods=["POST"]),
    ]
