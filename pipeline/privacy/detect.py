"""Finding third parties in text: spans of a kind (person, school, institution, place, birthdate, phone, email, url).

- `RuleDetector` (every language): e-mail addresses, URLs, phone numbers (10-13 digits starting with 0, 00 or +),
  birth dates (a date next to "geboren", "geboortedatum", "born", "date of birth", ...; other dates stay),
  schools and institutions (capitalised words around "basisschool", "college", "ziekenhuis", "School",
  "Hospital", ...), and capitalised names: a run of capitalised words that is not at the start of a sentence and
  is not a stop word, weekday, month, language or common software name; after "in"/"uit"/"from"/"near" it is a
  place. English has no offline named-entity model on PyPI, so this is all English gets, with two more: a lower-case
  word after a title or before "'s mum" ("mrs fletcher", "kayla's mum") that spaCy's lexeme probabilities
  (spacy-lookups-data) give as more often capitalised than not.
- `DeduceDetector` (Dutch): deduce 3 (persons from name lists and patterns, places, care institutions, phone
  numbers, e-mail, URLs) merged with the rules. Its lookup structures are built once per machine into a cache
  folder (about 1.5 minutes), after which it starts in about 7 s.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pipeline.core.errors import require
from pipeline.privacy.spoken import spoken_contacts

log = logging.getLogger(__name__)

PRIORITY = {"email": 0, "url": 0, "phone": 0, "birthdate": 0, "id": 1, "school": 1, "institution": 1, "place": 2,
            "person": 3}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    text: str


class Detector(Protocol):
    name: str

    def detect(self, text: str) -> list[Span]:
        """Third parties in one text, non-overlapping, in order."""
        ...


def resolve(spans: Sequence[Span]) -> list[Span]:
    """Overlapping spans -> the longest (then the most specific kind) wins."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), PRIORITY.get(s.kind, 9), s.start)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


# -- rules ---------------------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00|0)\d(?:[\s\-./()]{0,3}\d){8,12}(?!\w)")  # "030 - 234 56 78"
_MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|jan|feb|mrt|"
           "apr|jun|jul|aug|sep|sept|okt|nov|dec|january|february|march|may|june|july|august|october|")
_MONTHS += "oct"
_DATE = (rf"(?:\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}|\d{{1,2}}(?:e|ste|de|st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})"
         rf"(?:\s+\d{{4}})?|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)")
_BIRTH_CUE = r"(?:geboren|geb\.|geboortedatum|geboortedag|born|birth|birthday|d\.?o\.?b\.?)"
_BIRTH_BEFORE = re.compile(rf"(?i)\b{_BIRTH_CUE}(?:\s+[\w:,]+){{0,3}}?\s*[:,]?\s+(?P<date>{_DATE})\b")
_BIRTH_AFTER = re.compile(rf"(?i)\b(?P<date>{_DATE})\s+(?:\w+\s+)?{_BIRTH_CUE}")

_CAP = r"[A-ZÀ-ÖØ-Þ][\w'\u2019-]*"
_SCHOOL_WORDS = ("basisschool|school|college|lyceum|gymnasium|atheneum|academie|hogeschool|universiteit|"
                 "kindcentrum|kinderdagverblijf|peuterspeelzaal|academy|university|primary|nursery")
_INSTITUTION_WORDS = ("ziekenhuis|kliniek|praktijk|stichting|jeugdzorg|ggz|zorggroep|gemeente|hospital|clinic|"
                      "foundation|trust|council|centre|center|surgery|practice|ministerie|politie")
_NAME_AFTER = rf"(?:\s+(?:(?:de|het|the|De|Het|The|St\.?|Sint)\s+)?{_CAP}(?:\s+{_CAP}){{0,2}})"
_ORG_BEFORE = re.compile(rf"(?:{_CAP}\s+){{1,3}}(?i:(?P<kw>{_SCHOOL_WORDS}|{_INSTITUTION_WORDS}))\b")
_ORG_AFTER = re.compile(rf"(?<![\w-])(?i:(?P<kw>{_SCHOOL_WORDS}|{_INSTITUTION_WORDS})){_NAME_AFTER}")
_ORG_COMPOUND = re.compile(r"\b[A-ZÀ-Þ][a-zà-ÿ]{2,}(?P<kw>school|college|ziekenhuis|kliniek)\b")
# An abbreviation in capitals that names a kind of organisation, followed by its own name: "ROC Friese Poort",
# "VV Zwaluwen", "CBS De Regenboog", "GGZ Noord Holland"; an old genitive "'s" before a capitalised word is always
# part of a proper name ("'s Koningshof", "'s-Hertogenbosch").
_ORG_ACRONYM = re.compile(rf"(?<![\w-])(?P<kw>[A-Z]{{2,5}})\s+(?:(?:[Dd]e|[Hh]et|'t)\s+)?{_CAP}(?:\s+{_CAP}){{0,2}}")
_SCHOOL_ACRONYMS = frozenset("ROC MBO HBO CBS OBS PCBS RKBS KBS IKC SBO SO VSO BS ISK".split())
_NOT_ORG_ACRONYMS = frozenset("OK TV PC CV WC AD NB PS BV NV VS EU US UK NL".split())
_OLD_GENITIVE = re.compile(r"(?<!\w)['\u2019]s(?P<hyphen>[ -])[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,2}")
_GENERIC_ORGS = frozenset({"basisschool", "hogeschool", "kleuterschool", "middelbareschool", "zomerschool",
                           "avondschool", "vakschool", "dagschool", "highschool", "preschool"})
