"""SMTP settings: the [smtp] section of the config file (read by `core.settings`) and OOGST_SMTP_* (those win).

The password is never part of the settings: it comes from OOGST_SMTP_PASSWORD or a prompt, and the config loader
refuses a file that holds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, MailError
from pipeline.core.settings import DEFAULT_CONFIG, load_config
from pipeline.mail.addresses import check_addr_spec, parse_address

SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
ENV = {  # setting -> environment variable
    "host": "OOGST_SMTP_HOST",
    "port": "OOGST_SMTP_PORT",
    "user": "OOGST_SMTP_USER",
    "security": "OOGST_SMTP_SECURITY",
    "from": "OOGST_SMTP_FROM",
    "timeout": "OOGST_SMTP_TIMEOUT",
    "cafile": "OOGST_SMTP_CAFILE",
}
PASSWORD_ENV = "OOGST_SMTP_PASSWORD"


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send; read once by `load_mail_settings`. Holds no password."""

    host: str = ""
    port: int = 587
    user: str | None = None
    security: str = "starttls"  # "starttls" | "ssl" | "none"
    sender: str | None = None  # "Name <address>" or an address
    timeout: float = 30.0  # seconds, per network operation
    cafile: Path | None = None  # extra CA certificates (company CA, self-signed server)
    config_path: Path | None = None  # the file the settings came from, for messages

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def load_mail_settings(env: Mapping[str, str], config_path: Path | None = None, *,
                       repo_root: Path | None = None) -> MailSettings:
    """SMTP settings from the [smtp] section of the config file and OOGST_SMTP_* variables (those win).

    Args:
        config_path: the TOML file; None means the default file, which may be absent.
        repo_root: the project folder (a config file inside it must not hold a password).
    """
    used_path, sections = load_config(env, config_path, repo_root=repo_root)
    return mail_settings(sections.get("smtp", {}), env, used_path)


def mail_settings(section: Mapping[str, Any], env: Mapping[str, str], used_path: Path | None = None) -> MailSettings:
    """MailSettings from an [smtp] section (already read and checked by the settings loader) and OOGST_SMTP_*."""
    values = dict(section)
    if "sender" in values:
        values.setdefault("from", values.pop("sender"))
    for key, var in ENV.items():
        if env.get(var, "").strip():
            values[key] = env[var].strip()
    origin = f" ({used_path})" if used_path else ""

    security = str(values.get("security", "starttls")).strip().lower()
    if security not in SECURITY_MODES:
        raise ConfigError(f"SMTP security {security!r}{origin} is not one of starttls, ssl, none "
                          "(set OOGST_SMTP_SECURITY or security in [smtp])", "smtp_setting", setting="security",
                          value=security)
    port = _int_setting(values.get("port", DEFAULT_PORTS[security]), "port", origin)
    if not 0 < port < 65536:
        raise ConfigError(f"SMTP port {port}{origin} is out of range (use 587 for starttls, 465 for ssl)",
                          "smtp_setting", setting="port", value=port)
    timeout = _float_setting(values.get("timeout", 30.0), "timeout", origin)
    user = str(values["user"]).strip() if values.get("user") else None
    sender = str(values["from"]).strip() if values.get("from") else None
    if sender:
        try:
            sender = str(parse_address(sender, f"SMTP sender (OOGST_SMTP_FROM / from){origin}"))
        except MailError as exc:
            raise ConfigError(str(exc), "smtp_setting", setting="from", value=sender) from None
    elif user and "@" in user and check_addr_spec(user) is not None:
        sender = str(parse_address(user, f"SMTP user{origin}"))
    cafile = None
    if values.get("cafile"):
        cafile = Path(str(values["cafile"])).expanduser()
        if not cafile.is_file():
            raise ConfigError(f"{cafile}: CA file not found (cafile in [smtp]{origin} or OOGST_SMTP_CAFILE "
                              "must be a PEM file with the certificate authority of your mail server)",
                              "smtp_setting", setting="cafile", value=cafile.name)
    return MailSettings(host=str(values.get("host", "")).strip(), port=port, user=user, security=security,
                        sender=sender, timeout=timeout, cafile=cafile, config_path=used_path)


def _int_setting(value: Any, name: str, origin: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigError(f"SMTP {name} {value!r}{origin} is not a whole number", "smtp_setting", setting=name,
                          value=value) from None


def _float_setting(value: Any, name: str, origin: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ConfigError(f"SMTP {name} {value!r}{origin} is not a number of seconds", "smtp_setting",
                          setting=name, value=value) from None
    if number <= 0:
        raise ConfigError(f"SMTP {name} {value!r}{origin} must be more than 0 seconds", "smtp_setting",
                          setting=name, value=value)
    return number


def where_to_set(settings: MailSettings, setting: str) -> str:
    place = settings.config_path or DEFAULT_CONFIG
    return f"{ENV[setting]} or {setting} in [smtp] of {place}"
