"""Contact details as a transcript writes them: said aloud, in words, or with spaces (Dutch and English).

- Phone numbers in words (or words and digits): "nul zes twaalf vierendertig vijfenzestig achtenzeventig",
  "oh seven seven double oh ...": a run of number words starting with zero or "plus" that makes 10-13 digits, the
  length `detect` asks of a written number.
- E-mail addresses said aloud: "jan punt de vries apenstaartje gmail punt com", "jan at example dot co dot uk",
  "jan.devries @ gmail.com": a name part, "at"/"apenstaartje"/"@", a domain and "punt"/"dot" before a known
  top-level domain.
- Identification numbers: a number of 5 or more digits (written, spaced or in words) within a few words after a
  word that names one ("BSN", "burgerservicenummer", "dossiernummer", "NHS number", "patient number", ...).
- Street addresses: a street name ending in a street word and a house number, in any case ("kerkstraat 14",
  "14 church street").
Returns (start, end, kind) with kind "phone", "email", "id" or "place" (`detect` makes them spans).
"""

from __future__ import annotations

import re

Found = tuple[int, int, str]

_UNITS = {"nul": 0, "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8,
          "negen": 9, "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9}
_TEENS = frozenset("""tien elf twaalf dertien veertien vijftien zestien zeventien achttien negentien ten eleven twelve
thirteen fourteen fifteen sixteen seventeen eighteen nineteen""".split())
_TENS = frozenset("""twintig dertig veertig vijftig zestig zeventig tachtig negentig twenty thirty forty fifty sixty
seventy eighty ninety""".split())
_DUTCH_COMPOUND = re.compile(r"^(?:een|één|twee|drie|vier|vijf|zes|zeven|acht|negen)[eë]n(?:twintig|dertig|veertig|"
                             r"vijftig|zestig|zeventig|tachtig|negentig)$")
_REPEAT = {"dubbel": 2, "double": 2, "triple": 3, "tripel": 3}
_ZERO_START = frozenset({"nul", "zero", "oh", "plus"})
_WORD = re.compile(r"\+?[\w\u00e9\u00eb'-]+")
_ID_CUE = re.compile(r"(?i)\b(?:bsn|bsn-nummer|burgerservicenummer|sofinummer|dossiernummer|patiëntnummer|"
                     r"patientnummer|cliëntnummer|clientnummer|klantnummer|leerlingnummer|studentnummer|"
                     r"registratienummer|zaaknummer|polisnummer|personeelsnummer|nhs|national insurance|"
                     r"(?:patient|client|case|student|pupil|customer|reference|policy|registration|id|"
                     r"identification|social security)\s+(?:number|no\.?))\b")
_EMAIL_AT = re.compile(r"(?i)\s*(?:\bat\b|\bapenstaartje\b|@|\(at\)|\[at\])\s*")
_DOT = r"(?:\s*(?:\bpunt\b|\bdot\b|\.)\s*)"
_DOMAIN = re.compile(rf"(?i)^(?P<domain>[a-z0-9][\w-]*(?:{_DOT}[a-z0-9][\w-]*)*?){_DOT}(?P<tld>nl|com|org|net|be|"
                     rf"eu|info|uk|de|nu|edu|gov|io|fr)(?!\w)")
_JOINER = frozenset({"punt", "dot", "streepje", "dash", "underscore", "liggend", "min", "hyphen"})
_PARTICLES = frozenset({"van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "op"})
_STREET = re.compile(r"(?i)(?<![\w-])[a-zà-ÿ][\w'-]*?(?:straat|laan|weg|plein|gracht|singel|kade|dijk|steeg|dreef|"
                     r"hof|markt|pad)\s+\d{1,4}(?:\s?[a-z](?![\w]))?(?!\w)")
_STREET_EN = re.compile(r"(?i)(?<!\w)\d{1,4}[a-z]?\s+(?:[a-z][\w'-]+\s+){1,2}(?:street|road|lane|avenue|drive|close|"
                        r"way|crescent|grove|terrace|square|gardens|court|place)(?!\w)")


def _digits(word: str, previous_tens: bool) -> int | None:
    """How many digits a word says: "zes" 1, "twaalf" 2, "vierendertig" 2, "06" 2; "one" after "twenty" 0."""
    folded = word.lower().strip("'")
    if folded.lstrip("+").isdigit():
        return len(folded.lstrip("+"))
    if folded in _UNITS:
        return 0 if previous_tens and _UNITS[folded] else 1
    if folded in _TEENS or folded in _TENS or _DUTCH_COMPOUND.match(folded):
        return 2
    if "-" in folded:  # "twenty-one"
        tens, _, unit = folded.partition("-")
        return 2 if tens in _TENS and unit in _UNITS else None
    return None


def number_runs(text: str) -> list[tuple[int, int, int, bool]]:
    """Runs of number words and digit groups: (start, end, digits, starts with zero or "plus"), words only between
    them (commas, dashes and "dubbel"/"double" allowed)."""
    runs: list[tuple[int, int, int, bool]] = []
    current: list[tuple[int, int, int, str]] = []  # start, end, digits, word
    repeat = 1
    last_end = -1
    for match in _WORD.finditer(text):
        word = match.group()
        folded = word.lower()
        gap = text[last_end:match.start()] if current else ""
        if current and not re.fullmatch(r"[\s,.\-/()]*", gap):
            runs.append(_close(current))
            current, repeat = [], 1
        if folded in _REPEAT:
            repeat = _REPEAT[folded]
            if current:
                last_end = match.end()
            continue
        if folded == "plus" or word.startswith("+") and word[1:].isdigit():  # "+31 6 ...", "plus eenendertig"
            if current:
                runs.append(_close(current))
            current = [(match.start(), match.end(), len(word) - 1 if word[1:].isdigit() else 0, "plus")]
            last_end = match.end()
            continue
        said = _digits(word, bool(current) and current[-1][3] in _TENS)
        if said is None:
            if current:
                runs.append(_close(current))
                current = []
            repeat = 1
            continue
        current.append((match.start(), match.end(), said * repeat, folded))
        repeat = 1
        last_end = match.end()
    if current:
        runs.append(_close(current))
    return runs


def _close(words: list[tuple[int, int, int, str]]) -> tuple[int, int, int, bool]:
    first = words[0][3]
    return (words[0][0], words[-1][1], sum(w[2] for w in words),
            first in _ZERO_START or first.startswith(("0", "+")))


def _spoken_email(text: str) -> list[Found]:
    spans = []
    for at in _EMAIL_AT.finditer(text):
        domain = _DOMAIN.match(text[at.end():])
        if domain is None:
            continue
        words = list(re.finditer(r"[\w.'-]+", text[:at.start()]))
        if not words or words[-1].end() < at.start() - 1 and "@" not in at.group():
            continue
        first = len(words) - 1
        while first > 0:
            before = words[first - 1].group().lower()
            if before in _JOINER and first > 1:
                first -= 2
            elif before in _PARTICLES:
                first -= 1
            else:
                break
        if words[first].group().lower() in _JOINER | _PARTICLES:
            continue
        start, end = words[first].start(), at.end() + domain.end()
        spans.append((start, end, "email"))
    return spans


def spoken_contacts(text: str) -> list[Found]:
    """Phone numbers, e-mail addresses and id numbers said aloud, and street addresses (see the module docstring)."""
    spans = _spoken_email(text)
    cues = [m.end() for m in _ID_CUE.finditer(text)]
    for start, end, digits, zero in number_runs(text):
        piece = text[start:end]
        spoken = not re.fullmatch(r"[\d\s+\-./()]+", piece)  # all digits: the written rules' business
        cued = any(0 <= start - cue <= 30 and len(text[cue:start].split()) <= 3 for cue in cues)
        if cued and digits >= 5:
            spans.append((start, end, "id"))
        elif spoken and zero and 10 <= digits <= 13:
            spans.append((start, end, "phone"))
    for pattern in (_STREET, _STREET_EN):
        spans += [(m.start(), m.end(), "place") for m in pattern.finditer(text)]
    return spans
