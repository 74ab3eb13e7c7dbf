"""The corrected transcript as text and subtitles: `.txt` (`[00:01:23] Sanne: ...`), WebVTT (`<v Sanne>`) and
SubRip (`Sanne: ...`).

Subtitles need short cues: a turn is split into cues of at most `MAX_CUE` seconds and two lines of `LINE` characters.
Where a word is said comes from the recogniser's word times when there are any (mapped onto the shown text by its
share of the characters, so a corrected or pseudonymised line still lands on its time), else the turn's time is
shared out by the characters.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.core.types import Turn, Word

if TYPE_CHECKING:
    from pipeline.export import Material

MAX_CUE = 7.0  # seconds
LINE = 42  # characters per subtitle line
LINES = 2
_TOKEN = re.compile(r"\S*\[[^\]]*\]\S*|\S+")  # a word; a label such as "[Deelnemer 2]," stays one piece


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    speaker: str
    lines: tuple[str, ...]


def hms(seconds: float) -> str:
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def stamp(seconds: float, sep: str) -> str:
    """00:01:23.456 (WebVTT, sep '.') or 00:01:23,456 (SubRip, sep ',')."""
    millis = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def to_txt(what: Material) -> str:
    """One line per turn: `[00:01:23] Sanne: text`, under the title."""
    assert what.turns is not None
    head = [what.title, *([what.date.isoformat()] if what.date else []), ""]
    lines = [f"[{hms(t.start)}] {what.turns.name(t.speaker)}: {' '.join(t.text.split())}" for t in what.turns.turns]
    return "\n".join(head + lines) + "\n"


def _timeline(turn: Turn, words: Sequence[Word]) -> tuple[list[float], list[float]]:
    """(share of the turn's characters, time) points: the recogniser's words inside the turn, else the turn's ends."""
    inside = [w for w in words if turn.start - 0.01 <= (w.start + w.end) / 2 <= turn.end + 0.01 and w.word.strip()]
    total = sum(len(w.word.strip()) + 1 for w in inside)
    if not inside or total <= 1:
        return [0.0, 1.0], [turn.start, max(turn.end, turn.start)]
    shares, times, seen = [0.0], [inside[0].start], 0
    for word in inside:
        seen += len(word.word.strip()) + 1
        shares.append(seen / total)
        times.append(max(word.end, times[-1]))
    return shares, times


def _at(share: float, shares: list[float], times: list[float]) -> float:
    i = bisect.bisect_left(shares, share)
    if i <= 0:
        return times[0]
    if i >= len(shares):
        return times[-1]
    lo, hi = shares[i - 1], shares[i]
    part = (share - lo) / (hi - lo) if hi > lo else 0.0
    return times[i - 1] + part * (times[i] - times[i - 1])


def wrap(text: str, width: int = LINE) -> list[str]:
    """Words into lines of at most `width` characters (a longer word gets a line of its own)."""
    lines: list[str] = []
    for word in tokens(text):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def cues(turn: Turn, speaker: str, words: Sequence[Word], *, max_seconds: float = MAX_CUE) -> list[Cue]:
    """A turn as cues of at most `max_seconds` and two lines each."""
    pieces = tokens(turn.text)
    if not pieces:
        return []
    shares, times = _timeline(turn, words)
    length = sum(len(t) + 1 for t in pieces)
    timed, seen = [], 0
    for token in pieces:  # (token, start, end)
        begin = _at(seen / length, shares, times)
        seen += len(token) + 1
        timed.append((token, begin, _at(seen / length, shares, times)))
    for count in range(1, len(timed) + 1):  # the fewest cues that fit, of about equal length
        groups = _balanced(timed, count)
        if all(len(g) == 1 or (g[-1][2] - g[0][1] <= max_seconds and len(wrap(" ".join(t for t, _, _ in g))) <= LINES)
               for g in groups):
            break
    return [_cue(g, speaker) for g in groups]


def _balanced(timed: list[tuple[str, float, float]], pieces: int) -> list[list[tuple[str, float, float]]]:
    """The words in `pieces` runs of about the same number of characters."""
    total = sum(len(t) + 1 for t, _, _ in timed)
    groups: list[list[tuple[str, float, float]]] = [[]]
    seen = 0
    for item in timed:
        if groups[-1] and len(groups) < pieces and seen + (len(item[0]) + 1) / 2 > total * len(groups) / pieces:
            groups.append([])
        groups[-1].append(item)
        seen += len(item[0]) + 1
    return groups


def _cue(chunk: list[tuple[str, float, float]], speaker: str) -> Cue:
    start, end = chunk[0][1], chunk[-1][2]
    return Cue(start, max(end, start + 0.2), speaker, tuple(wrap(" ".join(t for t, _, _ in chunk))))


def all_cues(what: Material) -> list[Cue]:
    assert what.turns is not None
    found: list[Cue] = []
    for turn in what.turns.turns:
        found += cues(turn, what.turns.name(turn.speaker), what.words)
    for i in range(len(found) - 1):  # a cue ends before the next one starts (players show one at a time)
        nxt = found[i + 1]
        if found[i].end > nxt.start and nxt.start > found[i].start:
            found[i] = Cue(found[i].start, nxt.start, found[i].speaker, found[i].lines)
    return found


def _vtt_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(what: Material) -> str:
    """WebVTT: a cue per piece of a turn, the speaker as a voice span `<v Name>`."""
    parts = ["WEBVTT", ""]
    for n, cue in enumerate(all_cues(what), start=1):
        voice = _vtt_text(cue.speaker).replace("&gt;", "")
        body = "\n".join(_vtt_text(line) for line in cue.lines)
        parts += [str(n), f"{stamp(cue.start, '.')} --> {stamp(cue.end, '.')}", f"<v {voice}>{body}</v>", ""]
    return "\n".join(parts)


def to_srt(what: Material) -> str:
    """SubRip: numbered cues, the speaker as `Name:` before the text."""
    parts = []
    for n, cue in enumerate(all_cues(what), start=1):
        lines = list(cue.lines)
        lines[0] = f"{cue.speaker}: {lines[0]}"
        parts += [str(n), f"{stamp(cue.start, ',')} --> {stamp(cue.end, ',')}", *lines, ""]
    return "\n".join(parts)
