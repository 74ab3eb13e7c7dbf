"""The queue's commands for `pipeline.cli`: `oogst worker`, `oogst jobs`, `oogst status`, and `oogst run` with a
broker (submit every input, then wait with progress). Parsing only; the work is in `pipeline.jobs.engines`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.core.settings import Settings

WORKER_OPTIONS = ("model", "backend", "compute_type", "fast", "threads", "models_dir", "until")


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_on_queue(args: argparse.Namespace, settings: Settings, inputs: list[Path],
                 names: dict[str, str] | None) -> int:
    """`oogst run` with a broker: submit every input to the queue, then wait for them with progress."""
    from pipeline.jobs.engines import open_queue, submit_inputs, wait_for

    given = [f"--{o.replace('_', '-')}" for o in WORKER_OPTIONS
             if getattr(args, o, None) is not None]
    if given:
        raise ConfigError(f"{given[0]}: with a job broker the workers decode with their own settings; set it in "
                          "the workers' config file (or run without OOGST_BROKER_URL / [queue] broker)")
    try:
        date = dt.date.fromisoformat(args.date).isoformat() if args.date else None
    except ValueError:
        raise ConfigError(f"--date {args.date}: give the date as YYYY-MM-DD") from None
    queue = open_queue(settings)
    params = {"language": args.language, "speakers": settings.speakers, "vocabulary": list(settings.vocabulary),
              "names": names, "pseudonymise": args.pseudonymise, "participants": args.participants,
              "title": args.title, "date": date, "start": "transcribe" if args.force else args.start,
              "series": getattr(args, "series", None), "remember_voices": getattr(args, "remember_voices", None)}
    jobs = submit_inputs(queue, settings, inputs, params)
    for job in jobs:
        _err(f"{job.session}: job #{job.id} {job.status}")
    out_dir = Path(settings.out_dir).resolve()
    if args.no_wait:
        print(f"follow them with `oogst jobs`; results land in {out_dir}")
        return 0
    try:
        final = wait_for(queue, jobs, lambda line: _err(f"  {line}"), quiet=settings.quiet)
    except KeyboardInterrupt:
        _err("oogst: stopped waiting; the jobs go on (see `oogst jobs`)")
        return 130
    for job in final:
        if job.status == "done" and not settings.quiet:
            print(f"{job.session}: done -> {out_dir / job.session}/")
    return 1 if any(job.status == "failed" for job in final) else 0


def add_queue_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None],
                       settings_of: Callable[..., Settings]) -> None:
    """Add `worker`, `jobs` and `status` to the `oogst` parser.

    Args:
        common: adds --out-dir and --config; settings_of: the CLI's one settings loader (args, **cli values).
    """
    def cmd_worker(args: argparse.Namespace) -> int:
        from pipeline.jobs.engines import run_worker

        return run_worker(settings_of(args, models_dir=args.models_dir), announce=_err)

    def cmd_jobs(args: argparse.Namespace) -> int:
        from pipeline.jobs.engines import jobs_lines, open_queue

        print(*jobs_lines(open_queue(settings_of(args)), limit=args.limit, session=args.session), sep="\n")
        return 0

    def cmd_status(args: argparse.Namespace) -> int:
        from pipeline.jobs.engines import open_queue, status_lines

        settings = settings_of(args)
        print(*status_lines(open_queue(settings), Path(settings.out_dir), args.session), sep="\n")
        return 0

    worker = sub.add_parser("worker", help="run queued sessions, one at a time (on several machines with a broker)",
                            description="Run jobs from the queue one at a time, with the models kept loaded. With "
                                        "OOGST_BROKER_URL (or broker in [queue]) it is a Celery worker on that "
                                        "Redis broker, on any machine that sees the shared outputs folder; "
                                        "without, it serves the embedded queue of `oogst serve` on this machine.")
    worker.add_argument("--models-dir", help="default: models (or OOGST_MODELS_DIR, models_dir in [oogst])")
    common(worker)
    worker.set_defaults(func=cmd_worker)

    jobs = sub.add_parser("jobs", help="list jobs: queued, running (worker, stage, %%), done, failed",
                          description="The newest jobs of the queue first (the broker's, or the embedded one): "
                                      "queued, running (on which worker, which stage, how far), done, failed (why).")
    jobs.add_argument("--session", help="only this session's jobs")
    jobs.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    common(jobs)
    jobs.set_defaults(func=cmd_jobs)

    status = sub.add_parser("status", help="per session: its latest job (where, how far) and what is ready",
                            description="One line per session folder: its latest job (queued, running on which "
                                        "worker at which stage, done, or failed with the error) and the stages "
                                        "and documents that are ready.")
    status.add_argument("session", nargs="?", help="only this session")
    common(status)
    status.set_defaults(func=cmd_status)
