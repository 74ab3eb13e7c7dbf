"""The worker: a separate process that claims one job at a time and runs it through the application service.

    python -m pipeline.jobs.worker --queue STATE/jobs.sqlite --out-dir outputs [--config FILE] [--parent PID]

It keeps the speech recogniser loaded between jobs (the speaker and sentence encoders cache themselves in the
process), sends heartbeats while a job runs, and reports stage, share done and ETA through the `Reporter` protocol
of `core.stages`. A job's parameters are a `RunRequest` (`pipeline.service.Oogst.run`). SIGTERM puts the
running job back in the queue; when the parent (`oogst serve`) dies the worker stops too. A worker killed
outright leaves a job whose heartbeat expires; the next claim queues it again.

A person may cancel or pause the running job (the web page, `oogst jobs cancel`): the heartbeat thread reads that
from the queue every second, and the run stops at its next safe point (`Reporter.check`: between stages, and
between segments, windows and sentences inside them; the recogniser, which runs in a child process
(`asr.isolated`), is killed at once, even in the middle of a batch), keeps what it wrote (the stage cache, the
transcription checkpoint), lets go of the session and tells the queue (`stopped`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import OogstError
from pipeline.core.lock import SessionBusyError, session_lock
from pipeline.core.lock import heartbeat as lock_heartbeat
from pipeline.core.stages import Interrupted
from pipeline.core.types import RunRequest
from pipeline.jobs.queue import Job, JobQueue, SQLiteQueue, default_state_dir

if TYPE_CHECKING:
    from pipeline.asr.options import Backend
    from pipeline.core.settings import Settings
    from pipeline.retention.sweep import Swept
    from pipeline.service import Oogst

log = logging.getLogger(__name__)

OWNER = "the web worker"  # the service's owner for front "worker" (the busy message)
WARM_UP = ("Sanne: Goedemorgen allemaal, fijn dat jullie er zijn.\n"
           "Joris: Wat ik meeneem is dat grenzen stellen echt helpt.\n"
           "Fatima: Ik ga volgende week met mijn leidinggevende praten over de planning.\n")


class Stopped(Exception):
    """The worker was told to stop (SIGTERM, or its parent went away)."""


class JobReporter:
    """`pipeline.run.Reporter` that writes the stage, share done and ETA of a job into the queue."""

    def __init__(self, queue: JobQueue, job_id: int, *, every: float = 0.5,
                 asked: Callable[[], str | None] | None = None) -> None:
        """`asked` says what a person asked of the job meanwhile ("cancel", "pause"; the worker's heartbeat
        thread keeps it fresh), for `check`."""
        self.queue = queue
        self.job_id = job_id
        self.every = every
        self.asked = asked or (lambda: None)
        self.state: dict[str, Any] = {"stage": None, "fraction": 0.0, "eta": None, "done": [], "skipped": []}

    def _write(self) -> None:
        self.queue.progress(self.job_id, self.state)

    def begin(self, session: str, stage: str, total_seconds: float | None) -> Callable[[float], None] | None:
        began = time.monotonic()
        self.state.update(stage=stage, fraction=0.0, eta=None, total_seconds=total_seconds)
        self._write()
        last = [0.0]

        def progress(share: float) -> None:
            now = time.monotonic()
            if now - last[0] < self.every and share < 1.0:
                return
            last[0] = now
            elapsed = now - began
            eta = elapsed / share * (1 - share) if share > 0.02 else None
            self.state.update(fraction=round(share, 4), eta=None if eta is None else round(eta, 1))
            self._write()

        return progress

    def end(self, session: str, stage: str, seconds: float, skipped: bool) -> None:
        self.state["skipped" if skipped else "done"].append(stage)
        self.state.update(stage=None, fraction=1.0, eta=None)
        self._write()

    def abort(self, session: str, stage: str) -> None:
        return None

    def check(self) -> None:
        action = self.asked()
        if action is not None:
            raise Interrupted(action)

    def failed(self, error: OogstError) -> None:
        """Keep the error's message with the job, so a page shows it in its own language (the job's `error` is the
        English line the command line shows)."""
        if error.message is not None:
            self.state["message"] = error.message.to_dict()
            self._write()


class Worker:
    """Claims jobs from a queue and runs them with models kept loaded."""

    def __init__(self, queue: JobQueue, cli: dict[str, Any], *, config: Path | None = None, name: str | None = None,
                 heartbeat_every: float = 5.0, look_every: float = 1.0) -> None:
        """`cli` and `config` are the server's settings (as `load_settings` takes them); a job adds its own."""
        from pipeline.core.settings import load_settings
        from pipeline.service import Oogst

        self.queue = queue
        self.cli = dict(cli)
        self.config = config
        self.settings = load_settings(self.cli, config=config)  # checked once, at start
        state = getattr(queue, "path", None)  # the embedded queue's state folder also holds the search index
        self.service = Oogst(self.settings, front="worker", state_dir=Path(state).parent if state else None)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.heartbeat_every = heartbeat_every
        self.look_every = min(look_every, heartbeat_every)  # how often the queue is asked whether to stop
        self._backends: dict[tuple[Any, ...], Backend] = {}
        self.current: Job | None = None
        self._asked: dict[int, str] = {}  # job id -> "cancel"/"pause", as the heartbeat thread last read it
        self._asking = threading.Lock()  # `current` and `_asked` change together (see `take`)

    def kind(self) -> dict[str, str]:
        """What this worker transcribes with: its model (a name), precision and device. With a job broker it
        serves only the jobs of its kind (`celery_queue.kind_queue`)."""
        from pipeline.asr.options import GPU_TYPES
        from pipeline.models.catalog import DEFAULT, canonical

        model = self.settings.model
        name = (canonical(model) or Path(model).name) if model else DEFAULT
        compute_type = self.settings.compute_type
        return {"model": name, "compute_type": compute_type,
                "device": "cuda" if compute_type in GPU_TYPES else "cpu"}

    def backend_for(self, settings: Settings) -> Backend:
        """A loaded recogniser for these settings, kept for the next job. faster-whisper runs in a child process
        (`asr.isolated`) that a cancel or pause kills at once; openai-whisper runs here."""
        from pipeline.asr.transcribe import get_backend
        from pipeline.run import transcribe_options

        opts = transcribe_options(settings)
        key = (opts.backend, opts.model, str(opts.models_dir), opts.compute_type, opts.threads, opts.batched)
        if key not in self._backends:
            for old in self._backends.values():  # one model in memory at a time
                getattr(old, "stop", lambda: None)()
            self._backends.clear()
            if opts.backend == "faster-whisper":
                from pipeline.asr.isolated import IsolatedBackend

                self._backends[key] = IsolatedBackend(opts)
            else:
                self._backends[key] = get_backend(opts)
        return self._backends[key]

    def warm_up(self) -> float:
        """Load the models before the first job: the recogniser, and the later stages' models by running a
        three-line transcript through the stages in a temporary folder. Best effort (a failure is logged, the
        first job then loads what it needs); returns the seconds it took."""
        import dataclasses
        import tempfile

        from pipeline.service import Oogst

        began = time.monotonic()
        try:
            self.backend_for(self.settings)
        except OogstError as exc:
            log.info("warm-up: no recogniser loaded (%s)", exc)
        with tempfile.TemporaryDirectory(prefix="oogst-warm-up-") as tmp:
            text = Path(tmp) / "warm-up.txt"
            text.write_text(WARM_UP, encoding="utf-8")
            settings = dataclasses.replace(self.settings, out_dir=Path(tmp) / "outputs", quiet=True,
                                           pseudonymise=None, names={})
            try:
                Oogst(settings, front="worker").run(RunRequest(str(text)))
            except Exception as exc:  # warming is optional; the job will say what is wrong
                log.warning("warm-up: %s: %s", type(exc).__name__, exc)
        return time.monotonic() - began

    def job_settings(self, job: Job) -> Settings:
        """The server's settings with what the job sets (language, speakers, vocabulary, names, privacy)."""
        return self.service.settings_for(RunRequest.from_params(job.input, job.params))

    def run(self, job: Job) -> Callable[[], None]:
        """Run one claimed job to done, failed, cancelled or paused (Stopped propagates: the job goes back to the
        queue) and return how to record that in the queue: the caller does so once it has let go of the session, so
        whoever sees the job over can start the session again at once."""
        from pipeline.asr.isolated import IsolatedBackend
        from pipeline.ingest.audio import is_audio_file

        request = RunRequest.from_params(job.input, job.params)
        reporter = JobReporter(self.queue, job.id, asked=lambda: self._asked.get(job.id))
        try:
            request = self.service.checked(request)
            settings = self.service.run_settings(request)
            # a re-run after names, corrections or edits: transcription is up to date, no recogniser needed
            wanted = is_audio_file(Path(request.input)) and not request.rerun and request.start in (None, "transcribe")
            backend = self.backend_for(settings) if wanted else None
            if isinstance(backend, IsolatedBackend):
                backend.check = reporter.check  # asked while the recogniser's process works
            result = self.service.run(request, reporter=reporter, asr_backend=backend)
            self.service.cut_clips(result.session)  # the speakers page serves them; the web process cuts nothing
        except OogstError as exc:
            log.warning("job %d (%s) failed: %s", job.id, job.session, exc)
            reporter.failed(exc)
            error = str(exc)
            return lambda: self.queue.finish(job.id, error)
        except Interrupted as exc:  # a person cancelled or paused it: what was written stays
            log.info("job %d (%s): %s at a safe point", job.id, job.session,
                     "cancelled" if exc.action == "cancel" else "paused")
            action = exc.action
            return lambda: self.queue.stopped(job.id, action)
        except Stopped:
            raise
        except Exception as exc:  # a bug: keep the traceback in the log, a line on the page
            log.exception("job %d (%s) failed", job.id, job.session)
            error = f"internal error ({type(exc).__name__}: {exc}); see the server log"
            return lambda: self.queue.finish(job.id, error)
        return lambda: self.queue.finish(job.id)

    def run_locked(self, job: Job) -> None:
        """Run a job holding its session from the claim on, before anything loads (run_recording takes the lock
        again); a session another writer holds fails the job with the "busy" message."""
        try:
            with session_lock(Path(self.settings.out_dir) / job.session, OWNER):
                record = self.run(job)
            record()  # over only once the session is free again
        except SessionBusyError as exc:
            JobReporter(self.queue, job.id).failed(exc)
            self.queue.finish(job.id, str(exc))

    def _announce(self) -> None:
        announce = getattr(self.queue, "announce", None)  # the distributed queue lists the kinds of worker alive
        if announce is not None:
            try:
                announce(self.name, self.kind())
            except OogstError as exc:
                log.warning("could not tell the broker this worker's kind: %s", exc)

    def _beat(self, stop: threading.Event, parent: int | None) -> None:
        self._announce()
        last = time.monotonic()
        while not stop.wait(self.look_every):
            beat = time.monotonic() - last >= self.heartbeat_every - 1e-3
            if beat:
                last = time.monotonic()
                self._announce()
            job = self.current
            if job is not None:
                self._look(job, beat)
            if parent is not None and os.getppid() != parent:
                log.warning("the server (pid %d) went away; stopping", parent)
                os.kill(os.getpid(), signal.SIGTERM)
                return

    def _look(self, job: Job, beat: bool) -> None:
        """Send the heartbeat (when `beat`) and read whether a person asked the job to stop."""
        try:
            if beat:
                action = self.queue.heartbeat(job.id)
                lock_heartbeat(self.settings.out_dir / job.session)
            else:
                action = self.queue.asked(job.id)
        except OogstError as exc:  # the broker is away for a moment: the next beat tries again
            log.warning("job %d: no heartbeat (%s)", job.id, exc)
            return
        with self._asking:
            if self.current is not job:  # read for a run that is over: a resumed job must not stop at once
                return
            if action is not None:
                self._asked[job.id] = action
            else:
                self._asked.pop(job.id, None)

    def take(self, job: Job | None) -> None:
        """The job this worker runs from now on (None: none); what was asked of an earlier run is forgotten, so a
        job paused and resumed runs, whatever the heartbeat thread read before."""
        with self._asking:
            for run in (self.current, job):
                if run is not None:
                    self._asked.pop(run.id, None)
            self.current = job

    def start_beat(self, parent: int | None = None) -> threading.Event:
        """Send heartbeats for the current job from a thread until the returned event is set."""
        stop = threading.Event()
        threading.Thread(target=self._beat, args=(stop, parent), daemon=True).start()
        return stop

    def serve(self, *, parent: int | None = None, poll: float = 0.5, once: bool = False) -> None:
        """Claim and run jobs until stopped (or, with `once`, until the queue is empty); the retention policy's
        daily sweep runs on a thread meanwhile."""
        stop = self.start_beat(parent)
        searching = self.start_search()
        sweeping = None if once else daily_sweep(self.service, self.queue)
        try:
            while True:
                job = self.queue.claim(self.name)
                if job is None:
                    if once:
                        return
                    time.sleep(poll)
                    continue
                self.take(job)
                log.info("job %d: %s %s", job.id, job.kind, job.session)
                try:
                    self.run_locked(job)
                except (Stopped, KeyboardInterrupt):
                    self.queue.release(job.id)
                    raise
                finally:
                    self.take(None)
        finally:
            stop.set()
            if searching is not None:
                searching.set()
            if sweeping is not None:
                sweeping.stop()

    def start_search(self) -> threading.Event | None:
        """Answer the web app's meaning searches from a thread, with the sentence encoder this process loads
        (`search.meaning`); None when the search index cannot be opened (logged; jobs run on)."""
        from pipeline.search.meaning import start_answering

        try:
            return start_answering(self.service.search_index(), idle=lambda: self.current is None)
        except (OogstError, OSError) as exc:
            log.warning("no meaning search in this worker: %s", exc)
            return None


