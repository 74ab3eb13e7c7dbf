"""`oogst worker` on the distributed queue: a Celery worker (solo pool, one job at a time) around one `Worker`.

The `Worker` and its loaded models live as long as the process, so the recogniser and the encoders stay warm
between jobs. A delivered message runs its job only when `CeleryQueue.claim` takes it; a job that another worker
runs with a fresh heartbeat, or whose session folder another machine holds (`.lock.json` with a fresh heartbeat),
is retried later instead: the broker's visibility timeout alone never decides that a job is free. A second
consumer on a thread answers meaning searches (`jobs.search.serve_search`) while a job runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.core.errors import OogstError
from pipeline.core.lock import SessionBusyError, holder, session_lock
from pipeline.jobs.celery_queue import DEFAULT_KIND, QUEUE_NAME, TASK, CeleryQueue, kind_queue, queue_for
from pipeline.jobs.worker import OWNER, Worker

log = logging.getLogger(__name__)


def held_elsewhere(root: Path, ttl: float) -> str | None:
    """Who holds the session folder from another machine with a fresh heartbeat (flock may not cross a share)."""
    info = holder(root)
    if not info or info.get("host") == socket.gethostname():
        return None  # this machine's holders are seen by flock itself
    try:
        beat = dt.datetime.fromisoformat(str(info.get("heartbeat") or info.get("since")))
    except ValueError:
        return None
    age = (dt.datetime.now().astimezone() - beat).total_seconds()
    return f"{info.get('owner')} on {info.get('host')}" if age < ttl else None


def sweep(root: Path) -> None:
    """Remove the half-written temporary files (`.name.XXXX.tmp`) a killed worker left in a session folder; only
    while holding the session's lock, so no living writer owns them."""
    for stale in root.glob(".*.tmp"):
        log.info("removing %s, left by a worker that stopped", stale)
        stale.unlink(missing_ok=True)


def run_job(task: Any, job_id: int, *, worker: Worker, queue: CeleryQueue) -> str:
    """The body of the Celery task: take the job, run it under the session lock, or hand it back for later."""
    later = max(1.0, min(30.0, queue.ttl / 2))
    job = None
    ahead = queue.next_queued()  # a job a person moved ahead of this one runs first (one merely older is taken by
    # the worker its own message went to)
    if ahead is not None and ahead.id != job_id and ahead.rank != ahead.id \
            and (mine := queue.get(job_id)) is not None and mine.status == "queued" and ahead.rank < mine.rank \
            and queue_for(ahead.params) == queue_for(mine.params):  # a job for another kind of worker waits for it
        job = queue.claim(worker.name, job_id=ahead.id)
        if job is not None:
            queue.resend(job_id)  # this job keeps its ticket
    if job is None:
        job = queue.claim(worker.name, job_id=job_id)
    if job is None:
        current = queue.get(job_id)
        if current is not None and current.active:  # running on another worker, heartbeat fresh
            log.info("job %d runs on %s; looking again in %.0f s", job_id, current.worker, later)
            raise task.retry(countdown=later, max_retries=None)
        return "over"
    kind = worker.kind()
    wanted = (job.params.get("model"), job.params.get("compute_type"))
    if any(wanted) and wanted != (kind["model"], kind["compute_type"]):
        # a message in the wrong queue (a worker's config changed under it): to the queue of its kind, untouched
        log.warning("job %d needs a %s/%s worker, this one is %s/%s; sending it to its queue", job.id, *wanted,
                    kind["model"], kind["compute_type"])
        queue.release(job.id, resend=True)
        return "rerouted"
    job = dataclasses.replace(job, input=str(queue.local_input(job)))
    root = Path(worker.settings.out_dir) / job.session
    try:
        other = held_elsewhere(root, queue.ttl)
        if other:
            raise SessionBusyError(f"{job.session} is held by {other}")
        worker.take(job)
        log.info("job %d: %s %s (attempt %d)", job.id, job.kind, job.session, job.attempts)
        with session_lock(root, OWNER):
            if job.attempts > 1:
                sweep(root)
            record = worker.run(job)
        record()  # done, failed (with its one-line error), cancelled or paused, once the session is free again
    except SessionBusyError as exc:
        log.info("job %d waits: %s", job.id, exc)
        queue.release(job.id, resend=False)
        raise task.retry(countdown=later, max_retries=None) from None
    except Exception as exc:  # not the job's fault (the broker went away): mark it, keep the traceback in the log
        log.exception("job %d: stopped", job.id)
        try:
            queue.finish(job.id, f"internal error ({type(exc).__name__}: {exc}); see the log of {worker.name}")
        except Exception:
            log.warning("job %d: could not record the failure; its message comes back after the timeout", job.id)
        raise
    finally:
        worker.take(None)
    return "ran"


def start_worker(queue: CeleryQueue, cli: dict[str, Any], *, config: Path | None,
                 announce: Callable[[str], None], loglevel: str = "INFO") -> None:
    """Run a Celery worker for `queue` in this process until it is stopped (SIGTERM: after the current job)."""
    queue.ping()
    worker = Worker(queue, cli, config=config, heartbeat_every=max(0.2, min(5.0, queue.ttl / 4)))
    announce(f"oogst worker {worker.name}: models loaded in {worker.warm_up():.1f} s")  # the first job runs warm
    app = queue.app

    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
    def oogst_run_job(task: Any, job_id: int) -> str:
        return run_job(task, job_id, worker=worker, queue=queue)

    kind = worker.kind()
    queues = [kind_queue(kind["model"], kind["compute_type"])]
    if (kind["model"], kind["compute_type"]) == DEFAULT_KIND:
        queues.append(QUEUE_NAME)  # jobs submitted by earlier versions name no kind
    announce(f"oogst worker {worker.name}: takes the jobs of {kind['model']} in {kind['compute_type']} on the "
             f"{'GPU' if kind['device'] == 'cuda' else 'CPU'} (queue {', '.join(queues)})")
    stop = worker.start_beat()
    searching = None
    try:
        from pipeline.jobs.search import serve_search

        searching = serve_search(queue, worker.service.search_index())
    except (OogstError, OSError) as exc:
        log.warning("no meaning search in this worker: %s", exc)
    try:
        app.worker_main(["worker", "--pool=solo", "--concurrency=1", f"--hostname=oogst.{os.getpid()}@%h",
                         "--without-gossip", "--without-mingle", f"--loglevel={loglevel}", "-Q", ",".join(queues)])
    finally:
        stop.set()
        if searching is not None:
            searching.stop(in_sighandler=False)
