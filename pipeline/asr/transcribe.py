"""Audio -> Transcript: the transcription stage, with a checkpoint so an interrupted run resumes.

faster-whisper by default (`asr.backends.faster_whisper`), openai-whisper as an option
(`asr.backends.openai_whisper`); both get the same options and their segments pass the same guards (below): filters
for what Whisper invents, subtitle credits on silence, repeated segments, loops inside a segment.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.asr.options import Backend, TranscribeOptions, validate
from pipeline.core.types import SAMPLE_RATE, Segment, Transcript, Word, shift_segment

log = logging.getLogger(__name__)


def get_backend(opts: TranscribeOptions) -> Backend:
    validate(opts)
    if opts.backend == "openai-whisper":
        from pipeline.asr.backends.openai_whisper import OpenAIWhisperBackend

        return OpenAIWhisperBackend(opts)
    from pipeline.asr.backends.faster_whisper import FasterWhisperBackend

    return FasterWhisperBackend(opts)


def transcribe(audio: np.ndarray, opts: TranscribeOptions, progress: Callable[[float], None] | None = None, *,
               backend: Backend | None = None, checkpoint: Path | None = None) -> Transcript:
    """Transcribe 16 kHz mono audio.

    Args:
        progress: called with the share of the audio done (0..1) after each segment.
        backend: a ready backend (tests, benchmarks); default from `opts`.
        checkpoint: a JSON-lines file that receives each segment as it is decoded; when it already holds
            segments from an interrupted run with the same options, transcription resumes after the last one.
    """
    duration = len(audio) / SAMPLE_RATE
    done: list[Segment] = []
    resume_at = 0.0
    language = opts.language
    header = {"options": opts.cache_settings(), "samples": int(len(audio))}
    if checkpoint is not None:
        language, done = _read_checkpoint(checkpoint, header, language)
        if done:
            resume_at = done[-1].end
            log.info("resuming transcription at %.1f s (%d segments kept from the interrupted run)",
                     resume_at, len(done))
    backend = backend or get_backend(opts)
    stats: dict[str, int] = {}
    sink = _open_checkpoint(checkpoint, header, bool(done))
    try:
        if resume_at < duration - 0.5:
            offset = int(resume_at * SAMPLE_RATE)
            detected, raw = backend.transcribe(audio[offset:], opts)
            language = detected if opts.language == "auto" and not done else language
            if sink is not None and not done:
                sink.write(json.dumps({"language": language}) + "\n")
            for seg in clean_segments(raw, stats):
                seg = shift_segment(seg, resume_at) if resume_at else seg
                done.append(seg)
                if sink is not None:
                    sink.write(json.dumps(seg.to_dict(), ensure_ascii=False) + "\n")
                    sink.flush()
                if progress is not None:
                    progress(min(1.0, seg.end / duration))
    finally:
        if sink is not None:
            sink.close()
    if progress is not None:
        progress(1.0)
    extra: dict[str, Any] = {"backend": backend.name}
    for key in ("model_sha256", "precision"):  # the model by its hash, never a path; a scripted backend has neither
        value = getattr(backend, key, None)
        if value:
            extra[key] = value
    if stats:
        extra["filtered"] = stats
    return Transcript(language if language != "auto" else "nl", duration, backend.model_name, tuple(done), extra)


def _read_checkpoint(path: Path, header: dict[str, Any], language: str) -> tuple[str, list[Segment]]:
    if not path.is_file():
        return language, []
    segments: list[Segment] = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    try:
        if json.loads(lines[0]) != header:
            return language, []
        for line in lines[1:]:
            record = json.loads(line)  # a line cut off by a crash raises here and ends the resume
            if "language" in record and "start" not in record:
                language = record["language"]
            else:
                segments.append(Segment.from_dict(record))
    except (ValueError, KeyError, IndexError):
        pass
    return language, segments


def _open_checkpoint(path: Path | None, header: dict[str, Any], resume: bool) -> Any:
    if path is None:
        return None
    if resume:
        # Rewrite the good lines so a cut-off last line is not kept in the middle of the file.
        language, kept = _read_checkpoint(path, header, "")
        sink = open(path, "w", encoding="utf-8")
        sink.write(json.dumps(header) + "\n")
        sink.write(json.dumps({"language": language}) + "\n")
        for seg in kept:
            sink.write(json.dumps(seg.to_dict(), ensure_ascii=False) + "\n")
        sink.flush()
        return sink
    sink = open(path, "w", encoding="utf-8")
    sink.write(json.dumps(header) + "\n")
    return sink


log = logging.getLogger(__name__)

MIN_REPEAT_WORDS = 5  # a segment repeating one of the two before is dropped only from this length on

# Credits and sign-offs from subtitled video that Whisper produces on silence or noise.
_HALLUCINATIONS = re.compile(
    r"^(ondertiteld door.*|ondertiteling.*|ondertitels? (door|ingevoegd|gemaakt).*|.*amara\.org.*|"
    r"bedankt voor het kijken.*|dank (u|je) (wel )?voor het kijken.*|bedankt voor het luisteren.*|"
    r"abonneer.*|vergeet niet te abonneren.*|tv gelderland.*|www\..*|"
    r"thanks? (you )?for watching.*|subtitles? by.*|please subscribe.*|(copyright|©).{0,20}\d{4}.*)$",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def _collapse_repeats(words: tuple[Word, ...], max_repeats: int = 2) -> tuple[Word, ...]:
    """Cut a phrase of 1-6 words that repeats more than `max_repeats` times in a row down to `max_repeats`."""
    tokens = [_norm(w.word) for w in words]
    keep = list(words)
    i = 0
    out: list[Word] = []
    while i < len(keep):
        cut = False
        for n in range(1, 7):
            unit = tokens[i: i + n]
            if len(unit) < n or not any(unit):
                break
            reps = 1
            while tokens[i + reps * n: i + (reps + 1) * n] == unit:
                reps += 1
            limit = max_repeats if n > 1 else max_repeats + 2  # "ja ja ja" is speech; ten times is a loop
            if reps > limit:
                out.extend(keep[i: i + limit * n])
                i += reps * n
                cut = True
                break
        if not cut:
            out.append(keep[i])
            i += 1
    return tuple(out)


def clean_segments(segments: Iterator[Segment], stats: dict[str, int]) -> Iterator[Segment]:
    """Drop hallucinated credits and repeated segments; collapse loops inside a segment."""
    recent: list[str] = []
    for seg in segments:
        text = seg.text.strip()
        if not text or _HALLUCINATIONS.match(text):
            stats["hallucination"] = stats.get("hallucination", 0) + 1
            log.info("dropped likely hallucination at %.1f s: %r", seg.start, text)
            continue
        norm = _norm(text)
        # Two people may well say "dat herken ik" in a row; a loop repeats whole sentences.
        if norm and norm in recent and len(norm.split()) >= MIN_REPEAT_WORDS:
            stats["repeated"] = stats.get("repeated", 0) + 1
            log.info("dropped repeated segment at %.1f s: %r", seg.start, text)
            continue
        if seg.words:
            words = _collapse_repeats(seg.words)
            if len(words) != len(seg.words):
                stats["loop"] = stats.get("loop", 0) + 1
                seg = Segment(seg.start, words[-1].end, "".join(w.word for w in words).strip(), words)
        recent = (recent + [norm])[-2:]
        yield seg
