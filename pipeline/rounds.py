"""The review round in the browser as operations a person does: inviting joins the review side (who, which version,
the links: `review.round`) and the mail side (`mail.invite`) under the session's lock of the application service.
The command line (`oogst invite`) and the review page call the same function.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline.core.session import Session
from pipeline.service import Oogst


def invite(oogst: Oogst, session: Session, *, env: Mapping[str, str] | None = None, send: bool = True,
           facilitator: str | None = None, **options: Any) -> Any:
    """`oogst invite`: `review.round.invite` (names, everyone, base_url, reminder, dry_run) with the invitation
    mails of `mail.invite` (sent when `send`), under the session's lock. Returns `mail.invite.Invited`."""
    from pipeline.mail.invite import InviteMailer
    from pipeline.review.round import invite as invite_round

    mailer = InviteMailer(oogst.settings, env or {}, send=send, facilitator=facilitator)
    with oogst.locked(session, "invite"):
        return invite_round(session, oogst.state_dir, mailer, **options)
