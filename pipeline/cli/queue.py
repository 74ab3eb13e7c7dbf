"""The queue's commands: `oogst worker`, `oogst jobs` and `oogst status` (the work is in `pipeline.jobs.engines`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pipeline.cli.common import add_common, err, settings_of


def add_queue_commands(sub: Any) -> None:
    """Add `worker`, `jobs` and `status` to the `oogst` parser."""
    def cmd_worker(args: argparse.Namespace) -> int:
        from pipeline.jobs.engines import run_worker

        return run_worker(settings_of(args, models_dir=args.models_dir), announce=err)

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
    add_common(worker)
    worker.set_defaults(func=cmd_worker)

    jobs = sub.add_parser("jobs", help="list jobs: queued, running (worker, stage, %%), done, failed",
                          description="The newest jobs of the queue first (the broker's, or the embedded one): "
                                      "queued, running (on which worker, which stage, how far), done, failed (why).")
    jobs.add_argument("--session", help="only this session's jobs")
    jobs.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    add_common(jobs)
    jobs.set_defaults(func=cmd_jobs)

    status = sub.add_parser("status", help="per session: its latest job (where, how far) and what is ready",
                            description="One line per session folder: its latest job (queued, running on which "
                                        "worker at which stage, done, or failed with the error) and the stages "
                                        "and documents that are ready.")
    status.add_argument("session", nargs="?", help="only this session")
    add_common(status)
    status.set_defaults(func=cmd_status)
