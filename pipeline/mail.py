"""Mail the final top 7 to the group: compose the message, write it as mail.eml (dry run) or send it over SMTP.

The release gate: a session is only mailed from `final.json` (written by `oogst collect` after the review);
the unreviewed `insights.json` goes out only when the caller asks for a draft, and then subject and body say so.
The SMTP password comes from the environment or a prompt and is never written, logged or put in a message.
`sent.json` records every send the server accepted, so a second send asks first.
"""

from __future__ import annotations

import base64
import hmac
import html
import logging
import re
import smtplib
import socket
import ssl
import textwrap
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError, InputError, MailError
from pipeline.store import Session, atomic_write_bytes, atomic_write_json, hash_file, read_json
from pipeline.types import Insight, Insights

log = logging.getLogger(__name__)

TOP_N = 7
SECURITY_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
SENT_FILE = "sent.json"
EML_FILE = "mail.eml"
SOURCE_HEADER = "X-Oogst-Source"
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
CONFIG_KEYS = {"host", "port", "user", "security", "from", "sender", "timeout", "cafile"}
DEFAULT_CONFIG = "~/.config/oogst/config.toml"
_REPO_ROOT = Path(__file__).resolve().parents[1]


# -- settings ------------------------------------------------------------------------------------------------
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


def default_config_path(env: Mapping[str, str]) -> Path:
    """$OOGST_CONFIG, else `$XDG_CONFIG_HOME/oogst/config.toml`, else `~/.config/oogst/config.toml`."""
    if env.get("OOGST_CONFIG"):
        return Path(env["OOGST_CONFIG"]).expanduser()
    xdg = env.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "oogst" / "config.toml"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".config" / "oogst" / "config.toml"


def load_mail_settings(env: Mapping[str, str], config_path: Path | None = None, *,
                       repo_root: Path | None = None) -> MailSettings:
    """SMTP settings from the [smtp] section of a TOML file and OOGST_SMTP_* variables (those win).

    Args:
        config_path: the TOML file; None means the default file, which may be absent.
        repo_root: the project folder (a config file inside it must not hold a password).
    """
    explicit = config_path is not None
    path = Path(config_path).expanduser() if config_path is not None else default_config_path(env)
    values: dict[str, Any] = {}
    used_path: Path | None = None
    if path.is_file():
        values = _read_config(path, repo_root or _REPO_ROOT)
        used_path = path
    elif explicit:
        raise ConfigError(f"{path}: config file not found (give an existing file to --config, "
                          f"or leave it out to use {DEFAULT_CONFIG})")
    if "sender" in values:
        values.setdefault("from", values.pop("sender"))
    for key, var in ENV.items():
        if env.get(var, "").strip():
            values[key] = env[var].strip()
    origin = f" ({used_path})" if used_path else ""

    security = str(values.get("security", "starttls")).strip().lower()
    if security not in SECURITY_MODES:
        raise ConfigError(f"SMTP security {security!r}{origin} is not one of starttls, ssl, none "
                          "(set OOGST_SMTP_SECURITY or security in [smtp])")
    port = _int_setting(values.get("port", DEFAULT_PORTS[security]), "port", origin)
    if not 0 < port < 65536:
        raise ConfigError(f"SMTP port {port}{origin} is out of range (use 587 for starttls, 465 for ssl)")
    timeout = _float_setting(values.get("timeout", 30.0), "timeout", origin)
    user = str(values["user"]).strip() if values.get("user") else None
    sender = str(values["from"]).strip() if values.get("from") else None
    if sender:
        try:
            sender = str(parse_address(sender, f"SMTP sender (OOGST_SMTP_FROM / from){origin}"))
        except MailError as exc:
            raise ConfigError(str(exc)) from None
    elif user and "@" in user and _check_addr_spec(user) is not None:
        sender = str(parse_address(user, f"SMTP user{origin}"))
    cafile = None
    if values.get("cafile"):
        cafile = Path(str(values["cafile"])).expanduser()
        if not cafile.is_file():
            raise ConfigError(f"{cafile}: CA file not found (cafile in [smtp]{origin} or OOGST_SMTP_CAFILE "
                              "must be a PEM file with the certificate authority of your mail server)")
    return MailSettings(host=str(values.get("host", "")).strip(), port=port, user=user, security=security,
                        sender=sender, timeout=timeout, cafile=cafile, config_path=used_path)


