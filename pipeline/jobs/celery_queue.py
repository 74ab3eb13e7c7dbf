"""`JobQueue` on Celery with a Redis broker: the distributed engine (`OOGST_BROKER_URL` or `[queue] broker`).

Celery carries one message per job to the workers (late acknowledgement: a message is acknowledged only when the
job is over, so a worker that dies leaves it to be delivered again; prefetch 1: a worker holds one job at a time).
The job's state lives in the same Redis, under `oogst:*`, so every machine sees it:

    oogst:job:<id>      hash: the `Job` fields (params and progress as JSON; `control`: a person's cancel or pause
                        of the running job, which its worker reads with its heartbeat)
    oogst:jobs          sorted set of every job id; oogst:session:<name> the ids of one session
    oogst:active        sorted set of queued, running and paused ids, scored by rank (the order of the queue)
    oogst:dedup:<hash>  the id of the queued or running job with this kind, session, input and parameters

A delivered message runs its job only after `claim(worker, job_id=...)` took it in Redis: a job that another
worker runs with a fresh heartbeat is not taken (the message comes back later), so a redelivery after the broker's
visibility timeout never runs a live job twice. A message is a job's ticket to a worker: when a person moved
another queued job ahead of it, the worker runs that one first and sends the ticket again (`run_job`), so the queue's
order holds across the broker's first-in-first-out delivery; a paused job's message is dropped and resuming sends a
new one. Inputs under the outputs folder are stored relative to it, so a worker finds them under its own mount of the
share.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from pipeline.core.errors import OogstError
from pipeline.jobs.queue import ACTIONS, DEFAULT_TTL, MAX_ATTEMPTS, OVER, Job, jobs_ahead

if TYPE_CHECKING:
    from celery import Celery

P = "oogst:"
TASK = "oogst.run_job"
QUEUE_NAME = "oogst"  # the queue of jobs that name no kind of worker (submitted by earlier versions)
DEFAULT_KIND = ("base", "int8")
DEFAULT_VISIBILITY_TIMEOUT = 600.0  # seconds before the broker hands an unacknowledged message out again
_FORGET = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class BrokerError(OogstError):
    """The broker (Redis) cannot be reached or refused a command."""


def kind_queue(model: str, compute_type: str) -> str:
    """The Celery queue of the workers that transcribe with this model in this precision (`oogst.large-v3.float16`):
    a job goes only to the kind of worker its session needs, and so does a redelivered one."""
    return f"{QUEUE_NAME}.{model}.{compute_type}"


def queue_for(params: Mapping[str, Any]) -> str:
    """The queue a job's message goes to: its kind's (`model`, `compute_type` in its parameters), else the queue of
    earlier versions, which the workers of the default kind also serve."""
    model, compute_type = params.get("model"), params.get("compute_type")
    if not model and not compute_type:
        return QUEUE_NAME
    return kind_queue(str(model or DEFAULT_KIND[0]), str(compute_type or DEFAULT_KIND[1]))


def shown_url(url: str) -> str:
    """The broker URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def celery_app(url: str, *, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
               restore_every: float = 10.0) -> Celery:
    """The Celery app of producers and workers: late acknowledgement, prefetch 1, no result backend."""
    from celery import Celery

    app = Celery("oogst", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # acknowledge when the job is over: a dead worker's job is delivered again
        task_reject_on_worker_lost=True,  # a pool process killed mid-job: requeue at once (prefork pool)
        task_acks_on_failure_or_timeout=True,  # a job that failed is over (its error is in oogst:job:<id>)
        worker_prefetch_multiplier=1,  # one job at a time per worker, none reserved behind it
        worker_concurrency=1,
        task_ignore_result=True,  # state and progress live in oogst:job:<id>
        task_default_queue=QUEUE_NAME,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,  # unacknowledged this long: handed out again
            "unacked_restore_interval": restore_every,  # how often an idle worker looks for such messages
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 5,
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
    )
    return app


