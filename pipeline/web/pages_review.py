"""Pages after the draft: send (freeze) the draft, upload returned copies -> final (`oogst collect`), the
participants roster, and the mail (preview, dry run, send) with `oogst mail`'s release gate."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import ConfigError, EditConflict, MailError, Message, OogstError, shown
from pipeline.core.language import text_language, texts
from pipeline.core.session import DRAFT, EML, FINAL, RETURNED, REVIEW, ROSTER, TURNS, Session
from pipeline.web.app import PageError, config, form, in_thread, oogst, page, render, session_of, version_of
from pipeline.web.pages_sessions import conflict_page, session_info
from pipeline.web.upload import receive_upload

MAX_COPY_BYTES = 200 * 2**20


def _nav(request: Request, session: Session) -> dict[str, Any]:
    return {"s": session_info(request, session), "has_turns": session.has(TURNS)}


def copy_problem(entry: dict[str, Any], language: str) -> str:
    """A rejected copy's problem (review.json) in the page's language; review.json of an older version has only the
    English line, so a Dutch page names the copy and says it could not be used."""
    message = Message.from_dict(entry.get("message"))
    if message is None and text_language(language) == "nl":
        message = Message("copy_unusable", {"file": Path(str(entry.get("file", "?"))).name})
    return shown(message, str(entry.get("problem", "")), language)


def review_state(session: Session, language: str, gate: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the review page shows; `gate`: the approval gate's state (`round_gate`)."""
    from pipeline.review.round import shown
    from pipeline.review.versions import sent_as_is, versions

    final = session.read_if(FINAL)
    review = session.read_if(REVIEW)
    current = sent_as_is(session)
    return {"versions": [v.name for v in versions(session)], "final": final,
            "current": current.name if current is not None else None,
            "count": len(final.get("insights", [])) if isinstance(final, dict) else 0,
            "problems": [copy_problem(f, language) for f in (review or {}).get("files", [])
                         if f.get("status") == "rejected"],
            "files": [f for f in (review or {}).get("files", []) if f.get("status") == "ok"],
            "has_draft": session.has(DRAFT), "gate": gate, "shown": shown(session)}


def round_rows(request: Request, session: Session) -> list[dict[str, Any]]:
    """Per participant of the review round in the browser: invited, opened, answered, approved."""
    from pipeline.review.answers import existing_store
    from pipeline.review.round import round_state

    store = existing_store(oogst(request).state_dir, config(request).out_dir)
    return round_state(store, session.name, session.roster())


def round_gate(request: Request, session: Session) -> dict[str, Any]:
    """The approval gate ([review] approval) as review.json counted it: "3 of 4 present participants approved; 4
    required", who has not approved yet, and whether the final can be mailed."""
    from pipeline.rounds import gate

    language = request.state.lang
    try:
        state = gate(oogst(request), session)
    except ConfigError as exc:
        return {"line": exc.text(language), "open": False, "needed": True, "waiting": "", "problem": True}
    waiting = ", ".join(state.waiting) if state.rule.needed and state.collected else ""
    return {"line": state.line(language), "open": state.open, "needed": state.rule.needed, "problem": False,
            "waiting": texts(language, "approval")["waiting"].format(names=waiting) if waiting else ""}


async def review_page(request: Request) -> Response:
    session = session_of(request)
    notice = request.query_params.get("notice")
    return render(request, "review.html", **_nav(request, session),
                  r=review_state(session, request.state.lang, round_gate(request, session)),
                  notice=notice if notice and re.fullmatch(r"v\d{1,4}", notice) else None,
                  before=request.query_params.get("before") == "1", invited=None,
                  round=round_rows(request, session), p=texts(request.state.lang, "participant"))


async def freeze(request: Request) -> Response:
    """Freeze the draft as the next sent version (nothing is mailed); the page then says what comes next."""
    from pipeline.review.versions import versions

    session = session_of(request)
    known = {v.name for v in versions(session)}
    version = await in_thread(lambda: oogst(request).send_draft(session, reason="sent from the web page"))
    before = "&before=1" if version.name in known else ""
    return RedirectResponse(f"/s/{session.name}/review?notice={version.name}{before}", status_code=303)