def _read_config(path: Path, repo_root: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); see the README for an example [smtp] section") from None
    section = data.get("smtp", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [smtp] must be a table of settings (host = \"...\", port = 587, ...)")
    secrets = [k for k in (*section, *data) if isinstance(k, str) and ("pass" in k.lower() or "secret" in k.lower())]
    if secrets:
        project = _project_folder(path, repo_root)
        why = (f"it lies inside {project}, so it could be committed or shared with the session"
               if project else "Oogst never reads passwords from files")
        raise ConfigError(f"{path}: refusing a config file with a password ({secrets[0]!r}): {why}; remove that "
                          f"line and set {PASSWORD_ENV} or let `oogst mail --send` ask for it")
    unknown = sorted(set(section) - CONFIG_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} in [smtp] (known: {', '.join(sorted(CONFIG_KEYS))})")
    return dict(section)


def _project_folder(path: Path, repo_root: Path) -> Path | None:
    """The repository or session folder that contains `path`, if any."""
    resolved = path.resolve()
    root = repo_root.resolve()
    for parent in resolved.parents:
        if parent == root or (parent / ".git").exists() or (parent / ".stages.json").exists():
            return parent
    return None


def _int_setting(value: Any, name: str, origin: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigError(f"SMTP {name} {value!r}{origin} is not a whole number") from None


def _float_setting(value: Any, name: str, origin: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ConfigError(f"SMTP {name} {value!r}{origin} is not a number of seconds") from None
    if number <= 0:
        raise ConfigError(f"SMTP {name} {value!r}{origin} must be more than 0 seconds")
    return number


# -- addresses -----------------------------------------------------------------------------------------------
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TLD_RE = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")
_NAMED_RE = re.compile(r"^(?P<name>.*?)\s*<(?P<addr>[^<>]*)>$")
_FORMS = "expected `Name <name@example.nl>` or `name@example.nl`"


def parse_address(text: str, where: str) -> Address:
    """One `Name <addr>` or bare address, strictly checked; `where` names its origin in the error."""
    raw = text.strip()
    if any(ch in raw for ch in "\r\n\x00"):
        raise MailError(f"{where}: {raw!r} contains a line break ({_FORMS})")
    match = _NAMED_RE.match(raw)
    name, addr = (match["name"].strip(), match["addr"].strip()) if match else ("", raw)
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\").strip()
    if "<" in name or ">" in name:
        raise MailError(f"{where}: {raw!r} has a stray < or > ({_FORMS})")
    spec = _check_addr_spec(addr)
    if spec is None:
        raise MailError(f"{where}: {addr or raw!r} is not a valid e-mail address ({_FORMS})")
    local, domain = spec
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError, TypeError) as exc:
        raise MailError(f"{where}: {raw!r} is not a valid e-mail address ({exc})") from None


def _check_addr_spec(addr: str) -> tuple[str, str] | None:
    if addr.count("@") != 1 or len(addr) > 254:
        return None
    local, domain = addr.split("@")
    if not local or len(local) > 64 or not _LOCAL_RE.match(local):
        return None
    try:  # international domain names travel as punycode
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels) or not _TLD_RE.match(labels[-1]):
        return None
    return local, domain.lower()


def read_recipients(to: Sequence[str], to_file: Path | None = None) -> list[Address]:
    """Recipients from --to values and a file with one `Name <addr>` or address per line (# comments).

    Duplicates (same address, any case) are kept once, in first-seen order.
    """
    found: list[tuple[str, str]] = [(value, "--to") for value in to]
    if to_file is not None:
        path = Path(to_file)
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except FileNotFoundError:
            raise InputError(f"{path}: recipients file not found (give a text file with one "
                             "`Name <name@example.nl>` per line)") from None
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a UTF-8 text file (save the recipients list as plain text, "
                             "UTF-8)") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read recipients file ({exc.strerror})") from None
        for number, line in enumerate(lines, start=1):
            line = re.sub(r"(^|\s)#.*$", "", line).strip()
            if line:
                found.append((line, f"{path} line {number}"))
    recipients: list[Address] = []
    seen: set[str] = set()
    for text, where in found:
        address = parse_address(text, where)
        key = address.addr_spec.lower()
        if key in seen:
            log.info("%s: %s is listed twice; mailing it once", where, address.addr_spec)
            continue
        seen.add(key)
        recipients.append(address)
    return recipients


# -- what goes into the mail ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MailContent:
    """Everything `compose` puts in a message, read from a session folder."""

    language: str  # "nl" or "en"
    title: str
    recorded: date | None
    insights: Insights
    speakers: dict[str, str]
    draft: bool
    source: Path  # final.json or, for a draft, insights.json
    attachment: Path  # final.docx or draft.docx

    def name(self, label: str | None) -> str:
        return self.speakers.get(label or "") or (label or "")

    @property
    def top(self) -> list[Insight]:
        return sorted(self.insights.insights, key=lambda i: i.rank)[:TOP_N]


def load_content(session: Session, *, draft: bool = False) -> MailContent:
    """Read what the mail needs from a session; the release gate lives here."""
    final = session.path("final.json")
    if draft:
        if final.is_file():
            raise MailError(f"{final}: the review is already collected, so there is no draft to mail; "
                            "leave out --draft to mail the final top 7")
        source, attachment = session.path("insights.json"), session.path("draft.docx")
        if not source.is_file():
            raise MailError(f"{source}: not found, so there is no draft to mail yet; run `oogst run` first")
    else:
        source, attachment = final, session.path("final.docx")
        if not final.is_file():
            raise MailError(f"{final}: not found: the review has not been collected yet, so there is no final top 7 "
                            f"to mail; run `oogst collect {session.name}` first (or pass --draft to mail the "
                            "unreviewed draft, marked as a draft)")
    if not attachment.is_file():
        step = "oogst run" if draft else f"oogst collect {session.name}"
        raise MailError(f"{attachment}: not found, and the mail needs it as attachment; run `{step}` again")
    try:
        insights = Insights.from_dict(read_json(source))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MailError(f"{source}: not an Oogst insights file ({type(exc).__name__}: {exc}); "
                        "re-run the step that wrote it") from None
    if not insights.insights:
        raise MailError(f"{source}: holds no insights, so there is nothing to mail")

    speakers: dict[str, str] = {}
    if session.path("turns.json").is_file():
        raw = read_json(session.path("turns.json"))
        if isinstance(raw, dict) and isinstance(raw.get("speakers"), dict):
            speakers = {str(k): str(v) for k, v in raw["speakers"].items() if v}
    transcript: dict[str, Any] = {}
    if session.path("transcript.json").is_file():
        raw = read_json(session.path("transcript.json"))
        transcript = raw if isinstance(raw, dict) else {}

    language = str(insights.language or transcript.get("language") or "nl").lower()[:2]
    language = language if language in TEXTS else "en"
    # `oogst run` stores a title made from the folder name, date digits and all; the date goes in separately
    title = prettify(str(insights.extra.get("title") or transcript.get("title") or ""), keep_case=True)
    if not title and transcript.get("source"):
        title = prettify(Path(str(transcript["source"])).stem)
    title = title or prettify(session.name) or TEXTS[language]["session"]
    recorded = _session_date(session, transcript)
    return MailContent(language, title, recorded, insights, speakers, draft, source, attachment)


_DATE_RE = re.compile(r"(?<!\d)(\d{4})[-_ ]?(\d{2})[-_ ]?(\d{2})(?!\d)")


def prettify(name: str, *, keep_case: bool = False) -> str:
    """A folder or file name as a title, without its date: `2024-05-14_intervisie-team-a` -> `Intervisie team a`.

    With `keep_case` (a title someone typed) only the date and the separators around it go.
    """
    text = _DATE_RE.sub(" ", name)
    if not keep_case:
        text = re.sub(r"[_\-.]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" -_.,:;–—")
    return text[:1].upper() + text[1:]


def _session_date(session: Session, transcript: Mapping[str, Any]) -> date | None:
    """The recording date: transcript "recorded", a date in a name, else the day transcript.json was written."""
    recorded = transcript.get("recorded")
    if recorded:
        try:
            return date.fromisoformat(str(recorded)[:10])
        except ValueError:
            log.warning("%s: 'recorded' is %r, not YYYY-MM-DD; ignoring it", session.path("transcript.json"),
                        recorded)
    for name in (session.name, Path(str(transcript.get("source", ""))).stem):
        for match in _DATE_RE.finditer(name):
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                continue
    stamp = session.path("transcript.json")
    if stamp.is_file():
        return datetime.fromtimestamp(stamp.stat().st_mtime).date()
    return None


TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "session": "Sessie",
        "subject": "Top {n} en actiepunten: {title}",
        "draft_tag": "CONCEPT",
        "greeting": "Beste deelnemers,",
        "intro": "Hierbij de definitieve top {n} van {title}{of_date}, vastgesteld na jullie reacties op het concept.",
        "intro_draft": "Dit is een CONCEPT: jullie reacties zijn nog niet verwerkt. Hieronder de voorlopige "
                       "top {n} van {title}{of_date}.",
        "draft_ask": "Zet je opmerkingen als commentaar in de bijlage en stuur die terug.",
        "of_date": " van {date}",
        "top": "Top {n}",
        "by": "Ingebracht door",
        "votes_1": "1 stem",
        "votes_n": "{n} stemmen",
        "votes": "stemmen",
        "votes_up": "{n} voor",
        "votes_down": "{n} tegen",
        "actions": "Actiepunten",
        "who": "Wie",
        "what": "Wat",
        "when": "Wanneer",
        "open": "nog open",
        "no_actions": "Er zijn geen actiepunten afgesproken.",
        "attached": "Het volledige verslag staat in de bijlage ({file}).",
        "closing": "Met vriendelijke groet,",
        "footer": "Gemaakt met Oogst.",
    },
    "en": {
        "session": "Session",
        "subject": "Top {n} and action points: {title}",
        "draft_tag": "DRAFT",
        "greeting": "Dear participants,",
        "intro": "Here is the final top {n} of {title}{of_date}, settled after your comments on the draft.",
        "intro_draft": "This is a DRAFT: your comments have not been taken in yet. Below is the provisional "
                       "top {n} of {title}{of_date}.",
        "draft_ask": "Please add your remarks as comments in the attached document and send it back.",
        "of_date": " of {date}",
        "top": "Top {n}",
        "by": "Raised by",
        "votes_1": "1 vote",
        "votes_n": "{n} votes",
        "votes": "votes",
        "votes_up": "{n} for",
        "votes_down": "{n} against",
        "actions": "Action points",
        "who": "Who",
        "what": "What",
        "when": "When",
        "open": "open",
        "no_actions": "No action points were agreed.",
        "attached": "The full report is attached ({file}).",
        "closing": "Kind regards,",
        "footer": "Made with Oogst.",
    },
}
_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def format_date(day: date, language: str) -> str:
    """`14 mei 2024` / `14 May 2024`, independent of the system locale."""
    return f"{day.day} {_MONTHS[language][day.month - 1]} {day.year}"


