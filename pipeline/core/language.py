"""Languages: which language's rules and texts a session gets, dates and names taken from file names.

One fallback rule for every stage: Dutch for Dutch ("nl", "nl-BE", "Dutch", "Vlaams"), English for anything else
(German, French, an unknown code). `text_language` is that rule; draft, final, mail, the web pages and the insight
rules all use it, so a session never mixes languages. Every fixed text Oogst shows or writes lives in one file per
language, `texts/nl.toml` and `texts/en.toml` (a section per part: draft, mail, web, messages, …), read by `texts`.
Names from file names: `session_name` (the session folder of a recording), `title_from` and `date_from` (a title
and a date in "2025-03-04_team-west.m4a"). The language of a text: `detect_language` (function words from spaCy's
stop-word lists), `resolve_language` (what an imported transcript is analysed in). Imports nothing from the rest of
the package.
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


def moment(seconds: float) -> str:
    """A moment of the conversation as m:ss, or h:mm:ss from an hour on, cut to the second it falls in like the
    draft's `[mm:ss]` (`review.draft.timestamp`): a sentence reads the same time on the page and in the draft."""
    return clock(max(0, int(seconds)))


def texts(language: str | None, section: str) -> Mapping[str, str]:
    """The fixed texts of one part of Oogst (a section of `texts/<language>.toml`: draft, mail, web, messages, …) in
    the language `text_language` picks; read once per language."""
    return _texts(text_language(language))[section]


def counted(words: Mapping[str, str], key: str, n: int, **params: object) -> str:
    """`words[key]` with its count: `<key>_one` when n is 1 and the section has it ("1 meelezer", "2 meelezers")."""
    return words.get(f"{key}_one" if n == 1 else key, words[key]).format(n=n, **params)


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


# -- the language of a text (imported transcripts) ---------------------------------------------------------------
DETECTABLE = {"nl": "Dutch", "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
              "pt": "Portuguese"}
DEFAULT_LANGUAGE = "nl"
# A text is "clearly" in a language when at least MIN_STOP_WORDS of its words are function words of that language
# alone and they outnumber those of any other language RATIO times. On the project's Dutch and English transcripts
# (tests/data: the insights tune set, the phases and privacy fixtures, the sample) the ratio is over 40, and 30-45 %
# of all words are such function words; 10 words is a few sentences.
MIN_STOP_WORDS = 10
RATIO = 5.0


@functools.cache
def exclusive_stop_words() -> dict[str, frozenset[str]]:
    """Per language the stop words of spaCy's list for it that no other language here has ("het", "the", "und").

    The lists are read from spaCy's installed files (`spacy/lang/<code>/stop_words.py`, their first string), without
    importing spaCy; a language whose file is not there is left out."""
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    lists: dict[str, frozenset[str]] = {}
    if spec is None or spec.origin is None:
        return lists
    root = Path(spec.origin).parent / "lang"
    for code in DETECTABLE:
        try:
            source = (root / code / "stop_words.py").read_text(encoding="utf-8")
        except OSError:
            continue
        found = re.search(r'"""(.*?)"""', source, flags=re.S)
        if found:
            lists[code] = frozenset(w.lower() for w in found.group(1).split())
    return {code: words - frozenset().union(*(o for c, o in lists.items() if c != code))
            for code, words in lists.items()}


def detect_language(text: str) -> str | None:
    """The language `text` is clearly written in (see MIN_STOP_WORDS), or None: too short, mixed, or unknown."""
    lists = exclusive_stop_words()
    counts = dict.fromkeys(lists, 0)
    for word in re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?", text.lower()):
        for code, words in lists.items():
            if word in words:
                counts[code] += 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < MIN_STOP_WORDS:
        return None
    second = ranked[1][1] if len(ranked) > 1 else 0
    return ranked[0][0] if ranked[0][1] >= RATIO * second else None


def resolve_language(text: str, requested: str, *, given: bool) -> tuple[str, str | None]:
    """The language an imported transcript is analysed in, and a line to say about it (None: nothing to say).

    `requested` is --language (or the default, "nl", when `given` is False). "auto" becomes the text's language
    (the default when it cannot be told); without --language a text clearly in another supported language is read
    in that one; a language given always wins, with a warning when the text clearly disagrees."""
    detected = detect_language(text)
    named = DETECTABLE.get(detected or "", detected)
    if requested.strip().lower() == "auto":
        if detected is None:
            return DEFAULT_LANGUAGE, (f"--language auto: the text's language could not be told; read as "
                                      f"{DETECTABLE[DEFAULT_LANGUAGE]} (give --language to choose)")
        return detected, f"--language auto: the text is {named} ({detected})"
    if detected is None or detected == requested.split("-")[0].lower():
        return requested, None
    asked = DETECTABLE.get(requested.split("-")[0].lower(), requested)
    if given:
        return requested, (f"--language {requested} was given, but the text reads as {named} ({detected}); "
                           f"analysed as {asked} as asked")
    if is_supported(detected):
        return detected, (f"the text is {named}, not {asked}: analysed as {named} (give --language {requested} "
                          f"to keep {asked})")
    return requested, (f"the text reads as {named} ({detected}); analysed as {asked}, the default (give "
                       f"--language {detected} for {named}: Oogst's insights are made for Dutch and English)")
