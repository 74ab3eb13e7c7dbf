"""`oogst series show NAME` and `oogst series forget NAME PERSON`."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.cli.common import add_common, service


def cmd_series(args: argparse.Namespace) -> int:
    oogst = service(args)
    if args.series_command == "forget":
        print(oogst.forget_voice(args.name, args.person))
    else:
        print(*oogst.series_lines(args.name), sep="\n")
    return 0


def add_series_commands(sub: Any) -> None:
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
        add_common(command)
        command.set_defaults(func=cmd_series)