# inside a name; "el", "al", "bin", "ibn", "abu" in Arabic names ("Ilias el Amrani")
PARTICLE_WORDS = frozenset("van de der den het ter ten te op von da di du le la 't el al bin ibn abu".split())
_NAME_RUN = re.compile(rf"{_CAP}(?:\s+(?:(?:{'|'.join(sorted(PARTICLE_WORDS))})\s+)*{_CAP})*")
_STREET_NAME_BEFORE = re.compile(rf"(?<![\w'-])(?P<word>{_CAP})\s+(?:(?:{'|'.join(sorted(PARTICLE_WORDS))})\s+)*$")
# English, where no analysis reads the parse: a name in lower case after a title ("mrs fletcher"), and a word before
# "'s" and a family member or carer ("kayla's mum", "Hope's foster carer")
_TITLED_EN = re.compile(r"(?i)(?<!\w)(?:mr|mrs|ms|miss|dr|mx)\.?\s+(?P<name>[a-z][a-z'-]+)")
_KIN_EN = re.compile(r"(?<![\w'])(?P<name>[A-Za-z][a-z-]+)['\u2019]s\s+(?:(?:foster|step|little|big|older|younger|"
                     r"real|birth)\s+)?(?:mum|mom|dad|mother|father|brother|sister|nan|nana|gran|granny|grandma|"
                     r"grandad|grandpa|grandmother|grandfather|aunt|auntie|uncle|cousin|carer|parents?|son|daughter|"
                     r"stepdad|stepmum|husband|wife|boyfriend|girlfriend|partner)(?!\w)")
_PLACE_CUE = re.compile(r"(?i)(?:\b(?:in|uit|naar|bij|from|near|outside|around)\s+)$")
_PERSON_CUE = re.compile(r"(?i)(?:\b(?:mr|mrs|ms|miss|dr|mx|dhr|mevr|meneer|mevrouw|juf|meester)\.?\s+)$")
NOT_NAMES = frozenset("""
maandag dinsdag woensdag donderdag vrijdag zaterdag zondag monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december
nederlands engels duits frans dutch english german french spanish european british nederland netherlands holland
god ok oke oké okay teams zoom word excel outlook powerpoint google whatsapp youtube microsoft mail e-mail internet
kerst pasen christmas easter mum mom dad mam pap sir madam year groep ja nee yes no hi hello hoi dag
ik i i'm i've i'll i'd
mr mrs ms miss dr mx dhr mevr meneer mevrouw juf meester
haha hahaha hihi hmm hm ehm uhm uh eh nou tja jeetje joh oeps oh ah au wow yeah yep nope
""".split())  # the last line: interjections and fillers, which a tagger may take for a name at a sentence start


@functools.cache
def _english_case() -> tuple[frozenset[str], frozenset[str]]:
    """English words (lower case) that spaCy's lexeme probabilities (spacy-lookups-data, from a large web corpus)
    give as more likely capitalised than in lower case ("kayla", "fletcher", "baker"; not "teacher", "hope"), and
    those more likely in lower case ("mute", "wiki")."""
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("spacy_lookups_data")
    if spec is None or spec.origin is None:
        return frozenset(), frozenset()
    path = Path(spec.origin).parent / "data" / "en_lexeme_prob.json.gz"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            prob: dict[str, float] = json.load(stream)
    except OSError:
        return frozenset(), frozenset()
    names = frozenset(word.lower() for word, p in prob.items() if word[:1].isupper() and word[1:].islower()
                      and word.isalpha() and p > prob.get(word.lower(), -100.0))
    words = frozenset(word for word, p in prob.items() if word.islower() and word.isalpha()
                      and p >= prob.get(word.capitalize(), -100.0))
    return names, words


