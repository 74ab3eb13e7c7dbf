"""`oogst`: a thin command line over the application service (`pipeline.service`). Each command parses, calls one
operation and prints where the result is; argparse lives only here.

Commands by module: `run` (oogst run, here or on the queue; worker, jobs, status), `session` (names, hide, unhide,
collect, mail; series show, series forget), `replace`, `models` (models, models get/add/list), `retention`
(retention, forget), and in this module `serve`, with what every command shares
(the one settings loader, --out-dir/--config, a session's positional argument, the service for the command line).
An expected failure (OogstError) is one line on stderr and exit code 1; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.core.errors import ConfigError, OogstError

log = logging.getLogger("oogst")


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.web.serve import serve  # without the web extra: one line naming it (pipeline.web)

    settings = settings_of(args, models_dir=args.models_dir)
    if args.public_url:  # the base of participants' links (`oogst invite`, the review page): wins over [web]
        settings.sections["web"] = {**settings.section("web"), "public_url": args.public_url}
    if args.trusted_proxy:  # the reverse proxy in front (deploy/): its X-Forwarded-For names the client
        settings.sections["web"] = {**settings.section("web"), "trusted_proxy": args.trusted_proxy}
    return serve(settings, host=args.host, port=args.port,
                 announce=lambda line: print(line, file=sys.stderr, flush=True))


def build_parser() -> argparse.ArgumentParser:
    from pipeline.cli.models import add_models
    from pipeline.cli.replace import add_replace
    from pipeline.cli.retention import add_retention_commands
    from pipeline.cli.run import add_queue_commands, add_run
    from pipeline.cli.search import add_search
    from pipeline.cli.session import add_series_commands, add_session_commands

    parser = argparse.ArgumentParser(
        prog="oogst",
        description="Oogst turns a recorded group conversation into a transcript, speaker turns, a top 7 of "
                    "insights and a Word draft for review, offline. Results go to outputs/<recording>/.")
    parser.add_argument("--version", action="version", version=f"oogst {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what each stage does")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_run(sub)

    add_models(sub)

    add_session_commands(sub)
    add_replace(sub)
    add_series_commands(sub)
    add_search(sub)

    serve = sub.add_parser("serve", help="the whole flow in a local web page (http://127.0.0.1:8000)",
                           description="Start the web app and its worker: upload recordings, follow progress, name "
                                       "speakers, correct the transcript and the top 7, collect comments, mail. "
                                       "Listening on another address than 127.0.0.1 needs a password "
                                       "(OOGST_WEB_PASSWORD, else one is generated and printed).")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, or host in [web])")
    serve.add_argument("--port", type=int, help="port (default 8000, or port in [web])")
    serve.add_argument("--public-url", metavar="URL",
                       help="the https address participants reach this app on (their review links; default "
                            "public_url in [web]); cookies are then Secure")
    serve.add_argument("--trusted-proxy", metavar="ADDRESS",
                       help="the reverse proxy's address as this app sees it (e.g. 127.0.0.1): only its "
                            "X-Forwarded-For names the client for rate limiting (default trusted_proxy in [web]; "
                            "none: the connection's own address)")
    add_models_dir(serve)
    add_common(serve)
    serve.set_defaults(func=cmd_serve)

    add_queue_commands(sub)  # worker, jobs, status
    add_retention_commands(sub)  # retention, forget
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


if TYPE_CHECKING:
    from pipeline.core.settings import Settings
    from pipeline.service import Oogst

Command = Callable[[argparse.Namespace], int]
CONFIG_HELP = ("config file (default: $OOGST_CONFIG, else $XDG_CONFIG_HOME/oogst/config.toml, else "
               "~/.config/oogst/config.toml)")


def settings_of(args: argparse.Namespace, **cli: Any) -> Settings:
    """The one settings loader: these command-line values > OOGST_* > the config file (--config or the default)."""
    from pipeline.core.settings import load_settings

    config = getattr(args, "config", None)
    return load_settings({"out_dir": getattr(args, "out_dir", None), **cli},
                         config=Path(config) if config else None)


def service(args: argparse.Namespace, **cli: Any) -> Oogst:
    """The application service, as the command line uses it (no re-run after a change: `oogst run` does that)."""
    from pipeline.service import Oogst

    return Oogst(settings_of(args, **cli), front="cli")


def err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def date(value: str | None, option: str = "--date") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value}: give the date as YYYY-MM-DD") from None


def vocabulary(value: str | None) -> tuple[str, ...] | None:
    """Comma-separated words, or a file of them (one per line or comma-separated)."""
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        value = path.read_text(encoding="utf-8").replace("\n", ",")
    return tuple(w.strip() for w in value.split(",") if w.strip())


def add_models_dir(command: argparse.ArgumentParser) -> None:
    command.add_argument("--models-dir", help="where assembled models are (default: models, or OOGST_MODELS_DIR, "
                                              "models_dir in [oogst])")


def add_common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--out-dir", help="where session folders are (default: outputs, or OOGST_OUT_DIR, "
                                           "out_dir in [oogst])")
    command.add_argument("--config", metavar="FILE", help=CONFIG_HELP)


def on_session(sub: Any, name: str, func: Command, **texts: str) -> argparse.ArgumentParser:
    """A command that works on one session: its positional SESSION, --out-dir and --config."""
    command: argparse.ArgumentParser = sub.add_parser(name, **texts)
    command.add_argument("session", help="session folder or name under outputs/")
    command.set_defaults(func=func)
    add_common(command)
    return command
