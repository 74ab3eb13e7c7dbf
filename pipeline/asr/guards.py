"""Filters for what Whisper invents: subtitle credits on silence, repeated segments, loops inside a segment."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from pipeline.core.types import Segment, Word

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
