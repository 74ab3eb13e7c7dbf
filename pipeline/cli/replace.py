"""`oogst replace`: find and replace across a session's transcript, kept as a rule (replacements.json) the names
stage applies after the line corrections; a preview first, the rules listed and removed (undo)."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.cli import on_session, service
from pipeline.core.errors import ConfigError
from pipeline.core.language import clock
from pipeline.core.session import REPLACEMENTS


def _options(rule: Any) -> str:
    notes = [note for note, on in (("also inside words", not rule.whole_word), ("exact case", rule.match_case)) if on]
    return f" ({', '.join(notes)})" if notes else ""


def cmd_replace(args: argparse.Namespace) -> int:
    oogst = service(args)
    session = oogst.session(args.session)
    if args.list or args.remove is not None:
        if args.find is not None:
            raise ConfigError("give FIND and REPLACE, or --list, or --remove N, not both")
        if args.remove is not None:
            gone = oogst.remove_replacement(session, args.remove)
            print(f"removed: {gone.find} → {gone.replace}")
            print(f"-> {session.path(REPLACEMENTS)} (run `oogst run` again to carry it into insights and draft)")
            return 0
        rules = oogst.replacements(session)
        for number, rule in enumerate(rules, 1):
            print(f"{number}. {rule.find} → {rule.replace}{_options(rule)}  [{rule.made}]")
        if not rules:
            print("no replacements in this session")
        return 0
    if args.find is None or args.replacement is None:
        raise ConfigError("give the word to find and what it should become: oogst replace SESSION FIND REPLACE "
                          "(or --list, --remove N)")
    options = {"whole_word": not args.part_of_word, "match_case": args.match_case}
    if args.preview:
        lines = oogst.replace_preview(session, args.find, args.replacement, **options)
    else:
        lines = oogst.replace(session, args.find, args.replacement, **options)
    for line in lines:
        print(f"{clock(line.start)} {line.speaker}:\n  - {line.before}\n  + {line.after}")
    count = f"{len(lines)} line{'' if len(lines) == 1 else 's'}"
    if args.preview:
        print(f"{count} would change (nothing saved; run again without --preview to replace)")
    else:
        print(f"{count} changed -> {session.path(REPLACEMENTS)} (run `oogst run` again to carry it into insights "
              "and draft; `--list` and `--remove N` to undo)")
    return 0


def add_replace(sub: Any) -> None:
    replace = on_session(sub, "replace", cmd_replace,
                         help="find and replace a misheard word across the transcript (kept as a rule)",
                         description="Replace a word throughout a session's transcript, e.g. a name the "
                                     "recogniser misheard everywhere: whole words, keeping each match's case "
                                     "(fakima -> fatima, FAKIMA -> FATIMA). The rule is kept in "
                                     "replacements.json and applied after the line corrections on every run, also "
                                     "to a new transcription; a line corrected by hand later keeps its own text.")
    replace.add_argument("find", nargs="?", metavar="FIND", help="the word (or words) to find")
    replace.add_argument("replacement", nargs="?", metavar="REPLACE", help="what it should become")
    replace.add_argument("--preview", action="store_true", help="list the lines that would change; save nothing")
    replace.add_argument("--match-case", action="store_true",
                         help="match the case exactly as typed and put REPLACE in as typed")
    replace.add_argument("--part-of-word", action="store_true",
                         help="also replace FIND inside longer words (default: whole words only)")
    replace.add_argument("--list", action="store_true", help="list the session's replacements, numbered")
    replace.add_argument("--remove", type=int, metavar="N", help="remove replacement N (as --list numbers it): undo")
