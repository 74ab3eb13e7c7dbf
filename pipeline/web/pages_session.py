"""Pages of one processed session: speakers (a clip each, share of speaking time, names), the transcript (play from
a line, uncertain words marked, corrections kept in corrections.json), and the top 7 and actions (edit wording,
reorder, drop, promote a transcript line, set an action's owner or due date: edits.json, `core.layers`); every
change goes through the service, and the draft is rewritten."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.layers import text_key, time_key
from pipeline.core.session import INSIGHTS, TURNS, Session
from pipeline.core.types import TOP_N, Insights, Turns
from pipeline.service import Edit
from pipeline.speakers.clips import heard_words, speaker_rows, write_clips
from pipeline.web.app import PageError, form, in_thread, oogst, page, render, session_of
from pipeline.web.pages_sessions import session_info

LOW_CONFIDENCE = 0.5  # words Whisper gave less than this probability are marked


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


async def speakers(request: Request) -> Response:
    session = session_of(request)
    turns = _turns(session)
    return render(request, "speakers.html", s=session_info(request, session), has_turns=True,
                  rows=speaker_rows(turns), audio=_has_audio(session), saved=request.query_params.get("saved"),
                  speaking=speaking_section(turns, request.state.lang))


async def clip(request: Request) -> Response:
    session = session_of(request)
    try:
        index = int(str(request.path_params["index"]))
    except ValueError:
        raise PageError("no_clip", 404) from None
    path = (await in_thread(write_clips, session)).get(index)
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
    data = form(request)
    rows = speaker_rows(_turns(session))
    mapping = {}
    for row in rows:
        given = " ".join(str(data.get(f"name_{row['index']}", "")).split())
        if given and given != row["name"]:
            mapping[row["label"]] = given[:80]
    if mapping:
        await in_thread(oogst(request).name_speakers, session, mapping)  # what `oogst names` does
    return RedirectResponse(f"/s/{session.name}/speakers?saved=1", status_code=303)


def transcript_lines(session: Session) -> list[dict[str, Any]]:
    """Turns for the page: speaker, time, text as words (uncertain ones marked), the correction if any."""
    turns = _turns(session)
    words = heard_words(session)
    corrections = session.corrections()
    lines = []
    for n, turn in enumerate(turns.turns):
        correction = corrections.get(time_key(turn.start))
        tokens: list[tuple[str, bool]] = []
        if correction is None:
            inside = [w for w in words if turn.start - 0.01 <= (w.start + w.end) / 2 <= turn.end + 0.01]
            tokens = [(w.word.strip(), w.probability < LOW_CONFIDENCE) for w in inside]
            if " ".join(t for t, _ in tokens).split() != turn.text.split():
                tokens = [(turn.text, False)]  # the turn text was changed since: show it as it is
        text = correction["text"] if correction else turn.text
        lines.append({"n": n, "start": turn.start, "end": turn.end, "speaker": turns.name(turn.speaker),
                      "text": text, "tokens": tokens or [(text, False)], "corrected": correction is not None,
                      "original": correction.get("original") if correction else None})
    return lines


async def transcript(request: Request) -> Response:
    session = session_of(request)
    return render(request, "transcript.html", s=session_info(request, session), has_turns=True,
                  lines=transcript_lines(session), audio=_has_audio(session),
                  saved=request.query_params.get("saved"), unplaced=session.unplaced_corrections())


async def correct_line(request: Request) -> Response:
    session = session_of(request)
    data = form(request)
    _turns(session)
    try:
        n = int(str(data.get("n", "")))
    except ValueError:
        raise PageError("line_gone", 409) from None
    await in_thread(oogst(request).correct_line, session, n, str(data.get("text", "")))
    return RedirectResponse(f"/s/{session.name}/transcript?saved=1#t{n}", status_code=303)


def shown(request: Request, session: Session) -> Insights:
    """insights.json with the edits, dropped ones kept (marked) so they can be restored."""
    if not session.has(INSIGHTS):
        raise PageError("no_insights_yet", 409, name=session.name)
    return oogst(request).shown_insights(session)


async def insights_page(request: Request) -> Response:
    session = session_of(request)
    current = shown(request, session)
    items: list[dict[str, Any]] = []
    for insight in current.insights:
        items.append({"key": insight.key or text_key(insight.text), "rank": insight.rank, "title": insight.title,
                      "text": insight.text, "speakers": ", ".join(insight.speakers), "edited": insight.edited,
                      "dropped": insight.dropped, "original": insight.original_text,
                      "confidence": insight.confidence})
    actions = [{"key": text_key(a.text), "owner": a.owner or "", "due": a.due or "", "text": a.text}
               for a in current.actions]
    return render(request, "insights.html", s=session_info(request, session), has_turns=True, items=items,
                  actions=actions, top_n=TOP_N, saved=request.query_params.get("saved"))


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


async def edit(request: Request) -> Response:
    session = session_of(request)
    data = {k: str(v) for k, v in form(request).items()}
    shown(request, session)
    await in_thread(oogst(request).edit, session, edit_of(data))
    anchor = f"#i-{data.get('key')}" if data.get("key") else ""
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
