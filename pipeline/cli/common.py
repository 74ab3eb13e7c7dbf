"""What every `oogst` command shares: the one settings loader, --out-dir/--config, a session's positional
argument, the service for this front end, and the values the command line reads (dates, vocabularies)."""

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
