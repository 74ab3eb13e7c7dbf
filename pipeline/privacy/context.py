"""Names given by their place in a Dutch sentence, read from Frog's analysis (a mixin of `names.SentenceNames`).

What a naming verb gives ("ze heet sarah", "De Haan, zo heet die leraar"); a first name that is also a word as the
bare singular subject of a finite verb ("Bloem is pas vijf", where the word would need an article); a word before
"z'n"/"zijn" and a noun ("thijs z'n moeder"); a compound naming a school, street or neighbourhood that Frog's lexicon
does not know as a word ("de sterrenschool", "de paulus potterstraat"); a word the lexicon never saw, and no compound
of words it knows, after a preposition ("bij kenamju").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.privacy.detect import PARTICLE_WORDS, Span
from pipeline.privacy.lexicon import plain

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence
    from pipeline.privacy.lexicon import Lexicon
    from pipeline.privacy.lists import NameLists

# Verbs that give a name: "ze heet sarah", "hij heet eigenlijk Pieter", "De Haan, zo heet die leraar".
NAMING_VERBS = frozenset({"heten", "noemen"})
# The last part of a compound that names a kind of place or organisation; such a compound that Frog's lexicon does
# not know as an ordinary word ("sterrenschool", "potterstraat") is the name of one ("basisschool", "zijstraat",
# "woonwijk" are words)
KIND_ENDINGS = (("school", "school"), ("college", "school"), ("lyceum", "school"), ("straat", "place"),
                ("laan", "place"), ("plein", "place"), ("gracht", "place"), ("singel", "place"), ("kade", "place"),
                ("dijk", "place"), ("wijk", "place"), ("buurt", "place"))
_POSSESSIVES = frozenset({"z'n", "zijn", "d'r", "haar", "der"})


def used_as_noun(sentence: Sentence, i: int, *, known_word: bool = True) -> bool:
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


class ContextNames:
    """The rules of this module over one analysed sentence; `names.SentenceNames` gives the words and spans."""

    text: str
    sentence: Sentence
    offsets: list[tuple[int, int] | None]
    lexicon: Lexicon | None
    lists: NameLists | None

    def _word(self, i: int) -> bool:
        raise NotImplementedError

    def _particle(self, i: int) -> bool:
        raise NotImplementedError

    def _span(self, first: int, last: int, kind: str) -> Span | None:
        raise NotImplementedError

    def _surname(self, i: int) -> int | None:
        raise NotImplementedError

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
                    or used_as_noun(self.sentence, j):
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
                    or used_as_noun(self.sentence, i) or any(self.sentence.tokens[d].relation not in ("app", "punct")
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
                    or tokens[i].tag not in ("N", "SPEC", "ADJ", "WW") or used_as_noun(self.sentence, i):
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
                    or self.lexicon.name_like(plain(folded)) is not None or self.lexicon.compound(folded) \
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
