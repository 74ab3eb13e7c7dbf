"""The participant's page, `/p/{token}`: the sent version's summary, top 7 and action points, and per insight agree /
disagree / a better wording / a remark, per action point right / not right with a remark, "done" for the actions
carried from earlier sessions of the series, "Mist er iets?" and an explicit approval. A version sent during the
round replaces the one the link was made for: the answers on what stayed carry over and the page says what changed.
No account, no JavaScript needed (plain forms, POST-redirect-GET, a CSRF token), in the session's language, phone
first. With JavaScript on, `static/app.js` saves each answer as it is given (the same form, posted by fetch and
answered with JSON) and says "Bewaard." without reloading the page.

The token opens this page only: no facilitator page, no other session, no download. Answers go to the answer store
(`review.answers`), never under the session's lock, so twenty participants and a running job never wait on each
other. On the facilitator's side: invite, remind and the per-participant overview on the review page.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.language import format_date, texts
from pipeline.core.session import Session
from pipeline.core.types import TOP_N
from pipeline.review.answers import Invitation, existing_store
from pipeline.review.browser import item_of
from pipeline.review.round import follow_latest, group_answers, shown, shown_carried
from pipeline.web.app import (
    COOKIE,
    CSRF_FIELD,
    Throttle,
    _env,
    client_key,
    config,
    in_thread,
    oogst,
    page,
    read_form,
    render,
    session_of,
)

log = logging.getLogger(__name__)

TOKEN = re.compile(r"^[A-Za-z0-9_\-]{20,100}$")
GUESSES, GUESS_WINDOW = 20, 600.0  # unknown tokens from one address within ten minutes, then it waits
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer",  # the token is in the address: never pass it on
           "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                                      "form-action 'self'"}


def _throttle(request: Request) -> Throttle:
    state = request.app.state
    if getattr(state, "token_guesses", None) is None:
        state.token_guesses = Throttle(GUESSES, GUESS_WINDOW)
    throttle: Throttle = state.token_guesses
    return throttle


def _not_found(request: Request) -> Response:
    from pipeline.core.errors import Message
    from pipeline.web.app import preferred_language

    _throttle(request).failed(client_key(request))
    language = preferred_language(request.headers.get("accept-language"))
    return PlainTextResponse(Message("page_not_found").text(language), status_code=404, headers=HEADERS)


def _respond(request: Request, response: Response, browser_id: str, fresh: bool) -> Response:
    if fresh:
        response.set_cookie(COOKIE, browser_id, httponly=True, samesite="lax", path="/p/",
                            secure=config(request).secure_cookies)
    for key, value in HEADERS.items():
        response.headers.setdefault(key, value)
    return response


async def participant_page(request: Request) -> Response:
    """GET shows the page, POST keeps one form's answers and comes back to it (POST-redirect-GET)."""
    token = str(request.path_params.get("token", ""))
    throttle = _throttle(request)
    if throttle.wait(client_key(request)) > 0:
        return PlainTextResponse("429", status_code=429, headers={**HEADERS, "Retry-After": str(int(GUESS_WINDOW))})
    store = existing_store(oogst(request).state_dir, config(request).out_dir)
    invitation = store.find(token) if store is not None and TOKEN.fullmatch(token) else None
    session = Session(config(request).out_dir / invitation.session) if invitation is not None else None
    if store is None or invitation is None or session is None or not session.root.is_dir():
        return _not_found(request)
    cfg = config(request)
    browser_id = request.cookies.get(COOKIE)
    fresh = browser_id is None
    browser_id = browser_id or cfg.guard.new_id()
    csrf = cfg.guard.csrf_token(browser_id)
    state = invitation.state()
    if state == "expired" and store.round_over(invitation.session):
        state = "round_over"  # the round's deadline passed: it counts as closed
    if state == "ok":  # a version sent since the invitation: the page shows it, the answers carried over
        invitation = await in_thread(follow_latest, session, store, invitation)
    insights, title = await in_thread(_version_insights, session, invitation)
    language = insights.language
    words = texts(language, "participant")
    if state != "ok":
        message = words[state].format(date=format_date(invitation.deadline, language))
        html = _env.get_template("participant_closed.html").render(lang=language, p=words, message=message)
        return _respond(request, HTMLResponse(html, status_code=410), browser_id, fresh)
    if request.method == "POST":
        data = await read_form(request)
        if fresh or not cfg.guard.check_csrf(browser_id, str(data.get(CSRF_FIELD) or "")):
            from pipeline.core.errors import Message

            return _respond(request, PlainTextResponse(Message("csrf_expired").text(language), status_code=403),
                            browser_id, fresh)
        item = await in_thread(_save, store, invitation, {k: str(v) for k, v in data.items()})
        if item:
            store.update_seen(invitation)  # they answer on the new version: "since your last visit" is said
        if "application/json" in request.headers.get("accept", ""):  # app.js saved it without leaving the page
            return _respond(request, JSONResponse({"saved": item, "message": words["saved"] if item else ""},
                                                  status_code=200 if item else 400), browser_id, fresh)
        anchor = f"#{item.partition(':')[2] if item.startswith('carried:') else item.replace(':', '-')}" if item else ""
        return _respond(request, RedirectResponse(f"/p/{token}?saved={item}{anchor}", status_code=303),
                        browser_id, fresh)
    store.opened(invitation)
    answers = store.answers_of(invitation.session, invitation.version, invitation.participant)
    facilitator, _where = cfg.facilitator()
    named = facilitator.split("<")[0].strip() if facilitator else ""
    who = f"{words['facilitator']} ({named})" if named else words["facilitator"]
    carried = await in_thread(shown_carried, session, invitation.version)
    show = shown(session)  # the facilitator's opt-ins: the quoted lines, the group's answers
    group = group_answers(store, invitation.session, invitation.version, invitation.participant) if show["group"] \
        else {}
    html = _env.get_template("participant.html").render(show=show, group=group,
        lang=language, p=words, name=invitation.participant, insights=insights, answers=answers, csrf=csrf,
        csrf_field=CSRF_FIELD, token=token, top=min(TOP_N, len(insights.insights)), item_of=item_of,
        saved=request.query_params.get("saved"), title=title, carried=carried,
        updated=_updated(store.update_of(invitation), words),
        deadline=format_date(invitation.deadline, language), who=who)
    return _respond(request, HTMLResponse(html), browser_id, fresh)


