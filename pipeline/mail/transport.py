"""SMTP: open a TLS-protected connection, log in with UTF-8 credentials, send, and explain every failure in one line;
and the ledger, sent.json: every send the server accepted, so a second send of a session asks first."""

from __future__ import annotations

import base64
import hmac
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from pipeline.core.errors import ConfigError, MailError
from pipeline.core.session import FINAL, SENT_LEDGER, Session
from pipeline.mail.message import SOURCE_HEADER, recipients_of
from pipeline.mail.settings import ENV, PASSWORD_ENV, MailSettings, where_to_set

log = logging.getLogger(__name__)

def _context(settings: MailSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.cafile is not None:
        context.load_verify_locations(cafile=str(settings.cafile))
    return context


def _is_loopback(host: str) -> bool:
    return host in {"localhost", "127.0.0.1", "::1"} or host.startswith("127.")


def send(message: EmailMessage, settings: MailSettings, password: str | None, *, session: Session,
         confirm: Callable[[str], bool]) -> SendResult:
    """Send over SMTP and record in sent.json whom the server accepted.

    Asks `confirm` first when sent.json shows an earlier send. Raises MailError (one line) for a refused login,
    an unreachable server, a TLS failure or refused recipients; a partial send is recorded for those who got it.
    """
    if not settings.host:
        raise ConfigError(f"no SMTP server set: set {where_to_set(settings, 'host')} "
                          "(or leave out --send to write mail.eml and send that from your mail program)", "no_smtp",
                          env=ENV["host"])
    from_header = message.get("From")
    if from_header is None or not from_header.addresses:
        raise ConfigError(f"no sender address: set {where_to_set(settings, 'from')}", "no_sender", env=ENV["from"])
    sender = from_header.addresses[0]
    recipients = recipients_of(message)
    if not recipients:
        raise MailError("the message has no recipients", "no_recipients")
    question = resend_question(session, message)
    if question is not None and not confirm(question):
        raise MailError(f"{session.path(SENT_LEDGER)}: already sent before; not sent again", "already_sent",
                        name=session.name)
    if settings.user and not password:
        raise ConfigError(f"no password for {settings.user} on {settings.host}: set {PASSWORD_ENV} "
                          "or run `oogst mail --send` in a terminal so it can ask", "no_password", user=settings.user,
                          host=settings.host, env=PASSWORD_ENV)
    if settings.security == "none" and settings.user and not _is_loopback(settings.host):
        raise ConfigError(f"{settings.where}: security = none would send your password unencrypted; "
                          "use security = starttls (port 587) or ssl (port 465)", "smtp_unencrypted",
                          where=settings.where)

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
        record_send(session, message, result, sender)
    if refused_pairs:
        who_not = "; ".join(f"{who} ({reply})" for who, reply in refused_pairs)
        if not accepted:
            raise MailError(f"{settings.where} refused every recipient, nothing was sent: {who_not}; "
                            "check these addresses", "smtp_all_refused", where=settings.where, refused=who_not)
        raise MailError(f"sent only partly: {', '.join(accepted)} got it; refused: {who_not}; fix those "
                        f"addresses and send to them separately (recorded in {session.path(SENT_LEDGER)})",
                        "smtp_partly", accepted=", ".join(accepted), refused=who_not)
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
                                "if the server uses implicit TLS (ask your provider which one it uses)",
                                "smtp_no_starttls", where=settings.where)
            smtp.starttls(context=_context(settings))
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(message.split())}".strip()


_REFUSALS: tuple[tuple[type[smtplib.SMTPResponseException], str, str], ...] = (
    (smtplib.SMTPAuthenticationError, "{where}: login refused for user {user!r} ({reply}); check the user name and "
                                      "{password_env} (many providers need an app password)", "smtp_login_refused"),
    (smtplib.SMTPSenderRefused, "{where} refused the sender {sender} ({reply}); set {from_setting} to the address "
                                "of your mail account", "smtp_sender_refused"),
    (smtplib.SMTPDataError, "{where} refused the message ({reply}); nothing was sent (is the attachment too large "
                            "for the server?)", "smtp_data_refused"),
)


