"""The action points with a due date as an iCalendar file (RFC 5545), written by hand: CRLF line ends, lines
folded at 75 octets (never inside a UTF-8 character), `\\ ; ,` and newlines escaped in text values.

One all-day event (`DTSTART;VALUE=DATE`) per dated action on its due date, the owner in the SUMMARY, the session's
title and the quote in the DESCRIPTION. Its UID is derived from the session's folder name and the action's id
(`layers.action_id`: it stays when the action is reworded or others are added), so a second export updates the
same events in a calendar instead of adding them again. An action without a due date is left out (and counted).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TYPE_CHECKING

from pipeline.core.language import format_date, texts
from pipeline.core.layers import action_id
from pipeline.core.types import Action

if TYPE_CHECKING:
    from pipeline.export import Material

PRODID = "-//Oogst//Oogst export//NL"
UID_DOMAIN = "oogst.invalid"
_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$|^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon, comma and newlines escaped (RFC 5545 3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """A content line folded into pieces of at most `limit` octets, continuation lines starting with a space."""
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        octets = len(char.encode("utf-8"))
        room = limit if not pieces else limit - 1  # a continuation line begins with a space
        if size + octets > room:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += octets
    pieces.append(current)
    return "\r\n ".join(pieces)


def due_day(action: Action) -> dt.date | None:
    """The day an action is due: `due_date` (ISO, from the due words and the session's date), else a due text that
    is itself a date (2026-12-14, 14-12-2026, typed on the top 7 page)."""
    for value in (action.due_date, action.due):
        if not value:
            continue
        match = _DAY.match(str(value))
        if not match:
            continue
        try:
            if match[1]:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            return dt.date(int(match[6]), int(match[5]), int(match[4]))
        except ValueError:
            continue
    return None


def uid(session: str, key: str) -> str:
    """Stable per session and action (`key`: the action's id, `layers.action_id`): the same on every export."""
    digest = hashlib.sha256(f"{session}\x00{key}".encode()).hexdigest()[:32]
    return f"oogst-{digest}@{UID_DOMAIN}"


def _quote(what: Material, action: Action) -> str:
    """The transcript line the action was said in (as shown), else the action's own words."""
    if what.turns is not None:
        for turn in what.turns.turns:
            if turn.start - 0.01 <= action.start <= turn.end + 0.01:
                return f"\u201c{' '.join(turn.text.split())}\u201d \u2013 {what.turns.name(turn.speaker)}"
    return f"\u201c{action.text}\u201d"


def to_ics(what: Material, *, now: dt.datetime | None = None) -> tuple[str, int]:
    """The calendar and how many actions were left out for want of a due date."""
    assert what.insights is not None
    lab = texts(what.language, "draft")
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(what.title)}"]
    left_out = 0
    session_line = what.title + (f" ({format_date(what.date, what.language)})" if what.date else "")
    for n, action in enumerate(what.insights.actions):
        day = due_day(action)
        if day is None:
            left_out += 1
            continue
        owner = action.owner or lab["nobody"]
        description = "\n".join([session_line, _quote(what, action),
                                 *([f"{lab['when']}: {action.due}"] if action.due else [])])
        key = what.action_keys[n] if n < len(what.action_keys) else action_id(action)
        lines += ["BEGIN:VEVENT", f"UID:{uid(what.session, key)}", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(day + dt.timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{escape(f'{owner}: {action.text}')}", f"DESCRIPTION:{escape(description)}",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines), left_out
