"""Titles from Frog's analysis (Dutch): noun phrases, infinitive phrases and short clauses of a theme's sentences,
by CGN tags and dependency relations, ranked by closeness to the theme; never a lone verb, adjective, ordinal,
pronoun, filler or noun of time, measure or part."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.insights.nlp import SPOKEN_STOP, Sentence, lexicon

if TYPE_CHECKING:
    from pipeline.analysis.types import Sentence as Parsed
    from pipeline.analysis.types import Token
    from pipeline.insights.ranking import Analysis

# Dutch modal particles and pronominal adverbs: closed classes that colour a sentence and name nothing, never part of
# a title ("gewoon even luisteren" gives "luisteren").
_PARTICLES = frozenset({"ook", "wel", "dan", "nog", "nu", "toch", "maar", "even", "al", "er", "zo", "dus", "hier",
                        "daar", "eens", "misschien", "gewoon", "eigenlijk", "echt", "natuurlijk", "weer", "juist",
                        "erg", "heel", "best", "zeker", "alleen", "pas", "waar", "daarom", "toen", "zelf", "waarom",
                        "hoe", "wanneer", "waarmee", "waarover", "hoeveel", "weleens", "meer"})
_NEGATION = frozenset({"niet", "geen", "nooit"})  # kept in an infinitive phrase: "niet publiek corrigeren"
_MAX_WORDS = 5
_TITLE_SOURCES = 5  # the theme's sentences a title may come from: the seed and the members closest to it
# Ranking a theme's phrases: closeness to the theme (cosine on the encoder, as KeyBERT ranks) plus these bonuses. A
# phrase whose head the theme keeps saying names what it is about (the issue: "prefer content that recurs in the
# theme"); a phrase said in the insight's own sentence names what the reader reads; a phrase of several words says
# more than one word. Set by reading the tune set's titles (tests/data/insights/tune).
W_RECURS, W_SEED, W_WORDS, W_WIDE = 0.08, 0.05, 0.04, 0.05
W_PAIR = 0.05  # a second noun this close to the best one joins it (any second noun when no verb is found)
_AROUND = 2  # turns either side of the insight's turn where a lone noun's verb may be found


@dataclass(frozen=True)
class Phrase:
    """A title candidate from one analysed sentence."""

    words: tuple[str, ...]
    head: str  # the lemma of its head (noun or verb)
    lemmas: frozenset[str]  # the lemmas of its content words

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _content(token: Token) -> bool:
    lemma = token.lemma.lower()
    return token.tag in {"N", "ADJ", "WW", "BW", "TW"} and lemma not in _PARTICLES \
        and lemma not in SPOKEN_STOP["nl"] and token.text.lower() not in SPOKEN_STOP["nl"] and len(lemma) >= 2


def _pointing(token: Token) -> bool:
    """A pronoun that points at people or at what was said (ik, haar, zich, wat, die as a pronoun): a title with one
    names nothing by itself; determiners ("elke", "die" before a noun) are no such pronoun."""
    return token.tag == "VNW" and (bool({"pers", "bez", "refl", "pr", "vb", "betr"} & set(token.tag_features))
                                   or "det" not in token.tag_features)


def _light(token: Token) -> bool:
    """A noun of time, measure or part, or a shell noun ("week", "helft", "thema"): it heads no title."""
    return token.lemma.lower() in _light_nouns()


@functools.cache
def _light_nouns() -> frozenset[str]:
    return frozenset(lexicon("nl")["titles"].get("light_nouns", ()))


def _determiner(token: Token) -> bool:
    """An article or a determiner that is not possessive: "de", "een", "elke", "die" (before a noun)."""
    return token.tag == "LID" or token.tag == "VNW" and "det" in token.tag_features \
        and not {"bez", "pers", "pr", "refl"} & set(token.tag_features)


def _modifier(token: Token) -> bool:
    """A word before a noun inside its phrase: an adjective or numeral before the noun ("kleine", "drie", "eerste")."""
    return token.tag in {"ADJ", "TW"} and "prenom" in token.tag_features


def _preposition(token: Token) -> bool:
    """A preposition before its noun phrase; not "als" (as), which compares rather than places."""
    return token.tag == "VZ" and "init" in token.tag_features and token.lemma.lower() != "als"


def _noun(token: Token) -> bool:
    return token.tag == "N" and "soort" in token.tag_features and _content(token)


def _noun_end(tokens: tuple[Token, ...], i: int) -> int:
    """End (exclusive) of a noun phrase that starts at `i` with optional determiner and modifiers, or `i`."""
    j = i + (i < len(tokens) and _determiner(tokens[i]))
    while j < len(tokens) and _modifier(tokens[j]):
        j += 1
    return j + 1 if j < len(tokens) and _noun(tokens[j]) else i


def _noun_phrases(parsed: Parsed) -> list[Phrase]:
    """By the CGN tags: modifiers and a common noun ("kleine aanpassingen"), and the same with the prepositional
    phrase that follows it when that ends in a noun ("kleine aanpassingen in huis"); the determiner left out. A noun
    of time, measure or part heads none ("twintig minuten", "de helft van de tijd")."""
    tokens = parsed.tokens
    found = []
    for i, token in enumerate(tokens):
        if not _noun(token) or _light(token):
            continue
        first = i
        while first > 0 and _modifier(tokens[first - 1]):
            first -= 1
        core = list(range(first, i + 1))
        lemmas = frozenset(tokens[k].lemma.lower() for k in core if _content(tokens[k]))
        found.append(Phrase(tuple(tokens[k].text for k in core), token.lemma.lower(), lemmas))
        if i + 1 < len(tokens) and _preposition(tokens[i + 1]):
            end = _noun_end(tokens, i + 2)
            if end > i + 2 and end - first <= _MAX_WORDS and not _light(tokens[end - 1]):
                span = range(first, end)
                found.append(Phrase(tuple(tokens[k].text for k in span), token.lemma.lower(),
                                    frozenset(tokens[k].lemma.lower() for k in span if _content(tokens[k]))))
    return found


def _units_before(tokens: tuple[Token, ...], i: int) -> tuple[list[list[int]], int]:
    """The constituents right before position `i`, nearest last, that can belong to an infinitive phrase ending
    there: noun phrases, prepositional phrases, adjectives and adverbs that carry content, and a negation; they stop
    at a pronoun, a particle, a verb, a conjunction or punctuation. Also returns where they stopped."""
    units: list[list[int]] = []
    j = i - 1
    while j >= 0:
        token = tokens[j]
        if _noun(token) and token.relation == "su" and not _nominative_before(tokens, j):
            break  # the subject of a clause is no part of an infinitive phrase ("als de treinen rijden")
        if _noun(token):
            first = j
            while first > 0 and _modifier(tokens[first - 1]):
                first -= 1
            first -= first > 0 and _determiner(tokens[first - 1])
            if first > 0 and _preposition(tokens[first - 1]):
                first -= 1
            units.insert(0, list(range(first, j + 1)))
            j = first - 1
        elif token.tag in {"ADJ", "BW"} and (_content(token) or token.lemma.lower() in _NEGATION):
            units.insert(0, [j])
            j -= 1
        else:
            break
    return units, j


def _nominative_before(tokens: tuple[Token, ...], j: int) -> bool:
    """A personal pronoun in the nominative earlier in the clause of position `j`: a clause has one subject, so a
    noun after it that the parser calls the subject is the object ("als je een grens stelt")."""
    for k in range(j - 1, -1, -1):
        if tokens[k].tag == "LET" or tokens[k].tag == "VG":
            return False
        if tokens[k].tag == "VNW" and {"pers", "nomin"} <= set(tokens[k].tag_features):
            return True
    return False


def _te_infinitive(tokens: tuple[Token, ...], i: int) -> tuple[int, str]:
    """Where the words before an infinitive at `i` end, and the verb: "te" and a separable particle before it
    belong to the verb ("op te lossen" gives "oplossen")."""
    start, verb = i, tokens[i].text
    if start > 0 and tokens[start - 1].tag == "VZ" and tokens[start - 1].lemma.lower() == "te":
        start -= 1
        if start > 0 and tokens[start - 1].tag == "VZ" and "fin" in tokens[start - 1].tag_features:
            start -= 1
            verb = tokens[start].text.lower() + verb
    return start, verb


def _phrase_before(tokens: tuple[Token, ...], i: int) -> list[int]:
    """The words before position `i` that make an infinitive phrase with it (Dutch puts an infinitive's object and
    adverbs before it: "vooraf afspraken maken", "de keuze geven"): the nearest constituent, then farther ones as
    long as the phrase stays within `_MAX_WORDS` (a long one in between is left out: "vooraf [met de familie]
    afspraken maken"). A negation earlier in the clause still negates the verb ("niet meer voor de hele klas
    corrigeren"): it goes in front, or the phrase would say the opposite."""
    units, j = _units_before(tokens, i)
    kept: list[int] = []
    for unit in reversed(units):
        if len(kept) + len(unit) <= _MAX_WORDS - 1:
            kept = unit + kept
        elif not kept:
            return []
    if kept and not any(tokens[k].lemma.lower() in _NEGATION for k in kept):
        while j >= 0 and tokens[j].tag not in {"LET", "VG"} and not tokens[j].is_finite_verb:
            if tokens[j].lemma.lower() in _NEGATION:
                return [j, *kept] if len(kept) < _MAX_WORDS - 1 else []
            j -= 1
    return kept


def _phrase_after(tokens: tuple[Token, ...], i: int) -> list[int]:
    """The tokens after a finite verb at `i` up to the end of its clause, when all can belong to an infinitive
    phrase (a verb-second clause puts them after the finite verb: "je [stelt] een grens"); [] otherwise."""
    kept: list[int] = []
    for j in range(i + 1, len(tokens)):
        token = tokens[j]
        if token.tag == "LET" or token.tag == "VG":
            break
        if token.tag == "VNW" and "pers" in token.tag_features and "2v" in token.tag_features:
            continue  # the generic subject after the verb: "dan stel je een grens"
        if _noun(token) or _modifier(token) or _determiner(token) or token.tag == "VZ" \
                or token.tag in {"ADJ", "BW"} and (_content(token) or token.lemma.lower() in _NEGATION):
            kept.append(j)
        elif token.tag == "BW" and token.lemma.lower() in _PARTICLES:
            continue
        else:
            return []
    return kept if len(kept) < _MAX_WORDS else []


def _verb_phrases(parsed: Parsed) -> list[Phrase]:
    """Infinitive phrases by the CGN tags: an infinitive with the words before it that belong to it, or a finite
    verb in the present whose subject is anyone ("je", "men", "we"), put in the infinitive by its lemma, with the
    rest of its clause: "je moet vooraf afspraken maken" and "je maakt vooraf afspraken" both give "vooraf
    afspraken maken". A phrase needs a noun, an adjective or an adverb besides the verb; a negation before it
    is kept ("niet publiek corrigeren")."""
    tokens = parsed.tokens
    found = []
    for i, token in enumerate(tokens):
        lemma = token.lemma.lower()
        if token.tag != "WW" or lemma in _AUXILIARY_HEADS or "nom" in token.tag_features and i == 0:
            continue
        # The plural present has the infinitive's form; after a modal, without a subject of its own, it is one.
        # A plural present with no subject anywhere near, beside another finite verb, is an infinitive used as a
        # noun ("samen zoeken werkt beter"); a sentence's only finite verb stays one.
        infinitive = "inf" in token.tag_features or "mv" in token.tag_features and parsed.subject(i) is None \
            and (token.relation == "vc" or not _pronoun_next(tokens, i)
                 and any(t.is_finite_verb for k, t in enumerate(tokens) if k != i))
        if infinitive:
            start, verb = _te_infinitive(tokens, i)
            kept = _phrase_before(tokens, start)
        elif token.is_finite_verb and "tgw" in token.tag_features and _generic_subject(parsed, i):
            # A main clause puts the rest after the verb ("je stelt een grens"), a subordinate one before it ("als
            # je een grens stelt").
            particles = set(parsed.dependents(i, "svp"))
            kept = [k for k in _phrase_after(tokens, i) if k not in particles] \
                or (_phrase_before(tokens, i) if _subordinate(tokens, i) else [])
            verb = parsed.verb_lemma(i)
        else:
            continue
        if lemma in _COPULAS and not any(tokens[k].tag in {"ADJ", "N"} for k in kept):
            continue  # "zijn", "worden" name nothing without what one is or becomes ("eerlijk zijn")
        if not any(tokens[k].tag in {"N", "ADJ", "BW"} and _content(tokens[k]) for k in kept):
            continue
        while kept and tokens[kept[0]].tag == "VNW" and "aanw" in tokens[kept[0]].tag_features:
            kept.pop(0)  # "dat publiek corrigeren": a demonstrative points back, the phrase starts after it
        words = [tokens[k].text for k in kept]
        lemmas = frozenset(tokens[k].lemma.lower() for k in kept if _content(tokens[k])) | {lemma}
        found.append(Phrase((*words, verb), lemma, lemmas))
    return found


def _subordinate(tokens: tuple[Token, ...], i: int) -> bool:
    """The verb at `i` ends a subordinate clause (it opens with a subordinating conjunction): only there do the words
    before a finite verb belong to its object; in a main clause they are its subject's."""
    k = i - 1
    while k >= 0 and tokens[k].tag not in {"LET", "VG"}:
        k -= 1
    return k >= 0 and tokens[k].tag == "VG" and "onder" in tokens[k].tag_features


def _pronoun_next(tokens: tuple[Token, ...], i: int) -> bool:
    """A personal pronoun in the nominative right before or after position `i` (its subject, which a parse missed)."""
    return any(0 <= j < len(tokens) and tokens[j].tag == "VNW" and {"pers", "nomin"} <= set(tokens[j].tag_features)
               for j in (i - 1, i + 1))


def _generic_subject(parsed: Parsed, verb: int) -> bool:
    """The verb's subject is anyone: unstressed "je", "men", "we", "iedereen", a bare plural ("mensen")."""
    subject = parsed.subject(verb)
    if subject is None:
        return False
    token = parsed.tokens[subject]
    features = set(token.tag_features)
    if token.tag == "N":  # "dat mensen hun gevoel benoemen": a bare plural is anyone of them
        return "mv" in features and not parsed.dependents(subject, "det")
    return token.tag == "VNW" and (token.lemma.lower() in {"men", "we", "wij"} or "onbep" in features
                                   or "red" in features and bool({"2v", "2b", "2"} & features))


_COPULAS = frozenset({"zijn", "worden", "blijven"})
_AUXILIARY_HEADS = frozenset({"hebben", "zullen", "moeten", "kunnen", "mogen", "willen", "hoeven", "gaan", "komen",
                              "laten", "doen", "zeggen", "denken", "vinden", "weten", "zitten", "staan", "liggen"})


def _short_clause(parsed: Parsed) -> Phrase | None:
    """The sentence, or its main clause before a subordinate one, when it is short and names its point without
    pointing at people: "Eerst luisteren, dan adviseren", "Een grens geeft houvast", "Helpen wordt overnemen
    (wanneer …)": at most five words, a verb in the present or none finite, no personal pronoun or name, two content
    words, ending in one (not "het verschil is"), and no subordinate clause on its own ("als de treinen rijden")."""
    tokens = parsed.tokens
    cut = next((k for k, t in enumerate(tokens) if k and (t.tag == "VG" and "onder" in t.tag_features
                                                          or t.text in {":", ";"})), len(tokens))
    kept = [k for k in range(cut) if tokens[k].tag != "LET"]
    while kept and (tokens[kept[0]].tag in {"TSW", "VG"} and "onder" not in tokens[kept[0]].tag_features
                    or tokens[kept[0]].lemma.lower() in _PARTICLES):
        kept.pop(0)
    words = [tokens[k] for k in kept]
    if not 2 <= len(words) <= _MAX_WORDS or words[0].tag in {"VG", "VZ"} or any(
            t.tag in {"SPEC", "TSW"} or t.entity_type is not None or _pointing(t) and "onbep" not in t.tag_features
            or t.is_finite_verb and "verl" in t.tag_features for t in words):
        return None
    content = [t for t in words if t.tag in {"N", "ADJ", "WW"} and _content(t)]
    last = words[-1]
    if len(content) < 2 or not any(t.tag == "WW" for t in words) or not _content(last) \
            or last.lemma.lower() in _NEGATION or "prenom" in last.tag_features \
            or last.is_finite_verb and last.lemma.lower() in _COPULAS | _AUXILIARY_HEADS:
        return None
    text = " ".join(t.text for t in tokens[kept[0]:kept[-1] + 1]).replace(" ,", ",")
    return Phrase(tuple(text.split(" ")), content[-1].lemma.lower(), frozenset(t.lemma.lower() for t in content))


def sentence_phrases(parsed: Parsed) -> list[Phrase]:
    """Every title candidate of one analysed sentence: noun phrases, infinitive phrases and the sentence itself
    when it is a short clause (`_noun_phrases`, `_verb_phrases`, `_short_clause`)."""
    found = [*_noun_phrases(parsed), *_verb_phrases(parsed)]
    clause = _short_clause(parsed)
    if clause is not None:
        found.append(clause)
    return list({p.text.lower(): p for p in found}.values())


def parsed_titles(groups: list[list[Sentence]], analysis: Analysis) -> list[str]:
    """A title per theme from Frog's analysis: the theme's phrases (`sentence_phrases` of its seed and closest
    members) ranked by closeness to the whole theme on the encoder, plus `W_RECURS` when its head is said in
    another sentence of the theme too, `W_SEED` when it is in the insight's own sentence and `W_WORDS` a word past
    the first (up to three); a title once given is not given again. A theme with no phrase at all gets its most
    repeated noun."""
    import numpy as np

    titles: list[str] = []
    used: set[str] = set()
    for group in groups:
        seed = group[0]
        # Near: the seed and the members closest to it; wide: the rest of the theme and the seed's own turn.
        near = [s for s in group[:_TITLE_SOURCES] if s.parsed is not None]
        wide = [s for s in [*group[_TITLE_SOURCES:], *(s for s in analysis.sentences if s.turn == seed.turn)]
                if s.parsed is not None and s not in near]
        phrases: dict[str, tuple[Phrase, float]] = {}
        for k, s in enumerate([*near, *wide]):
            assert s.parsed is not None
            bonus = W_SEED if s is seed else -W_WIDE if k >= len(near) else 0.0
            for phrase in sentence_phrases(s.parsed):
                key = phrase.text.lower()
                if key not in phrases or bonus > phrases[key][1]:
                    phrases[key] = (phrase, bonus)
        said = [frozenset(t.lemma.lower() for t in s.parsed.tokens) for s in group if s.parsed is not None]
        ranked: list[tuple[float, str]] = []
        if phrases:
            vectors = analysis.encoder.embed([p.text for p, _ in phrases.values()])
            centre = analysis.encoder.embed([s.text for s in group[:_TITLE_SOURCES]]).mean(axis=0)
            centre = centre / max(float(np.linalg.norm(centre)), 1e-9)
            for (phrase, bonus), vector in zip(phrases.values(), vectors, strict=True):
                recurs = sum(phrase.head in lemmas for lemmas in said) >= 2
                value = float(vector @ centre) + W_RECURS * recurs + bonus + W_WORDS * min(len(phrase.words) - 1, 3)
                ranked.append((value, phrase.text))
        # A phrase of several words first: one word is the last resort.
        ranked.sort(key=lambda item: (len(item[1].split()) > 1, item[0]), reverse=True)
        title = next((text for _, text in ranked if text.lower() not in used), "")
        around = [s for s in analysis.sentences if abs(s.turn - seed.turn) <= _AROUND and s.parsed is not None]
        if title and " " not in title:
            # A lone noun: with the verb it is the object of in the theme or the turns around it, else with the
            # theme's next noun (a close one first).
            title = _with_its_verb(title, [*near, *wide]) or _with_its_verb(title, around) \
                or _pair(title, ranked, used) or _pair(title, ranked, used, reach=1.0) or title
        if not title and group:
            title = _most_said_noun(group, [s for s in around if abs(s.turn - seed.turn) <= 1]) \
                or next((text for _, text in ranked), "")
        used.add(title.lower())  # "" when nothing in the parse names it: titles.theme_titles asks the rules
        titles.append(title[:1].upper() + title[1:])
    return titles


def _pair(noun: str, ranked: list[tuple[float, str]], used: set[str], reach: float = W_PAIR) -> str:
    """A lone noun joined with the theme's next noun when that ranks within `reach` of it ("geheim en regie"):
    two nouns of one theme name it better than one. "" when no other noun comes that close."""
    best = next((value for value, text in ranked if text == noun), None)
    other = next((text for value, text in ranked if " " not in text and text.lower() != noun.lower()
                  and best is not None and value >= best - reach), "")
    pair = f"{noun} en {other.lower()}" if other else ""
    return pair if pair.lower() not in used else ""


def _with_its_verb(noun: str, sentences: list[Sentence]) -> str:
    """A lone noun with the verb it is the object of in the theme, in the infinitive ("het dossier lezen"), with
    its adjectives and article; "" when the theme never says it as an object."""
    for s in sentences:
        tokens = s.parsed.tokens if s.parsed is not None else ()
        for k, t in enumerate(tokens):
            if t.text.lower() != noun.lower() or t.relation != "obj1" or t.head is None:
                continue
            verb = tokens[t.head]
            if verb.tag != "WW" or verb.lemma.lower() in _AUXILIARY_HEADS | _COPULAS or "nom" in verb.tag_features:
                continue
            start = k
            while start > 0 and _modifier(tokens[start - 1]):
                start -= 1
            article = [tokens[start - 1].text.lower()] if start > 0 and tokens[start - 1].tag == "LID" else []
            assert s.parsed is not None
            return " ".join([*article, *(w.text for w in tokens[start:k + 1]), s.parsed.verb_lemma(t.head)])
    return ""


def _most_said_noun(group: list[Sentence], around: list[Sentence]) -> str:
    """The common noun the theme says most often (its first sentence breaking ties), not one of time, measure or
    part; else the same in the sentences `around` it (its turn and the turns next to it); else its most said noun
    of time, measure or part with the adjectives it came with ("eigen manier"); never a verb or an adjective."""
    from collections import Counter

    for sentences, light in ((group, False), (around, False), (group, True)):
        nouns: Counter[str] = Counter()
        first: dict[str, str] = {}
        for s in sentences:
            tokens = s.parsed.tokens if s.parsed is not None else ()
            for k, t in enumerate(tokens):
                if _noun(t) and light == _light(t):
                    nouns[t.lemma.lower()] += 1
                    start = k
                    while start > 0 and _modifier(tokens[start - 1]):
                        start -= 1
                    first.setdefault(t.lemma.lower(), " ".join(w.text for w in tokens[start:k + 1]))
        if nouns:
            return first[nouns.most_common(1)[0][0]]
    return ""
