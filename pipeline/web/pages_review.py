"""Pages after the draft: send (freeze) the draft, upload returned copies -> final (`oogst collect`), the
participants roster, and the mail (preview, dry run, send) with `oogst mail`'s release gate."""

from __future__ import annotations

import os
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import MailError, Message, OogstError, shown
from pipeline.core.language import text_language
from pipeline.core.session import DRAFT, EML, FINAL, RETURNED, REVIEW, TURNS, Session
from pipeline.web.app import PageError, config, form, in_thread, oogst, page, render, session_of
from pipeline.web.pages_sessions import session_info
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


def review_state(session: Session, language: str) -> dict[str, Any]:
    from pipeline.review.versions import versions

    final = session.read_if(FINAL)
    review = session.read_if(REVIEW)
    return {"versions": [v.name for v in versions(session)], "final": final,
            "problems": [copy_problem(f, language) for f in (review or {}).get("files", [])
                         if f.get("status") == "rejected"],
            "files": [f for f in (review or {}).get("files", []) if f.get("status") == "ok"],
            "has_draft": session.has(DRAFT)}


async def review_page(request: Request) -> Response:
    session = session_of(request)
    return render(request, "review.html", **_nav(request, session), r=review_state(session, request.state.lang),
                  notice=request.query_params.get("notice"))


async def freeze(request: Request) -> Response:
    session = session_of(request)
    version = await in_thread(lambda: oogst(request).send_draft(session, reason="sent from the web page"))
    return RedirectResponse(f"/s/{session.name}/review?notice={version.name}", status_code=303)


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
        await in_thread(oogst(request).collect, session, kept)
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
                  saved=request.query_params.get("saved"))


def _address(text: str, place: Message) -> Address:
    """An address of the form; a wrong one names its row or pasted line (`place`) in the page's language."""
    from pipeline.mail.addresses import parse_address

    try:
        return parse_address(text, "the participants form")
    except MailError as exc:
        raise PageError(place.key, **place.params, problem=exc.message or Message("address_invalid", {
            "address": text})) from None


def roster_from_form(data: dict[str, str]) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    for n in range(200):
        if f"name_{n}" not in data:
            break
        name, email = " ".join(data[f"name_{n}"].split()), data.get(f"email_{n}", "").strip()
        if email:
            email = _address(email, Message("address_row", {"row": n + 1, "name": name})).addr_spec
        people.append({"name": name, "email": email, "present": data.get(f"present_{n}") == "on"})
    for number, line in enumerate(data.get("paste", "").splitlines(), 1):
        line = line.strip().strip(",;")
        if not line or line.startswith("#"):
            continue
        address = _address(line, Message("address_pasted", {"line": number}))
        name = address.display_name or address.username
        known = next((p for p in people if p["name"].lower() == name.lower()), None)
        if known is not None:
            known["email"] = address.addr_spec
        else:
            people.append({"name": name, "email": address.addr_spec, "present": True})
    return [p for p in people if p["name"]]


async def save_participants(request: Request) -> Response:
    session = session_of(request)
    people = roster_from_form({k: str(v) for k, v in form(request).items()})
    await in_thread(oogst(request).save_roster, session, people)
    return RedirectResponse(f"/s/{session.name}/participants?saved=1", status_code=303)


# -- mail --------------------------------------------------------------------------------------------------------
def _recipients(session: Session, extra: str = "") -> list[str]:
    listed = [f"{p['name']} <{p['email']}>" for p in session.roster() if p.get("email")]
    return listed + [line.strip() for line in extra.splitlines() if line.strip()]


def preview(request: Request, session: Session, draft: bool) -> dict[str, Any]:
    from pipeline.mail.addresses import read_recipients
    from pipeline.mail.message import compose
    from pipeline.mail.settings import load_mail_settings

    to = read_recipients(_recipients(session))
    settings = load_mail_settings(os.environ, config(request).settings.config_path)
    addressed = to or read_recipients(["preview@example.nl"])
    message = compose(session, addressed, sender=settings.sender, draft=draft)
    body = message.get_body(("plain",))
    return {"subject": str(message["Subject"]), "to": [str(a) for a in to], "sender": settings.sender or "",
            "text": body.get_content() if body is not None else "", "smtp": bool(settings.host)}


async def mail_page(request: Request) -> Response:
    session = session_of(request)
    draft = not session.has(FINAL)
    problem, mail = None, None
    try:
        mail = await in_thread(preview, request, session, draft)
    except OogstError as exc:
        problem = exc.text(request.state.lang)
    return render(request, "mail.html", **_nav(request, session), mail=mail, problem=problem, draft=draft,
                  eml=session.has(EML), notice=request.query_params.get("notice"))


async def mail_submit(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    send = data.get("do") == "send"
    draft = not session.has(FINAL)
    if send and data.get("again") != "on":
        from pipeline.mail.transport import previous_sends

        earlier = previous_sends(session)
        if earlier:  # `oogst mail`'s resend question, asked the page's way
            raise PageError("already_mailed", 409, name=session.name, times=len(earlier),
                            last=str(earlier[-1].get("sent_at", "?"))[:16].replace("T", " "))
    outcome, _ = await in_thread(lambda: oogst(request).mail(
        session, to=_recipients(session, data.get("extra", "")), send=send, draft=draft,
        yes=data.get("again") == "on", env=os.environ, reason="mailed from the web page"))
    notice = "sent" if outcome.sent is not None else "eml"
    return RedirectResponse(f"/s/{session.name}/mail?notice={notice}", status_code=303)


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