def english_names() -> frozenset[str]:
    """English words more often capitalised than not (see `_english_case`)."""
    return _english_case()[0]


def english_words() -> frozenset[str]:
    """English words more often in lower case than capitalised ("mute", "wiki"): loan words in Dutch speech."""
    return _english_case()[1]


def _stop_words(language: str) -> frozenset[str]:
    if language.startswith("nl"):
        from spacy.lang.nl.stop_words import STOP_WORDS as NL

        return frozenset(NL)
    from spacy.lang.en.stop_words import STOP_WORDS as EN

    return frozenset(EN)


def _sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \t\"'\u201c\u201e\u2018(-\u2013")
    return not before or before[-1] in ".!?:;\n\u2026"


def _org_kind(keyword: str) -> str:
    return "school" if re.fullmatch(_SCHOOL_WORDS, keyword.lower()) else "institution"


class RuleDetector:
    """Rules and capitalised-name heuristics (see the module docstring); works for every language."""

    name = "rules-4"

    def __init__(self, language: str = "nl") -> None:
        self.language = language
        self.function_words = _stop_words(language)
        self.stop = self.function_words | NOT_NAMES

    def contacts(self, text: str) -> list[Span]:
        """E-mail addresses, URLs, phone numbers and birth dates: what is never a participant."""
        spans = [Span(m.start(), m.end(), "email", m.group()) for m in _EMAIL.finditer(text)]
        spans += [Span(m.start(), m.end(), "url", m.group()) for m in _URL.finditer(text)]
        for m in _PHONE.finditer(text):
            digits = sum(c.isdigit() for c in m.group())
            if 10 <= digits <= 13:
                spans.append(Span(m.start(), m.end(), "phone", m.group()))
        for pattern in (_BIRTH_BEFORE, _BIRTH_AFTER):
            spans += [Span(m.start("date"), m.end("date"), "birthdate", m.group("date"))
                      for m in pattern.finditer(text)]
        for start, end, kind in spoken_contacts(text):
            if kind == "place":  # a street named after someone: "Johan de Wittlaan 27", "Van Baerlestraat 12"
                before = _STREET_NAME_BEFORE.search(text[:start])
                if before is not None and before.group("word").lower() not in self.stop:
                    start = before.start()
            spans.append(Span(start, end, kind, text[start:end]))
        return resolve(spans)

    def _name_word(self, word: str) -> bool:
        folded = word.lower().strip("'\u2019")
        return not (folded in self.stop or (word.isupper() and len(word) > 1) or any(c.isdigit() for c in word))

    def _trim(self, text: str, start: int, end: int, keyword: str = "") -> tuple[int, int] | None:
        """The span without stop words at either end ("Mijn", "Op", "de"); None when nothing is left."""
        words = [(start + w.start(), start + w.end(), w.group()) for w in re.finditer(r"\S+", text[start:end])]
        while words and not self._name_word(words[0][2]) and words[0][2].lower() != keyword:
            words.pop(0)
        while words and not self._name_word(words[-1][2]) and words[-1][2].lower() != keyword:
            words.pop()
        return (words[0][0], words[-1][1]) if words else None

    def organisations(self, text: str) -> list[Span]:
        """Schools and institutions: capitalised words before or after a keyword, or a capitalised compound."""
        spans: list[Span] = []
        for pattern in (_ORG_BEFORE, _ORG_AFTER, _ORG_COMPOUND):
            for m in pattern.finditer(text):
                keyword = m.group("kw").lower()
                if pattern is _ORG_COMPOUND:
                    if m.group().lower() in _GENERIC_ORGS or _sentence_start(text, m.start()):
                        continue
                    spans.append(Span(m.start(), m.end(), _org_kind(keyword), m.group()))
                    continue
                trimmed = self._trim(text, m.start(), m.end(), keyword)
                if trimmed is None:
                    continue
                found = text[trimmed[0]:trimmed[1]]
                if not any(self._name_word(w) and w.lower() != keyword for w in found.split()):
                    continue  # "Mijn school", "de basisschool": no name
                spans.append(Span(trimmed[0], trimmed[1], _org_kind(keyword), found))
        if self.language.startswith("nl"):  # Dutch abbreviations and spelling; English has its own "'s"
            for m in _ORG_ACRONYM.finditer(text):
                acronym = m.group("kw")
                if acronym in _NOT_ORG_ACRONYMS or acronym.lower() in self.stop:
                    continue
                end = m.end()
                while end > m.start("kw") and text[:end].split()[-1].lower() in self.function_words:
                    end = m.start() + text[m.start():end].rstrip().rfind(" ")  # "VV Zwaluwen Maar": no name
                if end <= m.end("kw"):
                    continue
                kind = "school" if acronym in _SCHOOL_ACRONYMS else "institution"
                spans.append(Span(m.start(), end, kind, text[m.start():end]))
            for m in _OLD_GENITIVE.finditer(text):
                kind = "place" if m.group("hyphen") == "-" else "institution"
                spans.append(Span(m.start(), m.end(), kind, m.group()))
        return spans

    def names(self, text: str) -> list[Span]:
        """Capitalised runs not at a sentence start (or after "meneer"/"Mrs"/...), kind from the word before."""
        spans: list[Span] = []
        for m in _NAME_RUN.finditer(text):
            start, words = m.start(), m.group().split()
            if _sentence_start(text, start) and not _PERSON_CUE.search(text[:start]):
                # a capital at a sentence start says nothing, unless a second name word follows ("Tom Baker zei")
                if len(words) < 2 or not (self._name_word(words[0]) and self._name_word(words[1])):
                    if len(words) < 2:
                        continue
                    start = text.index(words[1], start + len(words[0]))
            trimmed = self._trim(text, start, m.end())
            if trimmed is None:
                continue
            found = re.sub(r"['\u2019]s?$", "", text[trimmed[0]:trimmed[1]])
            if len(found) < 2:
                continue
            kind = "place" if _PLACE_CUE.search(text[:trimmed[0]]) else "person"
            spans.append(Span(trimmed[0], trimmed[0] + len(found), kind, found))
        if self.language.startswith("en"):
            for pattern in (_TITLED_EN, _KIN_EN):
                for m in pattern.finditer(text):
                    if self._name_word(m.group("name")) and m.group("name").lower() in english_names():
                        spans.append(Span(m.start("name"), m.end("name"), "person", m.group("name")))
        return spans

    def detect(self, text: str) -> list[Span]:
        return resolve(self.contacts(text) + self.organisations(text) + self.names(text))