def _votes(insight: Insight, t: Mapping[str, str]) -> str:
    """final.json "votes": {"up", "down", "net", "voters"} (from `oogst collect`) or a plain count."""
    votes = insight.extra.get("votes")
    if isinstance(votes, dict):
        up, down = votes.get("up"), votes.get("down")
        parts = []
        if isinstance(up, int) and up > 0:
            parts.append(t["votes_up"].format(n=up))
        if isinstance(down, int) and down > 0:
            parts.append(t["votes_down"].format(n=down))
        return f"{t['votes']}: {', '.join(parts)}" if parts else ""
    if isinstance(votes, bool) or not isinstance(votes, int) or votes <= 0:
        return ""
    return t["votes_1"] if votes == 1 else t["votes_n"].format(n=votes)


def attachment_name(content: MailContent) -> str:
    kind = "concept" if content.draft and content.language == "nl" else ("draft" if content.draft else "top7")
    stem = re.sub(r"[^\w\-]+", "-", content.title, flags=re.ASCII).strip("-").lower() or "oogst"
    day = f"-{content.recorded.isoformat()}" if content.recorded else ""
    return f"{stem}{day}-{kind}.docx"


def subject_line(content: MailContent) -> str:
    t = TEXTS[content.language]
    subject = t["subject"].format(n=len(content.top), title=content.title)
    if content.recorded:
        subject += f" ({format_date(content.recorded, content.language)})"
    return f"{t['draft_tag']}: {subject}" if content.draft else subject


