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
_EMAIL_AT = re.compile(r"(?i)\s*(?:\bat(?:[\s-]teken)?\b|\bapen?staart(?:je)?(?:[\s-]teken)?\b|@|\(at\)|\[at\])"
                       r"\s*")  # "apestaartje" and "apenstaartje" are both said and written
_DOT = r"(?:\s*(?:\bpunt\b|\bdot\b|\.)\s*)"
_DASH = r"(?:\s+(?:streepje|min|koppelteken|dash|hyphen)\s+)"
_DOMAIN = re.compile(rf"(?i)^(?P<domain>[a-z0-9][\w-]*(?:(?:{_DOT}|{_DASH})[a-z0-9][\w-]*)*?){_DOT}"
                     rf"(?P<tld>nl|com|org|net|be|eu|info|uk|de|nu|edu|gov|io|fr)(?!\w)")
_JOINER = frozenset({"punt", "dot", "streepje", "dash", "underscore", "liggend", "min", "hyphen"})
_PARTICLES = frozenset({"van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "op"})
_STREET = re.compile(r"(?i)(?<![\w-])[a-zà-ÿ][\w'-]*?(?:straat|laan|weg|plein|gracht|singel|kade|dijk|steeg|dreef|"
                     r"hof|markt|pad)\s+\d{1,4}(?:\s?[a-z](?![\w]))?(?!\w)")
_STREET_WORDS = re.compile(r"(?i)(?<![\w-])[a-zà-ÿ][\w'-]*?(?:straat|laan|weg|plein|gracht|singel|kade|dijk|steeg|"
                           r"dreef|hof|markt|pad)(?!\w)")
_ID_WORDS = 8  # an id number within this many words after the word that names it, in the same sentence
_STREET_EN = re.compile(r"(?i)(?<!\w)\d{1,4}[a-z]?\s+(?:[a-z][\w'-]+\s+){1,2}(?:street|road|lane|avenue|drive|close|"
                        r"way|crescent|grove|terrace|square|gardens|court|place)(?!\w)")


_DUTCH_UNITS = {k: v for k, v in _UNITS.items() if k in ("nul een één twee drie vier vijf zes zeven acht negen")}
_DUTCH_SMALL = {**_DUTCH_UNITS, "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14, "vijftien": 15,
                "zestien": 16, "zeventien": 17, "achttien": 18, "negentien": 19}
_DUTCH_TENS = {"twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50, "zestig": 60, "zeventig": 70,
               "tachtig": 80, "negentig": 90}


def _below_hundred(word: str) -> int | None:
    if word in _DUTCH_SMALL:
        return _DUTCH_SMALL[word]
    if word in _DUTCH_TENS:
        return _DUTCH_TENS[word]
    for tens, value in _DUTCH_TENS.items():  # "vierendertig", "drieëntwintig"
        if word.endswith(tens) and word[:-len(tens)][-2:] in ("en", "ën"):
            unit = _DUTCH_UNITS.get(word[:-len(tens) - 2])
            if unit:
                return value + unit
    return None


def dutch_number(word: str) -> int | None:
    """The value of one Dutch number word: "tweehonderdvierendertig" 234, "honderdzesendertig" 136, "tweeduizend"
    2000, "negentienhonderdzesentachtig" 1986; None for anything else."""
    word = word.lower()
    if not word or not word.isalpha():
        return None
    for big, factor in (("duizend", 1000), ("honderd", 100)):
        if big in word:
            left, _, right = word.partition(big)
            times = 1 if not left else dutch_number(left)
            rest = 0 if not right else dutch_number(right[2:] if right.startswith("en") and len(right) > 2
                                                     and dutch_number(right[2:]) else right)
            if times is None or rest is None or rest >= factor or times >= (10 if factor == 1000 else 100):
                return None
            return times * factor + rest
    return _below_hundred(word)


def _digits(word: str, previous_tens: bool) -> int | None:
    """How many digits a word says: "zes" 1, "twaalf" 2, "vierendertig" 2, "tweehonderdvijftig" 3, "06" 2, "nul-zes"
    2; "one" after "twenty" 0."""
    folded = word.lower().strip("'")
    if folded.lstrip("+").isdigit():
        return len(folded.lstrip("+"))
    if folded in _UNITS:
        return 0 if previous_tens and _UNITS[folded] else 1
    if folded in _TEENS or folded in _TENS or _DUTCH_COMPOUND.match(folded):
        return 2
    if "-" in folded:  # "twenty-one", "nul-zes-twaalf"
        tens, _, unit = folded.partition("-")
        if tens in _TENS and unit in _UNITS:
            return 2
        parts = [_digits(part, False) for part in folded.split("-")]
        return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    value = dutch_number(folded)
    return len(str(value)) if value is not None else None


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
    first = words[0][3].split("-")[0]
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
        cued = any(0 <= start - cue and len(text[cue:start].split()) <= _ID_WORDS
                   and not re.search(r"[.!?;]\s", text[cue:start]) for cue in cues)
        if cued and digits >= 5 or not spoken and digits == 9 and _eleven_test(piece):
            spans.append((start, end, "id"))
        elif spoken and zero and 10 <= digits <= 13:
            spans.append((start, end, "phone"))
    for pattern in (_STREET, _STREET_EN):
        spans += [(m.start(), m.end(), "place") for m in pattern.finditer(text)]
    spans += _spoken_street(text)
    spans += [(start, end, "birthdate") for start, end in spoken_birthdates(text)]
    return spans


def _eleven_test(piece: str) -> bool:
    """A Dutch citizen service number (BSN) passes the eleven test: 9x1 + 8x2 + ... + 2x8 - x9 is a multiple of 11."""
    digits = [int(c) for c in piece if c.isdigit()]
    if len(digits) != 9 or len(set(digits)) == 1:
        return False
    return sum(d * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True)) % 11 == 0


def _spoken_street(text: str) -> list[Found]:
    """A street name ending in a street word and a house number said in words ("Nieuwegracht tweeënveertig",
    "kastanjelaan drieëntwintig"); "een" alone is an article, not a number."""
    spans = []
    for match in _STREET_WORDS.finditer(text):
        number = re.match(r"\s+([a-zA-Zàâäéèëêïîöôüû]+)(?:\s?[a-z](?!\w))?", text[match.end():])
        if number is None or number.group(1).lower() in ("een", "nul", "en"):
            continue
        if dutch_number(number.group(1)) is None:
            continue
        spans.append((match.start(), match.end() + number.end(), "place"))
    return spans


_MONTH_WORDS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|january|"
                "february|march|may|june|july|august|october")
