"""Titles for insights (a noun phrase of the theme, ranked by KeyBERT on the same encoder; yake as fallback) and
insight texts that read on their own."""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pipeline.insights.nlp import ANAPHORA, Encoder, Sentence, clean_sentence, lexicon, stop_words
from pipeline.insights.ranking import Analysis

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

_CONTRACTED = re.compile(r"(?:n['’]t|['’](?:re|ve|ll|d|m))$")


def _phrases(text: str, lang: str, stop: set[str]) -> list[str]:
    """Noun phrases of 1-5 words: after a determiner, modifiers and one head word, optionally a preposition and a
    second noun ("vaste momenten voor overleg"). Without a tagger the grammar is approximate: Dutch modifiers are
    inflected adjectives (-e), an English phrase must be followed by a word that can follow a noun phrase."""
    grammar = lexicon(lang)["titles"]
    determiners, prepositions = set(grammar["determiners"]), set(grammar["prepositions"])
    articles, after = set(grammar["articles"]), set(grammar.get("after", ()))

    numbers = set(grammar["numbers"])

    def content(word: str) -> bool:
        # A contracted verb or pronoun ("isn't", "you're", "we'll") is never part of a noun phrase.
        return len(word) >= 3 and word not in stop and word not in determiners and word not in numbers \
            and not _CONTRACTED.search(word)

    def inflected(word: str) -> bool:
        """A Dutch inflected adjective after a determiner ("de vaste", "een concrete"); not a noun in -ie."""
        return lang == "nl" and word.endswith("e") and content(word) and not word.endswith("ie")

    def modifier(word: str) -> bool:
        """An inflected adjective that can open a bare phrase: not a past tense ("maakte", "stelde")."""
        return inflected(word) and not (len(word) > 5 and word.endswith(("de", "te")) and not word.endswith("ste"))

    def noun(words: list[str], i: int) -> int:
        """End (exclusive) of the modifiers + head that start at i, or i when there is none."""
        if lang == "nl":
            j = i
            while j < len(words) - 1 and inflected(words[j]) and content(words[j + 1]):
                j += 1
            return j + 1 if j < len(words) and content(words[j]) else i
        j = i
        while j < len(words) and j - i < 3 and content(words[j]):
            j += 1
        # An English phrase ends where a noun phrase can end: before a function word, and not on a verb that takes
        # an adverb or object ("the team [meets] every week", "the relationship [comes] first"), nor a participle.
        if j < len(words) and words[j] not in after and words[j] not in stop:
            return i
        if j - i >= 2 and (words[j - 1].endswith(("ing", "ed")) or j < len(words) and words[j] not in after
                           and words[j - 1].endswith("s") and not words[j - 1].endswith("ss")):
            j -= 1
        return j

    spans = []
    for clause in re.split(r"[.!?,;:()]+", text.lower()):
        words = re.findall(r"[^\W\d_][\w'’-]*", clause)
        for i in range(len(words)):
            before = words[i - 1] if i else ""
            if before in determiners:
                end = noun(words, i)  # "een [grens]", "de [vaste afspraken]"
            elif before in prepositions:
                # After a preposition only with a modifier ("met [mogelijke oplossingen]"): a bare noun after a
                # preposition is often part of a verb ("op tijd komen").
                end = noun(words, i) if modifier(words[i]) else i
            elif modifier(words[i]):
                end = noun(words, i)
                # A bare phrase is a plural ("vaste afspraken"), not a loanword before a verb ("practice biedt").
                end = end if words[end - 1].endswith(("en", "s")) else i
            else:
                continue
            if end <= i or (end == i + 1 and before not in determiners):
                continue
            spans.append(" ".join(words[i:end]))
            if end < len(words) - 1 and words[end] in prepositions:
                k = end + 1 + (words[end + 1] in articles)
                tail = noun(words, k) if k < len(words) else k
                if tail > k and tail - i <= 5:
                    spans.append(" ".join(words[i:tail]))
    return list(dict.fromkeys(spans))


class _EncoderBackend:
    """KeyBERT backend on the same sentence encoder (keybert.backend.BaseEmbedder)."""

    def __new__(cls, encoder: Encoder) -> Any:
        from keybert.backend import BaseEmbedder

        class _Backend(BaseEmbedder):  # type: ignore[misc]
            def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
                return encoder.embed(list(documents))

        return _Backend()


