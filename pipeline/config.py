"""Settings: built once in cli.py from the command line, OOGST_* environment variables and a config file.

Precedence: command line > environment > config file > defaults. Stages receive the values they need; they never
read os.environ themselves. The config file lives outside the repo: `~/.config/oogst/config.toml` (or the file in
OOGST_CONFIG), e.g.

    [oogst]
    language = "nl"
    out_dir = "~/Documents/oogst"
    vocabulary = ["intervisie", "casus", "inbrenger"]
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

DEFAULT_CONFIG = Path("~/.config/oogst/config.toml")


@dataclass(frozen=True)
class Settings:
    out_dir: Path = Path("outputs")
    models_dir: Path = Path("models")
    language: str = "nl"
    model: str | None = None
    backend: str = "faster-whisper"
    compute_type: str = "float32"
    batched: bool = False
    beam_size: int = 5
    threads: int = 0
    vocabulary: tuple[str, ...] = ()
    speakers: int | None = None
    names: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    config_path: Path | None = None


_ENV = {
    "out_dir": "OOGST_OUT_DIR",
    "models_dir": "OOGST_MODELS_DIR",
    "language": "OOGST_LANGUAGE",
    "model": "OOGST_MODEL",
    "backend": "OOGST_BACKEND",
    "compute_type": "OOGST_COMPUTE_TYPE",
    "threads": "OOGST_THREADS",
    "vocabulary": "OOGST_VOCABULARY",
}


def config_file(env: Mapping[str, str]) -> Path | None:
    path = Path(env.get("OOGST_CONFIG", str(DEFAULT_CONFIG))).expanduser()
    return path if path.is_file() else None


def _read_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc}); fix or remove it") from None
    section = data.get("oogst", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [oogst] must be a table")
    unknown = set(section) - set(Settings.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))} in [oogst]")
    return section


def _coerce(name: str, value: Any, source: str) -> Any:
    try:
        if name in ("out_dir", "models_dir", "config_path"):
            return Path(str(value)).expanduser()
        if name in ("threads", "beam_size", "speakers"):
            return None if value in (None, "") else int(value)
        if name == "batched" or name == "quiet":
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if name == "vocabulary":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(v.strip() for v in items if str(v).strip())
        if name == "names":
            return dict(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {name} = {value!r} is not valid") from None
    return value


def build_settings(cli: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Merge command-line values (None = not given), environment and config file into one Settings."""
    env = os.environ if env is None else env
    path = config_file(env)
    values: dict[str, Any] = {}
    for name, value in _read_file(path).items():
        values[name] = _coerce(name, value, str(path))
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var], var)
    for name, value in cli.items():
        if value is not None and name in Settings.__dataclass_fields__:
            values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    values["config_path"] = path
    return Settings(**values)