_ORDINALS = {"eerste": 1, "tweede": 2, "derde": 3, "achtste": 8, "first": 1, "second": 2, "third": 3, "fifth": 5,
             "eighth": 8, "ninth": 9, "twelfth": 12}
_BIRTH_WORDS = re.compile(r"(?i)\b(?:geboren|geboortedatum|geboortedag|jarig|verjaardag|born|birthday|birth)\b")


def _day(word: str) -> bool:
    """A day of the month in words: "twaalf", "drieëntwintigste", "eerste", "twelfth", "21"."""
    word = word.lower()
    if word.isdigit():
        return 1 <= int(word) <= 31
    if word in _ORDINALS:
        return True
    for ending in ("ste", "de", "th", "e"):  # "twintigste", "vierde", "fourth", "negende"
        if word.endswith(ending) and dutch_number(word[:-len(ending)]) is not None:
            return 1 <= (dutch_number(word[:-len(ending)]) or 0) <= 31
    if word in _UNITS or word in _TEENS or word in _TENS:  # English
        return word not in ("zero", "oh")
    value = dutch_number(word)
    return value is not None and 1 <= value <= 31


def _year(words: list[str]) -> int:
    """How many of the words say a year ("2011", "tweeduizend tien", "negentien zesentachtig", "tweeduizendelf")."""
    if not words:
        return 0
    first = words[0].lower()
    if first.isdigit():
        return 1 if len(first) == 4 else 0
    value = dutch_number(first)
    if value is not None and 1900 <= value <= 2099:
        second = words[1].lower() if len(words) > 1 else ""
        rest = dutch_number(second[2:] if second.startswith("en") and len(second) > 2 else second)
        return 2 if value % 100 == 0 and rest is not None and rest < 100 else 1
    if first in ("negentien", "twintig", "tweeduizend") and len(words) > 1:
        rest = dutch_number(words[1].lower())
        return 2 if rest is not None and rest < 100 else 0
    return 0


def spoken_birthdates(text: str) -> list[tuple[int, int]]:
    """A date said in words next to a word of birth ("geboren op twaalf maart tweeduizend tien", "haar geboortedatum
    is drie juni negentien zesentachtig"): the day, the month and the year that follows."""
    words = list(re.finditer(r"[\wëé]+", text))
    cues = [m.start() for m in _BIRTH_WORDS.finditer(text)]
    out = []
    for i, word in enumerate(words):
        if not re.fullmatch(_MONTH_WORDS, word.group(), flags=re.I) or i == 0 or not _day(words[i - 1].group()):
            continue
        if words[i - 1].group().isdigit() and i + 1 < len(words) and words[i + 1].group().isdigit():
            continue  # written dates are the rules' business
        start = words[i - 1].start()
        taken = _year([w.group() for w in words[i + 1:i + 3]])
        end = words[i + taken].end()
        near = [c for c in cues if -60 <= start - c <= 60 or 0 <= c - end <= 40]
        if near and not re.search(r"[.!?]\s", text[min(near[0], start):max(near[0], end)]):
            out.append((start, end))
    return out
