"""Which queue engine runs the jobs, and the commands on it: `oogst worker`, `oogst jobs`, `oogst status` and
`oogst run` with a broker (submit, then wait with progress).

No broker configured: the embedded `SQLiteQueue` in the state folder (the one `oogst serve` uses). A broker URL
(`OOGST_BROKER_URL`, else `broker` in `[queue]`): `CeleryQueue` on Celery and Redis; Celery is imported only then.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import ConfigError, InputError, require
from pipeline.core.language import session_name, texts
from pipeline.core.session import JOB_QUEUE, hash_file
from pipeline.core.settings import positive_seconds
from pipeline.core.types import RunRequest
from pipeline.jobs.queue import DEFAULT_TTL, Job, JobQueue, SQLiteQueue, default_state_dir, when

if TYPE_CHECKING:
    from pipeline.core.settings import Settings

def broker_url(settings: Settings) -> str | None:
    """The broker of the distributed queue (OOGST_BROKER_URL is put into [queue] by the settings loader)."""
    section = settings.section("queue")
    url = section.get("broker") or section.get("broker_url")
    if url and not str(url).startswith(("redis://", "rediss://", "redis+socket://")):
        raise ConfigError(f"broker {url!r}: give a Redis URL such as redis://host:6379/0 (OOGST_BROKER_URL or "
                          "broker in [queue])")
    return str(url) if url else None


def _seconds(settings: Settings, key: str, default: float) -> float:
    return positive_seconds(settings.section("queue"), "queue", key, default)


def open_queue(settings: Settings, env: Mapping[str, str] | None = None) -> JobQueue:
    """The queue the settings name: Celery + Redis with a broker URL, else the embedded SQLite queue."""
    ttl = _seconds(settings, "ttl", DEFAULT_TTL)
    url = broker_url(settings)
    if url is None:
        return SQLiteQueue(default_state_dir(Path(settings.out_dir), env) / JOB_QUEUE, ttl=ttl)
    require("queue", "a broker URL (OOGST_BROKER_URL or broker in [queue])")
    from pipeline.jobs.celery_queue import DEFAULT_VISIBILITY_TIMEOUT, CeleryQueue

    return CeleryQueue(url, out_dir=Path(settings.out_dir), ttl=ttl,
                       visibility_timeout=_seconds(settings, "visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT))


def worker_precision(settings: Settings, gpus: int) -> str:
    """The precision `oogst worker` transcribes in: float16 on a machine with a CUDA GPU (unless the config already
    names a GPU precision), else the configured one. `CUDA_VISIBLE_DEVICES=` keeps a GPU machine's worker on the CPU."""
    from pipeline.asr.options import GPU_TYPES

    if gpus and settings.compute_type not in GPU_TYPES:
        return "float16"
    return settings.compute_type


def run_worker(settings: Settings, *, announce: Callable[[str], None], gpus: int | None = None) -> int:
    """`oogst worker`: a Celery worker with a broker, else the embedded worker loop; runs until stopped.

    Args:
        gpus: CUDA GPUs on this machine (None: ask CTranslate2); with one the worker transcribes in float16 there.
    """
    from pipeline.models.catalog import cuda_devices

    gpus = cuda_devices() if gpus is None else gpus
    precision = worker_precision(settings, gpus)
    cli: dict[str, Any] = {"out_dir": Path(settings.out_dir).resolve(), "models_dir":
                           Path(settings.models_dir).resolve(), "quiet": True, "compute_type": precision}
    if precision != settings.compute_type:
        announce(f"oogst worker: {gpus} CUDA GPU{'s' if gpus > 1 else ''} found: transcribing in {precision} on the "
                 "GPU (CUDA_VISIBLE_DEVICES= keeps it on the CPU)")
    queue = open_queue(settings)
    Path(settings.out_dir).mkdir(parents=True, exist_ok=True)
    if isinstance(queue, SQLiteQueue):
        import signal

        from pipeline.jobs.worker import Stopped, Worker, stop_on_signal

        worker = Worker(queue, cli, config=settings.config_path,
                        heartbeat_every=max(0.2, min(5.0, queue.ttl / 4)))
        announce(f"oogst worker {worker.name}: embedded queue {queue.path}, sessions in {cli['out_dir']}")
        announce(f"oogst worker {worker.name}: models loaded in {worker.warm_up():.1f} s")
        signal.signal(signal.SIGTERM, stop_on_signal)  # the running job goes back to the queue
        try:
            worker.serve()
        except (Stopped, KeyboardInterrupt):
            pass
        return 0
    from pipeline.jobs.celery_queue import CeleryQueue, shown_url
    from pipeline.jobs.celery_worker import start_worker

    assert isinstance(queue, CeleryQueue)
    announce(f"oogst worker: broker {shown_url(queue.url)}, sessions in {cli['out_dir']} (stop: Ctrl-C or "
             "SIGTERM, after the current job)")
    from pipeline.jobs.worker import daily_sweep
    from pipeline.service import Oogst

    daily_sweep(Oogst(settings, front="worker"), queue)  # the retention policy's daily sweep
    start_worker(queue, cli, config=settings.config_path, announce=announce)
    return 0