def render_text(content: MailContent, filename: str) -> str:
    """The text/plain body."""
    t = TEXTS[content.language]
    n = len(content.top)
    of_date = t["of_date"].format(date=format_date(content.recorded, content.language)) if content.recorded else ""
    intro = t["intro_draft" if content.draft else "intro"].format(n=n, title=content.title, of_date=of_date)
    out = [t["greeting"], "", *textwrap.wrap(intro, 76)]
    if content.draft:
        out += textwrap.wrap(t["draft_ask"], 76)
    heading = t["top"].format(n=n)
    out += ["", heading, "=" * len(heading), ""]
    for insight in content.top:
        out.append(f"{insight.rank}. {insight.title}")
        out += textwrap.wrap(insight.text, 76, initial_indent="   ", subsequent_indent="   ")
        who = ", ".join(content.name(s) for s in insight.speakers)
        votes = _votes(insight, t)
        details = "; ".join(x for x in (f"{t['by']}: {who}" if who else "", votes) if x)
        if details:
            out.append(f"   ({details})")
        out.append("")
    out += [t["actions"], "=" * len(t["actions"]), ""]
    if not content.insights.actions:
        out += [t["no_actions"], ""]
    for action in content.insights.actions:
        out.append(f"- {t['who']}: {content.name(action.owner) or t['open']}")
        out += textwrap.wrap(f"{t['what']}: {action.text}", 76, initial_indent="  ", subsequent_indent="    ")
        out += [f"  {t['when']}: {action.due or t['open']}", ""]
    out += [t["attached"].format(file=filename), "", t["closing"], "", "-- ", t["footer"], ""]
    return "\n".join(out)


