"""`oogst retention`: the retention policy's sweep (what is past its date goes; `--dry-run` lists it), a session put
on hold or taken off; `oogst forget SERIES NAME`: forget a person across a series (`--dry-run` lists what changes)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from pipeline.cli import add_common, service
from pipeline.core.errors import ConfigError
from pipeline.core.session import Session, sessions_in


def cmd_retention(args: argparse.Namespace) -> int:
    from pipeline.jobs.engines import open_queue
    from pipeline.jobs.worker import retention_sweep
    from pipeline.retention.policy import plan

    oogst = service(args)
    if args.hold or args.release:
        session = oogst.session(args.hold or args.release)
        oogst.hold(session, hold=bool(args.hold))
        print(f"{session.name}: {'on hold: the retention policy deletes nothing of it' if args.hold else 'off hold'}")
        return 0
    now = None
    if args.now:
        try:
            now = dt.datetime.fromisoformat(args.now).astimezone(dt.UTC)
        except ValueError:
            raise ConfigError(f"--now {args.now}: give a date as YYYY-MM-DD") from None
    queue = open_queue(oogst.settings)
    policy = oogst.retention_policy(state_folder(oogst.settings, queue))
    if not policy.on:
        print("retention is off: nothing is ever deleted (set days in [retention], or on the settings page)")
        return 0
    if args.plan:
        for folder in sessions_in(oogst.out_dir):
            for item in plan(Session(folder), policy):
                when = item.when.date().isoformat() if item.when else "after the final is mailed"
                print(f"{when}  {folder.name}/{item.path.name} ({item.what})")
        return 0
    swept = retention_sweep(oogst, queue, dry_run=args.dry_run, now=now)
    print(*swept.lines(oogst.out_dir, args.dry_run), sep="\n")
    return 0


def state_folder(settings: Any, queue: Any) -> Path:
    """The state folder: the embedded queue's, else the default next to the outputs folder."""
    from pipeline.jobs.queue import SQLiteQueue, default_state_dir

    return queue.path.parent if isinstance(queue, SQLiteQueue) else default_state_dir(Path(settings.out_dir))


def cmd_forget(args: argparse.Namespace) -> int:
    oogst = service(args)
    changes = oogst.forget_person(args.series, args.name, label=args.label, dry_run=args.dry_run)
    print(*changes.lines(oogst.out_dir, args.dry_run), sep="\n")
    return 0


def add_retention_commands(sub: Any) -> None:
    retention = sub.add_parser(
        "retention", help="delete recordings past their retention date ([retention] in the config)",
        description="Delete what of each session is past its date under the retention policy: the recording copy, "
                    "the clips and the cached voices (days after the final was mailed, or after the session date), "
                    "and with copies_days the returned copies and sent versions. Files outside the outputs folder, "
                    "sessions on hold and sessions with a queued, running or paused job are left alone. `oogst "
                    "serve` and `oogst worker` sweep once a day.")
    retention.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    retention.add_argument("--plan", action="store_true", help="list what goes when, for every session")
    retention.add_argument("--hold", metavar="SESSION", help="put a session on hold: nothing of it is ever deleted")
    retention.add_argument("--release", metavar="SESSION", help="take a session off hold")
    retention.add_argument("--now", metavar="YYYY-MM-DD", help="sweep as if it were that day (with --dry-run: what "
                                                                 "would go by then)")
    add_common(retention)
    retention.set_defaults(func=cmd_retention)

    forget = sub.add_parser(
        "forget", help="forget a person across a series (voice, clips, roster, their name in every file)",
        description="Forget a participant in every session of a series and in the series itself: their voice "
                    "profile, the clips and cached voices, their roster entries are deleted, and their name is "
                    "replaced by a label in every kept file (JSON, names.toml, Word documents, the mail).")
    forget.add_argument("series", help="the series' name")
    forget.add_argument("name", help="the person's name as it appears in the sessions")
    forget.add_argument("--label", help="what they are called from now on (default: Oud-deelnemer / Former "
                                        "participant)")
    forget.add_argument("--dry-run", action="store_true", help="list what would change, change nothing")
    add_common(forget)
    forget.set_defaults(func=cmd_forget)