def _unique(folder: Path, name: str) -> Path:
    path, n = folder / name, 2
    while path.exists():
        path, n = folder / f"{Path(name).stem}-{n}{Path(name).suffix}", n + 1
    return path


async def collect_copies(request: Request) -> Response:
    session = session_of(request)
    folder = session.path(RETURNED)
    upload = await receive_upload(request.stream(), request.headers.get("content-type", ""), folder,
                                  max_bytes=MAX_COPY_BYTES)
    files = [f for f in upload.files if f.size > 0]
    if not files:
        upload.discard()
        raise PageError("no_copies")
    kept = []
    for f in files:
        target = _unique(folder, f.filename)
        f.path.rename(target)
        kept.append(target)
    try:
        # `oogst collect`: problems per file land in review.json; the series follows at once
        from pipeline.rounds import collect

        await in_thread(collect, oogst(request), session, kept)
    except OogstError:
        for path in kept:
            path.unlink(missing_ok=True)
        raise
    return RedirectResponse(f"/s/{session.name}/review#final", status_code=303)


# -- participants ------------------------------------------------------------------------------------------------
def roster_rows(session: Session) -> list[dict[str, Any]]:
    """roster.json, or the speaker names to start from."""
    people = session.roster()
    if people or not session.has(TURNS):
        return people
    names = session.turns().speakers.values()
    return [{"name": n, "email": "", "present": True} for n in dict.fromkeys(names)]


async def roster_page(request: Request) -> Response:
    session = session_of(request)
    return render(request, "participants.html", **_nav(request, session), people=roster_rows(session),
                  paste="", problem=None, bad=None, saved=request.query_params.get("saved"),
                  version=session.version(ROSTER))


class FormProblem(PageError):
    """A value of a form that cannot be used: the page comes back filled in, `field` (and the pasted `line`) marked."""

    def __init__(self, key: str, field: str, pasted_line: int | None = None, **params: Any) -> None:
        super().__init__(key, **params)
        self.field, self.pasted_line = field, pasted_line


def _address(text: str, place: Message, field: str, pasted_line: int | None = None) -> Address:
    """An address of the form; a wrong one names its row or pasted line (`place`) in the page's language."""
    from pipeline.mail.addresses import parse_address

    try:
        return parse_address(text, "the participants form")
    except MailError as exc:
        raise FormProblem(place.key, field, pasted_line, **place.params, problem=exc.message or Message(
            "address_invalid", {"address": text})) from None


def form_rows(data: dict[str, str]) -> list[dict[str, Any]]:
    """The roster's rows as the form sent them (for the page again after a problem)."""
    rows = []
    for n in range(200):
        if f"name_{n}" not in data:
            break
        rows.append({"name": data[f"name_{n}"], "email": data.get(f"email_{n}", ""),
                     "present": data.get(f"present_{n}") == "on", "remove": data.get(f"remove_{n}") == "on"})
    return rows


def _folded(name: str) -> list[str]:
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.casefold().split()


