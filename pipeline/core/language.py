"""Languages: which language's rules and labels a session gets, and every fixed text Oogst writes in one.

One fallback rule for every stage: Dutch for Dutch ("nl", "nl-BE", "Dutch", "Vlaams"), English for anything else
(German, French, an unknown code). `text_language` is that rule; draft, final, mail and the insight rules all use
it, so a session never mixes languages. Names from file names: `session_name` (the session folder of a recording),
`title_from` and `date_from` (a title and a date in "2025-03-04_team-west.m4a"). Imports nothing from the rest of
the package.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

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


def draft_labels(language: str | None) -> dict[str, str]:
    """The fixed texts of draft.docx and final.docx."""
    return DRAFT_LABELS[text_language(language)]


def mail_texts(language: str | None) -> dict[str, str]:
    """The fixed texts of the mail."""
    return MAIL_TEXTS[text_language(language)]


DRAFT_LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "date": "Datum",
        "participants": "Deelnemers",
        "howto": "Zo geef je commentaar",
        "howto_intro": "Lees de top 7 en zet een opmerking (Invoegen > Opmerking) bij een inzicht:",
        "howto_up": "eens: +1, 👍 of \u201ceens\u201d",
        "howto_down": "oneens: -1, 👎 of \u201coneens\u201d",
        "howto_reword": "betere formulering: begin met \u201cbeter:\u201d gevolgd door je zin",
        "howto_missing": ("mist er een inzicht? zet het als opmerking bij de regel \u201cMist er iets?\u201d "
                          "onder de top 7"),
        "howto_return": "Sla het document op en stuur het terug; je mag gewoon in deze versie werken.",
        "summary": "Samenvatting",
        "top": "Top 7 inzichten",
        "raised_by": "Ingebracht door",
        "missing": "Mist er iets? Zet hier een opmerking met het inzicht dat ontbreekt.",
        "actions": "Actiepunten",
        "who": "Wie",
        "what": "Wat",
        "when": "Wanneer",
        "no_actions": "Er zijn geen actiepunten genoemd.",
        "nobody": "(niet genoemd)",
        "appendix": "Bijlage: volledig transcript",
        "page": "Pagina ",
        "of": " van ",
        "final_suffix": " \u2013 definitieve top 7",
        "changes": "Wat is er veranderd",
        "doubt_sample": "Grijs met stippellijn",
        "doubt_note": (": woorden die de spraakherkenning niet goed verstond. Kijk ze na en zet een verbetering "
                       "als opmerking."),
        "recognised_by": "Spraakherkenning: {model}.",
    },
    "en": {
        "date": "Date",
        "participants": "Participants",
        "howto": "How to review",
        "howto_intro": "Read the top 7 and add a comment (Insert > Comment) to an insight:",
        "howto_up": "agree: +1, 👍 or \u201cagree\u201d",
        "howto_down": "disagree: -1, 👎 or \u201cdisagree\u201d",
        "howto_reword": "a better wording: start with \u201cbetter:\u201d followed by your sentence",
        "howto_missing": ("is an insight missing? add it as a comment on the \u201cAnything missing?\u201d line "
                          "below the top 7"),
        "howto_return": "Save the document and send it back; you can work in this copy.",
        "summary": "Summary",
        "top": "Top 7 insights",
        "raised_by": "Raised by",
        "missing": "Anything missing? Add a comment here with the insight that is missing.",
        "actions": "Action points",
        "who": "Who",
        "what": "What",
        "when": "When",
        "no_actions": "No action points were mentioned.",
        "nobody": "(not named)",
        "appendix": "Appendix: full transcript",
        "page": "Page ",
        "of": " of ",
        "final_suffix": " \u2013 final top 7",
        "changes": "What changed",
        "doubt_sample": "Grey with a dotted underline",
        "doubt_note": ": words the speech recognition was unsure of. Check them and put a correction in a comment.",
        "recognised_by": "Speech recognition: {model}.",
    },
}


MAIL_TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "session": "Sessie",
        "subject": "Top {n} en actiepunten: {title}",
        "draft_tag": "CONCEPT",
        "greeting": "Beste deelnemers,",
        "intro": "Hierbij de definitieve top {n} van {title}{of_date}, vastgesteld na jullie reacties op het concept.",
        "intro_draft": "Dit is een CONCEPT: jullie reacties zijn nog niet verwerkt. Hieronder de voorlopige "
                       "top {n} van {title}{of_date}.",
        "draft_ask": "Zet je opmerkingen als commentaar in de bijlage en stuur die terug.",
        "of_date": " van {date}",
        "top": "Top {n}",
        "by": "Ingebracht door",
        "votes_1": "1 stem",
        "votes_n": "{n} stemmen",
        "votes": "stemmen",
        "votes_up": "{n} voor",
        "votes_down": "{n} tegen",
        "actions": "Actiepunten",
        "who": "Wie",
        "what": "Wat",
        "when": "Wanneer",
        "open": "nog open",
        "no_actions": "Er zijn geen actiepunten afgesproken.",
        "attached": "Het volledige verslag staat in de bijlage ({file}).",
        "closing": "Met vriendelijke groet,",
        "footer": "Gemaakt met Oogst.",
    },
    "en": {
        "session": "Session",
        "subject": "Top {n} and action points: {title}",
        "draft_tag": "DRAFT",
        "greeting": "Dear participants,",
        "intro": "Here is the final top {n} of {title}{of_date}, settled after your comments on the draft.",
        "intro_draft": "This is a DRAFT: your comments have not been taken in yet. Below is the provisional "
                       "top {n} of {title}{of_date}.",
        "draft_ask": "Please add your remarks as comments in the attached document and send it back.",
        "of_date": " of {date}",
        "top": "Top {n}",
        "by": "Raised by",
        "votes_1": "1 vote",
        "votes_n": "{n} votes",
        "votes": "votes",
        "votes_up": "{n} for",
        "votes_down": "{n} against",
        "actions": "Action points",
        "who": "Who",
        "what": "What",
        "when": "When",
        "open": "open",
        "no_actions": "No action points were agreed.",
        "attached": "The full report is attached ({file}).",
        "closing": "Kind regards,",
        "footer": "Made with Oogst.",
    },
}


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
