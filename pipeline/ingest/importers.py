"""An existing transcript instead of audio: WebVTT (Teams/Zoom), SRT, plain text or .docx -> Transcript + Turns.

Formats (the speaker names in the file become the speaker labels and display names):
- WebVTT: `<v Name>text</v>` voice tags (Teams), or a `Name: text` payload (Zoom, some Teams exports).
- SRT: numbered cues; the speaker as a `Name: ` prefix of the text when present.
- Plain text (.txt) and Word (.docx, one paragraph a line): `Name: text` lines, optionally starting with a
  `[hh:mm:ss]`, `(hh:mm:ss)` or bare `hh:mm:ss` stamp. A line without `Name:` continues the previous turn; blank
  lines, `# comments` and `[pause N]` lines (Oogst's own script format) are skipped.

One transcript segment per cue/line. Words are spread evenly over their cue (an estimate: the file has no word
times); without any stamps, times are estimated from word counts (150 words a minute) and `transcript.json`
gets `"times_estimated": true`. Consecutive cues of one speaker with less than `max_gap` between them make one turn.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import TranscriptImportError
from pipeline.core.types import Segment, Transcript, Turn, Turns, Word

log = logging.getLogger(__name__)

SUFFIXES = (".vtt", ".srt", ".txt", ".docx")
WORDS_PER_SECOND = 2.5  # 150 words a minute: conversational speech
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?$")
_STAMP = re.compile(rf"^\s*(?:\[{_TIME}\]|\({_TIME}\)|{_TIME}(?=\s))\s*[-–]?\s*")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>(.*?)(?:</v>|(?=<v[\s.])|$)", re.S)
_TAG = re.compile(r"<[^>]*>")
_NAME = re.compile(r"^([^\W\d_][\w .'’()\-]{0,58}?)\s*:\s+(.*)$")
_HEADER = re.compile(rf"^(.+?)\s+{_TIME}(?:\s*-->\s*{_TIME})?$")  # Teams .docx: `Sanne de Vries   0:03`
_PAUSE = re.compile(r"^\[pause\s+[0-9.]+\]$", re.I)


@dataclass(frozen=True)
class Cue:
    line: int  # where the cue starts in the file (1-based; paragraph number for .docx)
    start: float | None
    end: float | None
    speaker: str | None
    text: str


def is_transcript_file(path: Path) -> bool:
    """True for the transcript formats `import_transcript` reads (by suffix)."""
    return Path(path).suffix.lower() in SUFFIXES


def _error(path: Path, line: int | None, what: str, todo: str, key: str | None = None,
           **params: Any) -> TranscriptImportError:
    """"PATH:LINE: what is wrong; what to do", and for a page the [messages] `key` with the file's name and line."""
    where = f"{path}:{line}" if line else f"{path}"
    return TranscriptImportError(f"{where}: {what}; {todo}", key, file=path.name, line=line, **params)