def theme_titles(groups: list[list[Sentence]], analysis: Analysis, lang: str, parse: bool = True) -> list[str]:
    """A 2-5 word keyphrase per theme: KeyBERT ranks phrases of the theme's lesson sentences by closeness to the
    whole theme, on the same encoder; yake when KeyBERT is unavailable. With Frog's analysis the phrases come from
    the parse (`parsed_titles`) unless `parse` is False."""
    if not groups:
        return []
    if parse and all(s.parsed is not None for group in groups for s in group[:1]):
        from pipeline.insights.phrases import parsed_titles

        parsed = parsed_titles(groups, analysis)
        missing = [k for k, title in enumerate(parsed) if not title]  # nothing nameable in the parse: the rules
        for k, title in zip(missing, theme_titles([groups[k] for k in missing], analysis, lang, parse=False),
                            strict=True):
            parsed[k] = title
        return parsed
    import numpy as np

    stop = stop_words(lang)
    # Phrases come from the seed and the other sentences said as a lesson; the theme as a whole decides.
    sources = [[s for k, s in enumerate(group) if k == 0 or analysis.features[s.index].cue >= 0.6][:3]
               for group in groups]
    docs = [" ".join(clean_sentence(s.text, lang) for s in source) for source in sources]
    centroids = []
    for group in groups:
        vectors = analysis.encoder.embed([s.text for s in group[:5]]).mean(axis=0)
        centroids.append(vectors / max(float(np.linalg.norm(vectors)), 1e-9))
    titles: list[str] = []
    try:
        from keybert import KeyBERT
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = CountVectorizer(analyzer=lambda doc: _phrases(doc, lang, stop))
        model = KeyBERT(model=_EncoderBackend(analysis.encoder))
        found = model.extract_keywords(docs, vectorizer=vectorizer, top_n=5, doc_embeddings=np.stack(centroids))
        if docs and found and isinstance(found[0], tuple):  # KeyBERT flattens the result for a single document
            found = [found]
        nouns = _article_nouns(analysis.sentences, lang)
        titles = [_noun_phrase_title([phrase for phrase, _score in keywords], lang, nouns) for keywords in found]
        # A single word or two joined ("Protects and focus") says little: look for a noun phrase in more of the
        # theme (its first six sentences), still ranked by closeness to the whole theme.
        weak = [k for k, title in enumerate(titles) if _weak(title, lang)]
        if weak and len(titles) == len(docs):
            wide = [" ".join(clean_sentence(s.text, lang) for s in groups[k][:6]) for k in weak]
            try:
                again = model.extract_keywords(wide, vectorizer=vectorizer, top_n=5,
                                               doc_embeddings=np.stack([centroids[k] for k in weak]))
            except ValueError:  # no noun phrase in any of them either: keep what there is
                again = [[] for _ in weak]
            if wide and again and isinstance(again[0], tuple):
                again = [again]
            for k, doc, keywords in zip(weak, wide, again, strict=True):
                several = [phrase for phrase, _score in keywords if len(phrase.split()) >= 2]
                if several:
                    titles[k], docs[k] = several[0], doc
    except ImportError:
        log.warning("keybert is not installed; titles come from yake")
    except ValueError as exc:  # no candidate phrase at all in some document
        log.debug("keybert gave up (%s); titles come from yake", exc)
    if len(titles) != len(docs):
        titles = [""] * len(docs)
    nouns = _article_nouns(analysis.sentences, lang)
    titles = [_nouns_only(title, doc, lang, stop, nouns) if title and _weak(title, lang) else title
              for title, doc in zip(titles, docs, strict=True)]
    titles = [(_gerund_clause(clean_sentence(group[0].text, lang), stop, nouns) or title)
              if lang == "en" and _weak(title, lang) else title for title, group in zip(titles, groups, strict=True)]
    result = []
    for title, doc in zip(titles, docs, strict=True):
        if not title:
            title = _yake_title(doc, lang, stop)
        spoken = re.search(r"\s+".join(re.escape(w) for w in title.split()), doc, re.IGNORECASE)
        title = doc[spoken.start():spoken.end()] if spoken else title  # the phrase as spoken ("Daniel")
        result.append(title[:1].upper() + title[1:])
    return result


def _gerund_clause(text: str, stop: set[str], nouns: set[str]) -> str:
    """An English insight that opens with a short gerund clause names itself: "Letting them lead, even if it's
    messy" gives "Letting them lead". The -ing word must not be a noun of the conversation ("the meeting")."""
    first = re.split(r"[,;:.!?]", text, maxsplit=1)[0].strip()
    words = first.split()
    head = words[0].lower() if words else ""
    if not 2 <= len(words) <= 5 or len(head) < 6 or not head.endswith("ing") or head in stop or head in nouns:
        return ""
    return first


def _weak(title: str, lang: str) -> bool:
    """One word, or two single nouns joined by `_noun_phrase_title` (a real phrase never holds "and"/"en")."""
    words = title.split()
    return len(words) < 2 or (len(words) == 3 and words[1] == ("en" if lang == "nl" else "and"))


