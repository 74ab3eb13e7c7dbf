"""The review round in the browser, the facilitator's side: which participants of the roster to invite to the
last sent version, their personal links, who has answered, and per participant who was invited, opened the page,
answered and approved. The invitation mail is `mail.invite`'s; the service (`Oogst.invite`) joins the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from pipeline.core.errors import ReviewError
from pipeline.core.session import INVITATIONS, Session
from pipeline.review.answers import DEFAULT_DAYS, AnswerStore, Invitation, open_store


def latest_sent(session: Session) -> Any:
    """The last sent version (`review.versions.DraftVersion`); ReviewError when the draft was never sent."""
    from pipeline.review.versions import versions

    known = versions(session)
    if not known:
        raise ReviewError(f"{session.name}: the draft was not sent yet; send it first (`oogst mail --draft --send`, or "
                          "\"Concept versturen\" on the review page), then invite", "invite_not_sent",
                          name=session.name)
    return known[-1]


def chosen_people(session: Session, names: Sequence[str] = (), *, everyone: bool = False,
                  remind: AnswerStore | None = None) -> list[dict[str, Any]]:
    """The roster's participants to invite: those named, else everyone present (or everyone); with `remind`, only
    those of them invited before who have not answered."""
    people = _chosen(session, names, everyone=everyone)
    if remind is None:
        return people
    done = answered(remind, session.name)
    invited = {i.participant for i in remind.invitations(session.name)}
    return [p for p in people if p["name"] in invited and p["name"] not in done]


def _chosen(session: Session, names: Sequence[str] = (), *, everyone: bool = False) -> list[dict[str, Any]]:
    from pipeline.review.interpret import author_key

    roster = session.roster()
    if not roster:
        raise ReviewError(f"{session.name}: no participants yet; add them (name, e-mail address) on the participants "
                          "page first", "invite_no_roster", name=session.name)
    if names:
        by_key = {author_key(p["name"]): p for p in roster}
        unknown = [n for n in names if author_key(n) not in by_key]
        if unknown:
            raise ReviewError(f"{', '.join(unknown)}: not among the participants of {session.name} "
                              f"({', '.join(p['name'] for p in roster)})", "invite_unknown",
                              names=", ".join(unknown), name=session.name)
        return [by_key[author_key(n)] for n in names]
    return [p for p in roster if everyone or p.get("present", True)]


SHOWN = ("quotes", "group")  # what participants see only when the facilitator opts in, per session


def shown(session: Session) -> dict[str, bool]:
    """The session's opt-ins for the participants' pages: `quotes` (the transcript lines behind each insight) and
    `group` (the others' votes and suggested wordings, without names); both off unless the facilitator chose them."""
    data = session.read_if(INVITATIONS)
    chosen = data.get("shown", {}) if isinstance(data, dict) else {}
    return {key: bool(chosen.get(key, False)) for key in SHOWN} if isinstance(chosen, dict) else dict.fromkeys(SHOWN,
                                                                                                              False)


def choose_shown(session: Session, *, quotes: bool | None = None, group: bool | None = None) -> dict[str, bool]:
    """Set the opt-ins that are given (None keeps the earlier choice), in the invitations ledger; the caller holds the
    session's lock. Returns the choices as they are now."""
    now = shown(session)
    wanted = {**now, **{k: v for k, v in (("quotes", quotes), ("group", group)) if v is not None}}
    if wanted != now:
        data = session.read_if(INVITATIONS)
        session.write(INVITATIONS, {**(data if isinstance(data, dict) else {}), "shown": wanted})
    return wanted


def group_answers(store: AnswerStore, session: str, version: str, participant: str) -> dict[str, dict[str, Any]]:
    """Per item of `version`, what the other participants answered, without their names: votes counted
    (`agree`, `disagree`) and the wordings they suggested."""
    group: dict[str, dict[str, Any]] = {}
    for row in store.answers(session):
        if row["version"] != version or row["participant"] == participant:
            continue
        seen = group.setdefault(row["item"], {"agree": 0, "disagree": 0, "wordings": []})
        if row["field"] == "vote" and row["value"] in ("agree", "disagree"):
            seen[row["value"]] += 1
        elif row["field"] == "wording":
            seen["wordings"].append(row["value"])
    return group


def answered(store: AnswerStore, session: str) -> set[str]:
    """The participants who answered anything (an approval included)."""
    return {row["participant"] for row in store.answers(session)}


class Mailer(Protocol):
    """What inviting needs from mail (`mail.invite.InviteMailer`, plugged in by the service)."""

    def base(self, url: str | None) -> str: ...

    def planned(self, version: str, people: list[dict[str, Any]]) -> Any: ...

    def send(self, session: Session, links: list[tuple[str, str, str, Any]], *, version: str, title: str,
             language: str, reminder: bool) -> Any: ...


def invite(session: Session, state_dir: Path | None, mailer: Mailer, *, names: Sequence[str] = (),
           everyone: bool = False, base_url: str | None = None, reminder: bool = False,
           dry_run: bool = False, show_quotes: bool | None = None, show_group: bool | None = None) -> Any:
    """A personal link to the last sent version for each participant (those named, else those present; `reminder`:
    those invited who have not answered, with a new link), mailed by `mailer` with the deadline. The caller holds
    the session's lock. Returns `mail.invite.Invited`."""
    version, store = latest_sent(session), open_store(state_dir, session.root.parent)
    people = chosen_people(session, names, everyone=everyone, remind=store if reminder else None)
    if dry_run:
        return mailer.planned(version.name, people)
    choose_shown(session, quotes=show_quotes, group=show_group)
    links = [(p["name"], p.get("email", ""), link, invitation.deadline)
             for p, link, invitation in make_links(session, store, version, people, mailer.base(base_url))]
    return mailer.send(session, links, version=version.name, title=sent_title(session, version),
                       language=version.insights().language, reminder=reminder)


def make_links(session: Session, store: AnswerStore, version: Any, people: list[dict[str, Any]], base: str, *,
               days: float = DEFAULT_DAYS) -> list[tuple[dict[str, Any], str, Invitation]]:
    """A new link to `version` for each of `people` (their earlier link stops working; answers given with it
    stay): (person, link, invitation) each."""
    made = []
    earlier = {i.participant: i for i in store.invitations(session.name)}
    for person in people:
        if person["name"] in earlier:  # invited on an older version: what they answered there comes along
            follow_latest(session, store, earlier[person["name"]])
        token, invitation = store.invite(session.name, version.name, version.insights_hash, person["name"],
                                         person.get("email", ""), days=days)
        made.append((person, f"{base}/p/{token}", invitation))
    return made


def sent_title(session: Session, version: Any) -> str:
    """The title the sent draft carries (what participants saw), else the session's name."""
    from pipeline.review.draft import PROP_TITLE
    from pipeline.review.ooxml import read_docx

    try:
        return read_docx(version.draft).properties.get(PROP_TITLE) or session.name
    except ReviewError:
        return session.name


def shown_version(session: Session, name: str, digest: str) -> tuple[Any, str]:
    """The insights of a sent version and its title as a participant sees them: pseudonymised when the session
    is."""
    from pipeline.privacy.shared import load_shared
    from pipeline.review.versions import DraftVersion

    version = DraftVersion(name, session.sent_version(name), digest)
    insights, title = version.insights(), sent_title(session, version)
    shared = load_shared(session, insights.language)
    if shared is None:
        return insights, title
    return shared.insights(insights), shared.text(title, any_case=True)


def round_state(store: AnswerStore | None, session: str, roster: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per participant of the roster (and anyone invited since dropped from it): present, invited, opened,
    answered, approved (in the store now; the gate counts review.json's, written when collecting), with the link's
    state (nothing when nobody was ever invited: no store)."""
    if store is None:
        return []
    invitations = {i.participant: i for i in store.invitations(session)}
    rows = store.answers(session)
    answered_by = {r["participant"] for r in rows}
    approved = {r["participant"] for r in rows if r["item"] == "all" and r["field"] == "approve" and r["value"] == "1"}
    present = {str(p["name"]): bool(p.get("present", True)) for p in roster}
    names = [str(p["name"]) for p in roster] + [n for n in invitations if n not in {p["name"] for p in roster}]
    out = []
    for name in names:
        invitation = invitations.get(name)
        out.append({"name": name, "invited": invitation is not None,
                    "state": invitation.state() if invitation is not None else None,
                    "deadline": invitation.deadline.isoformat() if invitation is not None else None,
                    "opened": bool(invitation and invitation.opened), "answered": name in answered_by,
                    "approved": name in approved, "present": present.get(name, False),
                    "when": dt.datetime.fromtimestamp(invitation.created).strftime("%Y-%m-%d %H:%M")
                    if invitation is not None else None})
    return out


def shown_carried(session: Session, name: str) -> tuple[Any, ...]:
    """The carried action rows of a sent version as its draft shows them (`review.items.CarriedRow`)."""
    from pipeline.review.items import carried_rows
    from pipeline.review.versions import DraftVersion

    return carried_rows(DraftVersion(name, session.sent_version(name), "").draft)


def follow_latest(session: Session, store: AnswerStore, invitation: Invitation) -> Invitation:
    """When a newer version was sent since the participant was invited, their link opens that one and their answers
    on what still exists carry over (`AnswerStore.move`); the page then says what changed. Returns the invitation as
    it is now."""
    from pipeline.review.items import carry_over
    from pipeline.review.versions import DraftVersion, versions

    known = versions(session)
    if not known or known[-1].name == invitation.version:
        return invitation
    if invitation.version not in {v.name for v in known}:
        return invitation  # a version this session no longer has: nothing to carry from
    latest = known[-1]
    old = DraftVersion(invitation.version, session.sent_version(invitation.version), invitation.insights_hash)
    old_shown, _ = shown_version(session, old.name, old.insights_hash)
    new_shown, _ = shown_version(session, latest.name, latest.insights_hash)
    update = carry_over(old.insights(), latest.insights(), shown_carried(session, old.name),
                        shown_carried(session, latest.name), old_shown=old_shown, new_shown=new_shown)
    return store.move(invitation, latest.name, latest.insights_hash, update.items, update.to_dict())


def follow_all(session: Session, store: AnswerStore) -> None:
    """Every participant's link to the latest sent version, their answers carried over (before collecting)."""
    for invitation in store.invitations(session.name):
        follow_latest(session, store, invitation)
