"""Each speaker's clip: the clearest stretch of their speech (a turn of 1.5 s or more with the most confident
words, up to 8 s), cut from the recording into the session's `.clips/` folder, and each speaker's share of the turns
(what the speakers page shows next to the clip).

Only the clips' own seconds are decoded (`ingest.audio.load_span`). The worker cuts them after a run; the web app
serves what is there and, for a session cut before (or by `oogst run`), runs `python -m pipeline.speakers.clips
SESSION_FOLDER` in a short-lived process: the web process never decodes audio. The stamp in `.clips/` is the spans
the clips were cut for, so naming speakers or correcting a line does not cut them again.
"""

from __future__ import annotations

import bisect
import io
import json
import sys
import threading
import wave
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.core.errors import OogstError, SessionError
from pipeline.core.session import CLIPS, CLIPS_STAMP, TRANSCRIPT, TURNS, Session, atomic_write_bytes
from pipeline.core.types import SAMPLE_RATE, Turns, Word

CLIP_SECONDS = 8.0
_clip_lock = threading.Lock()


def heard_words(session: Session) -> list[Word]:
    """The recogniser's words with their probabilities ([] for an imported transcript)."""
    if not session.has(TRANSCRIPT):
        return []
    transcript = session.transcript()
    return [] if transcript.words_estimated else list(transcript.words)


def clearest_turns(turns: Turns, words: list[Word]) -> dict[str, tuple[float, float]]:
    """Per speaker, the span of their clearest speech: a turn of 1.5 s or more with the most confident words."""
    ordered = sorted(words, key=lambda w: (w.start + w.end) / 2)
    middles = [(w.start + w.end) / 2 for w in ordered]
    sums = np.concatenate([[0.0], np.cumsum([w.probability for w in ordered])])  # the mean of any run of words

    def mean_probability(start: float, end: float) -> float:
        lo, hi = bisect.bisect_left(middles, start), bisect.bisect_right(middles, end)
        return float((sums[hi] - sums[lo]) / (hi - lo)) if hi > lo else 0.0

    best: dict[str, tuple[float, tuple[float, float]]] = {}
    for turn in turns.turns:
        length = turn.end - turn.start
        score = mean_probability(turn.start, turn.end) * min(length, CLIP_SECONDS) / CLIP_SECONDS
        score += 0.001 * min(length, CLIP_SECONDS)  # without probabilities: the longest turn
        if length >= 1.5 or turn.speaker not in best:
            if turn.speaker not in best or score > best[turn.speaker][0]:
                best[turn.speaker] = (score, (turn.start, min(turn.end, turn.start + CLIP_SECONDS)))
    return {label: span for label, (_, span) in best.items()}


def speaker_rows(turns: Turns) -> list[dict[str, Any]]:
    """Per speaker label: its index (the clip's number), label, name, share and seconds of speech, turns."""
    spoken: dict[str, float] = defaultdict(float)
    for turn in turns.turns:
        spoken[turn.speaker] += turn.end - turn.start
    total = sum(spoken.values()) or 1.0
    labels = sorted(set(turns.speakers) | set(spoken))
    return [{"index": n, "label": label, "name": turns.name(label), "share": spoken[label] / total,
             "seconds": spoken[label], "turns": sum(1 for t in turns.turns if t.speaker == label)}
            for n, label in enumerate(labels)]


def _wav(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def _spans(session: Session) -> tuple[dict[int, Path], dict[int, tuple[float, float]], str]:
    """{index: clip path}, {index: span to cut}, and the stamp of those spans."""
    turns = session.turns()
    rows = speaker_rows(turns)
    spans = clearest_turns(turns, heard_words(session))
    folder = session.path(CLIPS)
    clips = {row["index"]: folder / f"{row['index']}.wav" for row in rows}
    cut = {row["index"]: spans[row["label"]] for row in rows if row["label"] in spans}
    recording = session.recording()
    stamp = json.dumps({"recording": recording.name if recording else None,
                        "spans": {str(i): [round(a, 3), round(b, 3)] for i, (a, b) in sorted(cut.items())}})
    return clips, cut, stamp


def ready_clips(session: Session) -> dict[int, Path] | None:
    """The clips when they were cut for the session as it is now, else None (cheap: no audio is read)."""
    if not session.has(TURNS):
        return None
    clips, _, stamp = _spans(session)
    written = session.path(CLIPS) / CLIPS_STAMP
    try:
        return clips if written.read_text(encoding="utf-8") == stamp else None
    except OSError:
        return None


def write_clips(session: Session) -> dict[int, Path]:
    """Cut every speaker's clip from the recording into <session>/.clips/ (only their seconds are decoded, and only
    when the spans changed); {index: path}."""
    from pipeline.ingest.audio import load_span

    with _clip_lock:
        clips, cut, stamp = _spans(session)
        written = session.path(CLIPS) / CLIPS_STAMP
        if written.is_file() and written.read_text(encoding="utf-8") == stamp:
            return clips
        recording = session.recording()
        if recording is None:
            raise SessionError(f"outputs/{session.name}: the recording is not in the session folder, so there are "
                               "no clips", "no_recording", name=session.name)
        for index, (start, end) in cut.items():
            piece = load_span(recording, max(0.0, start - 0.2), end + 0.2)
            atomic_write_bytes(clips[index], _wav(piece))
        atomic_write_bytes(written, stamp.encode("utf-8"))
    return clips


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline.speakers.clips SESSION_FOLDER`: cut the session's clips (the web app's helper process)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pipeline.speakers.clips SESSION_FOLDER", file=sys.stderr)
        return 2
    try:
        write_clips(Session(Path(args[0])))
    except OogstError as exc:
        print(f"clips: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