# -- oogst run with a broker ---------------------------------------------------------------------------------
def shared_input(path: Path, out_dir: Path) -> Path:
    """The input where every worker can read it: in its session folder on the shared outputs folder.

    A file already under the outputs folder stays where it is; otherwise it is copied (keeping its name and date)
    into outputs/<session>/, unless the same file is already there. A different file there is never replaced.
    """
    out_dir = Path(out_dir).expanduser().resolve()
    path = Path(path).resolve()
    if path.is_relative_to(out_dir):
        return path
    target = out_dir / session_name(path) / path.name
    if target.is_file():
        if target.stat().st_size == path.stat().st_size and hash_file(target) == hash_file(path):
            return target
        raise InputError(f"{path}: {target} already holds another file of that name; rename the input or move "
                         "that file away")
    target.parent.mkdir(parents=True, exist_ok=True)
    # a partial copy of this process's own: two people handing in the same recording at once each copy it, and the
    # first whole copy wins (a hard link never replaces a file that appeared meanwhile)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    partial = Path(name)
    try:
        shutil.copy2(path, partial)  # copy2 keeps the file date: the session date may come from it
        try:
            os.link(partial, target)
        except FileExistsError:
            if hash_file(target) != hash_file(path):
                raise InputError(f"{path}: {target} already holds another file of that name; rename the input or "
                                 "move that file away") from None
        except OSError:  # a file system without hard links
            if not target.exists():
                partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def job_kind(request: RunRequest, settings: Settings) -> dict[str, str]:
    """The kind of worker a session needs with a broker: its model (a name) and precision, from the request or
    else the submitter's settings. A model folder cannot travel: the workers have their own models/."""
    from pipeline.models.catalog import DEFAULT, canonical

    model = request.model or settings.model
    name = canonical(model) if model else DEFAULT
    if name is None:
        raise ConfigError(f"--model {model}: with a job broker give an installed model's name (base, small, medium, "
                          "large-v3, large-v3-turbo); the workers use their own models/ folder")
    return {"model": name, "compute_type": request.compute_type or settings.compute_type}


def submit_inputs(queue: JobQueue, settings: Settings, requests: list[RunRequest]) -> list[Job]:
    """One "run" job per request, with its input copied to the shared outputs folder first; each goes to the
    kind of worker (model, precision) its session needs."""
    jobs = []
    for request in requests:
        path = Path(request.input)
        kind = job_kind(request, settings)
        target = shared_input(path, Path(settings.out_dir))
        jobs.append(queue.submit("run", session_name(path), str(target), {**request.to_params(), **kind}))
    return jobs


def describe(job: Job) -> str:
    """One line for a job: status, worker, stage and share done, or its error."""
    progress = job.progress or {}
    if job.status == "running":
        stage = progress.get("stage")
        words = texts("en", "status")  # the command line speaks English
        doing = f"{words.get(stage, stage)} {100 * float(progress.get('fraction') or 0):.0f}%" if stage else "starting"
        eta = f", about {progress['eta']:.0f} s left" if progress.get("eta") else ""
        stopping = f" (asked to {job.control})" if job.stopping else ""
        return f"running on {job.worker}: {doing}{eta}{stopping}"
    if job.status == "failed":
        return f"failed: {job.error}"
    if job.status in ("paused", "cancelled"):
        return job.status
    if job.status == "done":
        return f"done at {when(job.finished)}"
    return "queued"


