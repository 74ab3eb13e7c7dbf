"""sent.json: every send the server accepted, so a second send of a session asks first."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from pipeline.core.errors import MailError
from pipeline.core.session import FINAL, SENT_LEDGER, Session
from pipeline.mail.message import SOURCE_HEADER, recipients_of

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
