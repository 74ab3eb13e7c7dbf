"""The CLI of a series: `oogst run --series/--remember-voices` and `oogst series show/forget` (argparse only at
import; the series code loads when a command runs)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_series_options(run: argparse.ArgumentParser) -> None:
    """--series NAME and --remember-voices on `oogst run`."""
    run.add_argument("--series", metavar="NAME", help="the group's series this session belongs to (kept in the "
                                                      "session folder; see `oogst series`)")
    run.add_argument("--remember-voices", action=argparse.BooleanOptionalAction, default=None,
                     help="keep voice profiles of named speakers in the series, to propose names next time "
                          "(personal data: off by default; the series keeps the choice)")


def add_series_commands(sub: Any, common: Callable[[argparse.ArgumentParser], None],
                        settings: Callable[..., Any]) -> None:
    """`oogst series show NAME` and `oogst series forget NAME PERSON`."""
    series = sub.add_parser("series", help="a group's series of sessions: overview, forget a voice",
                            description="Sessions run with --series NAME form a series in outputs/.series/NAME/: "
                                        "open action points are carried into the next draft.")
    series_sub = series.add_subparsers(dest="series_command", metavar="SUBCOMMAND", required=True)
    show = series_sub.add_parser("show", help="the series' sessions and action points")
    show.add_argument("name", metavar="NAME")
    forget = series_sub.add_parser("forget", help="remove a person's voice profile from the series")
    forget.add_argument("name", metavar="NAME")
    forget.add_argument("person", metavar="PERSON")
    for command in (show, forget):
        common(command)
        command.set_defaults(func=lambda args: _cmd_series(args, settings))


def _cmd_series(args: argparse.Namespace, settings: Callable[..., Any]) -> int:
    from pipeline.series import command

    out_dir = settings(args).out_dir
    if args.series_command == "forget":
        print(command.forget(out_dir, args.name, args.person))
    else:
        print(*command.show(out_dir, args.name), sep="\n")
    return 0
