"""Invitations to review in the browser: each participant's mail with their personal link and the deadline, sent
over one SMTP connection, and their own ledger (`INVITATIONS`, never sent.json: that stays the top-7 mail's record).

Links must be https, except to this machine (127.0.0.1, ::1, localhost: tests and a facilitator trying it out):
a token sent over plain http on a network could be read on the way.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import urlsplit

from pipeline.core.errors import ConfigError
from pipeline.core.language import format_date, texts
from pipeline.core.session import INVITATIONS, Session
from pipeline.core.settings import Settings, is_loopback
from pipeline.mail.addresses import parse_address
from pipeline.mail.settings import MailSettings

log = logging.getLogger(__name__)


def link_base(url: str | None) -> str:
    """The base of the participants' links (`[web] public_url`, `--public-url`), checked: https, or http to
    loopback only. Raises ConfigError with what to set."""
    if not url:
        raise ConfigError("no public address for the participants' links: set public_url in [web] of the config "
                          "file, or start `oogst serve --public-url https://...`", "invite_no_url")
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.strip().rstrip("/")
    if parts.scheme == "http" and is_loopback(host):
        return url.strip().rstrip("/")
    raise ConfigError(f"{url}: participants' links must start with https:// (http only to this machine, "
                      "127.0.0.1); put the app behind a TLS proxy and give its https address", "invite_not_https",
                      url=url)


def participant_link(base: str, token: str) -> str:
    return f"{base}/p/{token}"


@dataclass(frozen=True)
class Invitee:
    name: str
    email: str
    link: str | None = None  # None on a dry run: no token made
    mailed: bool = False
    problem: str | None = None  # why it was not mailed (no address, refused by the server)


@dataclass(frozen=True)
class Invited:
    """What `oogst invite` did: the version invited to and each participant (link, mailed or why not)."""

    version: str
    people: tuple[Invitee, ...]
    dry_run: bool = False


def compose_invitation(to: Address, *, sender: str | None, language: str, title: str, link: str,
                       deadline: dt.date, signature: str, reminder: bool = False) -> EmailMessage:
    """One participant's invitation (or reminder), plain text, in the session's language."""
    words = texts(language, "participant")
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = words["mail_subject_reminder" if reminder else "mail_subject"].format(title=title)
    from_address = parse_address(sender, "sender") if sender else None
    if from_address is not None:
        message["From"] = from_address
    message["To"] = to
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC).astimezone())
    message["Message-ID"] = make_msgid("oogst-invite", domain=from_address.domain if from_address else "oogst.invalid")
    body = [words["mail_greeting"].format(name=to.display_name or to.addr_spec), "",
            words["mail_reminder" if reminder else "mail_body"].format(title=title), "", link, "",
            words["mail_deadline"].format(date=format_date(deadline, language)), words["mail_no_account"], "",
            words["mail_closing"], signature]
    message.set_content("\n".join(body).rstrip() + "\n", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = language
    return message


def deliver(messages: list[EmailMessage], settings: MailSettings, password: str | None) -> dict[str, str]:
    """Send each message over one connection; returns the problems by recipient address (empty: all accepted).
    Raises MailError (one line) when the server cannot be reached or refuses the login."""
    from pipeline.mail.transport import _explain, _open, _reply

    if not settings.host:
        raise ConfigError("no SMTP server set: set host in [smtp] (or OOGST_SMTP_HOST), or invite without mail "
                          "and pass the links on yourself", "no_smtp", env="OOGST_SMTP_HOST")
    problems: dict[str, str] = {}
    smtp: smtplib.SMTP | None = None
    sender = None
    try:
        smtp = _open(settings)
        if settings.user:
            smtp.login(settings.user, password or "")
        for message in messages:
            sender = message["From"].addresses[0]
            to = message["To"].addresses[0].addr_spec
            try:
                refused = smtp.send_message(message, from_addr=sender.addr_spec, to_addrs=[to])
            except smtplib.SMTPRecipientsRefused as exc:
                refused = dict(exc.recipients)
            for addr, (code, text) in refused.items():
                problems[addr.lower()] = _reply(code, text)
    except (smtplib.SMTPException, OSError) as exc:
        raise _explain(exc, settings, sender or Address("", "oogst", "oogst.invalid")) from None
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    return problems


def send_invitations(session: Session, links: list[tuple[str, str, str, dt.date]], *, version: str, title: str,
                     language: str, mail: MailSettings | None, password: str | None = None,
                     sender: str | None = None, signature: str = "", reminder: bool = False) -> Invited:
    """Mail each (name, e-mail address, link, deadline) that has an address when `mail` is given, and keep what went
    out in the invitations ledger (the caller holds the session's lock)."""
    if mail is not None and not sender:
        raise ConfigError("no sender address: set from in [smtp] (or OOGST_SMTP_FROM), or [oogst] facilitator",
                          "no_sender", env="OOGST_SMTP_FROM")
    messages = {}
    if mail is not None:
        for name, email, link, deadline in links:
            if email:
                to = parse_address(f"{name} <{email}>", "the participants")
                messages[name] = compose_invitation(to, sender=sender, language=language, title=title, link=link,
                                                    deadline=deadline, signature=signature, reminder=reminder)
    problems = deliver(list(messages.values()), mail, password) if mail is not None and messages else {}
    people = []
    for name, email, link, _deadline in links:
        problem = problems.get(email.lower()) if name in messages else (
            "no e-mail address" if mail is not None and not email else None)
        people.append(Invitee(name, email, link, name in messages and problem is None, problem))
    record_invitations(session, "reminder" if reminder else "invite", version, people,
                       mail.where if mail is not None else "")
    return Invited(version, tuple(people))


class InviteMailer:
    """What `review.round.invite` needs from mail: the links' base (checked), and the invitations mailed when
    `send` (else only recorded, the links to pass on)."""

    def __init__(self, settings: Settings, env: Mapping[str, str], *, send: bool = True,
                 facilitator: str | None = None) -> None:
        from pipeline.mail.command import sender_and_signature
        from pipeline.mail.settings import PASSWORD_ENV, load_mail_settings

        self.public_url = settings.section("web").get("public_url")
        self.mail = load_mail_settings(env, settings.config_path) if send else None
        self.password = env.get(PASSWORD_ENV)
        self.sender, self.signature = (sender_and_signature(self.mail, facilitator or settings.facilitator)
                                       if self.mail is not None else (None, ""))

    def base(self, url: str | None) -> str:
        return link_base(url or self.public_url)

    def planned(self, version: str, people: list[dict[str, Any]]) -> Invited:
        """A dry run: who would get a link (none is made)."""
        return Invited(version, tuple(Invitee(p["name"], p.get("email", "")) for p in people), True)

    def send(self, session: Session, links: list[tuple[str, str, str, dt.date]], *, version: str, title: str,
             language: str, reminder: bool) -> Invited:
        return send_invitations(session, links, version=version, title=title, language=language, mail=self.mail,
                                password=self.password, sender=self.sender, signature=self.signature,
                                reminder=reminder)


def record_invitations(session: Session, kind: str, version: str, invitees: list[Invitee], server: str) -> None:
    """Add the mails that went out to the session's invitations ledger (the caller holds the session's lock)."""
    data = session.read_if(INVITATIONS)
    mails: list[dict[str, Any]] = data.get("mails", []) if isinstance(data, dict) else []
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    for person in invitees:
        mails.append({"kind": kind, "version": version, "name": person.name, "to": person.email, "at": now,
                      "mailed": person.mailed, "problem": person.problem, "server": server if person.mailed else None})
    session.write(INVITATIONS, {**(data if isinstance(data, dict) else {}), "mails": mails})
