"""`oogst mail`: compose, always write mail.eml, and with --send send it (asking before a second send)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pipeline.core.errors import ConfigError, MailError
from pipeline.core.session import SENT_LEDGER, Session
from pipeline.mail.addresses import parse_address, read_recipients
from pipeline.mail.approval import ApprovalRule, ApprovalState, approval_state, check_approvals
from pipeline.mail.message import DraftCopy, compose, write_eml
from pipeline.mail.settings import ENV, PASSWORD_ENV, MailSettings, load_mail_settings, where_to_set
from pipeline.mail.transport import SendResult, previous_sends, resend_question, send


@dataclass(frozen=True)
class MailOutcome:
    """What `oogst mail` did: the .eml it wrote, to whom, and the send result when it sent."""

    eml: Path
    subject: str
    recipients: tuple[Address, ...]
    draft: bool
    sent: SendResult | None = None
    previous: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # earlier sends from sent.json
    approvals: ApprovalState | None = None  # the approval gate of a final mail ([review] approval)

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
            if self.approvals is not None and not self.approvals.open:
                waiting = ", ".join(self.approvals.waiting) or "-"
                lines.append(f"Note: --send waits for approval: {self.approvals.line('en')}; not yet: {waiting}")
        return lines


def sender_and_signature(settings: MailSettings, facilitator: str | None) -> tuple[str | None, str]:
    """Who the mail is from and the name under it: the SMTP sender (the account that sends) or else the facilitator;
    the facilitator's name, else the sender's."""
    person = parse_address(facilitator, "the facilitator ([oogst] facilitator)") if facilitator else None
    sender = settings.sender or (str(person) if person is not None and person.addr_spec else None)
    name = person.display_name if person is not None else ""
    if not name and sender:
        name = parse_address(sender, "the sender").display_name
    return sender, name


def run_mail(session: Session, *, to: Sequence[str] = (), to_file: Path | None = None, send: bool = False,
             draft: bool = False, yes: bool = False, env: Mapping[str, str] | None = None,
             config_path: Path | None = None, password_prompt: Callable[[str], str] | None = None,
             confirm: Callable[[str], bool] | None = None, facilitator: str | None = None,
             copy: DraftCopy | None = None, approval: ApprovalRule | None = None) -> MailOutcome:
    """`oogst mail`: compose, always write mail.eml, and with `send` send it over SMTP.

    Args:
        env: the environment (OOGST_SMTP_*); the CLI passes os.environ.
        password_prompt: asks for the SMTP password (getpass.getpass); None when there is no terminal.
        confirm: asks yes/no before a second send; None when there is no terminal (then only `yes` sends again).
        facilitator: "Name <address>" ([oogst] facilitator): the name under the mail, and its From when SMTP names
            no sender.
        copy: the draft a draft mail carries (`message.load_content`).
        approval: [review] approval: how many present participants must approve before the final is sent (None:
            none); a dry run still writes mail.eml and says what the gate waits for.
    """
    env = env if env is not None else {}
    if not to and to_file is None:  # the participants roster the web page keeps (roster.json)
        to = [f"{p['name']} <{p['email']}>" for p in session.roster() if p.get("email")]
    recipients = read_recipients(list(to), to_file)
    if not recipients:
        raise MailError("no recipients: give --to name@example.nl (repeatable) or --to-file participants.txt",
                        "no_recipients")
    settings = load_mail_settings(env, config_path)
    sender, signature = sender_and_signature(settings, facilitator)
    if send and not sender:
        raise ConfigError(f"no sender address: set {where_to_set(settings, 'from')}", "no_sender",
                          env=ENV["from"])
    if send and not settings.host:
        raise ConfigError(f"no SMTP server set: set {where_to_set(settings, 'host')} "
                          "(or leave out --send to write mail.eml and send that from your mail program)", "no_smtp",
                          env=ENV["host"])
    message = compose(session, recipients, sender=sender, draft=draft, signature=signature, copy=copy)
    rule = approval if approval is not None and not draft else ApprovalRule()
    if send:
        check_approvals(session, rule)
    eml = write_eml(session, message)
    previous = tuple(previous_sends(session))
    outcome = MailOutcome(eml=eml, subject=str(message["Subject"]), recipients=tuple(recipients), draft=draft,
                          previous=previous, approvals=approval_state(session, rule) if rule.needed else None)
    if not send:
        return outcome

    # Ask about a second send before asking for the password, so "no" costs nothing.
    question = resend_question(session, message)
    if question is not None and not yes:
        if confirm is None:
            raise MailError(f"{session.path(SENT_LEDGER)}: this session was already mailed; pass --yes to send it "
                            "again (there is no terminal to ask)", "already_sent", name=session.name)
        if not confirm(question):
            raise MailError(f"{session.path(SENT_LEDGER)}: already sent before; not sent again", "already_sent",
                            name=session.name)
    password = env.get(PASSWORD_ENV) or None
    if settings.user and password is None:
        if password_prompt is None:
            raise ConfigError(f"no password for {settings.user} on {settings.host}: set {PASSWORD_ENV} or run "
                              "`oogst mail --send` in a terminal so it can ask", "no_password", user=settings.user,
                              host=settings.host, env=PASSWORD_ENV)
        password = password_prompt(f"SMTP password for {settings.user} on {settings.host}: ") or None
    result = send_message_now(message, settings, password, session=session)
    return MailOutcome(eml=eml, subject=outcome.subject, recipients=outcome.recipients, draft=draft, sent=result,
                       previous=previous, approvals=outcome.approvals)


def send_message_now(message: EmailMessage, settings: MailSettings, password: str | None, *,
                     session: Session) -> SendResult:
    """`send` after the caller has already confirmed a second send."""
    return send(message, settings, password, session=session, confirm=lambda _question: True)
