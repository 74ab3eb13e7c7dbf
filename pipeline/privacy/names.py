"""Dutch names from Frog's analysis, joined with deduce's and the rules' spans (`FrogDetector`).

What the analysis adds to deduce and the rules (`detect.py`), which only see capitals and name lists:
- Frog's entities (PER a person, LOC a place, ORG an institution) whose words are proper names (tagged
  SPEC(deeleigen) or N(eigen), or known to Frog's lexicon mainly as a name), also at the start of a sentence, where
  a capital says nothing to the rules.
- Lower-case names, as Whisper writes them: a noun that Frog's tagger lexicon has seen twice as often capitalised
  as a proper name as in lower case as a word ("bram", "zwolle"; not "roos", "bos"), used as a name (no article,
  determiner, numeral or adjective before it, not plural), with a surname that follows ("sanne van der meer").
  deduce and the rules read the text with such words capitalised (offsets unchanged), so their lists and cues give
  the kind ("in Zwolle": a place).
- A proper name or a word no lexicon knows that is the subject or object of a verb of communication or care
  ("tjabbe belde", "ik help femke", "praat met X").
- Names known in the session: a name caught once is caught elsewhere in the session in any case ("Bram" in one
  turn, "bram" in another), unless it is used as a common noun there ("de roos").
- Names given by their place in the sentence (names5): what a naming verb gives ("ze heet sarah", "De Haan, zo heet
  die leraar"); a first name that is also a word as the bare singular subject of a finite verb ("Bloem is pas
  vijf", where the word would need an article); a word before "z'n"/"zijn" and a noun ("thijs z'n moeder"); a
  compound naming a school, street or neighbourhood that the lexicon does not know as a word ("de sterrenschool",
  "de paulus potterstraat"); a word the lexicon never saw, and no compound of words it knows, after a preposition
  ("bij kenamju").
Participants are left to the caller (the protected names). Frog's lexicon is read as data from frogdata's files
(GPL-3; nothing of Frog is linked), once per process.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.privacy.detect import NOT_NAMES, PARTICLE_WORDS, Span, resolve
from pipeline.privacy.lists import NameLists, shared_name_lists
from pipeline.privacy.mapping import PARTICLES, TITLES

if TYPE_CHECKING:
    from pipeline.analysis.types import Analyser, Sentence, Token
    from pipeline.privacy.detect import Detector

log = logging.getLogger(__name__)

FROG_KINDS = {"PER": "person", "LOC": "place", "ORG": "institution"}  # PRO, EVE, MISC: products, events: kept
_SCHOOL = re.compile(r"(?i)school|college|lyceum|gymnasium|academie|universiteit|kindcentrum")
# Verbs whose subject or object is a person ("X belde", "help X", "praat met X"): communication and care.
PERSON_VERBS = frozenset("""
zeggen vertellen vragen navragen antwoorden bellen opbellen terugbellen aanbellen mailen e-mailen appen
schrijven melden praten spreken aanspreken roepen schreeuwen klagen zeuren uitleggen beloven waarschuwen
informeren uitnodigen groeten bedanken feliciteren ontmoeten huilen lachen zuchten knikken
zorgen verzorgen helpen begeleiden ondersteunen opvangen bezoeken opzoeken verplegen behandelen troosten
knuffelen opvoeden adviseren coachen steunen verwijzen doorverwijzen aanmelden ophalen
""".split())
# Prepositions whose object can be the person addressed or cared for ("met X praten", "zorgen voor X").
PERSON_PREPOSITIONS = frozenset({"met", "tegen", "aan", "voor", "bij", "van", "over", "naar"})
# A word said in lower case is taken for a name when the lexicon saw it capitalised as a name twice as often as in
# lower case: "bram", "zwolle", "mark", "kok" are; "roos" (62 to 37), "hoorn", "west", "laken" are not (they are
# still names when capitalised mid-sentence, at a sentence start as Frog's persons, or known in the session).
LOWER_CASE_RATIO = 2.0
# A surname that is also a word ("koster", "boer") is taken for a name in a person's role when the lexicon saw it as
# a proper name at least half as often as a word (not "dokter", "meester": a person's role, but a word).
SURNAME_RATIO = 0.5
# Verbs whose "in/uit/naar X" is where someone lives or comes from ("verhuisd naar houten").
PLACE_VERBS = frozenset("wonen verhuizen opgroeien geboren verblijven logeren komen vertrekken trekken".split())
PLACE_PREPOSITIONS = frozenset({"in", "uit", "naar", "vanuit"})
# Verbs that give a name: "ze heet sarah", "hij heet eigenlijk Pieter", "De Haan, zo heet die leraar".
NAMING_VERBS = frozenset({"heten", "noemen"})
# The last part of a compound that names a kind of place or organisation; such a compound that Frog's lexicon does
# not know as an ordinary word ("sterrenschool", "potterstraat") is the name of one ("basisschool", "zijstraat",
# "woonwijk" are words)
KIND_ENDINGS = (("school", "school"), ("college", "school"), ("lyceum", "school"), ("straat", "place"),
                ("laan", "place"), ("plein", "place"), ("gracht", "place"), ("singel", "place"), ("kade", "place"),
                ("dijk", "place"), ("wijk", "place"), ("buurt", "place"))
_POSSESSIVES = frozenset({"z'n", "zijn", "d'r", "haar", "der"})
# Particles between a title and a surname: not the prepositions that start a place ("meneer op kamer vier")
_TITLE_PARTICLES = PARTICLES - {"op", "in", "te"}
_FUNCTION_TAGS = frozenset({"LID", "VNW", "VZ", "VG", "LET", "TW", "BW", "TSW"})


class Lexicon:
    """Frog's tagger lexicon as counts: how often a word was seen in lower case, and capitalised as a proper name."""

    def __init__(self, lower: dict[str, int], proper: dict[str, int]) -> None:
        self.lower = lower
        self.proper = proper

    def compound(self, word: str, depth: int = 0) -> bool:
        """Two (or three) words the lexicon knows in lower case, joined with or without a linking -s-, -e- or -en-
        ("zorgbalans", "keukentafelgesprek"): a Dutch compound, not a name the lexicon never saw."""
        folded = word.lower()

        def seen(part: str) -> bool:
            return part in self.lower

        for cut in range(3, len(folded) - 2):
            left, right = folded[:cut], folded[cut:]
            if not (seen(right) or len(right) >= 6 and depth < 1 and self.compound(right, depth + 1)):
                continue
            if seen(left) or left[-1] in "se" and seen(left[:-1]) or left.endswith("en") and seen(left[:-2]):
                return True
        return False

    def name_like(self, word: str, ratio: float = 1.0) -> bool | None:
        """True when the word is more often (`ratio` times as often) a proper name than a lower-case word; None when
        neither was seen."""
        folded = word.lower()
        proper, lower = self.proper.get(folded, 0), self.lower.get(folded, 0)
        if not proper and not lower:
            return None
        return proper > ratio * lower

    @classmethod
    def read(cls, path: Path) -> Lexicon:
        """A lexicon file of Frog's tagger (MBT): "count word tag:count tag:count ..." per line."""
        lower: dict[str, int] = {}
        proper: dict[str, int] = {}
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                parts = line.split(" ", 2)
                if len(parts) < 3 or not parts[1].isalpha():
                    continue
                count, word, tags = parts
                if word.islower():
                    lower[word] = lower.get(word, 0) + int(count)
                elif word[0].isupper() and word[1:].islower() and "SPEC(deeleigen):" in tags:  # not "HAVO"
                    seen = int(tags.split("SPEC(deeleigen):", 1)[1].split(" ", 1)[0])
                    proper[word.lower()] = proper.get(word.lower(), 0) + seen
        return cls(lower, proper)