async def answers_copy(request: Request) -> Response:
    """The participant's own answers as plain text (a copy to keep); the same token, nothing else."""
    token = str(request.path_params.get("token", ""))
    if _throttle(request).wait(client_key(request)) > 0:
        return PlainTextResponse("429", status_code=429, headers=HEADERS)
    store = existing_store(oogst(request).state_dir, config(request).out_dir)
    invitation = store.find(token) if store is not None and TOKEN.fullmatch(token) else None
    session = Session(config(request).out_dir / invitation.session) if invitation is not None else None
    if (store is None or invitation is None or session is None or not session.root.is_dir()
            or invitation.state() == "revoked"):
        return _not_found(request)
    insights, title = await in_thread(_version_insights, session, invitation)
    words = texts(insights.language, "participant")
    answers = store.answers_of(invitation.session, invitation.version, invitation.participant)
    lines = [words["page_title"].format(title=title), words["hello"].format(name=invitation.participant), ""]
    labels = {"agree": words["agree"], "disagree": words["disagree"]}
    for insight in insights.insights[:TOP_N]:
        item = item_of("insight", insight.rank)
        given = [labels.get(answers.get((item, "vote"), ""), "")]
        given += [f"{words['wording']}: {answers[(item, 'wording')]}" if (item, "wording") in answers else "",
                  f"{words['remark']}: {answers[(item, 'remark')]}" if (item, "remark") in answers else ""]
        lines += [f"{insight.rank}. {insight.title}", *([f"   {g}" for g in given if g] or ["   –"])]
    views = {"agree": words["right"], "disagree": words["wrong"]}
    if insights.actions:
        lines += ["", words["actions"]]
    for n, action in enumerate(insights.actions, start=1):
        item = item_of("action", n)
        given = [views.get(answers.get((item, "vote"), ""), ""),
                 f"{words['remark']}: {answers[(item, 'remark')]}" if (item, "remark") in answers else ""]
        lines += [f"{n}. {action.text}", *([f"   {g}" for g in given if g] or ["   –"])]
    carried = shown_carried(session, invitation.version)
    if carried:
        lines += ["", words["carried"]]
    for row in carried:
        given = [words["done"] if answers.get((row.item, "done")) == "1" else "",
                 f"{words['remark']}: {answers[(row.item, 'remark')]}" if (row.item, "remark") in answers else ""]
        lines += [f"- {row.text}", *([f"   {g}" for g in given if g] or ["   –"])]
    if ("missing", "text") in answers:
        lines += ["", words["missing"], f"   {answers[('missing', 'text')]}"]
    if answers.get(("all", "approve")) == "1":
        lines += ["", words["approved"]]
    response = PlainTextResponse("\n".join(lines) + "\n", headers={
        **HEADERS, "Content-Disposition": 'attachment; filename="antwoorden.txt"'})
    return response


