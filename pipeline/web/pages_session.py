"""Pages of one processed session: speakers (a clip each, share of speaking time, names) and the transcript
(play from a line, uncertain words marked, corrections kept in corrections.json)."""

from __future__ import annotations

import io
import threading
import wave
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from pipeline.core.layers import load_corrections, save_correction, time_key
from pipeline.core.lock import session_lock
from pipeline.core.store import Session, atomic_write_bytes, hash_file, read_json
from pipeline.core.types import SAMPLE_RATE, Transcript, Turns, Word
from pipeline.web.app import PageError, form, in_thread, page, render, session_of
from pipeline.web.pages_sessions import WEB_OWNER, recording_of, session_info, submit_rerun

LOW_CONFIDENCE = 0.5  # words Whisper gave less than this probability are marked
CLIP_SECONDS = 8.0
CLIPS_DIR = ".clips"
_clip_lock = threading.Lock()


def _turns(session: Session) -> Turns:
    if not session.path("turns.json").is_file():
        raise PageError(f"outputs/{session.name}: not processed yet (no turns.json); wait for the job to finish", 409)
    return Turns.from_dict(read_json(session.path("turns.json")))


def _words(session: Session) -> list[Word]:
    path = session.path("transcript.json")
    if not path.is_file():
        return []
    transcript = Transcript.from_dict(read_json(path))
    return [] if transcript.extra.get("words_estimated") else list(transcript.words)


def _has_audio(session: Session) -> bool:
    from pipeline.ingest.audio import is_audio_file

    recording = recording_of(session)
    return recording is not None and is_audio_file(recording)


def _mean_probability(words: list[Word], start: float, end: float) -> float:
    inside = [w.probability for w in words if start <= (w.start + w.end) / 2 <= end]
    return float(np.mean(inside)) if inside else 0.0


def clearest_turns(turns: Turns, words: list[Word]) -> dict[str, tuple[float, float]]:
    """Per speaker, the span of their clearest speech: a turn of 1.5 s or more with the most confident words."""
    best: dict[str, tuple[float, tuple[float, float]]] = {}
    for turn in turns.turns:
        length = turn.end - turn.start
        score = _mean_probability(words, turn.start, turn.end) * min(length, CLIP_SECONDS) / CLIP_SECONDS
        score += 0.001 * min(length, CLIP_SECONDS)  # without probabilities: the longest turn
        if length >= 1.5 or turn.speaker not in best:
            if turn.speaker not in best or score > best[turn.speaker][0]:
                best[turn.speaker] = (score, (turn.start, min(turn.end, turn.start + CLIP_SECONDS)))
    return {label: span for label, (_, span) in best.items()}


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def write_clips(session: Session) -> Path:
    """Cut every speaker's clip from the recording once (one decode) into <session>/.clips/."""
    from pipeline.ingest.audio import load_audio

    folder = session.path(CLIPS_DIR)
    with _clip_lock:
        turns = _turns(session)
        stamp = folder / "turns.sha"
        digest = hash_file(session.path("turns.json"))
        if stamp.is_file() and stamp.read_text() == digest:
            return folder
        recording = recording_of(session)
        if recording is None:
            raise PageError(f"outputs/{session.name}: the recording is not in the session folder, so there are "
                            "no clips", 404)
        audio = load_audio(recording)
        spans = clearest_turns(turns, _words(session))
        for row in speaker_rows(turns):
            if row["label"] not in spans:
                continue
            start, end = spans[row["label"]]
            piece = audio[max(0, int((start - 0.2) * SAMPLE_RATE)): int((end + 0.2) * SAMPLE_RATE)]
            atomic_write_bytes(folder / f"{row['index']}.wav", _wav(piece))
        atomic_write_bytes(stamp, digest.encode())
    return folder


def speaker_rows(turns: Turns) -> list[dict[str, Any]]:
    spoken: dict[str, float] = defaultdict(float)
    for turn in turns.turns:
        spoken[turn.speaker] += turn.end - turn.start
    total = sum(spoken.values()) or 1.0
    labels = sorted(set(turns.speakers) | set(spoken))
    return [{"index": n, "label": label, "name": turns.name(label), "share": spoken[label] / total,
             "seconds": spoken[label], "turns": sum(1 for t in turns.turns if t.speaker == label)}
            for n, label in enumerate(labels)]


def speaking_section(turns: Turns, lang: str) -> dict[str, Any]:
    """What the draft's "Spreektijd" shows (`review.speaking`): the table, the chart as a data URI, the note."""
    import base64

    from pipeline.core.language import clock
    from pipeline.review.speaking import LABELS, chart_png, dominant, percent, speaking_times

    times = speaking_times(turns)
    lab = LABELS[lang if lang in LABELS else "en"]
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
        raise PageError("no such clip", 404) from None
    folder = await in_thread(write_clips, session)
    path = folder / f"{index}.wav"
    if not path.is_file():
        raise PageError("no such clip", 404)
    return FileResponse(path, media_type="audio/wav")


async def audio(request: Request) -> Response:
    """The recording itself, with range requests, for playing from a transcript line."""
    session = session_of(request)
    recording = recording_of(session)
    if recording is None or not _has_audio(session):
        raise PageError(f"outputs/{session.name}: no recording in the session folder", 404)
    return FileResponse(recording)


async def name_speakers(request: Request) -> Response:
    from pipeline.speakers.names import apply_names

    session = session_of(request)
    data = form(request)
    rows = speaker_rows(_turns(session))
    mapping = {}
    for row in rows:
        given = " ".join(str(data.get(f"name_{row['index']}", "")).split())
        if given and given != row["name"]:
            mapping[row["label"]] = given[:80]
    if mapping:
        with session_lock(session.root, WEB_OWNER):
            await in_thread(apply_names, session, mapping)  # what `oogst names` does
        submit_rerun(request, session)
    return RedirectResponse(f"/s/{session.name}/speakers?saved=1", status_code=303)


def transcript_lines(session: Session) -> list[dict[str, Any]]:
    """Turns for the page: speaker, time, text as words (uncertain ones marked), the correction if any."""
    turns = _turns(session)
    words = _words(session)
    corrections = load_corrections(session.root)
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
                  saved=request.query_params.get("saved"))


async def correct_line(request: Request) -> Response:
    session = session_of(request)
    data = form(request)
    turns = _turns(session)
    try:
        n = int(str(data.get("n", "")))
        turn = turns.turns[n]
    except (ValueError, IndexError):
        raise PageError("that transcript line does not exist (any more); reload the page", 409) from None
    text = " ".join(str(data.get("text", "")).split())[:5000]
    previous = load_corrections(session.root).get(time_key(turn.start), {})
    with session_lock(session.root, WEB_OWNER):
        save_correction(session.root, turn.start, text, original=previous.get("original") or turn.text,
                        speaker=turn.speaker)
    submit_rerun(request, session)
    return RedirectResponse(f"/s/{session.name}/transcript?saved=1#t{n}", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/s/{name}/speakers", page(speakers)),
        Route("/s/{name}/speakers", page(name_speakers), methods=["POST"]),
        Route("/s/{name}/clips/{index}.wav", page(clip)),
        Route("/s/{name}/audio", page(audio)),
        Route("/s/{name}/transcript", page(transcript)),
        Route("/s/{name}/transcript", page(correct_line), methods=["POST"]),
    ]