def _seconds(groups: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = groups
    value = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return value + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8; read it as Windows-1252 (save it as UTF-8 to be sure of accents)", path)
        text = data.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Lower-case words that occur inside names ("Zoë van 't Hek", "Ludwig von Mises"); any other lower-case word after
# the first makes "Wat niet goed ging: ..." or "And the last one: ..." a sentence with a colon, not a speaker.
_NAME_PARTICLES = {"van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "’t", "op", "in", "von", "zu", "du",
                   "da", "di", "del", "della", "le", "la", "el", "al", "bin", "ben", "y", "e", "dos", "das"}


def _looks_like_name(name: str) -> bool:
    """At most five words; after the first, each word has a capital (d'Entremont), is a number, or a particle."""
    words = name.split()
    return len(words) <= 5 and all(any(c.isupper() for c in w) or w[0].isdigit() or w.lower() in _NAME_PARTICLES
                                   for w in words[1:])


def _split_name(text: str) -> tuple[str | None, str]:
    """`Name: text` -> (Name, text); a name is short, starts with a letter and has no sentence punctuation."""
    match = _NAME.match(text.strip())
    if not match or not _looks_like_name(match.group(1)):
        return None, text.strip()
    return re.sub(r"\s+", " ", match.group(1)).strip(), match.group(2).strip()


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", _TAG.sub("", text).replace("&amp;", "&").replace("&lt;", "<")
                  .replace("&gt;", ">").replace("&nbsp;", " ")).strip()


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the line number of their first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line)
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _timed_cues(path: Path, lines: list[str], *, vtt: bool) -> list[Cue]:
    cues: list[Cue] = []
    example = "00:01:02.000 --> 00:01:05.500" if vtt else "00:01:02,000 --> 00:01:05,500"
    for first, block in _blocks(lines):
        head = block[0].strip()
        if vtt and (first == 1 or head.startswith(("NOTE", "STYLE", "REGION"))):
            continue
        timing_at = next((i for i, line in enumerate(block[:3]) if "-->" in line), None)
        if timing_at is None:
            raise _error(path, first, f"expected a cue time like `{example}`, found {head[:40]!r}",
                         "add the time line or remove the stray text", "cue_time_expected", example=example,
                         found=head[:40])
        number = first + timing_at
        match = _TIMING.match(block[timing_at])
        if not match:
            raise _error(path, number, f"cannot read the time {block[timing_at].strip()[:40]!r}",
                         f"write it as `{example}`", "cue_time_unreadable", example=example,
                         found=block[timing_at].strip()[:40])
        start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:8])
        if end < start:
            raise _error(path, number, f"the cue ends ({end:.3f} s) before it starts ({start:.3f} s)",
                         "correct the time line", "cue_backwards", end=f"{end:.3f}", start=f"{start:.3f}")
        payload = "\n".join(block[timing_at + 1:])
        voices = _VOICE.findall(payload) if vtt else []
        if voices:
            parts = [(re.sub(r"\s+", " ", name).strip(), _clean(said)) for name, said in voices]
            parts = [(name, said) for name, said in parts if said]
            total = sum(len(said.split()) for _, said in parts) or 1
            cursor = start
            for name, said in parts:  # several voices in one cue share its time by word count
                share = (end - start) * len(said.split()) / total
                cues.append(Cue(number, cursor, cursor + share, name, said))
                cursor += share
            continue
        text = _clean(" ".join(line.strip() for line in block[timing_at + 1:]))
        if not text:
            continue
        speaker, said = _split_name(text)
        cues.append(Cue(number, start, end, speaker, said))
    return cues


def _vtt(path: Path, text: str) -> list[Cue]:
    lines = text.split("\n")
    head = next((line for line in lines if line.strip()), "")
    if not lines or not lines[0].strip().startswith("WEBVTT"):
        raise _error(path, 1, f"expected `WEBVTT` on the first line, found {head.strip()[:40]!r}",
                     "is this really a WebVTT file? export it again, or rename it to .txt if it has `Name: text` lines",
                     "vtt_header", found=head.strip()[:40])
    return _timed_cues(path, lines, vtt=True)


def _srt(path: Path, text: str) -> list[Cue]:
    return _timed_cues(path, text.split("\n"), vtt=False)


def _plain_name(line: str) -> bool:
    """A line that is only a speaker's name (Teams puts the name on its own line above the text)."""
    return bool(re.fullmatch(r"[^\W\d_][\w .'’()\-]{0,58}", line)) and len(line.split()) <= 5