def _nouns_only(title: str, doc: str, lang: str, stop: set[str], nouns: set[str]) -> str:
    """A weak title keeps only its words that the conversation uses as nouns (said after an article): "Gezegd en
    dossier" becomes "Dossier". When none is, the first word of the theme's text said after an article in it
    ("bij ons vertelt iedereen het op de eigen manier" gives "Manier", not "Vertelt"); else the title as it was."""
    join = "en" if lang == "nl" else "and"
    kept = [w for w in title.split() if w.lower() != join and w.lower() in nouns]
    if kept:
        return f" {join} ".join(kept)
    in_doc = [w for w in _article_nouns_in(doc, lang) if w not in stop and len(w) >= 3]
    return in_doc[0] if in_doc else title


def _article_nouns(sentences: list[Sentence], lang: str) -> set[str]:
    """Words the conversation says after an article ("de overdracht", "the council"): nouns, more likely than not.
    Other determiners also precede verbs ("bij ons vertelt iedereen"), so they do not count here."""
    return {word for s in sentences for word in _article_nouns_in(s.text, lang, adjective=False)}


def _article_nouns_in(text: str, lang: str, adjective: bool = True) -> list[str]:
    """The words after an article in `text`, in order; with `adjective`, past one inflected adjective ("de eigen
    manier": "manier", though "de nieuwe vertelt" then gives a verb). Dutch "het" is also the pronoun "it" ("niemand
    had het gezegd"): it counts only after a preposition ("in het dossier")."""
    pattern, prepositions = _article_pattern(lang, adjective)
    found = []
    for m in pattern.finditer(text):
        before, article = (m.group(1) or "").lower(), m.group(2).lower()
        if lang == "nl" and article == "het" and before not in prepositions:
            continue
        found.append(m.group(3).lower())
    return found


@functools.cache
def _article_pattern(lang: str, adjective: bool) -> tuple[re.Pattern[str], frozenset[str]]:
    grammar = lexicon(lang)["titles"]
    articles = "|".join(grammar["articles"])
    skip = r"(?:[^\W\d_]+e\s+)?" if adjective else ""
    pattern = re.compile(rf"(?:([^\W\d_]+)\s+)?\b({articles})\s+{skip}([^\W\d_][\w'’-]*)", re.IGNORECASE)
    return pattern, frozenset(grammar["prepositions"])


def _noun_phrase_title(ranked: list[str], lang: str, nouns: set[str] | None = None) -> str:
    """The best-ranked phrase of two or more words; else the two best single nouns joined ("grens en rust"),
    preferring words the conversation uses after an article (`nouns`) over verbs and adjectives."""
    several = [phrase for phrase in ranked if len(phrase.split()) >= 2]
    if several:
        return several[0]
    singles = [word for word in ranked if nouns is None or word in nouns] or ranked
    return f" {'en' if lang == 'nl' else 'and'} ".join(singles[:2])


def _yake_title(doc: str, lang: str, stop: set[str]) -> str:
    """The theme's noun phrases ranked by yake when KeyBERT is unavailable or found none."""
    phrases = _phrases(doc, lang, stop)
    ranked: list[str] = []
    try:
        import yake

        keywords = yake.KeywordExtractor(lan=lang, n=5, top=20, stopwords=stop).extract_keywords(doc)
        ranked = [phrase.lower() for phrase, _score in keywords if phrase.lower() in phrases]
    except ImportError:
        pass
    ranked += [phrase for phrase in phrases if phrase not in ranked]
    if ranked:
        return _noun_phrase_title(ranked, lang)
    # No noun phrase at all: the longest content word, a bare noun more often than not.
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", doc.lower()) if w not in stop and len(w) >= 4]
    if words:
        return max(words, key=len)
    return doc.split()[0].strip(".,").lower() if doc.split() else ""


def readable_span(seed: int, group: list[int], sentences: list[Sentence], lang: str,
                  taken: frozenset[int] = frozenset(),
                  worth: Callable[[int], float] | None = None) -> tuple[int, int]:
    """(first, last) sentence of an insight text that reads on its own: the seed; the seed joined with the sentence
    before it in the same turn when it leans on it ("... biedt een antwoord op deze vragen"); else another sentence
    of the theme that stands alone. Sentences in `taken` (other insights' own sentences) are never borrowed: one
    insight's text does not repeat another's. With `worth` (a sentence's substance), the other sentence (the closest
    first) must be worth at least the seed: a weaker stand-in reads on its own but says less (on QMSum train, taking
    the closest stand-in made 11 of 35 swapped items strays, against 3 of their seeds)."""
    def leans(j: int) -> bool:
        return bool(ANAPHORA[lang].search(clean_sentence(sentences[j].text, lang)))

    if not leans(seed):
        return seed, seed
    before = seed - 1
    if before >= 0 and before not in taken and sentences[before].turn == sentences[seed].turn \
            and not sentences[before].is_question and sentences[before].words + sentences[seed].words <= 50:
        return before, seed
    others = [j for j in group if j != seed and j not in taken and not leans(j) and not sentences[j].is_question
              and sentences[j].words >= 5]
    if worth is not None:
        others = [j for j in others if worth(j) >= worth(seed)]
    return (others[0], others[0]) if others else (seed, seed)
