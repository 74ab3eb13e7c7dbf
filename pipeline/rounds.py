"""The review round in the browser as operations a person does: inviting joins the review side (who, which version,
the links: `review.round`) and the mail side (`mail.invite`) under the session's lock of the application service;
collecting and closing the round count the answers into the final; `gate` says how far the approvals are. The
command line (`oogst invite`, `oogst collect [--close]`) and the review page call the same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
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


def collect(oogst: Oogst, session: Session, files: Sequence[Path] = (), *, close: bool = False,
            **options: Any) -> tuple[Any, list[str]]:
    """`oogst collect` and the review page's "process the responses": the browser answers (and `files`, returned
    Word copies; the copies collected before stay) into review.json, final.json and final.docx, under the session's
    lock (`Oogst.collect`). `close` (`oogst collect --close`, "close the round"): the links stop taking answers
    first; a round whose deadline passed is closed either way. Returns the result and the series' notes."""
    return oogst.collect(session, [Path(f) for f in files], close=close, **options)


def close(oogst: Oogst, session: Session, files: Sequence[Path] = (), **options: Any) -> tuple[Any, list[str]]:
    """Close the round and collect: `collect(close=True)`."""
    return collect(oogst, session, files, close=True, **options)


def gate(oogst: Oogst, session: Session) -> Any:
    """The approval gate as it stands ([review] approval against review.json's approvals): `ApprovalState`."""
    from pipeline.mail.approval import approval_state, configured

    return approval_state(session, configured(oogst.settings))