def _updated(changes: dict[str, Any] | None, words: Any) -> str | None:
    """"Sinds je laatste bezoek is de versie bijgewerkt: ..." for a version sent since the participant's visit."""
    if changes is None:
        return None
    parts = [words[f"updated_{key}"].format(items=", ".join(f"\u201c{t}\u201d" for t in changes[key]))
             for key in ("reworded", "new", "gone") if changes.get(key)]
    parts += [words[f"updated_{key}"] for key in ("moved", "actions") if changes.get(key)]
    return str(words["updated"]).format(changes="; ".join(parts) or words["updated_none"])


def _version_insights(session: Session, invitation: Invitation) -> tuple[Any, str]:
    from pipeline.review.round import shown_version

    return shown_version(session, invitation.version, invitation.insights_hash)


def _save(store: Any, invitation: Invitation, data: dict[str, str]) -> str:
    """Keep the answers of one form: an insight's (vote, wording, remark), the missing line, or the approval."""
    item = data.get("item", "")
    if re.fullmatch(r"insight:\d{1,3}", item):
        vote = data.get("vote", "")
        store.save(invitation, item, "vote", vote if vote in ("agree", "disagree") else "")
        store.save(invitation, item, "wording", data.get("wording", ""))
        store.save(invitation, item, "remark", data.get("remark", ""))
    elif re.fullmatch(r"action:\d{1,3}", item):  # klopt / klopt niet, and why
        vote = data.get("vote", "")
        store.save(invitation, item, "vote", vote if vote in ("agree", "disagree") else "")
        store.save(invitation, item, "remark", data.get("remark", ""))
    elif re.fullmatch(r"carried:carried_[0-9a-f]{6,40}", item):  # an earlier session's action: done?
        store.save(invitation, item, "done", "1" if data.get("done") == "1" else "")
        store.save(invitation, item, "remark", data.get("remark", ""))
    elif item == "missing":
        store.save(invitation, item, "text", data.get("text", ""))
    elif item == "all":
        store.save(invitation, item, "approve", "1" if data.get("approve") == "1" else "")
    else:
        return ""
    return item


# -- the facilitator's side, on the review page --------------------------------------------------------------------
async def invite_page(request: Request) -> Response:
    """Invite (or remind) the participants; the page shows the links, mailed or to pass on."""
    from pipeline.mail.settings import load_mail_settings
    from pipeline.rounds import invite
    from pipeline.web.pages_review import _nav, review_state, round_closed, round_gate, round_rows

    session = session_of(request)
    data = request.state.form
    remind = data.get("do") == "remind"
    cfg = config(request)
    import os

    env = dict(os.environ)
    send = bool(load_mail_settings(env, cfg.settings.config_path).host)
    base = cfg.settings.section("web").get("public_url") or f"{request.url.scheme}://{request.url.netloc}"
    chosen = data.get("shown") == "1"  # the form's two opt-ins (an unchecked box sends nothing)
    invited = await in_thread(lambda: invite(oogst(request), session, base_url=str(base), send=send, env=env,
                                                            reminder=remind,
                                                            facilitator=cfg.facilitator()[0],
                                             show_quotes=(data.get("show_quotes") == "1") if chosen else None,
                                             show_group=(data.get("show_group") == "1") if chosen else None,
                                             reopen=data.get("do") == "reopen"))
    return render(request, "review.html", **_nav(request, session),
                  r=review_state(session, request.state.lang, round_gate(request, session)),
                  notice=None, before=False, invited=invited, round=round_rows(request, session),
                  closed=round_closed(request, session),
                  p=texts(request.state.lang, "participant"))


async def collect_answers(request: Request) -> Response:
    """Count the browser answers (and the copies collected before) into review.json, final.json, final.docx."""
    from pipeline.rounds import collect

    session = session_of(request)
    await in_thread(collect, oogst(request), session)
    return RedirectResponse(f"/s/{session.name}/review#final", status_code=303)


async def close_round(request: Request) -> Response:
    """Close the round (the links say so) and count the answers into the final."""
    from pipeline.rounds import close

    session = session_of(request)
    await in_thread(close, oogst(request), session)
    return RedirectResponse(f"/s/{session.name}/review#final", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/p/{token}", participant_page, methods=["GET", "POST"]),
        Route("/p/{token}/answers.txt", answers_copy),
        Route("/s/{name}/review/invite", page(invite_page), methods=["POST"]),
        Route("/s/{name}/review/answers", page(collect_answers), methods=["POST"]),
        Route("/s/{name}/review/close", page(close_round), methods=["POST"]),
    ]