def _explain(exc: BaseException, settings: MailSettings, sender: Address) -> MailError:
    """One line that says what went wrong with the server and what to do; never includes the password."""
    where = settings.where
    if isinstance(exc, MailError):
        return exc
    for kind, template, key in _REFUSALS:  # the server answered with a code: quote it and say what to change
        if isinstance(exc, kind):
            reply = _reply(exc.smtp_code, exc.smtp_error)
            return MailError(template.format(where=where, user=settings.user, password_env=PASSWORD_ENV,
                                             sender=sender.addr_spec, from_setting=where_to_set(settings, "from"),
                                             reply=reply), key, where=where, user=settings.user,
                             sender=sender.addr_spec, reply=reply, env=PASSWORD_ENV)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailError(f"{where}: the server does not allow login on this connection ({exc}); check security "
                         "(starttls on port 587 or ssl on port 465) or leave the user empty", "smtp_no_login",
                         where=where)
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or str(exc)
        return MailError(f"{where}: the TLS certificate of {settings.host} could not be verified ({reason}); "
                         f"check the host name, or if your organisation uses its own certificate authority set "
                         f"{where_to_set(settings, 'cafile')} to its PEM file", "smtp_certificate", where=where,
                         host=settings.host)
    if isinstance(exc, ssl.SSLError):
        hint = ("security = ssl needs the implicit-TLS port (465); for port 587 use security = starttls"
                if settings.security == "ssl" else "check the port and security setting (starttls on 587, ssl on 465)")
        return MailError(f"{where}: TLS handshake failed ({exc.reason or exc}); {hint}", "smtp_tls", where=where)
    if isinstance(exc, socket.gaierror):
        return MailError(f"{settings.host}: SMTP server not found (DNS lookup failed: {exc.strerror}); check "
                         f"{where_to_set(settings, 'host')} and your network connection", "smtp_not_found",
                         host=settings.host)
    timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
    if timed_out:
        hint = ("; if the server uses implicit TLS (port 465) set security = ssl"
                if settings.security != "ssl" else "")
        return MailError(f"{where}: no answer from the SMTP server within {settings.timeout:g} s; check host, "
                         f"port and your network (a firewall may block the port){hint}", "smtp_timeout", where=where,
                         seconds=f"{settings.timeout:g}")
    if isinstance(exc, ConnectionRefusedError):
        return MailError(f"{where}: connection refused; check the host and port (587 for starttls, 465 for ssl) "
                         "and that the server is up", "smtp_connection_refused", where=where)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailError(f"{where}: the server closed the connection ({exc}); check port and security "
                         "(starttls on 587, ssl on 465)", "smtp_closed", where=where)
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = _reply(exc.smtp_code, exc.smtp_error)
        return MailError(f"{where}: the server answered {reply}; nothing was sent", "smtp_answer", where=where,
                         reply=reply)
    if isinstance(exc, OSError):
        return MailError(f"{where}: cannot reach the SMTP server ({exc.strerror or exc}); check host, port and "
                         "your network", "smtp_unreachable", where=where)
    return MailError(f"{where}: sending failed ({exc})", "smtp_failed", where=where)


log = logging.getLogger(__name__)



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
    path = session.path(SENT_LEDGER)
    if not path.is_file():
        return []
    data = session.read(SENT_LEDGER)
    sends = data.get("sends") if isinstance(data, dict) else None
    if not isinstance(sends, list):
        raise MailError(f"{path}: damaged (no \"sends\" list); check it by hand before sending again",
                        "ledger_damaged", name=session.name)
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
            f"Send it again to {len(recipients_of(message))} recipients?")


def record_send(session: Session, message: EmailMessage, result: SendResult, sender: Address) -> None:
    source = str(message.get(SOURCE_HEADER, ""))
    name, _, digest = source.partition("; sha256=")
    entry = {
        "sent_at": result.sent_at,
        "message_id": result.message_id,
        "subject": str(message.get("Subject", "")),
        "draft": name.strip() != FINAL,
        "source": name.strip(),
        "source_sha256": digest.strip(),
        "from": str(sender),
        "to": list(result.accepted),
        "refused": {who: reply for who, reply in result.refused},
        "server": result.server,
    }
    sends = previous_sends(session)
    path = session.write(SENT_LEDGER, {"sends": [*sends, entry]})
    log.info("recorded the send to %d recipients in %s", len(result.accepted), path)
