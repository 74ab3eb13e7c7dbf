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
- Names given by their place in the sentence (`context.py`): what a naming verb gives ("ze heet sarah"), a first
  name that is a word as a bare subject ("Bloem is pas vijf"), "thijs z'n moeder", a school or street compound the
  lexicon does not know ("de sterrenschool"), a word no lexicon knows after a preposition ("bij kenamju").
Participants are left to the caller (the protected names). Frog's lexicon is read as data (`lexicon.py`).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.privacy.context import ContextNames, used_as_noun
from pipeline.privacy.detect import NOT_NAMES, PARTICLE_WORDS, Span, resolve
from pipeline.privacy.lexicon import Lexicon, shared_lexicon
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
# Particles between a title and a surname: not the prepositions that start a place ("meneer op kamer vier")
_TITLE_PARTICLES = PARTICLES - {"op", "in", "te"}
_FUNCTION_TAGS = frozenset({"LID", "VNW", "VZ", "VG", "LET", "TW", "BW", "TSW"})


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


class SentenceNames(ContextNames):
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
            if (known is True or listed) and not used_as_noun(
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
            if not used_as_noun(self.sentence, i):
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
                    and not used_as_noun(self.sentence, i):
                span = self._span(i, i, "person")
                if span is not None:
                    spans.append(span)
        return spans


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
                if any(used_as_noun(s.sentence, i) for s in sentences for i, o in enumerate(s.offsets)
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