def lexicon_path(binary: str = "frog") -> Path | None:
    """Frog's tagger lexicon (frogdata's Dutch configuration names its settings file; the lexicon sits beside it)."""
    found = shutil.which(binary)
    if found is None:
        return None
    folder = Path(found).resolve().parent.parent / "share" / "frog" / "nld"
    try:
        config = (folder / "frog.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"\[\[tagger\]\][^\[]*?settings=\"?([^\"\n]+?)\.settings\"?\s*$", config, flags=re.M)
    candidates = [folder / f"{match.group(1)}.lex"] if match else []
    candidates += sorted(folder.glob("*.mbt.*.lex"))
    return next((p for p in candidates if p.is_file()), None)


@functools.cache
def shared_lexicon() -> Lexicon | None:
    """Frog's lexicon, read once per process; None without frogdata (lower-case names are then not guessed)."""
    path = lexicon_path()
    if path is None:
        log.info("Frog's tagger lexicon not found: lower-case names are only caught when known in the session")
        return None
    return Lexicon.read(path)


# -- one sentence ----------------------------------------------------------------------------------------------
def align(text: str, sentence: Sentence, at: int = 0) -> tuple[list[tuple[int, int] | None], int]:
    """Each token's (start, end) in `text`, searched from `at` in order (None when Frog changed the token, e.g. a
    quote), and where the sentence ends."""
    offsets: list[tuple[int, int] | None] = []
    for token in sentence.tokens:
        found = text.find(token.text, at, at + len(token.text) + 40)
        if found < 0:
            offsets.append(None)
            continue
        offsets.append((found, found + len(token.text)))
        at = found + len(token.text)
    return offsets, at


def _is_proper(token: Token, lexicon: Lexicon | None, sentence_start: bool) -> bool:
    """A proper name: so tagged, unless Frog's lexicon knows the word mainly in lower case and only its place at the
    start of a sentence gave it a capital ("Karakter", "Haha"); or a word the lexicon knows mainly as a name."""
    known = lexicon.name_like(token.text) if lexicon is not None else None
    if known is True:
        return True
    tagged = token.tag == "SPEC" and "deeleigen" in token.tag_features or token.tag == "N" and "eigen" in \
        token.tag_features
    return tagged and (known is None or not sentence_start)


def _used_as_noun(sentence: Sentence, i: int, *, known_word: bool = True) -> bool:
    """An article, determiner or adjective before the word, or plural: a common noun ("de roos", "rozen").

    Args:
        known_word: the tagger knows the word in lower case; else its number is a guess from the ending
            ("apeldoorn" as a plural) and says nothing.
    """
    token = sentence.tokens[i]
    if "mv" in token.tag_features and known_word:
        return True
    after_noun = i > 0 and sentence.tokens[i - 1].tag == "N" and "soort" in sentence.tokens[i - 1].tag_features
    if not after_noun and any(sentence.tokens[d].relation == "det" for d in sentence.dependents(i)):
        return True  # the article of "mijn collega ahmed" is the noun's: a name in apposition
    if i > 0:
        before = sentence.tokens[i - 1]
        if before.tag == "LID" or before.tag == "VNW" and ("det" in before.tag_features or "bez" in
                                                            before.tag_features):
            return True
        if before.tag == "ADJ" and "prenom" in before.tag_features or before.tag == "TW":
            return True  # "kleine roos", "2 havo"
    return False


class SentenceNames:
    """The names in one analysed sentence of a text (see the module docstring)."""

    def __init__(self, text: str, sentence: Sentence, offsets: list[tuple[int, int] | None],
                 lexicon: Lexicon | None, stop: frozenset[str], lists: NameLists | None = None) -> None:
        self.text = text
        self.lists = lists
        self.sentence = sentence
        self.offsets = offsets
        self.lexicon = lexicon
        self.stop = stop

    def _word(self, i: int) -> bool:
        token = self.sentence.tokens[i]
        folded = token.text.lower()
        return (self.offsets[i] is not None and token.tag not in _FUNCTION_TAGS and folded not in self.stop
                and not any(c.isdigit() for c in token.text) and len(folded) > 1
                and not (token.text.isupper() and len(token.text) > 1))

    def _particle(self, i: int) -> bool:
        token = self.sentence.tokens[i]
        return self.offsets[i] is not None and token.text[:1].isupper() and token.text.lower() in PARTICLE_WORDS

    def _starts(self, i: int) -> bool:
        """Does the token open its sentence (after quotes or a dash)?"""
        return all(t.tag == "LET" for t in self.sentence.tokens[:i])

    def _span(self, first: int, last: int, kind: str) -> Span | None:
        start, end = self.offsets[first], self.offsets[last]
        if start is None or end is None:
            return None
        return Span(start[0], end[1], kind, self.text[start[0]:end[1]])

    def entities(self) -> list[Span]:
        """Frog's PER/LOC/ORG runs, without edge words that are no name, with at least one proper name in them."""
        runs: list[tuple[str, list[int]]] = []
        for i, token in enumerate(self.sentence.tokens):
            kind = token.entity_type
            if kind is None:
                continue
            if token.entity.startswith("I-") and runs and runs[-1][0] == kind and runs[-1][1][-1] == i - 1:
                runs[-1][1].append(i)
            else:
                runs.append((kind, [i]))
        spans = []
        for kind, run in runs:
            if kind not in FROG_KINDS:
                continue
            tokens = self.sentence.tokens
            while run and not (self._word(run[0]) and tokens[run[0]].text[:1].isupper()
                               or self._particle(run[0]) and len(run) > 1):  # "Van der Berg", "De Jong"
                run.pop(0)
            while run and not (self._word(run[-1]) and tokens[run[-1]].text[:1].isupper()):
                run.pop()
            if not run or not any(_is_proper(tokens[i], self.lexicon, self._starts(i)) for i in run):
                continue
            if any(tokens[i].text.lower() not in PARTICLE_WORDS and not self._word(i) for i in run):
                continue  # a stop word or a weekday inside: not one name
            found = FROG_KINDS[kind]
            span = self._span(run[0], run[-1], found)
            if span is not None:
                if found == "institution" and _SCHOOL.search(span.text):
                    span = Span(span.start, span.end, "school", span.text)
                spans.append(span)
        return spans

    def keeps(self, i: int, lower: set[int], *, left: bool) -> bool:
        """May token i stand at the edge of a name another detector found?"""
        token, offset = self.sentence.tokens[i], self.offsets[i]
        if offset is None:
            return False
        if token.text[:1].islower():
            if offset[0] in lower:  # a lower-case name, capitalised for the other detectors
                return True
            return left and token.text in PARTICLE_WORDS and i + 1 < len(self.sentence.tokens) \
                and self.sentence.tokens[i + 1].text[:1].isupper()
        if not token.text[:1].isupper():
            return False
        if not self._starts(i):
            return True  # a capital inside a sentence: the other detectors' evidence stands
        known = self.lexicon.name_like(token.text) if self.lexicon is not None else None
        if token.tag not in ("N", "SPEC"):
            return False  # "Pak maar", "Super, dank je": a verb or an adjective that opens the sentence
        return token.entity_type in FROG_KINDS or _is_proper(token, self.lexicon, True) or known is None

    def lower_case(self) -> list[tuple[int, int]]:
        """Names in lower case (first and last token): a word Frog's lexicon knows mainly as a proper name, used as
        a name, with the surname that may follow it."""
        found = []
        for i, token in enumerate(self.sentence.tokens):
            # the tagger's guess from the ending of a word it never saw in lower case ("ahmed" as a past tense) is
            # no evidence against a name its lexicon and deduce's list know
            guessed = self.lexicon is not None and token.text not in self.lexicon.lower and token.tag == "WW" \
                and self.lists is not None and self.lists.first_name(token.text)
            if not token.text.islower() or not token.text.replace("-", "").isalpha() or len(token.text) < 3 \
                    or token.tag not in ("N", "SPEC") and not guessed or "vreemd" in token.tag_features:
                continue  # "vreemd": "exit tickets"
            if not self._word(i):
                continue
            known = self.lexicon.name_like(token.text, LOWER_CASE_RATIO) if self.lexicon is not None else None
            # a first name from deduce's list that Frog's lexicon does not know mainly as a word ("yasmina",
            # "dirk-jan"; not "roos", "storm")
            listed = self.lists is not None and self.lists.first_name(token.text) and (
                self.lexicon is None or self.lexicon.name_like(token.text) is not False)
            if (known is True or listed) and not _used_as_noun(
                    self.sentence, i, known_word=self.lexicon is not None and token.text in self.lexicon.lower):
                found.append((i, self._surname(i) or i))
        return found

    def listed(self) -> list[Span]:
        """A first name (or its pet form) from deduce's list at the start of a sentence, where the rules do not
        trust a capital: "Sjaakie komt altijd te laat"; not a word Frog's lexicon knows mainly in lower case."""
        tokens, spans = self.sentence.tokens, []
        for i, token in enumerate(tokens):
            # the tagger's guess from the ending of a word its lexicon never saw ("Ferhat" as a past participle)
            guessed = token.tag == "WW" and self.lexicon is not None and token.text.lower() not in self.lexicon.lower
            if not self._starts(i) or not token.text[:1].isupper() or token.tag not in ("N", "SPEC") and not guessed \
                    or not self._word(i) or self.lists is None or not self.lists.pet_name(token.text):
                continue
            if self.lexicon is not None and self.lexicon.name_like(token.text) is False:
                continue
            if not _used_as_noun(self.sentence, i):
                span = self._span(i, i, "person")
                if span is not None:
                    spans.append(span)
        return spans

    def places(self) -> list[Span]:
        """A place from deduce's list in lower case after "in/uit/naar" where someone lives, moves or comes from
        ("we zijn naar houten verhuisd", "ze woont in zeist"); not before a noun ("in houten kisten")."""
        tokens, spans = self.sentence.tokens, []
        for i, token in enumerate(tokens):
            if i == 0 or not token.text.islower() or self.lists is None or token.text not in self.lists.places \
                    or token.text in self.lists.common or not self._word(i):
                continue
            before = tokens[i - 1]
            if before.tag != "VZ" or before.text.lower() not in PLACE_PREPOSITIONS:
                continue
            if i + 1 < len(tokens) and tokens[i + 1].tag in ("N", "ADJ", "SPEC"):
                continue
            verb = before.head if before.head is not None else token.head
            if verb is None or not any(self.sentence.verb_lemma(v).lower() in PLACE_VERBS
                                       for v in [verb, *self.sentence.dependents(verb, "vc")]
                                       if tokens[v].tag == "WW"):
                continue
            span = self._span(i, i, "place")
            if span is not None:
                spans.append(span)
        return spans

    def titled(self) -> list[Span]:
        """A name after a title, in any case ("meneer mulder", "juf koster", "mevrouw el amrani", "de heer de
        groot"): the particles and the word after it, when that word is no verb, pronoun or other function word."""
        tokens, spans = self.sentence.tokens, []
        for i, token in enumerate(tokens):
            title = token.text.lower().rstrip(".")
            if not (title in TITLES or title == "heer" and i > 0 and tokens[i - 1].text.lower() == "de"):
                continue
            j = i + 1
            while j < len(tokens) and tokens[j].text.lower() in _TITLE_PARTICLES and j - i <= 3:
                j += 1
            if j >= len(tokens) or not self._word(j) or tokens[j].tag == "WW" or tokens[j].text.lower() in TITLES \
                    or not tokens[j].text.replace("-", "").isalpha():
                continue
            last = self._surname(j) if tokens[j].text.islower() else None
            span = self._span(i + 1, last or j, "person")
            if span is not None:
                spans.append(span)
        return spans

    def _surname(self, i: int) -> int | None:
        """After a lower-case first name, a surname with its particles in lower case ("sanne van der meer",
        "femke de vries"): the surname word, whatever it means as a word."""
        tokens = self.sentence.tokens
        j = i + 1
        while j < len(tokens) and tokens[j].text in PARTICLE_WORDS:
            j += 1
        if j == i + 1 or j >= len(tokens) or self.offsets[j] is None:
            return None
        token = tokens[j]  # its tag says little here ("meer": a pronoun), only what it cannot be
        if not token.text.islower() or not token.text.replace("-", "").isalpha() or token.is_finite_verb \
                or token.tag in ("LET", "VG", "LID", "TW", "VZ") or "mv" in token.tag_features:
            return None
        return j

    def _person_verb(self, verb: int) -> bool:
        """Is the verb, or the main verb under an auxiliary or modal ("heeft ... aangemeld"), one of PERSON_VERBS?"""
        tokens, seen = self.sentence.tokens, set()
        todo = [verb]
        while todo:
            at = todo.pop()
            if at in seen or tokens[at].tag != "WW":
                continue
            seen.add(at)
            if self.sentence.verb_lemma(at).lower() in PERSON_VERBS:
                return True
            todo += self.sentence.dependents(at, "vc")
        return False

    def _name_end(self, i: int) -> int:
        """The last token of a name that starts at i: its particles and capitalised words ("Daan de Boer"), or a
        lower-case surname after a lower-case first name."""
        tokens = self.sentence.tokens
        if tokens[i].text.islower():
            return self._surname(i) or i
        j = i
        while j + 1 < len(tokens) and self.offsets[j + 1] is not None and (
                tokens[j + 1].text[:1].isupper() and self._word(j + 1)
                or tokens[j + 1].text.lower() in PARTICLE_WORDS and j + 2 < len(tokens)
                and tokens[j + 2].text[:1].isupper()):
            j += 1
        while tokens[j].text.lower() in PARTICLE_WORDS:
            j -= 1
        return j

    def named(self) -> list[Span]:
        """The name a naming verb gives ("ze heet sarah", "hoe heet hij, Daan de Boer", "noemen ze hem Pietje"), and
        a name set before ", zo heet/noemen ..." ("De Haan, zo heet die leraar")."""
        tokens, spans = self.sentence.tokens, []
        for i, token in enumerate(tokens):
            if token.tag != "WW" or self.sentence.verb_lemma(i).lower() not in NAMING_VERBS:
                continue
            if i >= 2 and tokens[i - 1].lemma.lower() == "zo" and tokens[i - 2].text == ",":
                first = next((k for k in range(i - 2) if tokens[k].tag != "LET"), None)
                if first is not None and self._word(first) and all(self._word(k) or self._particle(k)
                                                                    or tokens[k].text.lower() in PARTICLE_WORDS
                                                                    for k in range(first, i - 2)):
                    span = self._span(first, i - 3, "person")
                    if span is not None:
                        spans.append(span)
                continue
            j = i + 1  # past the subject or object pronoun, adverbs and a comma: "heet hij, ...", "heet eigenlijk"
            while j < len(tokens) and (tokens[j].tag == "BW" or tokens[j].text == ","
                                       or tokens[j].tag == "VNW" and "pers" in tokens[j].tag_features):
                j += 1
            if j >= len(tokens) or not self._word(j) or tokens[j].tag not in ("N", "SPEC", "ADJ", "WW") \
                    or _used_as_noun(self.sentence, j):
                continue
            if tokens[j].tag in ("ADJ", "WW") and not (self.lexicon is not None
                                                        and self.lexicon.name_like(tokens[j].text) is not False):
                continue  # "hij heet gewoon", "het heet werken": no name
            span = self._span(j, self._name_end(j), "person")
            if span is not None:
                spans.append(span)
        return spans

    def bare_subjects(self) -> list[Span]:
        """A first name that is also a word, as the bare singular subject of a finite verb, where the word would
        need an article ("Bloem is pas vijf", "toen kwam storm binnen"; not "de storm", "het was storm")."""
        tokens, spans = self.sentence.tokens, list[Span]()
        if self.lists is None or self.lexicon is None:
            return spans
        for i, token in enumerate(tokens):
            if token.relation != "su" or token.head is None or not tokens[token.head].is_finite_verb \
                    or token.tag not in ("N", "SPEC") or "mv" in token.tag_features or not self._word(i):
                continue
            folded = token.text.lower()
            if i > 0 and tokens[i - 1].text.lower() in _POSSESSIVES | {"mijn", "m'n", "jouw", "je", "onze", "ons",
                                                                       "hun", "jullie", "uw"}:
                continue  # "Kemal zijn broer": a possessive the tagger took for a verb
            if folded not in self.lists.first or not self.lexicon.proper.get(folded) \
                    or _used_as_noun(self.sentence, i) or any(self.sentence.tokens[d].relation not in ("app", "punct")
                                                              for d in self.sentence.dependents(i)):
                continue  # "storm van gisteren", "roos in de tuin": a noun with its own modifiers
            span = self._span(i, i, "person")
            if span is not None:
                spans.append(span)
        return spans

    def possessors(self) -> list[Span]:
        """A name before a possessive pronoun and a noun, as Dutch says it ("thijs z'n moeder", "Kemal zijn
        broer"): a bare word that is no pronoun or article and not known to Frog's lexicon mainly as a word."""
        tokens, spans = self.sentence.tokens, []
        for i in range(len(tokens) - 2):
            if tokens[i + 1].text.lower() not in _POSSESSIVES or tokens[i + 2].tag != "N" or not self._word(i) \
                    or tokens[i].tag not in ("N", "SPEC", "ADJ", "WW") or _used_as_noun(self.sentence, i):
                continue
            folded = tokens[i].text.lower()
            known = self.lexicon.name_like(folded) if self.lexicon is not None else None
            listed = self.lists is not None and (self.lists.first_name(folded) or self.lists.surname(folded))
            if known is True or known is None and tokens[i].tag in ("N", "SPEC") or listed and known is not False:
                span = self._span(i, i, "person")
                if span is not None:
                    spans.append(span)
        return spans

    def kind_compounds(self) -> list[Span]:
        """A compound naming a school, street or neighbourhood that Frog's lexicon does not know as an ordinary
        word, in any case ("de sterrenschool", "in de schilderswijk", "de paulus potterstraat")."""
        tokens, spans = self.sentence.tokens, list[Span]()
        if self.lexicon is None:
            return spans
        for i, token in enumerate(tokens):
            folded = token.text.lower()
            ending = next((kind for end, kind in KIND_ENDINGS if folded.endswith(end) and len(folded) > len(end) + 2),
                          None)
            if ending is None or not token.text.isalpha() or self.offsets[i] is None:
                continue
            known = self.lexicon.name_like(folded)
            if known is False:
                continue  # "basisschool", "zijstraat", "woonwijk"
            if known is True and (token.tag not in ("N", "SPEC") or "mv" in token.tag_features):
                continue  # the tag of a word the lexicon never saw is a guess from its ending ("potterstraat" a verb)
            first = i
            while first > 0 and self.offsets[first - 1] is not None and self.lists is not None and (
                    self.lists.first_name(tokens[first - 1].text) or self.lists.surname(tokens[first - 1].text)
                    or tokens[first - 1].text.lower() in PARTICLE_WORDS and first - 1 > 0
                    and (self.lists.first_name(tokens[first - 2].text) or tokens[first - 2].text[:1].isupper())):
                first -= 1  # "paulus potterstraat", "Johan de Wittlaan"
            while tokens[first].text.lower() in PARTICLE_WORDS and first < i:
                first += 1
            span = self._span(first, i, ending)
            if span is not None:
                spans.append(span)
        return spans

    def unknown_names(self) -> list[Span]:
        """A lower-case word that Frog's lexicon never saw in either case and that is no compound of words it knows
        ("bij kenamju", "op de ichthus"), with or without its accents, and no English word ("mute"), after a
        preposition: the name of a club, school or person."""
        tokens, spans = self.sentence.tokens, list[Span]()
        if self.lexicon is None:
            return spans
        for i, token in enumerate(tokens):
            folded = token.text.lower()
            if not token.text.islower() or not token.text.isalpha() or len(folded) < 4 or not self._word(i) \
                    or token.tag not in ("N", "SPEC") or self.lexicon.name_like(folded) is not None \
                    or self.lexicon.name_like(_plain(folded)) is not None or self.lexicon.compound(folded) \
                    or "mv" in token.tag_features:
                continue  # "háár" is "haar" stressed; a compound; a word the lexicon knows
            from pipeline.privacy.detect import english_words

            if folded in english_words():
                continue  # an English word said in Dutch ("op mute")
            before = i - 1
            while before >= 0 and tokens[before].tag == "LID":
                before -= 1
            if before < 0 or tokens[before].tag != "VZ" or before + 1 < i and i + 1 < len(tokens) \
                    and tokens[i + 1].tag == "N":
                continue
            kind = "institution" if before < i - 1 else "person"
            span = self._span(i, i, kind)
            if span is not None:
                spans.append(span)
        return spans

    def person_roles(self) -> list[Span]:
        """Subjects and objects of a verb of communication or care that are proper names or unknown words."""
        spans = []
        tokens = self.sentence.tokens
        for i, token in enumerate(tokens):
            if token.head is None or not self._word(i) or token.tag == "WW":
                continue
            verb = token.head
            if token.relation == "obj1" and tokens[verb].tag == "VZ":
                if tokens[verb].lemma.lower() not in PERSON_PREPOSITIONS or tokens[verb].head is None:
                    continue
                verb = tokens[verb].head  # type: ignore[assignment]
            elif token.relation not in ("su", "obj1", "obj2"):
                continue
            if not self._person_verb(verb):
                continue
            known = self.lexicon.name_like(token.text) if self.lexicon is not None else None
            proper = token.tag == "SPEC" and "deeleigen" in token.tag_features and token.text[:1].isupper()
            # a proper name not known as a word, or one Frog calls a person ("Bakker zei") or tags as a proper name
            # in the subject ("Storm zei": a common noun cannot speak; "Mama zei" is tagged a noun); a noun no
            # lexicon knows ("tjabbe", "Lucertis")
            person = proper and (known is not False or token.entity_type == "PER" or token.relation == "su")
            # a surname that is also a word, bare and singular where a common noun needs an article ("koster zei",
            # "ik belde met mulder")
            surname = self.lists is not None and self.lists.surname(token.text) and token.tag in ("N", "SPEC") \
                and "mv" not in token.tag_features and self.lexicon is not None \
                and self.lexicon.name_like(token.text, SURNAME_RATIO) is True
            # a first name from deduce's list that the lexicon has not seen twice as a word ("zeg tegen mo")
            first = self.lists is not None and self.lists.first_name(token.text) and self.lexicon is not None \
                and self.lexicon.lower.get(token.text.lower(), 0) < 2
            if (person or surname or first or known is None and token.tag in ("N", "SPEC")) \
                    and not _used_as_noun(self.sentence, i):
                span = self._span(i, i, "person")
                if span is not None:
                    spans.append(span)
        return spans


def _plain(word: str) -> str:
    """The word without accents ("háár" -> "haar")."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


# -- the detector ------------------------------------------------------------------------------------------------
def _capital_at(text: str, starts: Sequence[int]) -> str:
    chars = list(text)
    for start in starts:
        chars[start] = chars[start].upper()[:1] or chars[start]
    return "".join(chars)


class FrogDetector:
    """Frog's analysis joined with a base detector (deduce + rules): see the module docstring.

    Args:
        base: deduce + rules (`DeduceDetector`), run on each text with its lower-case names capitalised.
        analysis: the session's analysis per text key (`analysis.types.text_key`); texts not in it are analysed by
            `analyser` in one round trip.
        analyser: Frog (`analysis.frog.shared_frog()`), or None to use only `analysis`.
        lexicon: Frog's tagger lexicon (default: read once per process from frogdata).
    """

    def __init__(self, base: Detector, analysis: dict[str, list[Sentence]] | None = None,
                 analyser: Analyser | None = None, lexicon: Lexicon | None = None, *,
                 stop: frozenset[str] | None = None, read_lexicon: bool = True,
                 lists: NameLists | None = None) -> None:
        self.base = base
        self.analysis = dict(analysis or {})
        self.analyser = analyser
        self.lexicon = lexicon if lexicon is not None or not read_lexicon else shared_lexicon()
        self.lists = lists if lists is not None or not read_lexicon else shared_name_lists()
        base_stop = getattr(getattr(base, "rules", base), "stop", None)
        self.stop = stop if stop is not None else base_stop if base_stop is not None else NOT_NAMES
        self.name = f"frog+{base.name}"

    def prepare(self, texts: Sequence[str]) -> None:
        """Analyse the texts the analysis does not hold yet (one round trip to Frog)."""
        from pipeline.analysis.types import text_key

        missing = {text_key(t): t for t in texts if t and text_key(t) not in self.analysis}
        if missing and self.analyser is not None:
            for key, sentences in zip(missing, self.analyser.analyse(list(missing.values())), strict=True):
                self.analysis[key] = sentences

    def _sentences(self, text: str) -> list[SentenceNames]:
        from pipeline.analysis.types import text_key

        out, at = [], 0
        for sentence in self.analysis.get(text_key(text), []):
            offsets, at = align(text, sentence, at)
            out.append(SentenceNames(text, sentence, offsets, self.lexicon, self.stop, self.lists))
        return out

    def detect(self, text: str) -> list[Span]:
        return self.detect_texts([text])[0]

    def detect_texts(self, texts: Sequence[str]) -> list[list[Span]]:
        """The spans of every text; names found in one text are also caught in lower case in the others."""
        self.prepare(texts)
        found: list[list[Span]] = []
        parsed: list[list[SentenceNames]] = []
        for text in texts:
            sentences = self._sentences(text)
            parsed.append(sentences)
            lower = [(first, last) for s in sentences for i, j in s.lower_case()
                     if (first := s.offsets[i]) is not None and (last := s.offsets[j]) is not None]
            starts = {start for pair in lower for start, _ in pair}
            truecased = _capital_at(text, sorted(starts))
            spans = self._refine(text, self.base.detect(truecased), sentences, starts)
            covered = [(s.start, s.end) for s in spans]
            for (start, _), (_, end) in lower:  # found by nobody as a whole: a person (deduce and the rules know
                if not any(a <= start and end <= b for a, b in covered):  # places)
                    spans.append(Span(start, end, "person", text[start:end]))
            for sentence in sentences:
                spans += (sentence.entities() + sentence.person_roles() + sentence.titled() + sentence.listed()
                          + sentence.places() + sentence.named() + sentence.bare_subjects() + sentence.possessors()
                          + sentence.kind_compounds() + sentence.unknown_names())
            found.append(resolve(spans))
        return self._known_in_session(texts, found, parsed)

    def _refine(self, text: str, spans: list[Span], sentences: list[SentenceNames], lower: set[int]) -> list[Span]:
        """deduce's and the rules' names cut to Frog's sentences and to their name words: not a word that only a
        sentence start capitalised ("Mooi", "Boek", "Voordat Femke"), nor a lower-case word at the edge that is
        no name ("van Bas" keeps "van": a participant's name with a particle is left to the protected names)."""
        tokens = [(offset, sentence, i) for sentence in sentences for i, offset in enumerate(sentence.offsets)
                  if offset is not None]
        out = []
        for span in spans:
            inside = [t for t in tokens if span.start <= t[0][0] and t[0][1] <= span.end]
            if span.kind not in ("person", "place") or not inside:
                out.append(Span(span.start, span.end, span.kind, text[span.start:span.end]))
                continue
            for sentence in dict.fromkeys(t[1] for t in inside):
                run = [i for _, s, i in inside if s is sentence]
                while run and not sentence.keeps(run[0], lower, left=len(run) > 1):
                    run.pop(0)
                while run and not sentence.keeps(run[-1], lower, left=False):
                    run.pop()
                if run:
                    found = sentence._span(run[0], run[-1], span.kind)
                    if found is not None:
                        out.append(found)
        return out

    def _known_in_session(self, texts: Sequence[str], found: list[list[Span]],
                          parsed: list[list[SentenceNames]]) -> list[list[Span]]:
        """A name caught in one text, said in lower case in another and used as a name there, is caught there."""
        known: dict[str, str] = {}
        for spans in found:
            for span in spans:
                folded = span.text.lower()
                # not a word Frog's lexicon knows mainly in lower case: a capital mistaken for a name stays there
                if span.kind in ("person", "place") and folded not in self.stop and (
                        self.lexicon is None or self.lexicon.name_like(folded) is not False):
                    known.setdefault(folded, span.kind)
        if not known:
            return _one_kind(found)
        pattern = re.compile(r"(?<![\w@.])(?:" + "|".join(re.escape(k) for k in sorted(known, key=len, reverse=True))
                             + r")(?!\w)")
        out = []
        for text, spans, sentences in zip(texts, found, parsed, strict=True):
            extra = []
            for match in pattern.finditer(text):
                if not match.group().islower() or any(s.start < match.end() and match.start() < s.end for s in spans):
                    continue
                if any(_used_as_noun(s.sentence, i) for s in sentences for i, o in enumerate(s.offsets)
                       if o is not None and o[0] == match.start()):
                    continue
                if not sentences and _ARTICLE_BEFORE.search(text[:match.start()]):
                    continue
                extra.append(Span(match.start(), match.end(), known[match.group()], match.group()))
            out.append(resolve(spans + extra) if extra else spans)
        return _one_kind(out)


def _one_kind(found: list[list[Span]]) -> list[list[Span]]:
    """One kind per name in the session: the kind most spans of it have, a person on a tie (Frog may call one
    "Marian" a place and the next a person; one label for her)."""
    votes: dict[str, Counter[str]] = {}
    for spans in found:
        for span in spans:
            if span.kind in ("person", "place"):
                votes.setdefault(span.text.lower(), Counter())[span.kind] += 1
    chosen = {name: max(("person", "place"), key=lambda kind: counts[kind]) for name, counts in votes.items()}
    return [[Span(s.start, s.end, chosen[s.text.lower()], s.text) if s.kind in ("person", "place") else s
             for s in spans] for spans in found]


_ARTICLE_BEFORE = re.compile(r"(?i)(?<!\w)(?:de|het|een|deze|dit|mijn|onze|zijn|haar|hun|elke|geen)\s+$")
