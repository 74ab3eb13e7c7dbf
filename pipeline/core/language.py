"""Languages: which language's rules and texts a session gets, dates and names taken from file names.

One fallback rule for every stage: Dutch for Dutch ("nl", "nl-BE", "Dutch", "Vlaams"), English for anything else
(German, French, an unknown code). `text_language` is that rule; draft, final, mail, the web pages and the insight
rules all use it, so a session never mixes languages. Every fixed text Oogst shows or writes lives in one file per
language, `texts/nl.toml` and `texts/en.toml` (a section per part: draft, mail, web, messages, …), read by `texts`.
Names from file names: `session_name` (the session folder of a recording), `title_from` and `date_from` (a title
and a date in "2025-03-04_team-west.m4a"). Imports nothing from the rest of the package.
"""

from __future__ import annotations

import datetime
import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType

SUPPORTED = ("nl", "en")
FALLBACK = "en"

MONTHS: dict[str, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
WEEKDAYS: dict[str, tuple[str, ...]] = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
}


def text_language(language: str | None) -> str:
    """'nl', 'nl-NL', 'Dutch', 'Vlaams' -> 'nl'; 'en', 'en-GB' -> 'en'; any other language -> 'en' (the fallback)."""
    code = (language or "").strip().lower()
    if code.startswith(("nl", "dut", "ned", "vl")):
        return "nl"
    return FALLBACK


def is_supported(language: str | None) -> bool:
    """True for the languages that have their own labels and insight rules (Dutch and English)."""
    code = (language or "").strip().lower()
    return text_language(code) == "nl" or code.startswith(("en", "eng"))


def format_date(day: datetime.date, language: str | None) -> str:
    """`14 mei 2024` / `14 May 2024`, independent of the system locale."""
    return f"{day.day} {MONTHS[text_language(language)][day.month - 1]} {day.year}"


def clock(seconds: float) -> str:
    """A duration as m:ss, or h:mm:ss from an hour on (rounded to the second)."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def texts(language: str | None, section: str) -> Mapping[str, str]:
    """The fixed texts of one part of Oogst (a section of `texts/<language>.toml`: draft, mail, web, messages, …) in
    the language `text_language` picks; read once per language."""
    return _texts(text_language(language))[section]


@functools.cache
def _texts(language: str) -> dict[str, Mapping[str, str]]:
    source = resources.files("pipeline.core").joinpath("texts", f"{language}.toml").read_text(encoding="utf-8")
    return {name: MappingProxyType(section) for name, section in tomllib.loads(source).items()}


DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})[-_ ]?(\d{2})[-_ ]?(\d{2})(?!\d)")


def session_name(path: Path) -> str:
    """outputs/<name>: the recording's file name without suffix, made safe for a folder name."""
    name = re.sub(r"[^\w.-]+", "-", Path(path).stem, flags=re.UNICODE).strip("-.")
    return name or "sessie"


def title_from(name: str, *, keep_case: bool = False) -> str:
    """A folder or file name as a title, without its date: `2024-05-14_intervisie-team-a` -> `Intervisie team a`.

    With `keep_case` (a title someone typed) only the date and the separators around it go.
    """
    text = DATE_IN_NAME.sub(" ", name)
    if not keep_case:
        text = re.sub(r"[_\-.]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" -_.,:;–—")
    return text[:1].upper() + text[1:]


def date_from(name: str) -> datetime.date | None:
    """The first valid date in a name (2024-05-14_…, …_20240514, 2024 05 14), if there is one."""
    for match in DATE_IN_NAME.finditer(name):
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None