def _lines(path: Path, lines: list[str], numbers: list[int] | None = None) -> list[Cue]:
    """`[hh:mm:ss] Name: text` lines; a line without a name continues the previous turn.

    Also reads the layouts of Teams' .docx transcript: `Name   0:03` (or `Name  0:00:03.0 --> 0:00:05.2`) above
    the text, and `0:0:0.0 --> 0:0:3.5` then `Name` above the text.

    Args:
        numbers: the line number to report for each line (paragraph numbers for .docx); 1, 2, 3.. by default.
    """
    cues: list[Cue] = []
    # A speaker (and time) announced on a line of its own, for the text lines that follow.
    pending: Cue | None = None
    for index, raw in enumerate(lines):
        number = numbers[index] if numbers else index + 1
        line = raw.strip()
        if not line or line.startswith("#") or _PAUSE.match(line):
            continue
        if timing := _TIMING.match(line):
            pending = Cue(number, _seconds(timing.groups()[:4]), _seconds(timing.groups()[4:8]), None, "")
            continue
        if pending is not None and pending.speaker is None and _plain_name(line):
            pending = Cue(pending.line, pending.start, pending.end, re.sub(r"\s+", " ", line), "")
            continue
        if (header := _HEADER.match(line)) and _plain_name(name := header.group(1).strip()) and name[0].isupper():
            end = _seconds(header.groups()[5:9]) if header.group(8) is not None else None
            pending = Cue(number, _seconds(header.groups()[1:5]), end, re.sub(r"\s+", " ", name), "")
            continue
        start: float | None = None
        if stamp := _STAMP.match(line):
            groups = stamp.groups()
            found = next(groups[i: i + 4] for i in (0, 4, 8) if groups[i + 2] is not None)
            start = _seconds(found)
            line = line[stamp.end():]
        speaker, said = _split_name(line)
        if speaker is None and pending is not None and pending.speaker is not None:
            cues.append(Cue(pending.line, pending.start if start is None else start, pending.end, pending.speaker,
                            said))
            pending = None
            continue
        pending = None
        if speaker is None:
            if not cues:
                raise _error(path, number, f"expected `Name: text`, found {line[:40]!r}",
                             "start each turn with the speaker's name and a colon, e.g. `Sanne: Goedemorgen`",
                             "name_text_expected", found=line[:40])
            if start is not None:  # a stamped line without a name: the same speaker again
                cues.append(Cue(number, start, None, cues[-1].speaker, said))
            else:
                last = cues[-1]
                cues[-1] = Cue(last.line, last.start, last.end, last.speaker, f"{last.text} {said}".strip())
            continue
        if not said:
            raise _error(path, number, f"{speaker!r} says nothing", "put the text after the colon on the same line",
                         "says_nothing", speaker=speaker)
        cues.append(Cue(number, start, None, speaker, said))
    return cues


def _docx(path: Path) -> list[Cue]:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:
        raise _error(path, None, f"python-docx is not installed ({exc})", "run `pip install python-docx`") from None
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise _error(path, None, f"not a readable Word .docx file ({exc})",
                     "open it in Word and save it as .docx, or save the text as .txt", "docx_unreadable") from None
    # Reported line numbers are paragraph numbers; a soft line break splits a paragraph into lines.
    lines: list[str] = []
    numbers: list[int] = []
    for index, paragraph in enumerate(document.paragraphs, start=1):
        for part in paragraph.text.split("\n"):
            lines.append(part)
            numbers.append(index)
    return _lines(path, lines, numbers)


def _fill_times(path: Path, cues: list[Cue]) -> tuple[list[Cue], bool]:
    """Give every cue a start and an end; missing times come from word counts. Returns (cues, estimated)."""
    estimated = any(c.start is None for c in cues)
    for a, b in zip(cues, cues[1:], strict=False):
        if a.start is not None and b.start is not None and b.start < a.start:
            raise _error(path, b.line, f"time {b.start:.0f} s comes before the previous line's {a.start:.0f} s",
                         "put the lines in order or correct the time stamp", "time_order", time=f"{b.start:.0f}",
                         previous=f"{a.start:.0f}")
    filled: list[Cue] = []
    cursor = 0.0
    for i, cue in enumerate(cues):
        duration = max(0.5, len(cue.text.split()) / WORDS_PER_SECOND)
        start = cue.start if cue.start is not None else cursor
        next_start = next((c.start for c in cues[i + 1:] if c.start is not None), None)
        if cue.end is not None:
            end = cue.end
        elif next_start is not None and cues[i + 1].start is not None and next_start - start <= duration + 10:
            end = next_start  # stamped transcripts: a turn lasts until the next one starts
        else:
            end = start + duration
            if next_start is not None:
                end = max(start, min(end, next_start))
        filled.append(Cue(cue.line, round(start, 3), round(end, 3), cue.speaker, cue.text))
        cursor = end + (0.5 if cue.start is None else 0.0)
    return filled, estimated


