"""Contact details as a transcript writes them: said aloud, in words, or with spaces (Dutch and English).

- Phone numbers in words (or words and digits): "nul zes twaalf vierendertig vijfenzestig achtenzeventig",
  "oh seven seven double oh ...": a run of number words starting with zero or "plus" that makes 10-13 digits, the
  length `detect` asks of a written number.
- E-mail addresses said aloud: "jan punt de vries apenstaartje gmail punt com", "jan at example dot co dot uk",
  "jan.devries @ gmail.com": a name part, "at"/"apenstaartje"/"@", a domain and "punt"/"dot" before a known
  top-level domain.
- Identification numbers: a number of 5 or more digits (written, spaced or in words) within a few words after a
  word that names one ("BSN", "burgerservicenummer", "dossiernummer", "NHS number", "patient number", ...).
- Reference codes of capitals and digits ("R-2019-4471", "10234-B") and Dutch postcodes ("1071 DA").
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
_ENGLISH_TENS = frozenset("twenty thirty forty fifty sixty seventy eighty ninety".split())
# a dash said between groups of digits ("vier vier zeven één, streepje, twee twee nul")
_NUMBER_DASH = frozenset({"streepje", "koppelteken", "dash", "hyphen"})
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
# a domain said in words may have spaces where the address has none ("info at de klimop punt nl"): up to three
_DOMAIN = re.compile(rf"(?i)^(?P<domain>[a-z0-9][\w-]*(?:(?:{_DOT}|{_DASH}|\s+(?=[a-z0-9][\w-]*(?:\s+[a-z0-9][\w-]*)?"
                     rf"{_DOT}))[a-z0-9][\w-]*)*?){_DOT}"
                     rf"(?P<tld>nl|com|org|net|be|eu|info|uk|de|nu|edu|gov|io|fr)(?!\w)")
_JOINER = frozenset({"punt", "dot", "streepje", "dash", "underscore", "liggend", "min", "hyphen"})
_PARTICLES = frozenset({"van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "op"})
_STREET = re.compile(r"(?i)(?<![\w-])[a-zà-ÿ][\w'-]*?(?:straat|laan|weg|plein|gracht|singel|kade|dijk|steeg|dreef|"
                     r"hof|markt|pad)\s+\d{1,4}(?:\s?[a-z](?![\w]))?(?!\w)")
_STREET_WORDS = re.compile(r"(?i)(?<![\w-])[a-zà-ÿ][\w'-]*?(?:straat|laan|weg|plein|gracht|singel|kade|dijk|steeg|"
                           r"dreef|hof|markt|pad)(?!\w)")
_ID_WORDS = 8  # an id number within this many words after the word that names it, in the same sentence
# A reference code written with capitals and digits ("R-2019-4471", "10234-B", "CR-20457"): at least five digits
# and a capital; a Dutch postcode ("1071 DA"; SA, SD and SS are not given out, AD and BC follow a year).
_CODE = re.compile(r"(?<![\w/-])(?:[A-Z]{1,4}[-/]?)?\d[\d/-]*\d(?:[-/]?[A-Z]{1,3})?(?![\w/-])")
_POSTCODE = re.compile(r"(?<![\w-])[1-9]\d{3}\s?(?!SA|SD|SS|AD|BC)[A-Z]{2}(?![\w-])|(?i:(?<=postcode)\s+(?:is\s+)?)"
                       r"(?P<lower>[1-9]\d{3}\s?[a-z]{2})(?!\w)")
_STREET_EN = re.compile(r"(?i)(?<!\w)\d{1,4}[a-z]?\s+(?:[a-z][\w'-]+\s+){1,2}(?:street|road|lane|avenue|drive|close|"
                        r"way|crescent|grove|terrace|square|gardens|court|place)(?!\w)")
# a house number in words ("twelve", "twenty-one"; not "one", an article's stand-in), with the flat before it
# ("flat three, twelve church lane"); only before a street word that names nothing else ("way", "drive" do)
_EN_NUMBER = (r"(?:\d{1,4}[a-z]?|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-(?:one|two|three|four|"
              r"five|six|seven|eight|nine))?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
              r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)")
_STREET_EN_SAID = re.compile(rf"(?i)(?<!\w)(?:flat\s+{_EN_NUMBER},?\s+)?{_EN_NUMBER}\s+(?:[a-z][\w'-]+\s+){{1,2}}"
                             r"(?:street|road|lane|avenue|close|crescent|grove|terrace|gardens)(?!\w)")


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
        if folded in _NUMBER_DASH and current:
            last_end = match.end()
            continue
        if folded == "plus" or word.startswith("+") and word[1:].isdigit():  # "+31 6 ...", "plus eenendertig"
            if current:
                runs.append(_close(current))
            current = [(match.start(), match.end(), len(word) - 1 if word[1:].isdigit() else 0, "plus")]
            last_end = match.end()
            continue
        # "twenty one" is one number in English; Dutch says the unit first ("eenentwintig"), so "nul twintig, zes"
        # is two groups, and a comma always separates them
        said = _digits(word, bool(current) and current[-1][3] in _ENGLISH_TENS and not gap.strip())
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
        while first < len(words) - 1 and words[first].group().lower() in _JOINER | _PARTICLES:
            first += 1  # "mailen op jan punt ...": the preposition is no part of the address
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
        if spoken and zero and 10 <= digits <= 13:  # a phone number after "nummer" is still a phone number
            spans.append((start, end, "phone"))
        elif cued and digits >= 5 or not spoken and digits == 9 and _eleven_test(piece):
            spans.append((start, end, "id"))
    for m in _CODE.finditer(text):
        if sum(c.isdigit() for c in m.group()) >= 5 and any(c.isupper() for c in m.group()):
            spans.append((m.start(), m.end(), "id"))
    spans += [(m.start("lower"), m.end(), "place") if m.group("lower") else (m.start(), m.end(), "place")
              for m in _POSTCODE.finditer(text)]
    for pattern in (_STREET, _STREET_EN, _STREET_EN_SAID):
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
_ENGLISH_VALUES = {**{k: v for k, v in _UNITS.items() if k not in _DUTCH_UNITS and k != "oh"},
                   **dict(zip("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(),
                              range(10, 20), strict=True)),
                   **dict(zip("twenty thirty forty fifty sixty seventy eighty ninety".split(), range(20, 100, 10),
                              strict=True))}


def _cardinal(word: str) -> int | None:
    """A number said in one word, Dutch or English ("elf", "zesentwintig", "twelve", "21"); None otherwise."""
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word in _ENGLISH_VALUES:
        return _ENGLISH_VALUES[word]
    return dutch_number(word)


def _ordinal(word: str) -> int | None:
    """An ordinal said in one word ("achtste", "zesde", "eenentwintigste", "twelfth", "8e"); None otherwise."""
    word = word.lower()
    if word in _ORDINALS:
        return _ORDINALS[word]
    for ending in ("ste", "de", "th", "e"):  # "twintigste", "vierde", "fourth", "negende", "8e"
        if word.endswith(ending) and len(word) > len(ending):
            value = _cardinal(word[:-len(ending)])
            if value is not None:
                return value
    return None


def _day(word: str) -> bool:
    """A day of the month in words: "twaalf", "drieëntwintigste", "eerste", "twelfth", "21"."""
    value = _ordinal(word)
    if value is None and word.lower() not in ("zero", "oh"):
        value = _cardinal(word)
    return value is not None and 1 <= value <= 31


def _year(words: list[str]) -> int:
    """How many of the words say a year ("2011", "tweeduizend tien", "twee duizend tien", "negentien zesentachtig",
    "tweeduizendelf", "two thousand and twelve", "nineteen eighty-six")."""
    folded = [w.lower() for w in words[:4]]
    if not folded:
        return 0
    first = folded[0]
    if first.isdigit():
        return 1 if len(first) == 4 else 0

    def small(i: int) -> int:  # how many words from i say a number under a hundred ("and twelve": 2)
        if i < len(folded) and folded[i] == "and":
            return 1 + small(i + 1) if small(i + 1) else 0
        if i >= len(folded):
            return 0
        word = folded[i][2:] if folded[i].startswith("en") and len(folded[i]) > 2 else folded[i]
        value = _cardinal(word)
        if value is None and "-" in word:  # "eighty-six"
            parts = [_cardinal(p) for p in word.split("-")]
            value = sum(p for p in parts if p is not None) if None not in parts else None
        return 1 if value is not None and value < 100 else 0

    value = _cardinal(first)
    if value is not None and 1900 <= value <= 2099:
        return 1 + small(1) if value % 100 == 0 else 1
    if len(folded) > 1 and folded[1] in ("duizend", "thousand") and _cardinal(first) == 2:
        return 2 + small(2)  # "twee duizend tien"
    if first in ("negentien", "twintig", "tweeduizend", "nineteen", "twenty") and len(folded) > 1:
        return 1 + small(1) if small(1) else 0
    return 0


def spoken_birthdates(text: str) -> list[tuple[int, int]]:
    """A date said in words next to a word of birth: the day, the month and the year that follows. The month is a
    name ("geboren op twaalf maart tweeduizend tien", "the third of March two thousand and twelve"), a number before a
    year ("elf elf twee duizend tien") or an ordinal ("de achtste van de zesde tweeduizend negen")."""
    words = list(re.finditer(r"[\wëé-]+", text))
    said = [w.group() for w in words]
    cues = [m.start() for m in _BIRTH_WORDS.finditer(text)]
    out = []
    for i in range(len(words)):
        month, day = said[i], i - 1
        of_form = day > 0 and said[day].lower() in ("of", "van") and bool(re.fullmatch(_MONTH_WORDS, month,
                                                                                      flags=re.I))
        if of_form:
            day -= 1  # "the third of March"
        if day > 1 and said[day].lower() == "de" and said[day - 1].lower() == "van" and _ordinal(month) \
                and 1 <= (_ordinal(month) or 0) <= 12 and _ordinal(said[day - 2]):
            day -= 2  # "de achtste van de zesde": day and month as ordinals
            by_number = True
        else:
            by_number = False
        if day < 0 or not _day(said[day]):
            continue
        taken = _year(said[i + 1:i + 5])
        if not by_number and not re.fullmatch(_MONTH_WORDS, month, flags=re.I):
            value = _cardinal(month)
            if value is None or not 1 <= value <= 12 or not taken or said[day].isdigit():
                continue  # a month by its number only with a year after it: "elf elf twee duizend tien"
        if said[day].isdigit() and i + 1 < len(words) and said[i + 1].isdigit():
            continue  # written dates are the rules' business
        start = words[day].start()
        if day > 0 and said[day - 1].lower() in ("de", "the") and (by_number or of_form):
            start = words[day - 1].start()
        end = words[i + taken].end()
        near = [c for c in cues if -60 <= start - c <= 60 or 0 <= c - end <= 40]
        if near and not re.search(r"[.!?]\s", text[min(near[0], start):max(near[0], end)]):
            out.append((start, end))
    return out
