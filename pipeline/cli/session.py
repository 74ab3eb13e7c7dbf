"""The commands on one session after it ran: `oogst names`, `speakers`, `hide`, `unhide`, `collect`, `invite`,
`mail` and `export`; and a group's series: `oogst series show NAME`, `oogst series forget NAME PERSON`."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.cli import add_common, date, err, on_session, service
from pipeline.core.errors import ReviewError
from pipeline.core.session import PSEUDONYMS, REVIEW, TURNS, Session

if TYPE_CHECKING:
    from pipeline.service import Oogst
from pipeline.review.answers import existing_store


def cmd_names(args: argparse.Namespace) -> int:
    from pipeline.speakers.names import parse_assignments

    oogst = service(args)
    session = oogst.session(args.session)
    turns = oogst.name_speakers(session, parse_assignments(args.assignments))
    for label, name in turns.speakers.items():
        print(f"{label} = {name}")
    print(f"-> {session.path(TURNS)} (run `oogst run` again to carry the names into insights and draft)")
    return 0


def follow_up(oogst: Oogst, session: Session, quiet: bool = False) -> None:
    """The command line's follow-up of a change (`Oogst.rerun`; the web app queues a re-run job instead): the
    session run again here from its own copy of the recording with the title and date it has, transcription and
    speaker detection kept (`RunRequest.keep_heard`), so names, insights, speaking time, the series' voices and
    the draft follow; only the stages whose inputs changed run. Without the recording in the session folder (a
    session made by `oogst run`) the series' voices stay as they are until `oogst run` on the recording."""
    from pipeline.core.language import title_from
    from pipeline.core.session import TRANSCRIPT
    from pipeline.core.stages import ConsoleReporter
    from pipeline.core.types import RunRequest

    heard = session.read(TRANSCRIPT)
    if session.root.parent.resolve() != oogst.out_dir.resolve():  # a session given by its path: its own folder
        from pipeline.service import Oogst

        oogst = Oogst(dataclasses.replace(oogst.settings, out_dir=session.root.parent), state_dir=oogst.state_dir)
    # `oogst run` keeps no copy (the web app does): then the stages after speaker detection run without the sound
    recording = session.recording() or session.removed_recording() or session.root / str(heard.get("source"))
    title = str(heard.get("title") or "") or None
    oogst.run(RunRequest(str(recording), title=None if title == title_from(session.name) else title,
                         date=str(heard["recorded"]) if heard.get("recorded") else None, keep_heard=True),
              reporter=ConsoleReporter(quiet))


def cmd_speakers(args: argparse.Namespace) -> int:
    """`oogst speakers SESSION move|split|merge|undo|list`: speakers per turn (speaker-changes.json), then the
    follow-up the web app does too (`follow_up`, which the service calls after the change) unless `--no-run`."""
    from pipeline.core.errors import ConfigError

    oogst = service(args)
    session = oogst.session(args.session)
    if not args.no_run:
        oogst.rerun = lambda changed: follow_up(oogst, changed, oogst.settings.quiet)
    what, rest = args.change, list(args.values)
    wanted = {"move": 2, "split": 3, "merge": 2, "undo": 0, "list": 0}
    usage = {"move": "move TURN SPEAKER", "split": "split TURN WORD SPEAKER", "merge": "merge SPEAKER INTO",
             "undo": "undo", "list": "list"}
    if what not in wanted or len(rest) != wanted[what]:
        raise ConfigError(f"oogst speakers {' '.join([what, *rest])}: expected one of: "
                          + "; ".join(usage.values()) + " (SPEAKER: a label like S2, a name, or new)")
    if what == "list":
        turns = session.turns()
        for turn in turns.turns:
            print(f"{turn.id:>10}  {turn.start:8.2f}  {turns.name(turn.speaker)} ({turn.speaker}): {turn.text}")
        return 0
    if what == "undo":
        change = oogst.change_speaker(session, "undo")
        print(f"undone: {change['op']} {change.get('turn') or change.get('from')}")
    elif what == "merge":
        oogst.change_speaker(session, "merge", source=rest[0], into=rest[1])
    elif what == "move":
        oogst.change_speaker(session, "move", turn=rest[0], speaker=rest[1])
    else:
        if not rest[1].isdigit():
            raise ConfigError(f"{rest[1]}: WORD is the number of the word the second part starts with (2 or more)")
        oogst.change_speaker(session, "split", turn=rest[0], word=int(rest[1]), speaker=rest[2])
    if args.no_run:
        print(f"-> {session.path(TURNS)} (run `oogst run` again to carry it into insights, speaking time and draft)")
    else:
        print(f"-> {session.path(TURNS)}, insights, speaking time and draft brought up to date")
    return 0


