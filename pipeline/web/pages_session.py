"""Pages of one processed session: speakers (a clip each, share of speaking time, names), the transcript (play from
a line, uncertain words marked, corrections kept in corrections.json), and the top 7 and actions (edit wording,
reorder, drop, promote a transcript line, set an action's owner or due date: edits.json, `core.layers`); every
change goes through the service, and the draft is rewritten."""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import logging
import re
import sys
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.errors import EditConflict, InputError, SessionError
from pipeline.core.language import moment, texts
from pipeline.core.layers import correction_of, key_time, text_key
from pipeline.core.replace import shown_texts
from pipeline.core.session import (
    CORRECTIONS,
    DIARIZATION,
    EDITS,
    INSIGHTS,
    NAMES,
    REPLACEMENTS,
    SPEAKER_CHANGES,
    TURNS,
    Session,
)
from pipeline.core.types import TOP_N, Insight, Insights, Recognised, Turns
from pipeline.service import Edit
from pipeline.speakers.clips import heard_words, ready_clips, speaker_rows
from pipeline.speakers.per_turn import split_ids
from pipeline.web.app import (
    PAGE_TURNS,
    PageError,
    form,
    in_thread,
    oogst,
    page,
    page_of,
    render,
    session_of,
    version_of,
)
from pipeline.web.pages_sessions import conflict_page, session_info

log = logging.getLogger(__name__)


def _turns(session: Session) -> Turns:
    if not session.has(TURNS):
        raise PageError("not_processed", 409, name=session.name)
    return session.turns()


def _has_audio(session: Session) -> bool:
    from pipeline.ingest.audio import is_audio_file

    recording = session.recording()
    return recording is not None and is_audio_file(recording)


def speaking_section(turns: Turns, lang: str) -> dict[str, Any]:
    """What the draft's "Spreektijd" shows (`review.sections`): the table, the chart as a data URI, the note."""
    import base64

    from pipeline.core.language import clock, texts
    from pipeline.review.sections import chart_png, dominant, percent, speaking_times

    times = speaking_times(turns)
    lab = texts(lang, "speaking")
    most = dominant(times)
    return {"lab": lab, "rows": [{"name": p.name, "share": percent(p.share), "time": clock(p.seconds),
                                  "turns": p.turns, "longest": clock(p.longest)} for p in times],
            "chart": ("data:image/png;base64," + base64.b64encode(chart_png(times, lang)).decode()) if times else "",
            "note": lab["note"].format(name=most.name, share=percent(most.share), n=len(times)) if most else ""}


def named_rows(turns: Turns) -> list[dict[str, Any]]:
    """The speakers page's rows: a speaker without a name yet ("Spreker 1") gets an empty field with that as its
    placeholder, so typing a name does not add to it."""
    from pipeline.speakers.diarize import default_names

    labels = list(turns.speakers)
    defaults = set(default_names(labels, "nl").values()) | set(default_names(labels, "en").values())
    rows = speaker_rows(turns)
    for row in rows:
        row["value"] = "" if row["name"] in defaults else row["name"]
    return rows


async def speakers(request: Request) -> Response:
    session = session_of(request)
    turns = _turns(session)
    return render(request, "speakers.html", s=session_info(request, session), has_turns=True,
                  rows=named_rows(turns), audio=_has_audio(session), saved=request.query_params.get("saved"),
                  speaking=speaking_section(turns, request.state.lang), version=session.version(NAMES),
                  who=speaker_form(session))


_cutting: dict[str, asyncio.Lock] = {}  # per session: one helper process cuts its clips, the other requests wait


async def clip(request: Request) -> Response:
    """A speaker's clip, as the worker cut it; a session cut before (or run by `oogst run`) gets its clips from a
    short-lived helper process (`python -m pipeline.speakers.clips`): the web process never decodes audio."""
    session = session_of(request)
    try:
        index = int(str(request.path_params["index"]))
    except ValueError:
        raise PageError("no_clip", 404) from None
    clips = await in_thread(ready_clips, session)
    if clips is None:
        if session.recording() is None:
            raise PageError("no_recording", 404, name=session.name)
        async with _cutting.setdefault(session.name, asyncio.Lock()):
            clips = await in_thread(ready_clips, session)
            if clips is None:
                helper = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "pipeline.speakers.clips", str(session.root),
                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
                _, said = await asyncio.wait_for(helper.communicate(), timeout=300)
                if helper.returncode:
                    log.warning("clips of %s: %s", session.name, said.decode(errors="replace").strip())
                clips = await in_thread(ready_clips, session)
    path = (clips or {}).get(index)
    if path is None or not path.is_file():
        raise PageError("no_clip", 404)
    return FileResponse(path, media_type="audio/wav")