def _words(cue: Cue) -> tuple[Word, ...]:
    """Words spread evenly over the cue (an estimate: imported files have no word times)."""
    tokens = cue.text.split()
    assert cue.start is not None and cue.end is not None
    step = (cue.end - cue.start) / max(1, len(tokens))
    # Rounded like transcript.json stores them, so an imported transcript reads back identical.
    return tuple(Word(round(cue.start + i * step, 3), round(cue.start + (i + 1) * step, 3), " " + token, 1.0)
                 for i, token in enumerate(tokens))


def import_transcript(path: Path, *, language: str = "nl", max_gap: float = 3.0) -> tuple[Transcript, Turns]:
    """Read a VTT/SRT/TXT/DOCX transcript into the same Transcript and Turns that ASR and diarization produce."""
    path = Path(path)
    if not path.is_file():
        raise _error(path, None, "not found", "check the path", "file_not_found")
    suffix = path.suffix.lower()
    if suffix == ".vtt":
        cues = _vtt(path, _read_text(path))
    elif suffix == ".srt":
        cues = _srt(path, _read_text(path))
    elif suffix == ".txt":
        cues = _lines(path, _read_text(path).split("\n"))
    elif suffix == ".docx":
        cues = _docx(path)
    else:
        raise _error(path, None, f"{suffix or 'no suffix'} is not a transcript format",
                     f"give an audio file or a transcript ending in {', '.join(SUFFIXES)}")
    if not cues:
        raise _error(path, None, "no spoken text found",
                     "the file needs cues with text, or `Name: text` lines", "no_text")
    cues, estimated = _fill_times(path, cues)

    unnamed = "Spreker 1" if language == "nl" else "Speaker 1"
    named = any(c.speaker for c in cues)
    resolved: list[Cue] = []
    for cue in cues:
        speaker = cue.speaker or (resolved[-1].speaker if resolved and named else "S1")
        resolved.append(Cue(cue.line, cue.start, cue.end, speaker, cue.text))

    segments = tuple(Segment(c.start or 0.0, c.end or 0.0, " " + c.text, _words(c)) for c in resolved)
    extra: dict[str, object] = {"source": path.name, "imported": True, "format": suffix[1:], "words_estimated": True}
    if estimated:
        extra["times_estimated"] = True
    transcript = Transcript(language, max(c.end or 0.0 for c in resolved), f"import:{suffix[1:]}", segments, extra)

    speakers: dict[str, str] = {}
    turns: list[Turn] = []
    for cue in resolved:
        label = cue.speaker or "S1"
        speakers.setdefault(label, unnamed if label == "S1" and not named else label)
        last = turns[-1] if turns else None
        if last and last.speaker == label and (cue.start or 0.0) - last.end <= max_gap:
            turns[-1] = Turn(label, last.start, max(last.end, cue.end or 0.0), f"{last.text} {cue.text}")
        else:
            turns.append(Turn(label, cue.start or 0.0, cue.end or 0.0, cue.text))
    log.info("imported %s: %d cues, %d turns, %d speakers", path.name, len(resolved), len(turns), len(speakers))
    return transcript, Turns(speakers, tuple(turns), {"source": path.name, "imported": True})
