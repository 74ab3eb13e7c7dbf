"""Titles for insights: the KeyBERT keyphrase of the theme on the same encoder (YAKE or noun phrases as fallback)."""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from pipeline.insights.nlp import Encoder, Sentence, clean_sentence, stop_words
from pipeline.insights.ranking import Analysis

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

def _phrases(text: str, lang: str, stop: set[str]) -> list[str]:
    """Readable 2-4 word spans that start and end with a content word (at most two stop words inside)."""
    spans = []
    for clause in re.split(r"[.!?,;:()]+", text.lower()):
        words = re.findall(r"[^\W\d_][\w'’-]*", clause)
        for i in range(len(words)):
            if words[i] in stop or len(words[i]) < 3:
                continue
            inside = 0
            for j in range(i + 1, min(i + 5, len(words))):
                if words[j] in _TITLE_BREAKS:
                    break
                if words[j] in stop or len(words[j]) < 3:
                    inside += 1
                    if inside > 2:
                        break
                    continue
                spans.append(" ".join(words[i:j + 1]))
    return list(dict.fromkeys(spans))


# A title does not run across a conjunction or a subordinate clause.
_TITLE_BREAKS = {"en", "of", "maar", "dat", "die", "als", "dan", "want", "omdat", "terwijl", "wanneer", "wat", "ik",
                 "je", "jij", "hij", "ze", "we", "and", "or", "but", "that", "which", "if", "then", "because",
                 "when", "what", "i", "you", "he", "she", "they"}


class _EncoderBackend:
    """KeyBERT backend on the same sentence encoder (keybert.backend.BaseEmbedder)."""

    def __new__(cls, encoder: Encoder) -> Any:
        from keybert.backend import BaseEmbedder

        class _Backend(BaseEmbedder):  # type: ignore[misc]
            def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
                return encoder.embed(list(documents))

        return _Backend()


def theme_titles(groups: list[list[Sentence]], analysis: Analysis, lang: str) -> list[str]:
    """A 2-5 word keyphrase per theme: KeyBERT ranks phrases of the theme's lesson sentences by closeness to the
    whole theme, on the same encoder; yake when KeyBERT is unavailable."""
    if not groups:
        return []
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
        found = model.extract_keywords(docs, vectorizer=vectorizer, top_n=1, doc_embeddings=np.stack(centroids))
        if docs and found and isinstance(found[0], tuple):  # KeyBERT flattens the result for a single document
            found = [found]
        titles = [keywords[0][0] if keywords else "" for keywords in found]
    except ImportError:
        log.warning("keybert is not installed; titles come from yake")
    except ValueError as exc:  # no candidate phrase at all in some document
        log.debug("keybert gave up (%s); titles come from yake", exc)
    if len(titles) != len(docs):
        titles = [""] * len(docs)
    result = []
    for title, doc in zip(titles, docs, strict=True):
        if not title:
            title = _yake_title(doc, lang, stop)
        spoken = re.search(r"\s+".join(re.escape(w) for w in title.split()), doc, re.IGNORECASE)
        title = doc[spoken.start():spoken.end()] if spoken else title  # the phrase as spoken ("Daniel")
        result.append(title[:1].upper() + title[1:])
    return result


def _yake_title(doc: str, lang: str, stop: set[str]) -> str:
    try:
        import yake

        for phrase, _score in yake.KeywordExtractor(lan=lang, n=3, top=10, stopwords=stop).extract_keywords(doc):
            if 2 <= len(phrase.split()) <= 5:
                return phrase.lower()
    except ImportError:
        pass
    phrases = _phrases(doc, lang, stop)
    return phrases[0] if phrases else " ".join(doc.split()[:3]).strip(".,").lower()