def render_html(content: MailContent, filename: str, subject: str) -> str:
    """The text/html body; every value from the session is escaped."""
    t = TEXTS[content.language]
    e = html.escape
    n = len(content.top)
    of_date = t["of_date"].format(date=format_date(content.recorded, content.language)) if content.recorded else ""
    intro = t["intro_draft" if content.draft else "intro"].format(n=n, title=content.title, of_date=of_date)
    parts = [f'<!DOCTYPE html>\n<html lang="{content.language}"><head><meta charset="utf-8">'
             f"<title>{e(subject)}</title></head>",
             '<body style="font-family: Calibri, Arial, sans-serif; font-size: 15px; color: #222;">',
             f"<p>{e(t['greeting'])}</p>"]
    if content.draft:
        parts.append(f'<p style="background:#fff3cd; padding:6px;"><strong>{e(intro)}</strong> '
                     f"{e(t['draft_ask'])}</p>")
    else:
        parts.append(f"<p>{e(intro)}</p>")
    parts.append(f"<h2>{e(t['top'].format(n=n))}</h2>\n<ol>")
    for insight in content.top:
        who = ", ".join(content.name(s) for s in insight.speakers)
        votes = _votes(insight, t)
        details = "; ".join(x for x in (f"{t['by']}: {who}" if who else "", votes) if x)
        line = f'<li value="{insight.rank}"><strong>{e(insight.title)}</strong><br>{e(insight.text)}'
        if details:
            line += f'<br><span style="color:#666;">{e(details)}</span>'
        parts.append(line + "</li>")
    parts.append(f"</ol>\n<h2>{e(t['actions'])}</h2>")
    if content.insights.actions:
        cell = 'style="border:1px solid #ccc; padding:4px 8px; text-align:left; vertical-align:top;"'
        parts.append('<table style="border-collapse: collapse;">')
        parts.append(f"<tr><th {cell}>{e(t['who'])}</th><th {cell}>{e(t['what'])}</th>"
                     f"<th {cell}>{e(t['when'])}</th></tr>")
        for action in content.insights.actions:
            parts.append(f"<tr><td {cell}>{e(content.name(action.owner) or t['open'])}</td>"
                         f"<td {cell}>{e(action.text)}</td><td {cell}>{e(action.due or t['open'])}</td></tr>")
        parts.append("</table>")
    else:
        parts.append(f"<p>{e(t['no_actions'])}</p>")
    parts += [f"<p>{e(t['attached'].format(file=filename))}</p>", f"<p>{e(t['closing'])}</p>",
              f'<p style="color:#888; font-size: 12px;">{e(t["footer"])}</p>', "</body></html>", ""]
    return "\n".join(parts)