class CeleryQueue:
    """`JobQueue` whose jobs travel as Celery messages and whose state is kept in Redis next to the broker."""

    def __init__(self, url: str, *, out_dir: Path | None = None, ttl: float = DEFAULT_TTL,
                 max_attempts: int = MAX_ATTEMPTS, visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT) -> None:
        import redis

        self.url = url
        self.out_dir = Path(out_dir).expanduser().resolve() if out_dir is not None else None
        self.ttl = ttl
        self.max_attempts = max_attempts
        self.visibility_timeout = visibility_timeout
        self.db: Any = redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5,  # str in and out
                                            socket_timeout=30, health_check_interval=30)
        self._errors: tuple[type[Exception], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                                                     redis.exceptions.ResponseError)
        self._app: Celery | None = None

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = celery_app(self.url, visibility_timeout=self.visibility_timeout,
                                   restore_every=max(1.0, min(10.0, self.visibility_timeout / 4)))
        return self._app

    @contextmanager
    def _talk(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise BrokerError(f"{shown_url(self.url)}: cannot reach the job broker ({exc}); start it "
                              "(redis-server) or fix OOGST_BROKER_URL / broker in [queue]") from None

    def ping(self) -> None:
        """BrokerError when Redis does not answer."""
        with self._talk():
            self.db.ping()

    # -- paths: relative to the shared outputs folder, so every worker resolves them under its own mount ---------
    def _store_input(self, input: str) -> str:
        path = Path(input)
        if self.out_dir is not None and path.is_absolute():
            try:
                return str(path.resolve().relative_to(self.out_dir))
            except ValueError:
                return str(path)
        return str(path)

    def local_input(self, job: Job) -> Path:
        """Where this machine finds the job's input."""
        path = Path(job.input)
        return path if path.is_absolute() or self.out_dir is None else self.out_dir / path

    # -- records -----------------------------------------------------------------------------------------------
    @staticmethod
    def _job(fields: Mapping[str, Any]) -> Job:
        def number(name: str) -> float | None:
            return float(fields[name]) if fields.get(name) else None

        return Job(int(fields["id"]), fields["kind"], fields["session"], fields["input"],
                   json.loads(fields.get("params") or "{}"), fields["status"], int(fields.get("attempts") or 0),
                   fields.get("error") or None, json.loads(fields.get("progress") or "{}"),
                   float(fields.get("submitted") or 0), number("started"), number("finished"),
                   fields.get("worker") or None, number("heartbeat"), fields.get("control") or None,
                   float(fields.get("rank") or fields["id"]))

    def get(self, job_id: int) -> Job | None:
        with self._talk():
            fields = self.db.hgetall(f"{P}job:{job_id}")
        return self._job(fields) if fields else None

    def _many(self, ids: list[Any]) -> list[Job]:
        with self._talk():
            pipe = self.db.pipeline(transaction=False)
            for job_id in ids:
                pipe.hgetall(f"{P}job:{job_id}")
            rows = pipe.execute()
        return [self._job(fields) for fields in rows if fields]

    def list(self, session: str | None = None, limit: int = 100) -> list[Job]:
        key = f"{P}jobs" if session is None else f"{P}session:{session}"
        with self._talk():
            ids = self.db.zrevrange(key, 0, limit - 1)
        return self._many(ids)

    def position(self, job_id: int) -> int:
        """How many queued or running jobs are ahead of this one."""
        return jobs_ahead(self.waiting(), job_id)

    def waiting(self) -> builtins.list[Job]:
        with self._talk():
            ids = self.db.zrange(f"{P}active", 0, -1)
        order = {"running": 0, "queued": 1, "paused": 2}
        jobs = [j for j in self._many(ids) if j.status in order]
        return sorted(jobs, key=lambda j: (order[j.status], j.rank, j.id))

    # -- the life of a job ----------------------------------------------------------------------------------
    def _watched(self, key: str, body: Callable[[Any], Any]) -> Any:
        """Run `body(pipe)` with `key` watched (a transaction), again when another client changed the key first."""
        import redis

        with self._talk(), self.db.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    return body(pipe)
                except redis.WatchError:
                    continue

    def submit(self, kind: str, session: str, input: str, params: Mapping[str, Any] | None = None) -> Job:
        stored = self._store_input(str(input))
        blob = json.dumps(dict(params or {}), sort_keys=True)
        digest = hashlib.sha256(json.dumps([kind, session, stored, blob]).encode("utf-8")).hexdigest()[:32]
        dedup = f"{P}dedup:{digest}"

        def add(pipe: Any) -> Job | int:
            existing = pipe.get(dedup)
            if existing:
                fields = pipe.hgetall(f"{P}job:{existing}")
                if fields and fields["status"] in ("queued", "running"):
                    pipe.reset()
                    return self._job(fields)
            job_id = int(self.db.incr(f"{P}next"))
            pipe.multi()
            pipe.hset(f"{P}job:{job_id}", mapping={
                "id": job_id, "kind": kind, "session": session, "input": stored, "params": blob,
                "status": "queued", "attempts": 0, "progress": "{}", "submitted": time.time(), "digest": digest,
                "rank": job_id})
            pipe.set(dedup, job_id)
            pipe.zadd(f"{P}jobs", {str(job_id): job_id})
            pipe.zadd(f"{P}session:{session}", {str(job_id): job_id})
            pipe.zadd(f"{P}active", {str(job_id): job_id})
            pipe.execute()
            return job_id

        added = self._watched(dedup, add)
        if isinstance(added, Job):
            return added
        self._send(added, params or {})
        job = self.get(added)
        assert job is not None
        return job

    def resend(self, job_id: int) -> None:
        """Send the job's message again (it gave its ticket to a job moved ahead of it)."""
        job = self.get(job_id)
        if job is not None:
            self._send(job_id, job.params)

    def _send(self, job_id: int, params: Mapping[str, Any]) -> None:
        try:
            self.app.send_task(TASK, args=[job_id], queue=queue_for(params), retry=False)
        except Exception as exc:  # kombu's OperationalError and friends: the job cannot reach a worker
            self.finish(job_id, f"could not hand the job to the broker ({type(exc).__name__})")
            raise BrokerError(f"{shown_url(self.url)}: cannot hand the job to the broker ({exc}); start it "
                              "(redis-server) or fix OOGST_BROKER_URL / broker in [queue]") from None

    def _update(self, job_id: int, decide: Callable[[Job], dict[str, Any] | None]) -> Job | None:
        """Change a job atomically: `decide` sees the current record and gives the fields to set (None: none)."""
        key = f"{P}job:{job_id}"

        def change(pipe: Any) -> bool:
            fields = pipe.hgetall(key)
            new = decide(self._job(fields)) if fields else None
            if new is None:  # no such job, or nothing to change: the caller hears None
                pipe.reset()
                return False
            pipe.multi()
            pipe.hset(key, mapping={k: ("" if v is None else v) for k, v in new.items()})
            if new.get("status") in OVER:
                pipe.zrem(f"{P}active", str(job_id))
                pipe.eval(_FORGET, 1, f"{P}dedup:{fields.get('digest', '')}", str(job_id))
            pipe.execute()
            return True

        if not self._watched(key, change):
            return None
        return self.get(job_id)

    def claim(self, worker: str, job_id: int | None = None) -> Job | None:
        """Take a job for `worker` (the one named, else the oldest queued or abandoned one).

        None when there is nothing to take: the job is over, or another worker runs it with a fresh heartbeat. A
        job whose worker stopped `max_attempts` times is marked failed instead.
        """
        if job_id is None:
            with self._talk():
                ids = [int(i) for i in self.db.zrange(f"{P}active", 0, -1)]
            for candidate in ids:
                job = self.claim(worker, candidate)
                if job is not None:
                    return job
            return None
        now = time.time()

        def take(job: Job) -> dict[str, Any] | None:
            if job.status not in ("queued", "running"):
                return None
            if job.status == "running":
                if job.heartbeat is not None and now - job.heartbeat < self.ttl:
                    return None  # alive on another worker
                if job.control in ACTIONS:  # asked to stop, and its worker is gone: as asked
                    return self._stopped_fields(job, job.control)
                if job.attempts >= self.max_attempts:
                    return {"status": "failed", "finished": now,
                            "error": f"the worker stopped {job.attempts} times while running this job (last: "
                                     f"{job.worker}); check that worker's log"}
            return {"status": "running", "worker": worker, "attempts": job.attempts + 1, "started": now,
                    "heartbeat": now, "error": None, "control": None, "progress": "{}"}  # a fresh run's

        job = self._update(job_id, take)
        return job if job is not None and job.status == "running" and job.worker == worker else None

    def heartbeat(self, job_id: int) -> str | None:
        with self._talk():
            key = f"{P}job:{job_id}"
            status, control = self.db.hmget(key, "status", "control")
            if status == "running":
                self.db.hset(key, "heartbeat", time.time())
        return control if status == "running" and control in ACTIONS else None

    def asked(self, job_id: int) -> str | None:
        with self._talk():
            status, control = self.db.hmget(f"{P}job:{job_id}", "status", "control")
        return control if status == "running" and control in ACTIONS else None

    def progress(self, job_id: int, progress: Mapping[str, Any]) -> None:
        with self._talk():
            self.db.hset(f"{P}job:{job_id}", mapping={"progress": json.dumps(dict(progress)),
                                                      "heartbeat": time.time()})

    # -- the kinds of worker alive: what the new-session form offers with a broker ----------------------------
    def announce(self, worker: str, kind: Mapping[str, Any]) -> None:
        """A worker says which kind it is (model, precision, device); the record expires after two TTLs."""
        with self._talk():
            self.db.set(f"{P}worker:{worker}", json.dumps(dict(kind)), ex=max(1, int(2 * self.ttl)))

    def kinds(self) -> builtins.list[dict[str, Any]]:
        """The kinds of the workers alive now, each once (`model`, `compute_type`, `device`, `workers`)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        with self._talk():
            for key in self.db.scan_iter(match=f"{P}worker:*", count=100):
                raw = self.db.get(key)
                try:
                    kind = json.loads(raw) if raw else None
                except ValueError:
                    kind = None
                if not isinstance(kind, dict) or not kind.get("model"):
                    continue
                entry = found.setdefault((str(kind["model"]), str(kind.get("compute_type"))),
                                         {**kind, "workers": 0})
                entry["workers"] += 1
        return sorted(found.values(), key=lambda k: (k["model"], str(k.get("compute_type"))))

    def finish(self, job_id: int, error: str | None = None) -> None:
        self._update(job_id, lambda job: {"status": "failed" if error else "done", "error": error,
                                          "finished": time.time()})

    def release(self, job_id: int, *, resend: bool = True) -> None:
        """Put a running job back in the queue (and, unless its message is retried anyway, send it again); a job a
        person asked to stop is cancelled or paused instead."""
        def back(job: Job) -> dict[str, Any] | None:
            if job.status != "running":
                return None
            if job.control in ACTIONS:
                return self._stopped_fields(job, job.control)
            return {"status": "queued", "worker": None, "attempts": max(job.attempts - 1, 0)}

        after = self._update(job_id, back)
        if after is not None and after.status == "queued" and resend:
            self._send(job_id, after.params)

    @staticmethod
    def _stopped_fields(job: Job, action: str) -> dict[str, Any]:
        if action == "cancel":
            return {"status": "cancelled", "control": None, "finished": time.time()}
        return {"status": "paused", "control": None, "worker": None, "attempts": max(job.attempts - 1, 0)}

    def stopped(self, job_id: int, action: str) -> None:
        self._update(job_id, lambda job: self._stopped_fields(job, action))

    def cancel(self, job_id: int) -> Job | None:
        def decide(job: Job) -> dict[str, Any] | None:
            if job.status == "running":
                return {"control": "cancel"}
            return self._stopped_fields(job, "cancel") if job.status in ("queued", "paused") else None

        self._update(job_id, decide)
        return self.get(job_id)

    def pause(self, job_id: int) -> Job | None:
        def decide(job: Job) -> dict[str, Any] | None:
            if job.status == "running":
                return {"control": "pause"}
            return {"status": "paused"} if job.status == "queued" else None  # its message is dropped on delivery

        self._update(job_id, decide)
        return self.get(job_id)

    def resume(self, job_id: int) -> Job | None:
        def decide(job: Job) -> dict[str, Any] | None:
            if job.status == "paused":
                return {"status": "queued"}
            return {"control": None} if job.status == "running" and job.control == "pause" else None

        before = self.get(job_id)
        self._update(job_id, decide)
        if before is not None and before.status == "paused":
            self._send(job_id, before.params)  # a new ticket: the paused job's message was dropped
        return self.get(job_id)

    def first(self, job_id: int) -> Job | None:
        def to_front(pipe: Any) -> None:
            fields = pipe.hgetall(f"{P}job:{job_id}")
            if not fields or fields["status"] not in ("queued", "paused"):
                pipe.reset()
                return
            ids = pipe.zrange(f"{P}active", 0, -1)
            front = pipe.zrange(f"{P}active", 0, 0, withscores=True)
            low = float(front[0][1]) if front else 0.0
            if ids and ids[0] == str(job_id):
                pipe.reset()
                return
            pipe.multi()
            pipe.hset(f"{P}job:{job_id}", "rank", low - 1)
            pipe.zadd(f"{P}active", {str(job_id): low - 1})
            pipe.execute()

        self._watched(f"{P}active", to_front)
        return self.get(job_id)

    def next_queued(self) -> Job | None:
        """The queued job that runs next, by the queue's order."""
        return next((j for j in self.waiting() if j.status == "queued"), None)