def same_person(people: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The row a pasted name fills: the same name (case and accents aside), else the one row whose name is the
    start of it or starts with it ("Ingrid" for "Ingrid Jansen", and the other way round)."""
    words = _folded(name)
    same = [p for p in people if _folded(p["name"]) == words]
    if same:
        return same[0]
    near = [p for p in people if (theirs := _folded(p["name"])) and words
            and (theirs == words[:len(theirs)] or words == theirs[:len(words)])]
    return near[0] if len(near) == 1 else None


def roster_from_form(data: dict[str, str]) -> list[dict[str, Any]]:
    """The roster the form asks for: rows not marked to be removed, then each pasted `Name <address>` filling the
    row of that person or added as a new one."""
    people: list[dict[str, Any]] = []
    for n, row in enumerate(form_rows(data)):
        name, email = " ".join(row["name"].split()), row["email"].strip()
        if row["remove"] or not name:
            continue
        if email:
            email = _address(email, Message("address_row", {"row": n + 1, "name": name}), f"email_{n}").addr_spec
        people.append({"name": name, "email": email, "present": row["present"]})
    for number, line in enumerate(data.get("paste", "").splitlines(), 1):
        line = line.strip().strip(",;")
        if not line or line.startswith("#"):
            continue
        address = _address(line, Message("address_pasted", {"line": number}), "paste", number)
        name = " ".join((address.display_name or address.username).split())
        known = same_person(people, name)
        if known is not None:
            known["email"] = address.addr_spec
            if len(_folded(name)) > len(_folded(known["name"])):
                known["name"] = name  # "Ingrid Jansen <...>" fills "Ingrid" and gives the whole name
        else:
            people.append({"name": name, "email": address.addr_spec, "present": True})
    return people


def _person_line(person: dict[str, Any] | None, words: Mapping[str, str]) -> str:
    if person is None:
        return ""
    return f"{person.get('email') or '—'} · {words['present'] if person.get('present', True) else words['absent']}"


async def save_participants(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    try:
        people = roster_from_form(data)
        await in_thread(oogst(request).save_roster, session, people, base=version_of(data))
    except FormProblem as exc:  # the page again as it was filled in, the wrong row or pasted line marked
        return render(request, "participants.html", status=400, **_nav(request, session), people=form_rows(data),
                      paste=data.get("paste", ""), problem=exc.text(request.state.lang), bad=exc.field,
                      bad_line=exc.pasted_line, saved=None, version=data.get("version", ""))
    except EditConflict as exc:
        words = texts(request.state.lang, "web")
        theirs = {p["name"]: p for p in session.roster()}
        yours = {p["name"]: p for p in people}
        return conflict_page(request, session, exc, data, back=f"/s/{session.name}/participants", rows=[
            {"what": name, "theirs": _person_line(theirs.get(name), words),
             "yours": _person_line(yours.get(name), words)} for name in dict.fromkeys([*theirs, *yours])])
    return RedirectResponse(f"/s/{session.name}/participants?saved=1", status_code=303)


# -- mail --------------------------------------------------------------------------------------------------------
def _recipients(session: Session, extra: str = "") -> list[str]:
    listed = [f"{p['name']} <{p['email']}>" for p in session.roster() if p.get("email")]
    return listed + [line.strip() for line in extra.splitlines() if line.strip()]


def preview(request: Request, session: Session) -> dict[str, Any]:
    """The mail as it would go out now, and whether this page can send it (SMTP set up, a password if needed)."""
    from pipeline.mail.settings import PASSWORD_ENV, load_mail_settings

    cfg = config(request)
    facilitator, _ = cfg.facilitator()
    message = oogst(request).mail_preview(session, _recipients(session), facilitator=facilitator, env=os.environ)
    settings = load_mail_settings(os.environ, cfg.settings.config_path)
    body = message.get_body(("plain",))
    to = [str(a) for a in message["To"].addresses if a.addr_spec != "preview@example.nl"]
    return {"subject": str(message["Subject"]), "to": to, "sender": str(message.get("From") or ""),
            "text": body.get_content() if body is not None else "", "smtp": bool(settings.host),
            "password": not settings.user or bool(os.environ.get(PASSWORD_ENV))}


def mail_page_response(request: Request, session: Session, *, problem: str | None = None, status: int = 200,
                       extra: str = "", person: dict[str, str] | None = None) -> Response:
    """The mail page; `problem`: why what was asked could not be done, the form as it was filled in (`extra`,
    `person`: the facilitator's fields)."""
    draft = not session.has(FINAL)
    shown, mail = None, None
    try:
        mail = preview(request, session)
    except OogstError as exc:
        shown = exc.text(request.state.lang)
    facilitator, said = config(request).facilitator()
    if person is None:
        person = {"name": "", "email": ""}
        if facilitator:
            from pipeline.mail.addresses import parse_address

            try:
                found = parse_address(facilitator, "the facilitator")
                person = {"name": found.display_name, "email": found.addr_spec}
            except MailError:
                person = {"name": facilitator, "email": ""}
    notice = request.query_params.get("notice") if problem is None else None
    if problem is None and shown is None and not draft:
        problem = gate_problem(request, session)
    return render(request, "mail.html", status=status, **_nav(request, session), mail=mail,
                  problem=problem or shown, draft=draft, eml=session.has(EML), notice=notice,
                  extra=extra, facilitator=facilitator, said=said, person=person, env=ENV_NAMES)


def gate_problem(request: Request, session: Session) -> str | None:
    """Why the final cannot be mailed yet for lack of approvals ([review] approval): who has not approved, what to
    do; None when it can."""
    from pipeline.mail.approval import check_approvals, configured

    try:
        check_approvals(session, configured(oogst(request).settings))
    except (MailError, ConfigError) as exc:
        return exc.text(request.state.lang)
    return None


ENV_NAMES = {"host": "OOGST_SMTP_HOST", "from": "OOGST_SMTP_FROM", "password": "OOGST_SMTP_PASSWORD"}


async def mail_page(request: Request) -> Response:
    session = session_of(request)
    return await in_thread(mail_page_response, request, session)


async def mail_submit(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    if data.get("do") == "facilitator":
        return await save_facilitator(request, session, data)
    send = data.get("do") == "send"
    draft = not session.has(FINAL)
    if send and data.get("again") != "on":
        from pipeline.mail.transport import previous_sends

        earlier = previous_sends(session)
        if earlier:  # `oogst mail`'s resend question, asked the page's way
            raise PageError("already_mailed", 409, name=session.name, times=len(earlier),
                            last=str(earlier[-1].get("sent_at", "?"))[:16].replace("T", " "))
    facilitator, _ = config(request).facilitator()
    try:
        outcome, _ = await in_thread(lambda: oogst(request).mail(
            session, to=_recipients(session, data.get("extra", "")), send=send, draft=draft,
            yes=data.get("again") == "on", env=os.environ, reason="mailed from the web page",
            facilitator=facilitator))
    except (MailError, ConfigError) as exc:  # the page again, the added recipients as they were typed
        return await in_thread(mail_page_response, request, session, problem=exc.text(request.state.lang),
                               status=400, extra=data.get("extra", ""))
    notice = "sent" if outcome.sent is not None else "eml"
    return RedirectResponse(f"/s/{session.name}/mail?notice={notice}", status_code=303)


async def save_facilitator(request: Request, session: Session, data: dict[str, str]) -> Response:
    """Who mails, asked once on the mail page and kept for every session (the config file's, when set, wins)."""
    from pipeline.mail.addresses import parse_address

    person = {"name": " ".join(data.get("name", "").split())[:80], "email": data.get("email", "").strip()}
    try:
        address = parse_address(person["email"], "the facilitator's address")
        if not person["name"]:
            raise MailError("the facilitator needs a name", "facilitator_name")
    except MailError as exc:
        return await in_thread(mail_page_response, request, session, problem=exc.text(request.state.lang),
                               status=400, person=person)
    config(request).save_facilitator(str(Address(person["name"], addr_spec=address.addr_spec)))
    return RedirectResponse(f"/s/{session.name}/mail?notice=facilitator", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/s/{name}/review", page(review_page)),
        Route("/s/{name}/review/freeze", page(freeze), methods=["POST"]),
        Route("/s/{name}/review/collect", page(collect_copies), methods=["POST"]),
        Route("/s/{name}/participants", page(roster_page)),
        Route("/s/{name}/participants", page(save_participants), methods=["POST"]),
        Route("/s/{name}/mail", page(mail_page)),
        Route("/s/{name}/mail", page(mail_submit), methods=["POST"]),
    ]