# -- the retention sweep (oogst retention, daily in oogst serve and oogst worker) ---------------------------------
def busy_with(queue: JobQueue) -> list[str]:
    """The sessions and input files of the jobs queued, running or paused: the retention sweep leaves them alone."""
    jobs = queue.waiting()
    return [j.session for j in jobs] + [str(Path(j.input).resolve()) for j in jobs if j.input]


def retention_sweep(service: Oogst, queue: JobQueue, state_dir: Path | None = None, *, dry_run: bool = False,
                    now: Any = None) -> Swept:
    """One sweep with the policy in force (the settings page's in `state_dir`, else [retention])."""
    state = state_dir if state_dir is not None else (
        queue.path.parent if isinstance(queue, SQLiteQueue) else default_state_dir(service.out_dir))
    return service.sweep(service.retention_policy(state), now=now, busy=busy_with(queue), dry_run=dry_run)


def daily_sweep(service: Oogst, queue: JobQueue) -> Any:
    """The sweep once now and then once a day on a thread (returns the `Daily`; its `stop` ends it). Off while the
    policy is off: each day's sweep reads the policy again."""
    from pipeline.retention.sweep import Daily

    def job() -> None:
        try:
            swept = retention_sweep(service, queue)
        except OogstError as exc:
            log.warning("retention sweep: %s", exc)
            return
        for line in swept.lines(service.out_dir, dry_run=False) if swept.removed or swept.skipped else ():
            log.info("retention: %s", line)

    return Daily(job).start()


def stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise Stopped()


_stop = stop_on_signal


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.jobs.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--queue", required=True, help="the SQLite queue file")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--config", help="config file (as for oogst)")
    parser.add_argument("--models-dir")
    parser.add_argument("--parent", type=int, help="stop when this process is gone")
    parser.add_argument("--ttl", type=float, default=60.0, help="seconds without heartbeat before a job is redone")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="oogst worker: %(levelname)s: %(message)s")
    queue = SQLiteQueue(Path(args.queue), ttl=args.ttl)
    try:
        worker = Worker(queue, {"out_dir": args.out_dir, "models_dir": args.models_dir, "quiet": True},
                        config=Path(args.config) if args.config else None,
                        heartbeat_every=max(0.2, min(5.0, args.ttl / 4)))
    except OogstError as exc:
        print(f"oogst worker: error: {exc}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop)
    try:
        worker.serve(parent=args.parent)
    except (Stopped, KeyboardInterrupt):
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