def cmd_hide(args: argparse.Namespace) -> int:
    """`oogst hide` and `oogst unhide`: one source of truth, pseudonyms.json, changed under the session's lock."""
    oogst = service(args)
    session = oogst.session(args.session)
    lines = oogst.hide(session, args.names, args.kind) if args.command == "hide" else oogst.unhide(session, args.names)
    print(*lines, sep="\n")
    print(f"-> {session.path(PSEUDONYMS)} (run `oogst run` again to write the draft with it)")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from pipeline.mail.approval import approval_state, configured
    from pipeline.rounds import collect

    oogst = service(args)
    session = oogst.session(args.session)
    rule = configured(oogst.settings)  # a wrong [review] approval stops here, before anything is collected
    if not args.files and existing_store(oogst.state_dir, oogst.out_dir) is None and not session.has(REVIEW):
        raise ReviewError(f"{session.name}: nothing to collect; give the returned copies (ANNOTATED.docx ...)",
                          "collect_nothing", name=session.name)
    result, series_notes = collect(oogst, session, [Path(f) for f in args.files], close=args.close,
                                   title=args.title, date=date(args.date), keep_previous=not args.fresh)
    for note in result.notes + series_notes:
        err(f"  note: {note}")
    for problem in result.problems:
        err(f"oogst: error: {problem}")
    print(f"{result.comments} comments from {result.files_read} file(s), "
          f"{result.unmapped} not tied to an insight (kept in review.json)")
    approvals = approval_state(session, rule)
    if approvals.rule.needed or approvals.approved:
        waiting = f"; not yet: {', '.join(approvals.waiting)}" if approvals.rule.needed and approvals.waiting else ""
        print(f"Approval: {approvals.line('en')}{waiting}")
    for path in (result.review, result.final_json, result.final_docx):
        print(f"-> {path}")
    return 1 if result.problems else 0


def cmd_mail(args: argparse.Namespace) -> int:
    import getpass

    oogst = service(args)
    session = oogst.session(args.session)
    tty = sys.stdin.isatty()

    def confirm(question: str) -> bool:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes", "j", "ja")

    # Without a terminal getpass would read stdin, and nobody can answer a question: pass neither.
    outcome, frozen = oogst.mail(session, to=args.to or [], to_file=Path(args.to_file) if args.to_file else None,
                                 send=args.send, draft=args.draft, yes=args.yes, env=os.environ,
                                 password_prompt=getpass.getpass if tty else None, confirm=confirm if tty else None)
    if frozen is not None:
        err(f"draft {frozen.name} frozen in {frozen.folder}")
    print(outcome.summary)
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    from pipeline.rounds import invite

    oogst = service(args)
    session = oogst.session(args.session)
    invited = invite(oogst, session, names=args.to or [], everyone=args.all, base_url=args.public_url,
                           send=not args.no_mail, dry_run=args.dry_run, reminder=args.remind, env=os.environ,
                           show_quotes=args.show_quotes, show_group=args.show_group, reopen=args.reopen)
    if not invited.people:
        err("nobody to invite (see the participants: `present`, or name them with --to)")
        return 1
    for person in invited.people:
        if invited.dry_run:
            print(f"{person.name} <{person.email or 'no address'}>: would get a link to {invited.version}")
        else:
            how = "mailed" if person.mailed else f"not mailed ({person.problem})" if person.problem else "not mailed"
            print(f"{person.name}: {how}: {person.link}")
    return 1 if any(p.problem for p in invited.people) else 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.export import write_export

    oogst = service(args)
    session = oogst.session(args.session)
    result = oogst.export(session, args.format, originals=args.originals)
    path = write_export(result, Path(args.out) if args.out else Path.cwd() / result.filename, force=args.force)
    if result.left_out:
        err(f"  note: {result.left_out} action point(s) without a due date left out of the calendar")
    if args.format.lower().lstrip(".") == "md" and not result.final:
        err("  note: no final top 7 yet (run `oogst collect`), so this is the draft's")
    print(f"-> {path}")
    return 0