def wait_for(queue: JobQueue, jobs: list[Job], out: Callable[[str], None], *, poll: float = 0.5,
             quiet: bool = False) -> list[Job]:
    """Follow the jobs until each is done or failed, printing a line whenever one changes; their last state."""
    shown: dict[int, str] = {}
    last: dict[int, Job] = {job.id: job for job in jobs}
    while True:
        for job_id in list(last):
            job = queue.get(job_id) or last[job_id]
            last[job_id] = job
            progress = job.progress or {}
            step = f"{job.status}:{job.worker}:{progress.get('stage')}:{int(10 * float(progress.get('fraction') or 0))}"
            if shown.get(job_id) != step:
                shown[job_id] = step
                if not quiet or not job.active:
                    out(f"{job.session}: {describe(job)}")
        if not any(job.active for job in last.values()):
            return list(last.values())
        time.sleep(poll)


# -- oogst jobs / oogst status -----------------------------------------------------------------------------------
def jobs_lines(queue: JobQueue, *, limit: int = 50, session: str | None = None) -> list[str]:
    """`oogst jobs`: the newest jobs first, one line each."""
    jobs = queue.list(session, limit=limit)
    if not jobs:
        return ["no jobs"]
    lines = []
    for job in jobs:
        tries = f" (attempt {job.attempts})" if job.attempts > 1 else ""
        lines.append(f"#{job.id:<5} {when(job.submitted):>5}  {job.session:<28} {describe(job)}{tries}")
    return lines


CONTROLS = {"cancel": ("queued", "running", "paused"), "pause": ("queued", "running"), "resume": ("paused",),
            "first": ("queued", "paused")}  # what `oogst jobs ACTION` acts on


def control_jobs(queue: JobQueue, action: str, target: str) -> list[str]:
    """`oogst jobs cancel|pause|resume|first JOB|SESSION`: the job with that number, or every job of that session
    the action applies to; one line per job saying what happened."""
    number = target.removeprefix("#")
    if number.isdigit():
        job = queue.get(int(number))
        jobs = [job] if job is not None and job.status in CONTROLS[action] else []
    else:
        jobs = [j for j in queue.list(target, limit=1000) if j.status in CONTROLS[action]]
    if not jobs:
        raise InputError(f"{target}: no job to {action} (give a job number or a session name; see `oogst jobs`)")
    lines = []
    for job in sorted(jobs, key=lambda j: j.id):
        after = getattr(queue, action)(job.id) or job
        if after.stopping:
            state = f"asked to {action}; its worker ({after.worker}) stops at the next safe point, within seconds"
        else:
            state = "moved to the front of the queue" if action == "first" else after.status
        lines.append(f"#{job.id} {job.session}: {state}")
    return lines


def status_lines(queue: JobQueue, out_dir: Path, session: str | None = None) -> list[str]:
    """`oogst status`: per session folder, what is there and where its latest job is."""
    from pipeline.core.session import FINAL_DOCX, Session, sessions_in
    from pipeline.run import STAGE_NAMES

    out_dir = Path(out_dir)
    latest = {job.session: job for job in reversed(queue.list(limit=500))}
    if session:
        if not (out_dir / session).is_dir() and session not in latest:
            raise InputError(f"{out_dir / session}: no such session (see `oogst status` for all)")
        names = [session]
    else:
        names = sorted({p.name for p in sessions_in(out_dir)} | set(latest))
    lines = []
    for name in names:
        root = out_dir / name
        have: list[str] = []
        if root.is_dir():
            stages = Session(root).stages()
            have = [s for s in STAGE_NAMES if s in stages]
            if Session(root).has(FINAL_DOCX):
                have.append("final")
        job = latest.get(name)
        state = describe(job) if job is not None else ("draft ready" if "draft" in have else "no job")
        if job is not None and job.status == "done" and "final" in have:
            state = "final top 7 collected"
        lines.append(f"{name:<30} {state}" + (f"  [{', '.join(have)}]" if have else ""))
    return lines or [f"no sessions in {out_dir}"]

