"""Pages of the retention policy and of forgetting a person: the settings page (switch the policy on, the days), the
session page's "what goes when" block with its hold button, the sessions page's notice (no choice made yet; what
goes in the coming week), and a series' "forget a person" page (a dry run first, then the change). Everything goes
through the service (`Oogst.retention_policy`, `hold`, `forget_person`); the policy chosen here is kept in the
state folder (`retention.policy.save_policy`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import ConfigError
from pipeline.core.language import format_date, texts
from pipeline.core.session import Session, sessions_in
from pipeline.jobs.queue import default_state_dir
from pipeline.retention.policy import Policy, checked, held, plan, record, save_policy
from pipeline.web.app import config, form, in_thread, oogst, page, render, session_of
from pipeline.web.pages_series import series_of_url

WEEK = dt.timedelta(days=7)


def policy_of(request: Request) -> Policy:
    cfg = config(request)
    return cfg.service.retention_policy(cfg.state_dir)


def _when(moment: dt.datetime | None, now: dt.datetime, lang: str, words: Any) -> str:
    if moment is None:
        return str(words["when_mail"])
    return str(words["when_past"]) if moment <= now else format_date(moment.date(), lang)


def retention_view(request: Request, session: Session) -> dict[str, Any]:
    """The session page's "what goes when": each item with its date, the hold, what was deleted before."""
    lang = request.state.lang
    words = texts(lang, "retention")
    policy = policy_of(request)
    now = dt.datetime.now(dt.UTC)
    rows: dict[str, list[str]] = {}  # by date, in the plan's order: the sound first, then the copies
    for item in plan(session, policy):
        rows.setdefault(_when(item.when, now, lang, words), []).append(str(words[f"what_{item.what}"]))
    removed = [{"date": format_date(dt.date.fromisoformat(str(e.get("at", ""))[:10]), lang),
                "files": _listed([str(words.get(f"what_{w}", w)) for w in e.get("what", [])] or
                                 [str(f) for f in e.get("files", [])])}
               for e in record(session).get("removed", []) if str(e.get("at", ""))[:10]]
    return {"r": words, "on": policy.on, "held": held(session), "removed": removed,
            "rows": [{"when": when, "what": _listed(what)} for when, what in rows.items()]}


def _listed(items: list[str]) -> str:
    """"De opname, fragmenten per spreker, stemkenmerken": the first as it is, the others in lower case."""
    return ", ".join([items[0]] + [i[:1].lower() + i[1:] for i in items[1:]]) if items else ""


def week_view(request: Request) -> dict[str, Any]:
    """The sessions page's notice: whether a policy was chosen, and what goes in the coming week."""
    policy = policy_of(request)
    lang = request.state.lang
    words = texts(lang, "retention")
    now = dt.datetime.now(dt.UTC)
    going: dict[tuple[str, str], list[str]] = {}  # (session, when) -> what goes then
    first: dict[str, str] = {}  # session -> when its recording goes (the list's row)
    for folder in sorted(sessions_in(config(request).out_dir)):
        for item in plan(Session(folder), policy):
            if item.what == "recording":
                first[folder.name] = words["row_recording"].format(when=_when(item.when, now, lang, words))
            if item.when is not None and item.when <= now + WEEK:
                going.setdefault((folder.name, _when(item.when, now, lang, words)), []).append(
                    str(words[f"what_{item.what}"]))
    return {"r": words, "chosen": policy.source != "default", "on": policy.on, "rows": first,
            "going": [{"session": name, "when": when, "what": _listed(what)} for (name, when), what in going.items()]}


async def settings_page(request: Request) -> Response:
    policy = policy_of(request)
    return render(request, "settings.html", r=texts(request.state.lang, "retention"), p=policy,
                  saved=request.query_params.get("saved"), problem=None)


async def settings_save(request: Request) -> Response:
    data = form(request)
    values = {"enabled": data.get("enabled") == "1", "days": str(data.get("days") or "").strip(),
              "after": str(data.get("after") or "mail"), "copies_days": str(data.get("copies_days") or "").strip()}
    words = texts(request.state.lang, "retention")
    try:
        policy = checked(values, words["title"], "page")
        if policy.enabled and policy.days is None:
            raise ConfigError("days: give a number of days", "retention_days", setting=words["days"], value="")
    except ConfigError as exc:
        shown = Policy(None, str(values["after"]), None, bool(values["enabled"]), "page")
        return render(request, "settings.html", status=400, r=words, p=shown, saved=None,
                      problem=exc.text(request.state.lang), typed=values)
    cfg = config(request)
    await in_thread(save_policy, cfg.state_dir or default_state_dir(cfg.out_dir), policy)
    return RedirectResponse("/settings?saved=1", status_code=303)


async def hold(request: Request) -> Response:
    """Put the session on hold, or take it off (the button on the session page)."""
    session = session_of(request)
    await in_thread(oogst(request).hold, session, form(request).get("do") != "release")
    return RedirectResponse(f"/s/{session.name}#retention", status_code=303)


async def forget_page(request: Request) -> Response:
    """A series' "forget a person": the form; with do=preview the dry run's list, with do=forget the change."""
    root = series_of_url(request)
    words = texts(request.state.lang, "retention")
    data = form(request) if request.method == "POST" else {}
    person = str(data.get("person") or "").strip()
    label = str(data.get("label") or "").strip() or words["forgotten_label"]
    changes, done = None, None
    if person:
        dry = data.get("do") != "forget"
        result = await in_thread(oogst(request).forget_person, root.name, person, label=label, dry_run=dry)
        out_dir = config(request).out_dir
        changes = [str(p.relative_to(out_dir)) for p in result.deleted] + \
                  [str(p.relative_to(out_dir)) for p, _ in result.rewritten]
        if not dry:
            done = words["forget_done"].format(person=person, n=len(result.sessions))
    return render(request, "forget.html", r=words, series=root.name, person=person, label=label,
                  changes=changes, done=done)


def routes() -> list[Route]:
    return [
        Route("/settings", page(settings_page)),
        Route("/settings/retention", page(settings_save), methods=["POST"]),
        Route("/s/{name}/hold", page(hold), methods=["POST"]),
        Route("/series/{name}/forget", page(forget_page), methods=["GET", "POST"]),
    ]