def compose(session: Session, recipients: Sequence[Address], *, sender: str | Address | None,
            draft: bool = False, when: datetime | None = None) -> EmailMessage:
    """The mail for a session: text + HTML alternatives and the .docx attached.

    Raises MailError from the release gate when final.json is missing and `draft` is False.
    """
    if not recipients:
        raise MailError("no recipients: give --to name@example.nl (repeatable) or --to-file participants.txt")
    content = load_content(session, draft=draft)
    subject = subject_line(content)
    filename = attachment_name(content)
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    from_address: Address | None = None
    if sender is not None:
        from_address = sender if isinstance(sender, Address) else parse_address(str(sender), "sender")
        message["From"] = from_address
    message["To"] = tuple(recipients)
    message["Date"] = format_datetime((when or datetime.now(UTC)).astimezone())
    # make_msgid() without a domain asks DNS for this host's name, which can hang offline
    message["Message-ID"] = make_msgid("oogst", domain=from_address.domain if from_address else "oogst.invalid")
    message[SOURCE_HEADER] = f"{content.source.name}; sha256={hash_file(content.source)}"
    message.set_content(render_text(content, filename), subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(render_html(content, filename, subject), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    message.add_attachment(content.attachment.read_bytes(), maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1],
                           filename=filename)
    message["Content-Language"] = content.language  # after the parts: set_content moves Content-* headers
    log.info("composed %s mail for %s: %d insights, %d recipients", "draft" if draft else "final",
             session.name, len(content.top), len(recipients))
    return message


def write_eml(session: Session, message: EmailMessage) -> Path:
    """The dry run: the message as outputs/<session>/mail.eml, which any mail client opens."""
    return atomic_write_bytes(session.path(EML_FILE), message.as_bytes(policy=policy.SMTP))


# -- sending -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SendResult:
    """What the server accepted: only these recipients are recorded in sent.json."""

    sent_at: str  # ISO 8601, UTC
    message_id: str
    server: str
    accepted: tuple[str, ...]  # "Name <address>"
    refused: tuple[tuple[str, str], ...] = ()  # ("Name <address>", "550 server reply")


def previous_sends(session: Session) -> list[dict[str, Any]]:
    """The sends recorded in sent.json (empty when never sent)."""
    path = session.path(SENT_FILE)
    if not path.is_file():
        return []
    data = read_json(path)
    sends = data.get("sends") if isinstance(data, dict) else None
    if not isinstance(sends, list):
        raise MailError(f"{path}: damaged (no \"sends\" list); check it by hand before sending again")
    return [s for s in sends if isinstance(s, dict)]


def resend_question(session: Session, message: EmailMessage) -> str | None:
    """The question to ask before mailing a session again, or None when it was never sent."""
    sends = previous_sends(session)
    if not sends:
        return None
    last = sends[-1]
    to = last.get("to") or []
    names = ", ".join(str(x) for x in to[:4]) + (f" and {len(to) - 4} more" if len(to) > 4 else "")
    changed = ""
    source = str(message.get(SOURCE_HEADER, ""))
    if last.get("source") and source and f"sha256={last.get('source_sha256')}" not in source:
        changed = f" ({last['source']} has changed since)"
    times = "once" if len(sends) == 1 else f"{len(sends)} times"
    return (f"{session.name} was already mailed {times}, last on {last.get('sent_at', '?')} to {names}{changed}. "
            f"Send it again to {len(_recipients(message))} recipients?")


def _recipients(message: EmailMessage) -> list[Address]:
    found: list[Address] = []
    for header in ("To", "Cc", "Bcc"):
        value = message.get(header)
        if value is not None:
            found.extend(value.addresses)
    return found


def _context(settings: MailSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.cafile is not None:
        context.load_verify_locations(cafile=str(settings.cafile))
    return context


def _is_loopback(host: str) -> bool:
    return host in {"localhost", "127.0.0.1", "::1"} or host.startswith("127.")


def _where_to_set(settings: MailSettings, setting: str) -> str:
    place = settings.config_path or DEFAULT_CONFIG
    return f"{ENV[setting]} or {setting} in [smtp] of {place}"


def send(message: EmailMessage, settings: MailSettings, password: str | None, *, session: Session,
         confirm: Callable[[str], bool]) -> SendResult:
    """Send over SMTP and record in sent.json whom the server accepted.

    Asks `confirm` first when sent.json shows an earlier send. Raises MailError (one line) for a refused login,
    an unreachable server, a TLS failure or refused recipients; a partial send is recorded for those who got it.
    """
    if not settings.host:
        raise ConfigError(f"no SMTP server set: set {_where_to_set(settings, 'host')} "
                          "(or leave out --send to write mail.eml and send that from your mail program)")
    from_header = message.get("From")
    if from_header is None or not from_header.addresses:
        raise ConfigError(f"no sender address: set {_where_to_set(settings, 'from')}")
    sender = from_header.addresses[0]
    recipients = _recipients(message)
    if not recipients:
        raise MailError("the message has no recipients")
    question = resend_question(session, message)
    if question is not None and not confirm(question):
        raise MailError(f"{session.path(SENT_FILE)}: already sent before; not sent again")
    if settings.user and not password:
        raise ConfigError(f"no password for {settings.user} on {settings.host}: set {PASSWORD_ENV} "
                          "or run `oogst mail --send` in a terminal so it can ask")
    if settings.security == "none" and settings.user and not _is_loopback(settings.host):
        raise ConfigError(f"{settings.where}: security = none would send your password unencrypted; "
                          "use security = starttls (port 587) or ssl (port 465)")

    by_addr = {r.addr_spec.lower(): r for r in recipients}
    log.info("sending %s to %d recipients via %s (%s)", message.get("Message-ID"), len(recipients),
             settings.where, settings.security)
    refused: dict[str, tuple[int, bytes]] = {}
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _open(settings)
        if settings.user:
            smtp.login(settings.user, password or "")
        try:
            refused = smtp.send_message(message, from_addr=sender.addr_spec,
                                        to_addrs=[r.addr_spec for r in recipients])
        except smtplib.SMTPRecipientsRefused as exc:
            refused = dict(exc.recipients)
    except (smtplib.SMTPException, OSError) as exc:
        raise _explain(exc, settings, sender) from None
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    refused_keys = {addr.lower() for addr in refused}
    accepted = tuple(str(r) for r in recipients if r.addr_spec.lower() not in refused_keys)
    refused_pairs = tuple((str(by_addr.get(addr.lower(), addr)), _reply(code, text))
                          for addr, (code, text) in refused.items())
    result = SendResult(sent_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                        message_id=str(message.get("Message-ID", "")), server=settings.where,
                        accepted=accepted, refused=refused_pairs)
    if accepted:
        _record(session, message, result, sender)
    if refused_pairs:
        who_not = "; ".join(f"{who} ({reply})" for who, reply in refused_pairs)
        if not accepted:
            raise MailError(f"{settings.where} refused every recipient, nothing was sent: {who_not}; "
                            "check these addresses")
        raise MailError(f"sent only partly: {', '.join(accepted)} got it; refused: {who_not}; fix those "
                        f"addresses and send to them separately (recorded in {session.path(SENT_FILE)})")
    return result


def _auth_utf8(smtp: smtplib.SMTP, mechanism: str, authobject: Callable[..., str], *,
               initial_response_ok: bool = True) -> tuple[int, bytes]:
    """smtplib's `auth`, but credentials go out as UTF-8 (RFC 4616) instead of ASCII.

    smtplib raises UnicodeEncodeError on a password like "wachtwoord-§42" or a user name with an accent.
    """
    mechanism = mechanism.upper()
    initial = authobject() if initial_response_ok else None
    if initial is not None:
        code, resp = smtp.docmd("AUTH", f"{mechanism} {base64.b64encode(initial.encode('utf-8')).decode('ascii')}")
        rounds = 1
    else:
        code, resp = smtp.docmd("AUTH", mechanism)
        rounds = 0
    while code == 334:
        rounds += 1
        if rounds > 5:
            raise smtplib.SMTPException("the server keeps asking for login data")
        answer = authobject(base64.decodebytes(resp))
        code, resp = smtp.docmd(base64.b64encode(answer.encode("utf-8")).decode("ascii"))
    if code in (235, 503):
        return code, resp
    raise smtplib.SMTPAuthenticationError(code, resp)


def _cram_md5_utf8(smtp: smtplib.SMTP, challenge: bytes | None = None) -> str | None:
    if challenge is None:
        return None
    digest = hmac.HMAC((smtp.password or "").encode("utf-8"), challenge, "md5").hexdigest()
    return f"{smtp.user} {digest}"


class _SMTP(smtplib.SMTP):
    def auth(self, mechanism, authobject, *, initial_response_ok=True):  # type: ignore[no-untyped-def]
        return _auth_utf8(self, mechanism, authobject, initial_response_ok=initial_response_ok)

    def auth_cram_md5(self, challenge=None):  # type: ignore[no-untyped-def]
        return _cram_md5_utf8(self, challenge)


class _SMTPSSL(smtplib.SMTP_SSL):
    def auth(self, mechanism, authobject, *, initial_response_ok=True):  # type: ignore[no-untyped-def]
        return _auth_utf8(self, mechanism, authobject, initial_response_ok=initial_response_ok)

    def auth_cram_md5(self, challenge=None):  # type: ignore[no-untyped-def]
        return _cram_md5_utf8(self, challenge)


def _open(settings: MailSettings) -> smtplib.SMTP:
    """A connected, TLS-protected (unless security = none) SMTP session."""
    if settings.security == "ssl":
        return _SMTPSSL(settings.host, settings.port, timeout=settings.timeout, context=_context(settings))
    smtp = _SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise MailError(f"{settings.where} does not offer STARTTLS: set security = ssl with port 465 "
                                "if the server uses implicit TLS (ask your provider which one it uses)")
            smtp.starttls(context=_context(settings))
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}".strip()


def _explain(exc: BaseException, settings: MailSettings, sender: Address) -> MailError:
    """One line that says what went wrong with the server and what to do; never includes the password."""
    where = settings.where
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reply = _reply(exc.smtp_code, exc.smtp_error)
        return MailError(f"{where}: login refused for user {settings.user!r} ({reply}); "
                         f"check the user name and {PASSWORD_ENV} (many providers need an app password)")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(f"{where}: the server does not allow login on this connection ({exc}); check security "
                         "(starttls on port 587 or ssl on port 465) or leave the user empty")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailError(f"{where} refused the sender {sender.addr_spec} ({_reply(exc.smtp_code, exc.smtp_error)}); "
                         f"set {_where_to_set(settings, 'from')} to the address of your mail account")
    if isinstance(exc, smtplib.SMTPDataError):
        return MailError(f"{where} refused the message ({_reply(exc.smtp_code, exc.smtp_error)}); nothing was "
                         "sent (is the attachment too large for the server?)")
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or str(exc)
        return MailError(f"{where}: the TLS certificate of {settings.host} could not be verified ({reason}); "
                         f"check the host name, or if your organisation uses its own certificate authority set "
                         f"{_where_to_set(settings, 'cafile')} to its PEM file")
    if isinstance(exc, ssl.SSLError):
        hint = ("security = ssl needs the implicit-TLS port (465); for port 587 use security = starttls"
                if settings.security == "ssl" else "check the port and security setting (starttls on 587, ssl on 465)")
        return MailError(f"{where}: TLS handshake failed ({exc.reason or exc}); {hint}")
    if isinstance(exc, socket.gaierror):
        return MailError(f"{settings.host}: SMTP server not found (DNS lookup failed: {exc.strerror}); check "
                         f"{_where_to_set(settings, 'host')} and your network connection")
    timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
    if timed_out:
        hint = ("; if the server uses implicit TLS (port 465) set security = ssl"
                if settings.security != "ssl" else "")
        return MailError(f"{where}: no answer from the SMTP server within {settings.timeout:g} s; check host, "
                         f"port and your network (a firewall may block the port){hint}")
    if isinstance(exc, ConnectionRefusedError):
        return MailError(f"{where}: connection refused; check the host and port (587 for starttls, 465 for ssl) "
                         "and that the server is up")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(f"{where}: the server closed the connection ({exc}); check port and security "
                         "(starttls on 587, ssl on 465)")
    if isinstance(exc, smtplib.SMTPResponseException):
        return MailError(f"{where}: the server answered {_reply(exc.smtp_code, exc.smtp_error)}; nothing was sent")
    if isinstance(exc, OSError):
        return MailError(f"{where}: cannot reach the SMTP server ({exc.strerror or exc}); check host, port and "
                         "your network")
    return MailError(f"{where}: sending failed ({exc})")


def _record(session: Session, message: EmailMessage, result: SendResult, sender: Address) -> None:
    source = str(message.get(SOURCE_HEADER, ""))
    name, _, digest = source.partition("; sha256=")
    entry = {
        "sent_at": result.sent_at,
        "message_id": result.message_id,
        "subject": str(message.get("Subject", "")),
        "draft": name.strip() != "final.json",
        "source": name.strip(),
        "source_sha256": digest.strip(),
        "from": str(sender),
        "to": list(result.accepted),
        "refused": {who: reply for who, reply in result.refused},
        "server": result.server,
    }
    path = session.path(SENT_FILE)
    sends = previous_sends(session)
    atomic_write_json(path, {"sends": [*sends, entry]})
    log.info("recorded the send to %d recipients in %s", len(result.accepted), path)


# -- the command ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MailOutcome:
    """What `oogst mail` did: the .eml it wrote, to whom, and the send result when it sent."""

    eml: Path
    subject: str
    recipients: tuple[Address, ...]
    draft: bool
    sent: SendResult | None = None
    previous: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # earlier sends from sent.json

    @property
    def summary(self) -> str:
        """What the CLI prints (several lines)."""
        return "\n".join(self.summary_lines())

    def summary_lines(self) -> list[str]:
        lines = [f"Subject: {self.subject}"]
        if self.sent is not None:
            lines.append(f"Sent via {self.sent.server} to {len(self.sent.accepted)} recipients:")
            lines += [f"  {who}" for who in self.sent.accepted]
            lines.append(f"Copy of the message: {self.eml}")
        else:
            lines.append(f"Dry run: wrote {self.eml} (open it in your mail program, or add --send)")
            lines.append(f"Recipients ({len(self.recipients)}):")
            lines += [f"  {who}" for who in self.recipients]
            if self.previous:
                last = self.previous[-1]
                lines.append(f"Note: already sent {len(self.previous)}x, last on {last.get('sent_at', '?')}")
        return lines


def run_mail(session: Session, *, to: Sequence[str] = (), to_file: Path | None = None, send: bool = False,
             draft: bool = False, yes: bool = False, env: Mapping[str, str] | None = None,
             config_path: Path | None = None, password_prompt: Callable[[str], str] | None = None,
             confirm: Callable[[str], bool] | None = None) -> MailOutcome:
    """`oogst mail`: compose, always write mail.eml, and with `send` send it over SMTP.

    Args:
        env: the environment (OOGST_SMTP_*); the CLI passes os.environ.
        password_prompt: asks for the SMTP password (getpass.getpass); None when there is no terminal.
        confirm: asks yes/no before a second send; None when there is no terminal (then only `yes` sends again).
    """
    env = env if env is not None else {}
    recipients = read_recipients(list(to), to_file)
    if not recipients:
        raise MailError("no recipients: give --to name@example.nl (repeatable) or --to-file participants.txt")
    settings = load_mail_settings(env, config_path)
    if send and not settings.sender:
        raise ConfigError(f"no sender address: set {_where_to_set(settings, 'from')}")
    if send and not settings.host:
        raise ConfigError(f"no SMTP server set: set {_where_to_set(settings, 'host')} "
                          "(or leave out --send to write mail.eml and send that from your mail program)")
    message = compose(session, recipients, sender=settings.sender, draft=draft)
    eml = write_eml(session, message)
    previous = tuple(previous_sends(session))
    outcome = MailOutcome(eml=eml, subject=str(message["Subject"]), recipients=tuple(recipients), draft=draft,
                          previous=previous)
    if not send:
        return outcome

    # Ask about a second send before asking for the password, so "no" costs nothing.
    question = resend_question(session, message)
    if question is not None and not yes:
        if confirm is None:
            raise MailError(f"{session.path(SENT_FILE)}: this session was already mailed; pass --yes to send it "
                            "again (there is no terminal to ask)")
        if not confirm(question):
            raise MailError(f"{session.path(SENT_FILE)}: already sent before; not sent again")
    password = env.get(PASSWORD_ENV) or None
    if settings.user and password is None:
        if password_prompt is None:
            raise ConfigError(f"no password for {settings.user} on {settings.host}: set {PASSWORD_ENV} or run "
                              "`oogst mail --send` in a terminal so it can ask")
        password = password_prompt(f"SMTP password for {settings.user} on {settings.host}: ") or None
    result = send_message_now(message, settings, password, session=session)
    return MailOutcome(eml=eml, subject=outcome.subject, recipients=outcome.recipients, draft=draft, sent=result,
                       previous=previous)


def send_message_now(message: EmailMessage, settings: MailSettings, password: str | None, *,
                     session: Session) -> SendResult:
    """`send` after the caller has already confirmed a second send."""
    return send(message, settings, password, session=session, confirm=lambda _question: True)