async def audio(request: Request) -> Response:
    """The recording itself, with range requests, for playing from a transcript line."""
    session = session_of(request)
    recording = session.recording()
    if recording is None or not _has_audio(session):
        raise PageError("no_recording", 404, name=session.name)
    return FileResponse(recording)


async def name_speakers(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    rows = speaker_rows(_turns(session))
    mapping = {}
    for row in rows:
        given = " ".join(data.get(f"name_{row['index']}", "").split())
        if given and given != row["name"]:
            mapping[row["label"]] = given[:80]
    if mapping:
        try:  # what `oogst names` does
            await in_thread(oogst(request).name_speakers, session, mapping, base=version_of(data))
        except EditConflict as exc:
            return conflict_page(request, session, exc, data, back=f"/s/{session.name}/speakers", rows=[
                {"what": row["label"], "theirs": row["name"],
                 "yours": " ".join(data.get(f"name_{row['index']}", "").split()) or row["name"]} for row in rows])
    return RedirectResponse(f"/s/{session.name}/speakers?saved=1", status_code=303)




def speaker_form(session: Session) -> dict[str, Any]:
    """What the transcript and speakers pages need for their speaker controls (`pages_speakers`): the speakers a
    line can go to (label, shown name), the layer's version and how many changes it holds."""
    turns = _turns(session)
    return {"choices": [{"label": label, "name": turns.name(label)} for label in turns.speakers],
            "version": session.version(SPEAKER_CHANGES), "changes": len(session.speaker_changes())}


def transcript_lines(session: Session, first: int = 0, last: int | None = None,
                     low: float = 0.0) -> list[dict[str, Any]]:
    """Turns `first`..`last` for the page: speaker, time, text as words (those under probability `low` marked: the
    model's word threshold, `Oogst.recognition`; 0 marks none, for a caller that reads only the text), the
    correction if any."""
    turns = _turns(session)
    words = sorted(heard_words(session), key=lambda w: (w.start + w.end) / 2)
    middles = [(w.start + w.end) / 2 for w in words]
    corrections = session.corrections()
    page = dataclasses.replace(turns, turns=turns.turns[first:last])
    heard = session.diarization() if session.has(DIARIZATION) else None
    rules = session.replacements()
    split = split_ids(session.speaker_changes())
    shown = shown_texts(page, heard, corrections, rules)  # corrections and find-and-replace rules, as the names stage
    plain = shown_texts(page, heard, corrections, []) if rules else shown  # without the rules: what they changed
    lines = []
    for n, turn in enumerate(turns.turns[first:last], first):
        correction = correction_of(corrections, turn)  # by id (by start in a file written before ids)
        text = shown[n - first]
        if turn.id in split:  # a part of a split turn: the layers above cannot rebuild it from diarization.json
            text = str(correction["text"]) if correction else turn.text
        tokens: list[tuple[str, bool]] = []
        if correction is None:
            inside = words[bisect.bisect_left(middles, turn.start - 0.01):
                           bisect.bisect_right(middles, turn.end + 0.01)]
            tokens = [(w.word.strip(), w.probability < low) for w in inside]
            if " ".join(t for t, _ in tokens).split() != text.split():
                tokens = [(text, False)]  # the turn text was changed since: show it as it is
        lines.append({"n": n, "id": turn.id, "label": turn.speaker, "start": turn.start, "end": turn.end,
                      "speaker": turns.name(turn.speaker),
                      "text": text, "tokens": tokens or [(text, False)], "corrected": correction is not None,
                      "original": correction.get("original") if correction else None,
                      "replaced": plain[n - first] if plain[n - first] != text else None})
    return lines


async def transcript(request: Request) -> Response:
    """The transcript a page of PAGE_TURNS lines at a time (`?from=N`), with links to the other pages."""
    session = session_of(request)
    recognition = oogst(request).recognition(session)
    total = len(_turns(session).turns)
    try:
        first = page_of(max(0, int(request.query_params.get("from", "0"))))
    except ValueError:
        first = 0
    wanted = request.query_params.get("turn")  # a turn by its id (a search result): the page that holds it now
    if wanted:
        first = next((page_of(n) for n, t in enumerate(_turns(session).turns) if t.id == wanted), first)
    first = min(first, page_of(max(0, total - 1)))
    last = min(total, first + PAGE_TURNS)
    pages = [{"from": start, "n": start // PAGE_TURNS + 1, "here": start == first}
             for start in range(0, total, PAGE_TURNS)]
    low = recognition.word_low if recognition else 0.0
    return render(request, "transcript.html", s=session_info(request, session), has_turns=True,
                  lines=await in_thread(transcript_lines, session, first, last, low), audio=_has_audio(session),
                  saved=request.query_params.get("saved"), pages=pages if len(pages) > 1 else [],
                  span={"first": first + 1, "last": last, "total": total},
                  earlier=first - PAGE_TURNS if first else None, later=last if last < total else None,
                  version=session.version(CORRECTIONS), edits_version=session.version(EDITS),
                  unplaced=[{**e, "when": key_time(str(e.get("key", ""))) or 0.0}  # a start or a turn id
                            for e in session.unplaced_corrections()], rules=session.replacements(),
                  replace_version=session.version(REPLACEMENTS), replaced=request.query_params.get("replaced"),
                  undone=request.query_params.get("undone"), who=speaker_form(session))


async def correct_line(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    _turns(session)
    try:
        n = int(data.get("n", ""))
    except ValueError:
        raise PageError("line_gone", 409) from None
    if data.get("turn"):  # the line by its turn id: a split or merge since the page was shown renumbered the lines
        n = next((i for i, t in enumerate(_turns(session).turns) if t.id == data["turn"]), -1)
    try:
        await in_thread(oogst(request).correct_line, session, n, data.get("text", ""), base=version_of(data))
    except EditConflict as exc:
        line = next((line for line in transcript_lines(session, n, n + 1) if line["n"] == n), None)
        if line is None:
            raise PageError("line_gone", 409) from None
        return conflict_page(request, session, exc, data, back=f"/s/{session.name}/transcript?from={page_of(n)}#t{n}",
                             rows=[{"what": f"{moment(line['start'])} {line['speaker']}", "theirs": line["text"],
                                    "yours": data.get("text", "")}])
    return RedirectResponse(f"/s/{session.name}/transcript?from={page_of(n)}&saved=1#t{n}", status_code=303)


def shown(request: Request, session: Session) -> Insights:
    """insights.json with the edits, dropped ones kept (marked) so they can be restored."""
    if not session.has(INSIGHTS):
        raise PageError("no_insights_yet", 409, name=session.name)
    return oogst(request).shown_insights(session)


def source_line(turns: Turns, insight: Insight) -> int | None:
    """The transcript line (turn index) of the quote the insight's text was taken from (most words in common)."""
    said = set(re.findall(r"\w+", insight.text.lower()))
    quote = max(insight.quotes, key=lambda q: len(said & set(re.findall(r"\w+", q.text.lower()))), default=None)
    if quote is None:
        return None
    return turns.at(quote.start)


def insight_items(current: Insights, recognition: Recognised | None = None,
                  turns: Turns | None = None) -> list[dict[str, Any]]:
    """The top 7 page's insights, numbered as the draft numbers them: a dropped one has no number and leaves no
    gap; with `recognition`, those built on uncertain words are marked (`unsure`, with their transcript `line`)."""
    items: list[dict[str, Any]] = []
    number = 0
    for insight in current.insights:
        if not insight.dropped:
            number += 1
        unsure = recognition is not None and recognition.unsure(insight)
        items.append({"key": insight.key or text_key(insight.text), "number": None if insight.dropped else number,
                      "title": insight.title, "text": insight.text, "speakers": ", ".join(insight.speakers),
                      "edited": insight.edited, "dropped": insight.dropped, "original": insight.original_text,
                      "confidence": insight.confidence, "unsure": unsure,
                      "line": source_line(turns, insight) if unsure and turns is not None else None})
    return items


def action_items(request: Request, session: Session) -> list[dict[str, Any]]:
    """The actions with the edits, dropped ones kept (marked) so they can be restored."""
    found = {text_key(a.text): a for a in session.insights().actions}
    items = []
    for action, dropped in oogst(request).shown_actions(session):
        original = found.get(action.id or "")
        items.append({"key": action.id, "owner": action.owner or "", "due": action.due or "", "text": action.text,
                      "dropped": dropped, "added": original is None,
                      "edited": original is not None and original.text != action.text,
                      "original": original.text if original is not None else None})
    return items


def insights_page_response(request: Request, session: Session, *, problem: dict[str, Any] | None = None,
                           status: int = 200) -> Response:
    """The top 7 page; `problem`: a change that could not be saved ({"key", "text", "fields"}), shown at its item
    with the form as it was filled in."""
    recognition = oogst(request).recognition(session)
    items = insight_items(shown(request, session), recognition, _turns(session) if recognition else None)
    count = min(TOP_N, sum(1 for item in items if not item["dropped"]))
    return render(request, "insights.html", status=status, s=session_info(request, session), has_turns=True,
                  items=items, actions=action_items(request, session), top_n=TOP_N, count=count,
                  saved=request.query_params.get("saved") if problem is None else None, problem=problem,
                  version=session.version(EDITS), recognition=recognition)


async def insights_page(request: Request) -> Response:
    return insights_page_response(request, session_of(request))


def edit_of(data: dict[str, str]) -> Edit:
    """The page's form as one change."""
    line = None
    if data.get("do") == "promote":
        try:
            line = int(data.get("n", ""))
        except ValueError:
            raise PageError("line_gone", 409) from None
    return Edit(data.get("do", ""), data.get("key", ""), data.get("title", ""), data.get("text", ""), line,
                data.get("owner", ""), data.get("due", ""))


def edit_conflict_rows(request: Request, session: Session, data: dict[str, str]) -> list[dict[str, Any]]:
    """What a change from an older top 7 page touches, as saved now and as that page would save it."""
    words = texts(request.state.lang, "web")
    items = insight_items(shown(request, session))
    actions = action_items(request, session)
    item = next((i for i in items if i["key"] == data.get("key")), None)
    action = next((a for a in actions if a["key"] == data.get("key")), None)
    do = data.get("do", "")
    if do == "save":
        return [{"what": words["title"], "theirs": item["title"] if item else "", "yours": data.get("title", "")},
                {"what": words["sentence"], "theirs": item["text"] if item else "", "yours": data.get("text", "")}]
    if do == "action":
        return [{"what": words[field], "theirs": action[key] if action else "", "yours": data.get(key, "")}
                for field, key in (("action", "text"), ("owner", "owner"), ("due", "due"))]
    if do in ("drop_action", "restore_action", "add_action"):
        listed = "\n".join(f"– {a['text']}" for a in actions if not a["dropped"])
        what = data.get("text", "") if do == "add_action" else (action["text"] if action else "")
        return [{"what": words["actions"], "theirs": listed, "yours": f"{words[do]}: {what}"}]
    top = "\n".join(f"{i['number']}. {i['title']}" for i in items if not i["dropped"])
    if do == "promote":
        lines = transcript_lines(session)
        n = edit_of(data).line
        what = next((line["text"] for line in lines if line["n"] == n), "")
    else:
        what = item["title"] if item else ""
    return [{"what": words["top7"], "theirs": top, "yours": f"{words.get(do, do)}: {what}"}]


async def edit(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    shown(request, session)
    try:
        await in_thread(oogst(request).edit, session, edit_of(data), base=version_of(data))
    except EditConflict as exc:
        return conflict_page(request, session, exc, data, back=f"/s/{session.name}/insights",
                             rows=edit_conflict_rows(request, session, data))
    except (InputError, SessionError) as exc:  # the page again, filled in as it was, the problem at its item
        if exc.key not in ("insight_needs_text", "action_needs_text"):
            raise
        problem = {"key": data.get("key") or data.get("do"), "text": exc.text(request.state.lang), "fields": data}
        return insights_page_response(request, session, problem=problem, status=400)
    anchor = f"#i-{data.get('key')}" if data.get("key") else ""
    if data.get("do", "").endswith("action"):
        anchor = f"#a-{data.get('key')}" if data.get("key") else "#actions"
    return RedirectResponse(f"/s/{session.name}/insights?saved=1{anchor}", status_code=303)


async def export_file(request: Request) -> Response:
    """A download of the Export block: `?format=txt|docx|vtt|srt|md|ics`, `&originals=1` for real names."""
    session = session_of(request)
    result = await in_thread(oogst(request).export, session, str(request.query_params.get("format", "")),
                             originals=request.query_params.get("originals") == "1")
    return Response(result.data, media_type=result.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{result.filename}"'})


def routes() -> list[Route]:
    return [
        Route("/s/{name}/speakers", page(speakers)),
        Route("/s/{name}/speakers", page(name_speakers), methods=["POST"]),
        Route("/s/{name}/clips/{index}.wav", page(clip)),
        Route("/s/{name}/audio", page(audio)),
        Route("/s/{name}/transcript", page(transcript)),
        Route("/s/{name}/transcript", page(correct_line), methods=["POST"]),
        Route("/s/{name}/insights", page(insights_page)),
        Route("/s/{name}/insights", page(edit), methods=["POST"]),
        Route("/s/{name}/export", page(export_file)),
    ]
