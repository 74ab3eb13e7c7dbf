"""Settings: one loader for every command. Command line > OOGST_* environment variables > config file > defaults.

The config file is `$OOGST_CONFIG`, else `$XDG_CONFIG_HOME/oogst/config.toml`, else `~/.config/oogst/config.toml`
(`--config FILE` on a command names it explicitly; then it must exist). It holds sections; every key is checked,
and an unknown section or key is a one-line error that names it:

    [oogst]                     # run, names, collect, mail, models
    language = "nl"
    out_dir = "~/Documents/oogst"
    vocabulary = ["intervisie", "casus", "inbrenger"]
    pseudonymise = true         # third parties -> labels in what is shared (participants = keep|initials|labels)
    facilitator = "Sanne de Vries <sanne@example.nl>"   # the name under a mail (and its From without [smtp] from)

    [smtp]                      # oogst mail (see pipeline.mail.settings)
    host = "smtp.example.nl"

    [llm]                       # insights = "llm" in [oogst]: url, model, template, context, timeout, allow_remote
    [queue]                     # oogst worker / run / jobs: the distributed queue (or OOGST_BROKER_URL)
    broker = "redis://queue.example.nl:6379/0"

    [web]                       # the web app
    [models]                    # oogst models get: mirror = "https://models.example.nl/oogst/"
    [retention]                 # off by default: days = 30 (recordings go 30 days after the final was mailed)
    [review]                    # approval = "none" (default) | "all" | 0.6: who must approve before the final mail

Passwords and API keys never come from a file: a key that looks like one is refused (they come from the
environment or a prompt). Stages receive the values they need; they never read os.environ themselves.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError
from pipeline.core.session import STAGES_FILE

DEFAULT_CONFIG = "~/.config/oogst/config.toml"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    out_dir: Path = Path("outputs")
    models_dir: Path = Path("models")
    language: str = "nl"
    language_given: bool = False  # --language, OOGST_LANGUAGE or the file said it (else an import's text may decide)
    model: str | None = None
    backend: str = "faster-whisper"
    compute_type: str = "int8"  # with batched: the default decoding, chosen on real Dutch voices (see README, Speed)
    batched: bool = True
    beam_size: int = 5
    threads: int = 0
    vocabulary: tuple[str, ...] = ()
    speakers: int | None = None
    names: dict[str, str] = field(default_factory=dict)
    quiet: bool = False
    pseudonymise: bool | None = None  # None: not said; the session keeps what it was (pseudonyms.json)
    participants: str | None = None  # with pseudonymise: keep | initials | labels (None: the session's, else keep)
    cache_dir: Path | None = None  # built lookup tables (deduce); default $XDG_CACHE_HOME/oogst or ~/.cache/oogst
    insights: str = "extractive"  # or "llm": the opt-in generative backend (pipeline.llm)
    llm_url: str | None = None  # [llm] url, OOGST_LLM_URL, --llm-url: an OpenAI-compatible server
    llm_model: str | None = None  # [llm] model, OOGST_LLM_MODEL, --llm-model: its model name, or a model folder
    llm_template: str | None = None  # [llm] template, --llm-template: a built-in template name or a file
    llm_context: int | None = None  # [llm] context, --llm-context: tokens the model reads at most
    llm_timeout: float | None = None  # [llm] timeout: seconds per request
    allow_remote: bool = False  # [llm] allow_remote, --allow-remote: a server outside the private network
    llm_api_key: str | None = field(default=None, repr=False)  # only from OOGST_LLM_API_KEY
    facilitator: str | None = None  # "Name <address>": the name under a mail and its From without an SMTP sender
    config_path: Path | None = None  # the config file the values came from (None: no file)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)  # [smtp], [llm], ... as read

    def section(self, name: str) -> dict[str, Any]:
        """The raw values of a config-file section other than [oogst] (empty when absent)."""
        return dict(self.sections.get(name, {}))


_FILE_ONLY = {"config_path", "sections", "language_given"}
LLM_KEYS = {"llm_url": "url", "llm_model": "model", "llm_template": "template", "llm_context": "context",
            "llm_timeout": "timeout", "allow_remote": "allow_remote"}  # Settings field -> key in [llm]
_FILE_ONLY |= set(LLM_KEYS) | {"llm_api_key"}
INSIGHT_BACKENDS = ("extractive", "llm")
SECTIONS: dict[str, frozenset[str]] = {
    "oogst": frozenset(f.name for f in fields(Settings)) - _FILE_ONLY,
    "smtp": frozenset({"host", "port", "user", "security", "from", "sender", "timeout", "cafile"}),
    "llm": frozenset(LLM_KEYS.values()),
    "queue": frozenset({"broker_url", "broker", "visibility_timeout", "ttl"}),  # see pipeline.jobs.engines
    "web": frozenset({"host", "port", "max_upload_mb", "public_url",  # public_url: participants' links
                      "trusted_proxy"}),  # the reverse proxy whose X-Forwarded-For names the client
    "models": frozenset({"mirror"}),  # oogst models get: a served copy of a models/ folder (OOGST_MODELS_MIRROR)
    "search": frozenset({"originals", "answer_within"}),  # oogst search: index a pseudonymised session's real names;
    # seconds a meaning search waits for a worker (pipeline.search, pipeline.jobs.search)
    "retention": frozenset({"days", "after", "copies_days", "enabled"}),  # see pipeline.retention.policy
    "review": frozenset({"approval"}),  # the approval gate before the final mail (pipeline.mail.approval)
}
ENV = {
    "out_dir": "OOGST_OUT_DIR",
    "models_dir": "OOGST_MODELS_DIR",
    "language": "OOGST_LANGUAGE",
    "model": "OOGST_MODEL",
    "backend": "OOGST_BACKEND",
    "compute_type": "OOGST_COMPUTE_TYPE",
    "threads": "OOGST_THREADS",
    "vocabulary": "OOGST_VOCABULARY",
    "pseudonymise": "OOGST_PSEUDONYMISE",
    "participants": "OOGST_PARTICIPANTS",
    "cache_dir": "OOGST_CACHE_DIR",
    "insights": "OOGST_INSIGHTS",
    "llm_url": "OOGST_LLM_URL",
    "llm_model": "OOGST_LLM_MODEL",
    "facilitator": "OOGST_FACILITATOR",
}
PARTICIPANT_MODES = ("keep", "initials", "labels")
SECRET_ENV = {"smtp": "OOGST_SMTP_PASSWORD", "llm": "OOGST_LLM_API_KEY", "web": "OOGST_WEB_PASSWORD"}


def config_file(env: Mapping[str, str]) -> Path:
    """$OOGST_CONFIG, else `$XDG_CONFIG_HOME/oogst/config.toml`, else `~/.config/oogst/config.toml` (may not exist)."""
    if env.get("OOGST_CONFIG"):
        return Path(env["OOGST_CONFIG"]).expanduser()
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"]).expanduser() / "oogst" / "config.toml"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".config" / "oogst" / "config.toml"


def read_config(path: Path, *, repo_root: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every section of a config file, checked: known sections and keys only, no secrets."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc}); fix or remove it") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); see the README for an example") from None
    secrets = [(section, key) for section, key in _all_keys(data)
               if any(word in key.lower() for word in ("pass", "secret", "api_key", "token"))]
    if secrets:
        section, key = secrets[0]
        project = _project_folder(path, repo_root or REPO_ROOT)
        why = (f"it lies inside {project}, so it could be committed or shared with the session"
               if project else "Oogst never reads passwords from files")
        where = SECRET_ENV.get(section, "the environment")
        raise ConfigError(f"{path}: refusing a config file with a password ({key!r}): {why}; remove that "
                          f"line and set {where} or let Oogst ask for it")
    sections: dict[str, dict[str, Any]] = {}
    for name, section in data.items():
        if name not in SECTIONS:
            raise ConfigError(f"{path}: unknown section [{name}] (known: {', '.join(f'[{s}]' for s in SECTIONS)})")
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [{name}] must be a table of settings (key = value lines below [{name}])")
        unknown = sorted(set(section) - SECTIONS[name])
        if unknown:
            raise ConfigError(f"{path}: unknown key {unknown[0]!r} in [{name}] "
                              f"(known: {', '.join(sorted(SECTIONS[name]))})")
        sections[name] = dict(section)
    return sections


def load_config(env: Mapping[str, str], explicit: Path | None = None, *,
                repo_root: Path | None = None) -> tuple[Path | None, dict[str, dict[str, Any]]]:
    """The config file in use and its sections; an explicit file (--config) must exist, the default may not."""
    path = Path(explicit).expanduser() if explicit is not None else config_file(env)
    if path.is_file():
        return path, read_config(path, repo_root=repo_root)
    if explicit is not None:
        raise ConfigError(f"{path}: config file not found (give an existing file to --config, "
                          f"or leave it out to use {DEFAULT_CONFIG})")
    return None, {}


def _all_keys(data: Mapping[str, Any], section: str = "") -> list[tuple[str, str]]:
    """(section, key) for every key, nested tables included."""
    keys: list[tuple[str, str]] = []
    for key, value in data.items():
        keys.append((section, str(key)))
        if isinstance(value, Mapping):
            keys += _all_keys(value, section or str(key))
    return keys


def _project_folder(path: Path, repo_root: Path) -> Path | None:
    """The repository or session folder that contains `path`, if any."""
    resolved = path.resolve()
    root = repo_root.resolve()
    for parent in resolved.parents:
        if parent == root or (parent / ".git").exists() or (parent / STAGES_FILE).exists():
            return parent
    return None


def _coerce(name: str, value: Any, source: str) -> Any:
    try:
        if name in ("out_dir", "models_dir", "cache_dir"):
            return Path(str(value)).expanduser()
        if name in ("threads", "beam_size", "speakers", "llm_context"):
            return None if value in (None, "") else int(value)
        if name == "llm_timeout":
            return None if value in (None, "") else float(value)
        if name == "insights" and value not in INSIGHT_BACKENDS:
            raise ConfigError(f"{source}: insights = {value!r}: choose one of {', '.join(INSIGHT_BACKENDS)}")
        if name == "participants" and value not in PARTICIPANT_MODES:
            raise ConfigError(f"{source}: participants = {value!r}: choose one of {', '.join(PARTICIPANT_MODES)}")
        if name in ("batched", "quiet", "pseudonymise", "allow_remote"):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if name == "vocabulary":
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(v.strip() for v in items if str(v).strip())
        if name == "names":
            return dict(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {name} = {value!r} is not valid") from None
    return value


def load_settings(cli: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None, *,
                  config: Path | None = None) -> Settings:
    """Merge command-line values (None = not given), OOGST_* variables and the config file into one Settings.

    Args:
        config: a config file named on the command line (--config); it must exist.
    """
    env = os.environ if env is None else env
    path, sections = load_config(env, config)
    values: dict[str, Any] = {}
    for name, value in sections.get("oogst", {}).items():
        values[name] = _coerce(name, value, f"{path} [oogst]")
    for name, key in LLM_KEYS.items():
        if key in sections.get("llm", {}):
            values[name] = _coerce(name, sections["llm"][key], f"{path} [llm]")
    for name, var in ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var], var)
    if env.get("OOGST_LLM_API_KEY"):
        values["llm_api_key"] = env["OOGST_LLM_API_KEY"]
    if values.get("pseudonymise") is False:  # only --no-pseudonymise turns a pseudonymised session back
        del values["pseudonymise"]
    for name, value in (cli or {}).items():
        if value is not None and (name in SECTIONS["oogst"] or name in LLM_KEYS):
            values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    values["language_given"] = "language" in values
    if env.get("OOGST_BROKER_URL"):  # the distributed job queue (pipeline.jobs.engines): env beats [queue]
        sections.setdefault("queue", {})["broker"] = env["OOGST_BROKER_URL"]
    if env.get("OOGST_MODELS_MIRROR"):  # where `oogst models get` downloads from: env beats [models]
        sections.setdefault("models", {})["mirror"] = env["OOGST_MODELS_MIRROR"]
    if values.get("cache_dir") is None:
        base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
        values["cache_dir"] = Path(base).expanduser() / "oogst"
    return Settings(**values, config_path=path, sections={k: v for k, v in sections.items() if k != "oogst"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1 and localhost: only this machine can connect."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def positive_seconds(section: Mapping[str, Any], where: str, key: str, default: float) -> float:
    """A setting in seconds (`[where] key`, else `default`); ConfigError unless it is a number above 0."""
    value = section.get(key, default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0.0
    if seconds <= 0:
        raise ConfigError(f"[{where}] {key} = {value!r}: give a number of seconds above 0")
    return seconds