# -- deduce ----------------------------------------------------------------------------------------------------------
_DEDUCE: dict[Path, Any] = {}
_DEDUCE_KINDS = (("email", "email"), ("url", "url"), ("telefoon", "phone"), ("ziekenhuis", "institution"),
                 ("instelling", "institution"), ("locatie", "place"), ("straat", "place"), ("persoon", "person"),
                 ("patient", "person"), ("naam", "person"))


def deduce_kind(tag: str) -> str | None:
    """deduce's tag -> our kind; dates and ages are left to the rules (only birth dates are hidden)."""
    if tag in ("bsn", "id"):  # a citizen service number; any number of 7 digits or more
        return "id"
    return next((kind for key, kind in _DEDUCE_KINDS if key in tag), None)


def load_deduce(cache_dir: Path) -> Any:
    """A Deduce instance whose lookup structures are cached in `cache_dir` (built there on first use)."""
    cache_dir = Path(cache_dir)
    if cache_dir in _DEDUCE:
        return _DEDUCE[cache_dir]
    # No fall-back to the rules alone: deduce catches names they miss (README, the hard part), and the draft's key
    # names deduce, so a draft made without it would be kept once deduce is installed.
    require("privacy", "pseudonymising Dutch (--pseudonymise)")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import deduce  # its import calls logging.basicConfig(stream=stdout, level=DEBUG): undone below
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    if not (cache_dir / "cache" / "lookup_structs.pickle").is_file():
        log.warning("building deduce's lookup tables in %s (once per machine, 1-2 minutes)", cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    instance = deduce.Deduce(cache_path=cache_dir)
    _DEDUCE[cache_dir] = instance
    return instance


class DeduceDetector:
    """Dutch: deduce's persons, places, institutions, phones, e-mail and URLs, merged with `RuleDetector`."""

    name = "deduce-3.0.6+rules-4"

    def __init__(self, cache_dir: Path, language: str = "nl") -> None:
        self.deduce = load_deduce(cache_dir)  # first: without deduce, fail before the rules' start-up
        self.rules = RuleDetector(language)

    def detect(self, text: str) -> list[Span]:
        spans: list[Span] = []
        document = self.deduce.deidentify(text)
        for annotation in document.annotations:
            kind = deduce_kind(annotation.tag)
            if kind is not None:
                spans.append(Span(annotation.start_char, annotation.end_char, kind, annotation.text))
        return resolve(spans + self.rules.detect(text))


def default_cache_dir(env: dict[str, str] | Any) -> Path:
    """$XDG_CACHE_HOME/oogst, else ~/.cache/oogst (deduce's tables go in its `deduce` folder)."""
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base).expanduser() / "oogst"