def add_session_commands(sub: Any) -> None:
    names = on_session(sub, "names", cmd_names,
                       help="give speakers their names (S1=Sanne …) without redoing anything",
                       description="Rename speaker labels in a session; the names are kept in "
                                   "names.toml and carried into insights, draft and mail.")
    names.add_argument("assignments", nargs="+", metavar="S1=NAME")

    speakers = on_session(sub, "speakers", cmd_speakers,
                          help="move or split a turn to another speaker, merge two speakers, undo",
                          description="Fix who spoke per turn, kept in speaker-changes.json (the diarization is "
                                      "never changed) and applied on every run: `list` shows each turn's id; "
                                      "`move TURN SPEAKER`; `split TURN WORD SPEAKER` (the second part, from word "
                                      "number WORD, goes to SPEAKER); `merge SPEAKER INTO`; `undo` (the last "
                                      "change). SPEAKER: a label (S2), a name, or `new`. Then the session runs "
                                      "again (as the web app does): names, insights, speaking time, the series' "
                                      "voices and the draft follow; `--no-run` skips that.")
    speakers.add_argument("change", metavar="list|move|split|merge|undo")
    speakers.add_argument("values", nargs="*", metavar="ARG")
    speakers.add_argument("--no-run", action="store_true",
                          help="only record the change; by default insights, speaking time, the series' voices and "
                               "the draft follow at once (the session run again, transcription and speaker "
                               "detection kept)")

    hide = on_session(sub, "hide", cmd_hide,
                      help="always hide these names in what is shared (\"Tim=Timmie\" ties spellings)",
                      description="Add names to the session's pseudonyms.json: each argument is one person "
                                  "(or place, school), \"=\" ties its spellings, e.g. \"Tim=Timmie=Tim de "
                                  "Vries\". Turns pseudonymisation on; run `oogst run` again for the draft.")
    hide.add_argument("names", nargs="+", metavar="NAME")
    hide.add_argument("--as", dest="kind", default="person", metavar="KIND",
                      help="what the names are: person (default), school, institution or place")

    unhide = on_session(sub, "unhide", cmd_hide,
                        help="never hide these names (a word taken for a name, a public place)",
                        description="Show these names as they are in draft, final document and mail; "
                                    "run `oogst run` again for the draft.")
    unhide.add_argument("names", nargs="+", metavar="NAME")

    collect = on_session(sub, "collect", cmd_collect, help="read participants' comments from returned .docx copies",
                         description="Read every comment from the returned, annotated copies of draft.docx "
                                     "and the answers given in the browser (`oogst invite`), and write "
                                     "review.json (with who approved), final.json and final.docx. The returned "
                                     "files are never changed.")
    collect.add_argument("files", nargs="*", metavar="ANNOTATED.docx",
                         help="returned copies (none: only the answers given in the browser, see `oogst invite`, "
                              "and the copies collected before)")
    collect.add_argument("--close", action="store_true",
                         help="close the review round in the browser first: the links stop taking answers (as "
                              "\"close the round\" on the review page; a round whose deadline passed is closed "
                              "anyway)")
    collect.add_argument("--fresh", action="store_true", help="forget copies collected earlier and start over")
    collect.add_argument("--title", help="title for final.docx (default: the draft's)")
    collect.add_argument("--date", help="date YYYY-MM-DD for final.docx (default: the draft's)")

    mail = on_session(sub, "mail", cmd_mail, help="mail the final top 7 (writes mail.eml; --send sends it)",
                      description="Compose the mail with the final top 7, action points and final.docx "
                                  "attached (and who approved it in the browser). Without --send it only writes "
                                  "outputs/<session>/mail.eml. With approval in [review] of the config file, "
                                  "--send waits until enough of the participants present approved.")
    mail.add_argument("--to", action="append", metavar="ADDRESS", help="a recipient (repeat for more)")
    mail.add_argument("--to-file", metavar="FILE", help="a file with one address per line")
    mail.add_argument("--send", action="store_true", help="send it over SMTP (see README for the settings)")
    mail.add_argument("--draft", action="store_true", help="allow mailing the unreviewed draft")
    mail.add_argument("--yes", action="store_true", help="do not ask before sending again")

    invite = on_session(sub, "invite", cmd_invite,
                        help="invite participants to review the sent draft in their browser (a link each)",
                        description="Give each participant present (see the participants page) a personal link to "
                                    "the last sent version of the draft, and mail it with the deadline. The links "
                                    "start with public_url in [web] (or --public-url), which must be https. The "
                                    "browser answers count in `oogst collect` like Word comments; `oogst collect "
                                    "SESSION --close` closes the round.")
    invite.add_argument("--to", action="append", metavar="NAME", help="only this participant (repeat for more)")
    invite.add_argument("--all", action="store_true", help="also the participants not marked present")
    invite.add_argument("--public-url", metavar="URL", help="the base of the links (default: public_url in [web])")
    invite.add_argument("--remind", action="store_true",
                        help="a new link to those invited who have not answered yet (their old link stops)")
    invite.add_argument("--no-mail", action="store_true", help="do not mail: print the links to pass on")
    invite.add_argument("--dry-run", action="store_true", help="only show who would get a link; make none")
    invite.add_argument("--reopen", action="store_true",
                        help="invite again after the round on this version was closed (new links; answers can change "
                             "again until the next collect)")
    invite.add_argument("--show-quotes", action=argparse.BooleanOptionalAction, default=None,
                        help="show participants the transcript lines behind each insight (kept for the session; "
                             "default: not shown)")
    invite.add_argument("--show-group", action=argparse.BooleanOptionalAction, default=None,
                        help="show participants the others' votes and suggested wordings, without names (kept for "
                             "the session; default: not shown)")

    export = on_session(sub, "export", cmd_export,
                        help="write the transcript, the top 7 or the dated actions for another program",
                        description="Export the corrected transcript with names and times (txt, docx, vtt, srt: "
                                    "subtitles with the speaker), the final top 7 with its action points (md; the "
                                    "draft's while there is no final) or the action points with a due date as "
                                    "calendar events (ics). A pseudonymised session exports its labels.")
    export.add_argument("--format", required=True, metavar="FORMAT",
                        help="txt, docx, vtt, srt, md or ics")
    export.add_argument("--out", metavar="FILE",
                        help="where to write it (default: <session>-<what>.<format> in the current folder; "
                             "a folder: that name in it)")
    export.add_argument("--originals", action="store_true",
                        help="a pseudonymised session with its real names (default: the labels)")
    export.add_argument("--force", action="store_true", help="overwrite FILE when it exists")


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
